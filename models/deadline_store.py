"""Deadlines over time: timers for reminders and breaches, pauses, extensions, and the rows people see.

Timers are derived from deadline rows and upserted by `fire_key`, so re-planning never duplicates one and a
superseded timer can never fire beside its replacement (clock-lessons 4.1).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import String, case, cast, exists, func, literal, select, union_all
from sqlalchemy.orm import with_expression
from sqlalchemy.orm.util import identity_key

from models import db
from models.audit_store import record_event
from models.calendar_store import working_calendar
from models.cases import Case, Deadline
from models.entities import Contract, User
from models.registry import KINDS, page_for, scoped, visible_entities
from models.rulebook_store import rulebooks
from models.scheduling import DeadlinePause, Timer
from workflows.access import Viewer
from workflows.clock import end_of_day
from workflows.deadline import DEFAULT_REMINDERS, Pause, extended_due, plan_timers
from workflows.errors import NotFound, ValidationProblem
from workflows.machine import TransitionNotAllowed


def create_deadline(*, record, entity_type: str, case: Case | None, clock, region: str, now: datetime) -> Deadline:
    """Store a clock's deadline for any record and plan its timers; a running deadline of the same kind on the same
    record is superseded by it. A contractual deadline is frozen once served; a council's own target is not, so it
    moves when the council's calendar changes (replan_after_calendar_change)."""
    for old in db.session.scalars(select(Deadline).where(
            Deadline.entity_type == entity_type, Deadline.entity_id == record.id, Deadline.kind == clock.kind,
            Deadline.status == "running")):
        old.status = "superseded"
        cancel_deadline_timers(old, "Superseded by a new deadline")
    contract_id = case.contract_id if case is not None else getattr(record, "contract_id", None)
    deadline = Deadline(council_id=record.council_id, case_id=case.id if case is not None else None,
                        contract_id=contract_id, provider_id=record.provider_id, entity_type=entity_type,
                        entity_id=record.id, kind=clock.kind, label=clock.label, rule=clock.rule, unit=clock.unit,
                        length=clock.length, region=region, start_on=clock.start_on, due_on=clock.due_on,
                        due_at=clock.due_at, status="running", acts=clock.acts, pausable=clock.pausable,
                        on_breach=clock.on_breach, frozen=clock.contractual, explanation=list(clock.explanation),
                        created_at=now, extension_days=0)
    db.session.add(deadline)
    db.session.flush()
    plan_deadline_timers(deadline)
    return deadline


def meet_deadlines(entity_type: str, entity_id: int, kinds: set[str] | None, now: datetime) -> int:
    """Mark a record's running deadlines met (all of them, or those of the given kinds)."""
    count = 0
    for deadline in db.session.scalars(select(Deadline).where(
            Deadline.entity_type == entity_type, Deadline.entity_id == entity_id, Deadline.status == "running")):
        if kinds is None or deadline.kind in kinds:
            deadline.status, deadline.met_at = "met", now
            cancel_deadline_timers(deadline, "Met")
            count += 1
    return count


def reminders_for(deadline: Deadline) -> tuple[int, ...]:
    """Working days before the due date when reminders go out (a case's contract may set its own)."""
    if deadline.case_id is not None and deadline.contract_id is not None:
        book = rulebooks().get(db.session.get(Contract, deadline.contract_id).rulebook_id)
        if book is not None and book.reminders:
            return book.reminders
    return DEFAULT_REMINDERS


def timer_plans(deadline: Deadline, calendar) -> list:
    """The timers a deadline should have on this calendar (workflows.deadline.plan_timers; a clock of real hours
    gets its reminder by the hour)."""
    return plan_timers(deadline.id, deadline.start_on, deadline.due_on, deadline.due_at, calendar,
                       reminders_for(deadline), hours=deadline.length if deadline.unit == "hours" else None)


