"""The transition engine: the one path by which any record changes state.

`fire` is a person's step, `fire_system` is Remedy's own (a scheduler step with its rule id, or the consequence of a
step already authorised). Both run the same pipeline:

1. load the record, scoped to the viewer and the kind's visibility rule (404 otherwise);
2. check the version the person saw (a 409 saying what changed; a malformed version is a 400);
3. fire the record's machine (the domain refuses with a sentence, or returns what happened);
4. set the state (the only place in Remedy that does) and copy the kind's fields from the cleaned data;
5. the kind's own part of the step (`on_step`), then one audit event through one serialiser;
6. stop the deadlines the step met (the domain's `clocks_met`, the clocks' `stops`), then create the ones it started;
7. the kind's consequences (`then`: other records moved as system steps, through this engine again);
8. store the served letter when the domain marks the step as serving one;
9. flush. The caller commits once, so a step is all or nothing; a concurrent change is a Conflict (409).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import db, is_clash
from models.audit_store import record_event
from models.calendar_store import working_calendar
from models.cases import ActionPlan, Case, Deadline, Milestone
from models.deadline_store import cancel_deadline_timers, create_deadline
from models.entities import User
from models.registry import KINDS, RecordKind, visible_to
from models.rulebook_store import rulebook_or_council
from workflows.case import OPEN
from workflows.clock import LONDON, ClockSpec, ClockStart
from workflows.errors import Conflict, MalformedRequest, NotFound
from workflows.machine import Context, TransitionNotAllowed, TransitionResult, Workflow


@dataclass
class Step:
    """One step in progress, handed to a kind's hooks."""

    viewer: object | None
    actor: User | None
    kind: RecordKind
    record: object
    case: Case | None
    result: TransitionResult
    workflow: Workflow
    now: datetime
    today: date
    event_data: dict = field(default_factory=dict)
    reason: str | None = None
    extra: dict = field(default_factory=dict)  # what the store checked before the step (a return's figures)
    # The deadlines of the step's case (or of the record, off a case) still running once the step has stopped the
    # ones it meets, before it starts its own: a closing case's hook cancels these without reading them again.
    running: list[Deadline] = field(default_factory=list)


# -- JSON for the audit trail: one serialiser -------------------------------------------------------------------