def plan_deadline_timers(deadline: Deadline) -> list[Timer]:
    """Create (or keep) the breach and reminder timers of a running deadline; supersede any for an old due date."""
    plans = timer_plans(deadline, working_calendar(deadline.council_id, deadline.region))
    keys = {p.fire_key for p in plans}
    existing = {t.fire_key: t for t in db.session.scalars(select(Timer).where(Timer.deadline_id == deadline.id))}
    for timer in existing.values():
        if timer.status == "pending" and timer.fire_key not in keys:
            timer.status, timer.note = "superseded", "The due date moved"
    # Never resend: a reminder or breach already fired for this deadline is not planned again on a new date.
    fired = {(t.kind, t.threshold) for t in existing.values() if t.status == "fired"}
    created = []
    for plan in plans:
        if plan.fire_key in existing or (plan.kind, plan.threshold) in fired:
            continue
        timer = Timer(council_id=deadline.council_id, deadline_id=deadline.id, kind=plan.kind,
                      threshold=plan.threshold, due_on=plan.due_on, due_at=plan.due_at, status="pending",
                      fire_key=plan.fire_key)
        db.session.add(timer)
        created.append(timer)
    db.session.flush()
    return created


def cancel_deadline_timers(deadline: Deadline, note: str) -> int:
    """Cancel every pending timer of a deadline (met, cancelled or superseded deadlines send nothing more)."""
    count = 0
    for timer in db.session.scalars(select(Timer).where(Timer.deadline_id == deadline.id, Timer.status == "pending")):
        timer.status, timer.note = "cancelled", note
        count += 1
    return count


def calendar_change_impact(council_id: int, region: str, closures: dict, now: datetime) -> dict:
    """What adding non-working days would move: reminders and internal targets move; served deadlines do not."""
    from models.calendar_store import list_closures
    from workflows.calendar import calendar_for

    current = {c.on: c.reason for c in list_closures(council_id, region)}
    calendar = calendar_for(region, {**current, **closures})
    moved_reminders = moved_targets = served_affected = 0
    for deadline in db.session.scalars(select(Deadline).where(
            Deadline.council_id == council_id, Deadline.region == region, Deadline.status == "running")):
        if not deadline.frozen and deadline.unit == "working_days":
            if calendar.add_working_days(deadline.start_on, deadline.length) != deadline.due_on:
                moved_targets += 1
        elif any(deadline.start_on < day <= deadline.due_on for day in closures):
            served_affected += 1
        plans = {(p.kind, p.threshold): p.due_on for p in timer_plans(deadline, calendar)}
        for timer in db.session.scalars(select(Timer).where(Timer.deadline_id == deadline.id,
                                                            Timer.status == "pending", Timer.kind == "reminder")):
            if plans.get((timer.kind, timer.threshold)) != timer.due_on:
                moved_reminders += 1
    return {"reminders": moved_reminders, "targets": moved_targets, "served": served_affected}


def replan_after_calendar_change(council_id: int, region: str, now: datetime) -> dict:
    """Recompute internal targets and every reminder on the new calendar; served deadlines stay as they are."""
    calendar = working_calendar(council_id, region)
    replanned = targets = 0
    for deadline in db.session.scalars(select(Deadline).where(
            Deadline.council_id == council_id, Deadline.region == region, Deadline.status == "running")):
        if not deadline.frozen and deadline.unit == "working_days":
            due = calendar.add_working_days(deadline.start_on, deadline.length)
            if due != deadline.due_on:
                deadline.due_on, deadline.due_at = due, end_of_day(due)
                targets += 1
        before = {t.fire_key for t in db.session.scalars(select(Timer).where(
            Timer.deadline_id == deadline.id, Timer.status == "pending"))}
        plan_deadline_timers(deadline)
        after = {t.fire_key for t in db.session.scalars(select(Timer).where(
            Timer.deadline_id == deadline.id, Timer.status == "pending"))}
        replanned += len(after - before)
    return {"reminders": replanned, "targets": targets}


def get_deadline(viewer: Viewer, deadline_id: int) -> Deadline:
    """One deadline the viewer may see: its record's scope and visibility rule decide (models/registry.py)."""
    deadline = db.session.scalar(_visible(viewer).where(Deadline.id == deadline_id))
    if deadline is None:
        raise NotFound("There is no such deadline that you can see")
    return deadline


def _visible(viewer: Viewer):
    """Deadlines of records the viewer may see: its council, a provider's own, and never a restricted record's
    clock unless the record's kind lets this person see it."""
    return scoped(Deadline, viewer).where(visible_entities(viewer, Deadline.entity_type, Deadline.entity_id))


def pauses_of(deadline: Deadline) -> list[DeadlinePause]:
    """A deadline's pauses, oldest first."""
    return list(db.session.scalars(select(DeadlinePause).where(DeadlinePause.deadline_id == deadline.id)
                                   .order_by(DeadlinePause.id)))


def is_paused(deadline: Deadline) -> bool:
    """Whether the clock is stopped now."""
    return any(p.ends_on is None for p in pauses_of(deadline))


def _council_manager(viewer: Viewer) -> None:
    if viewer.is_provider or viewer.role.value not in ("contract_manager", "commissioning_manager", "admin"):
        raise TransitionNotAllowed("Only the council's contract or commissioning managers can pause, resume or "
                                   "extend a deadline", forbidden=True)


def pause_deadline(viewer: Viewer, actor: User, deadline_id: int, reason: str, today: date,
                   now: datetime) -> DeadlinePause:
    """Stop a pausable clock, with a reason; its timers stop until it resumes."""
    _council_manager(viewer)
    deadline = get_deadline(viewer, deadline_id)
    reason = (reason or "").strip()
    if not deadline.pausable:
        raise TransitionNotAllowed(f"The '{deadline.label}' deadline cannot be paused ({deadline.rule} sets a fixed "
                                   "period); record an extension instead")
    if deadline.status != "running":
        raise TransitionNotAllowed(f"Only a running deadline can be paused; this one is {deadline.status}")
    if is_paused(deadline):
        raise TransitionNotAllowed("This deadline is already paused")
    if not reason:
        raise ValidationProblem("Enter why the clock is paused, for example \"awaiting the council's decision on "
                                "the plan\"", "reason")
    pause = DeadlinePause(council_id=deadline.council_id, deadline_id=deadline.id, starts_on=today, reason=reason,
                          paused_by_id=actor.id, paused_at=now)
    db.session.add(pause)
    cancel_deadline_timers(deadline, "Paused")
    db.session.flush()
    record_event(council_id=deadline.council_id, actor=actor, entity_type="deadline", entity_id=deadline.id,
                 event_name="DEADLINE_PAUSED", reason=reason, at=now, case_id=deadline.case_id,
                 data={"starts_on": today.isoformat()})
    return pause


def _recompute(deadline: Deadline, today: date) -> None:
    calendar = working_calendar(deadline.council_id, deadline.region)
    original = deadline.original_due_on or deadline.due_on
    deadline.original_due_on = original
    pauses = [Pause(p.starts_on, p.ends_on, p.reason) for p in pauses_of(deadline)]
    deadline.due_on = extended_due(original, pauses, deadline.extension_days, calendar, today)
    deadline.due_at = end_of_day(deadline.due_on)


def resume_deadline(viewer: Viewer, actor: User, deadline_id: int, today: date, now: datetime) -> Deadline:
    """Restart a paused clock: the due date moves on by the working days it was paused."""
    _council_manager(viewer)
    deadline = get_deadline(viewer, deadline_id)
    open_pause = next((p for p in pauses_of(deadline) if p.ends_on is None), None)
    if open_pause is None:
        raise TransitionNotAllowed("This deadline is not paused")
    before = deadline.due_on
    open_pause.ends_on, open_pause.resumed_by_id, open_pause.resumed_at = today, actor.id, now
    db.session.flush()
    _recompute(deadline, today)
    deadline.explanation = list(deadline.explanation) + [
        f"Paused from {open_pause.starts_on:%-d %B %Y} to {today:%-d %B %Y} ({open_pause.reason}): "
        f"due date moved from {before:%-d %B %Y} to {deadline.due_on:%-d %B %Y}"]
    plan_deadline_timers(deadline)
    record_event(council_id=deadline.council_id, actor=actor, entity_type="deadline", entity_id=deadline.id,
                 event_name="DEADLINE_RESUMED", at=now, case_id=deadline.case_id,
                 data={"from": before.isoformat(), "to": deadline.due_on.isoformat()})
    return deadline