def jsonable(value):
    """Dates, instants and enums as text, recursively: what the audit trail and JSON columns store."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def audit(actor: User | None, kind: str, record, event: str, now: datetime, *, from_state=None, to_state=None,
          reason: str | None = None, data: dict | None = None, case_id: int | None = None):
    """Append one event about a record to the audit trail."""
    if case_id is None:
        case_id = _case_id(KINDS.get(kind), record)
    return record_event(council_id=record.council_id, actor=actor, entity_type=kind, entity_id=record.id,
                        event_name=event, from_state=jsonable(from_state), to_state=jsonable(to_state),
                        reason=reason, data=jsonable(data or {}), at=now, case_id=case_id)


def new_record(actor: User | None, kind: str, record, event: str, now: datetime, *, reason: str | None = None,
               data: dict | None = None):
    """Add a record created by a step (a draft, a proposal, a complaint received), flush it and audit its creation."""
    if hasattr(record, "created_at") and record.created_at is None:
        record.created_at = now
    if hasattr(record, "updated_at") and record.updated_at is None:
        record.updated_at = now
    db.session.add(record)
    db.session.flush()
    audit(actor, kind, record, event, now, to_state=getattr(record, "state", None), reason=reason, data=data)
    return record


# -- loading and building -----------------------------------------------------------------------------------------

# Every page of a case names its provider and contract; a plan's machine counts its rows and unverified milestones;
# a milestone's machine asks its plan's state, and its step runs on its case's contract's rulebook.
_LOAD_OPTIONS = {Case: (joinedload(Case.provider), joinedload(Case.contract)),
                 ActionPlan: (selectinload(ActionPlan.rows), selectinload(ActionPlan.milestones)),
                 Milestone: (joinedload(Milestone.plan), joinedload(Milestone.case).joinedload(Case.contract))}


@cache
def _by_id(model: type, for_provider: bool, extra: tuple = ()):
    """The scoped select of one record by id (with `extra` columns after it): built once per shape, because building
    a statement costs more than SQLite takes to run it, and pages run these on every view."""
    query = select(model, *extra).where(model.id == bindparam("record_id"),
                                        model.council_id == bindparam("council_id"))
    if for_provider:
        query = query.where(model.provider_id == bindparam("provider_id"))
    return query.options(*_LOAD_OPTIONS.get(model, ()))


def load(viewer, kind: str, record_id: int):
    """One record of a kind, or NotFound if it does not exist or the viewer may not see it (never told apart)."""
    return load_with(viewer, kind, record_id)[0]


def load_with(viewer, kind: str, record_id: int, extra: tuple = (), params: dict | None = None) -> tuple:
    """One record of a kind (as load), and the values of `extra` columns read in the same statement (correlated
    subqueries about the record: a case page's which-kinds-it-has), with `params` for their parameters."""
    spec = KINDS.get(kind)
    if spec is None:
        raise NotFound(f"Unknown record kind {kind!r}")
    bound = {**(params or {}), "record_id": record_id, "council_id": viewer.council_id}
    if viewer.is_provider:
        bound["provider_id"] = viewer.provider_id
    found = db.session.execute(_by_id(spec.model, viewer.is_provider, extra), bound).unique().first()
    if found is None or (spec.visible_to and not visible_to(viewer, kind, found[0])):
        raise NotFound(f"There is no {spec.noun} {record_id} that you can see")
    return found[0], tuple(found[1:])


def case_of(kind: RecordKind, record) -> Case | None:
    """The case a record belongs to (a case is its own)."""
    if kind.name == "case":
        return record
    return record.case if kind.on_case else None


def _case_id(kind: RecordKind | None, record) -> int | None:
    if kind is None:
        return getattr(record, "case_id", None)
    return record.id if kind.name == "case" else getattr(record, "case_id", None)


def contract_of(kind: RecordKind, record):
    """The contract whose rulebook a record runs on, or None (a complaint under no contract, a concern)."""
    case = case_of(kind, record)
    if case is not None:
        return case.contract
    return getattr(record, "contract", None)


def context_for(viewer, kind: str, record, now: datetime, today: date) -> Context:
    """The plain values a record's machine needs: who acts, when, the calendar of its region, its rulebook."""
    spec = KINDS[kind]
    own = spec.hook("rulebook")  # a kind whose rulebook is found another way (a complaint: HF-74 stays in H&F's)
    rulebook = (own(record) if own else None) or rulebook_or_council(contract_of(spec, record), record.council_id)
    facts = spec.hook("facts")
    return Context(actor=viewer, now=now, today=today, calendar=working_calendar(record.council_id, rulebook.region),
                   rulebook=rulebook, record_provider_id=record.provider_id,
                   facts=facts(record) if facts else {})


def start_clocks(kind: str, record, make: Callable[[Context], tuple[ClockStart, ...]], now: datetime) -> None:
    """Start the clocks that begin with a record's creation (a complaint received, a concern raised), counted on the
    record's own calendar: its contract's rulebook, or its council's region."""
    ctx = context_for(None, kind, record, now, now.astimezone(LONDON).date())
    for clock in make(ctx):
        create_deadline(record=record, entity_type=kind, case=case_of(KINDS[kind], record), clock=clock,
                        region=ctx.rulebook.region, now=now)


def workflow_for(viewer, kind: str, record, now: datetime, today: date) -> Workflow:
    """The record's machine for this person now, to ask what they may do or to fire a step."""
    return KINDS[kind].workflow(record.state, context_for(viewer, kind, record, now, today))


def allowed_triggers(viewer, kind: str, record, now: datetime, today: date) -> list[tuple[str, str]]:
    """(trigger, button label) pairs the viewer may fire now; nothing on a closed case's records."""
    spec = KINDS[kind]
    if spec.on_case and record.case.state not in OPEN:
        return []
    workflow = workflow_for(viewer, kind, record, now, today)
    return [(t, workflow.label(t)) for t in workflow.allowed_triggers()]


def parse_version(raw) -> int | None:
    """The version a page or client saw: a whole number, or None when it sent none; anything else is refused."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if text.isdigit() and len(text) <= 9:
        return int(text)
    raise MalformedRequest("The version must be the whole number the page or record gave you: reload and try again")


def require_open(case: Case) -> None:
    """A closed case's records are the record of what happened: nothing moves them on."""
    if case.state not in OPEN:
        raise TransitionNotAllowed(f"Case {case.reference} is closed ({case.state.value.replace('_', ' ')}): its "
                                   "records stay as they were")


# -- firing ---------------------------------------------------------------------------------------------------


def fire(viewer, actor: User, kind: str, record_id: int, trigger: str, data: dict, now: datetime, today: date,
         expected_version=None, load_with: Callable | None = None, extra: dict | None = None):
    """A person's step on a record: state, audit, deadlines, consequences and letter, flushed as one change."""
    version = parse_version(expected_version)
    record = load_with(viewer, record_id) if load_with else load(viewer, kind, record_id)
    if version is not None and record.version_id != version:
        raise Conflict(changed_message(KINDS[kind], record))
    seen = record.version_id
    case = case_of(KINDS[kind], record)
    case_seen = case.version_id if case is not None else None
    try:
        _run(viewer, actor, KINDS[kind], record, trigger, data, now, today, extra=extra)
        db.session.flush()
    except StaleDataError as exc:
        db.session.rollback()
        fresh = db.session.get(KINDS[kind].model, record_id)
        if fresh is None or fresh.version_id != seen:
            raise Conflict(changed_message(KINDS[kind], fresh)) from None
        fresh_case = case_of(KINDS[kind], fresh)
        if fresh_case is not None and fresh_case.version_id != case_seen:
            # The record itself is as it was: what changed under us was its case (another step moved the rung).
            raise Conflict(changed_message(KINDS["case"], fresh_case)) from None
        # Neither: a deadline the step stops (a tick recorded its breach meanwhile), or another record it moves.
        raise Conflict(DEADLINE_CHANGED if "table 'deadline'" in str(exc) else CHANGED_MEANWHILE) from None
    except OperationalError as exc:
        # SQLite refuses the second of two simultaneous writers outright ("database is locked"); PostgreSQL ends a
        # deadlock by failing one side ("deadlock detected": a step that wrote a deadline and waits for its timer,
        # while a tick holds that timer and waits for the deadline).
        if not is_clash(exc):
            raise
        db.session.rollback()
        raise Conflict("Someone else was changing this record at the same moment: reload it and try again") from None
    return record


def fire_system(kind: str, record, trigger: str, now: datetime, today: date, *, actor: User | None = None,
                cause: str | None = None, rule: str | None = None, reason: str | None = None,
                data: dict | None = None) -> TransitionResult | None:
    """Remedy's own step on a record: a system transition of its machine (with the rule that fires it), or the
    consequence of another step (`cause`). None when the record is already past it."""
    return _run(None, actor, KINDS[kind], record, trigger, {**(data or {}), "rule": rule, "reason": reason}, now,
                today, system=True, cause=cause)


def _run(viewer, actor, kind: RecordKind, record, trigger: str, data: dict, now: datetime, today: date,
         system: bool = False, cause: str | None = None, extra: dict | None = None) -> TransitionResult | None:
    case = case_of(kind, record)
    if kind.on_case and not system:
        require_open(case)
    workflow = workflow_for(viewer, kind.name, record, now, today)
    data = {k: v for k, v in data.items() if k not in ("trigger", "version", "cause")}  # the request's, not the step's
    result = (workflow.fire_system(trigger, cause=cause, **data) if system
              else workflow.fire(trigger, **data))
    if result is None:
        return None
    _set_state(record, result.to_state)
    for key in kind.copies:
        if key in result.data:
            value = result.data[key]
            setattr(record, key, jsonable(value) if isinstance(value, dict | list | tuple) else value)
    if hasattr(record, "updated_at"):
        record.updated_at = now
    step = Step(viewer, actor, kind, record, case, result, workflow, now, today,
                event_data={k: v for k, v in result.data.items() if k != "reason"},
                reason=(result.data.get("reason") or result.data.get("comment")
                        or (f"Because of {cause.replace('_', ' ').lower()}" if cause else None)),
                extra=extra or {})
    on_step = kind.hook("on_step")
    if on_step:
        on_step(step)
    audit(actor, kind.name, record, result.event, now, from_state=result.from_state, to_state=result.to_state,
          reason=step.reason, data=step.event_data, case_id=_case_id(kind, record))
    # Stop first, then start: a step that meets a clock and starts the next of the same kind (a package's review,
    # which starts the next review's) meets the old one and leaves the new one running.
    step.running = _stop_clocks(kind, record, case, result, workflow, now)
    for clock in result.clocks_started:
        create_deadline(record=record, entity_type=kind.name, case=case, clock=clock,
                        region=workflow.ctx.rulebook.region, now=now)
    then = kind.hook("then")
    if then:
        then(step)
    if result.letter and _LETTERS:
        _LETTERS[0](actor, kind.name, record, now)
    return result


def _set_state(record, state) -> None:
    """The one assignment of a record's state in Remedy (a test fails if another module writes one)."""
    record.state = state


CHANGED_MEANWHILE = "Someone else changed this while you were working on it. Check what changed and try again."
DEADLINE_CHANGED = ("A deadline this step stops changed while you were working on it: the scheduler may have just "
                    "recorded it as missed. Check the deadlines and try again.")


def changed_message(kind: RecordKind, record) -> str:
    """What a person is told when someone else changed the record first."""
    state = record.state.value.replace("_", " ") if record is not None else "changed"
    return (f"Someone else changed this {kind.noun} while you were working on it: it is now {state}. "
            "Check what changed and try again.")


# -- clocks -----------------------------------------------------------------------------------------------------


def clock_spec(kind: RecordKind, rulebook, deadline_kind: str) -> ClockSpec | None:
    """The spec of a deadline's clock: the contract's rulebook first, then the kind's own clocks."""
    spec = rulebook.clock(deadline_kind)
    if spec is not None:
        return spec
    for candidate in ([kind] if not kind.on_case and kind.name != "case" else
                      [KINDS[name] for name in KINDS if name == "case" or KINDS[name].on_case]):
        found = candidate.clock(deadline_kind)
        if found is not None:
            return found
    return None


def _stop_clocks(kind: RecordKind, record, case: Case | None, result: TransitionResult, workflow: Workflow,
                 now: datetime) -> list[Deadline]:
    """Meet the running deadlines this step stops; cancel the record's own when the domain says so. Returns the
    deadlines it read that are still running."""
    if case is not None:
        running = select(Deadline).where(Deadline.case_id == case.id, Deadline.status == "running")
    else:
        running = select(Deadline).where(Deadline.entity_type == kind.name, Deadline.entity_id == record.id,
                                         Deadline.status == "running")
    final = result.to_state in getattr(workflow, "FINAL", ()) and kind.on_final
    found = list(db.session.scalars(running))
    for deadline in found:
        own = (deadline.entity_type, deadline.entity_id) == (kind.name, record.id)
        if deadline.entity_type == "milestone" and not own:
            continue  # a milestone's deadline is met by that milestone alone, not by another one being done (KT-19)
        spec = clock_spec(KINDS.get(deadline.entity_type, kind), workflow.ctx.rulebook, deadline.kind)
        if own and "*" in result.clocks_cancelled:
            deadline.status = "cancelled"
            cancel_deadline_timers(deadline, "The record was withdrawn or escalated")
        elif (spec is not None and result.event in spec.stops) or (own and deadline.kind in result.clocks_met):
            deadline.status, deadline.met_at = "met", now
            cancel_deadline_timers(deadline, "Met")
        elif own and final:
            deadline.status = kind.on_final
            if kind.on_final == "met":
                deadline.met_at = now
            cancel_deadline_timers(deadline, "Met" if kind.on_final == "met" else "The record was closed")
    return [deadline for deadline in found if deadline.status == "running"]


# -- letters ----------------------------------------------------------------------------------------------------

_LETTERS: list[Callable] = []


def install_letter_service(serve: Callable) -> None:
    """The web app installs the function that renders and stores a served letter (WeasyPrint lives in web/); the
    engine calls it in the same flush as every step the domain marks as serving a letter."""
    _LETTERS[:] = [serve]