def extend_deadline(viewer: Viewer, actor: User, deadline_id: int, days: int, reason: str, today: date,
                    now: datetime) -> Deadline:
    """Give more working days, explicitly and on the record (the only way a served deadline moves)."""
    _council_manager(viewer)
    deadline = get_deadline(viewer, deadline_id)
    if deadline.status not in ("running", "breached"):
        raise TransitionNotAllowed(f"Only a running or overdue deadline can be extended; this one is {deadline.status}")
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise ValidationProblem("Enter the extension as a whole number of working days from 1 to 60", "days")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationProblem("Enter why the deadline is being extended", "reason")
    before = deadline.due_on
    deadline.extension_days += days
    _recompute(deadline, today)
    deadline.explanation = list(deadline.explanation) + [
        f"Extended by {days} working day{'s' if days != 1 else ''} on {today:%-d %B %Y} ({reason}): due date moved "
        f"from {before:%-d %B %Y} to {deadline.due_on:%-d %B %Y}"]
    if deadline.status == "breached" and deadline.due_at > now:
        deadline.status, deadline.breached_at = "running", None
        case = case_of(deadline)
        if case is not None and not db.session.scalar(select(Deadline.id).where(
                Deadline.case_id == case.id, Deadline.status == "breached").limit(1)):
            case.overdue = False  # nothing on the case is overdue any more
    plan_deadline_timers(deadline)
    record_event(council_id=deadline.council_id, actor=actor, entity_type="deadline", entity_id=deadline.id,
                 event_name="DEADLINE_EXTENDED", reason=reason, at=now, case_id=deadline.case_id,
                 data={"days": days, "from": before.isoformat(), "to": deadline.due_on.isoformat()})
    return deadline


def upcoming_deadlines(viewer: Viewer, now: datetime, until: date) -> list[Deadline]:
    """Running and overdue deadlines up to a date, for the deadlines page, home page and calendar feed."""
    query = _visible(viewer).where(Deadline.status.in_(("running", "breached")), Deadline.due_on <= until)
    return list(db.session.scalars(query.order_by(Deadline.due_at, Deadline.id)))


# What a list of deadlines shows of each (web/deadline_rows.py and the deadlines page): not how it was counted (a
# JSON list, parsed for every row), nor its history's instants and dates, which only its own page shows.
LISTED = (Deadline.id, Deadline.council_id, Deadline.case_id, Deadline.provider_id, Deadline.entity_type,
          Deadline.entity_id, Deadline.label, Deadline.rule, Deadline.unit, Deadline.region, Deadline.due_on,
          Deadline.due_at, Deadline.status, Deadline.acts, Deadline.pausable)


class ListedDeadline(NamedTuple):
    """A deadline as a list shows it (LISTED, then listed_facts' two), read as plain columns: not an ORM object, whose
    unread columns each cost a deferred loader to set up, forty rows a page (models/work_queue.deadline_lists)."""

    id: int
    council_id: int
    case_id: int | None
    provider_id: int | None
    entity_type: str
    entity_id: int
    label: str
    rule: str
    unit: str
    region: str
    due_on: date
    due_at: datetime
    status: str
    acts: str
    pausable: bool
    open_pause: bool | None
    subject_name: str | None


def listed_columns() -> tuple:
    """The columns of a ListedDeadline, in its order: LISTED, whether a pause is open now and the subject's name."""
    return (*LISTED, _open_pause().label("open_pause"), _subject_name_column().label("subject_name"))


def listed_facts(subjects: bool = True) -> tuple:
    """Loader options that read with each deadline row what a list shows beside it: whether a pause is open now
    (paused_ids) and, with `subjects`, the name of the record it belongs to (subjects_of), so that neither is asked
    for again (issue 17: two of the four statements of /deadlines). Each is a probe by key per row."""
    options = [with_expression(Deadline.open_pause, _open_pause())]
    if subjects:
        options.append(with_expression(Deadline.subject_name, _subject_name_column()))
    return tuple(options)


def _open_pause():
    return exists().where(DeadlinePause.deadline_id == Deadline.id, DeadlinePause.ends_on.is_(None))


def _subject_name_column():
    """The name of the record a deadline belongs to: its case's reference, or its own record's naming column ("" for
    a kind without one)."""
    return func.coalesce(case(
        (Deadline.case_id.is_not(None), select(Case.reference).where(Case.id == Deadline.case_id).scalar_subquery()),
        *((Deadline.entity_type == kind, select(cast(column, String)).where(model.id == Deadline.entity_id)
           .scalar_subquery()) for kind, model, column in _named_kinds() if kind != "case")), "")


@cache
def _named_kinds() -> tuple[tuple[str, type, object], ...]:
    """Each kind whose records have a name (kind, model, naming column): its reference, a monitoring return's period
    label, a meeting's day."""
    named = []
    for kind, record_kind in sorted(KINDS.items()):
        model = record_kind.model
        column = next((getattr(model, c) for c in ("reference", "label", "held_on") if hasattr(model, c)), None)
        if column is not None:
            named.append((kind, model, column))
    return tuple(named)


def paused_ids(deadlines) -> set[int]:
    """Which of these deadlines have a pause still open: as read with the rows (listed_facts), the rest in one
    query."""
    found = {d.id for d in deadlines if d.pausable and d.open_pause}
    ids = [d.id for d in deadlines if d.pausable and d.open_pause is None]
    if ids:
        found.update(db.session.scalars(select(DeadlinePause.deadline_id).where(
            DeadlinePause.deadline_id.in_(ids), DeadlinePause.ends_on.is_(None))))
    return found


def _subject(deadline: Deadline) -> tuple[str, int]:
    """The record a deadline names as its subject: its case, or (for one not on a case) its own record."""
    return ("case", deadline.case_id) if deadline.case_id else (deadline.entity_type, deadline.entity_id)


def subjects_of(deadlines) -> dict[int, tuple[str, str]]:
    """For each deadline: the record it belongs to, as words (its case's reference, a complaint's CMP-00012, or
    "Meeting of 4 March 2027"), and the path of that record's page, from the registry. A name read with the row
    (listed_facts) or a record the request has loaded already (the case on its own page) is named without asking;
    the rest in one statement whatever kinds are present (a UNION of one SELECT per kind), none when there are none."""
    names: dict[tuple[str, int], str] = {}
    wanted: dict[str, set[int]] = {}
    for d in deadlines:
        kind, entity_id = _subject(d)
        if d.subject_name is None:
            wanted.setdefault(kind, set()).add(entity_id)
        elif d.subject_name:
            names[(kind, entity_id)] = _subject_name(kind, d.subject_name)
    columns = {kind: column for kind, _model, column in _named_kinds()}
    parts = []
    loaded_records = db.session.identity_map  # the request's session, found once (not once a row)
    for kind, ids in sorted(wanted.items()):
        column = columns.get(kind)
        if column is None:
            continue
        model = KINDS[kind].model
        unread = []
        for entity_id in ids:
            loaded = loaded_records.get(identity_key(model, entity_id))
            if loaded is None:
                unread.append(entity_id)
            elif (value := getattr(loaded, column.key)) is not None:
                names[(kind, entity_id)] = _subject_name(kind, str(value))
        if unread:
            parts.append(select(literal(kind).label("kind"), model.id.label("id"),
                                cast(column, String).label("name")).where(model.id.in_(unread)))
    for kind, entity_id, name in db.session.execute(union_all(*parts)) if parts else ():
        if name:
            names[(kind, entity_id)] = _subject_name(kind, name)
    out = {}
    for d in deadlines:
        kind, entity_id = _subject(d)
        noun = KINDS[kind].noun.capitalize() if kind in KINDS else "Record"
        out[d.id] = (names.get((kind, entity_id)) or f"{noun} {entity_id}",
                     page_for(d.entity_type, d.entity_id, d.case_id))
    return out


def _subject_name(kind: str, name: str) -> str:
    """A record's name in words from its naming column's text (subjects_of)."""
    model = KINDS[kind].model
    if hasattr(model, "reference"):
        return name
    if hasattr(model, "label"):  # a monitoring return: by its period, not its id
        return f"{KINDS[kind].noun.capitalize()} {name}"
    held_on = date.fromisoformat(name[:10])
    return f"Meeting of {held_on.day} {held_on:%B %Y}"


def case_of(deadline: Deadline) -> Case | None:
    """The case a deadline belongs to, if any."""
    return db.session.get(Case, deadline.case_id) if deadline.case_id else None

