"""Cases and the records attached to them; the only code that changes their state.

Every change goes through `apply_transition`: build the record's workflow from plain values, fire it, copy the new
state and data onto the record, append the audit event, upsert the deadline rows and apply the consequences on the
case and related records, then flush. The caller commits once, so a change is all or nothing. Every record has an
optimistic lock: when two people act at once, exactly one succeeds and the other is told what changed.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, func, literal, select, union_all
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import db
from models.audit_store import events_for_case, record_event
from models.calendar_store import working_calendar
from models.cases import (
    ActionPlan,
    ActionPlanRow,
    Case,
    Deadline,
    DefaultNotice,
    Document,
    Milestone,
    Notice,
    Suspension,
    Termination,
)
from models.concerns import LargeScaleEnquiry
from models.contract_settings_store import contract_rulebook
from models.deadline_store import cancel_deadline_timers, plan_deadline_timers
from models.entities import Contract, Provider, User
from models.outbox_store import enqueue
from models.provider_store import get_contract
from models.timer_store import people_for
from workflows.access import Viewer
from workflows.action_plan import ActionPlanWorkflow, PlanState, validate_row
from workflows.case import OPEN, CaseState, CaseWorkflow
from workflows.clock import ClockSpec, ClockStart, end_of_day
from workflows.default_notice import DefaultNoticeWorkflow, DefaultState, defaults_in_window
from workflows.errors import Conflict, NotFound, ValidationProblem
from workflows.machine import COMMISSIONERS, MANAGERS, Context, TransitionNotAllowed, TransitionResult, Workflow
from workflows.messages import PLAN_STEPS, plan_step
from workflows.milestone import MilestoneState, MilestoneWorkflow
from workflows.minutes import MINUTES_CLOCK
from workflows.notice import NoticeState, NoticeWorkflow
from workflows.rulebook import Rulebook
from workflows.suspension import SuspensionState, SuspensionWorkflow, suspension_check
from workflows.termination import TerminationState, TerminationWorkflow


@dataclass(frozen=True)
class Kind:
    """A record kind: its model, workflow, and the name used in the API and the audit trail."""

    name: str
    model: type
    workflow: type[Workflow]
    collection: str


KINDS = {
    "case": Kind("case", Case, CaseWorkflow, "cases"),
    "notice": Kind("notice", Notice, NoticeWorkflow, "notices"),
    "action_plan": Kind("action_plan", ActionPlan, ActionPlanWorkflow, "action-plans"),
    "milestone": Kind("milestone", Milestone, MilestoneWorkflow, "milestones"),
    "default_notice": Kind("default_notice", DefaultNotice, DefaultNoticeWorkflow, "default-notices"),
    "suspension": Kind("suspension", Suspension, SuspensionWorkflow, "suspensions"),
    "termination": Kind("termination", Termination, TerminationWorkflow, "terminations"),
}
BY_COLLECTION = {k.collection: k for k in KINDS.values()}


def rulebook_for(contract: Contract) -> Rulebook:
    """The contract's rulebook, as loaded at start-up, with the council's settings on the contract (A4)."""
    return contract_rulebook(current_app.extensions["rulebooks"][contract.rulebook_id], contract.settings)


# -- reading, always scoped -----------------------------------------------------------------------------------


def _scoped(model: type, viewer: Viewer):
    query = select(model).where(model.council_id == viewer.council_id)
    if viewer.is_provider:
        query = query.where(model.provider_id == viewer.provider_id)
    return query


@cache
def _scoped_statement(model: type, by: str, for_provider: bool):
    """select(model) where `by` equals :value, in the viewer's council (and provider): built once per shape, because
    building a statement costs more than SQLite takes to run it, and pages run these on every view."""
    query = select(model).where(getattr(model, by) == bindparam("value"),
                                model.council_id == bindparam("council_id"))
    if for_provider:
        query = query.where(model.provider_id == bindparam("provider_id"))
    if model is Case:  # every page of a case names its provider and contract
        query = query.options(joinedload(Case.provider), joinedload(Case.contract))
    if model is ActionPlan:  # the plan's workflow counts its rows and unverified milestones
        query = query.options(selectinload(ActionPlan.rows), selectinload(ActionPlan.milestones))
    return query.order_by(model.id)


def _scoped_params(viewer: Viewer, value) -> dict:
    params = {"value": value, "council_id": viewer.council_id}
    if viewer.is_provider:
        params["provider_id"] = viewer.provider_id
    return params


def get_record(viewer: Viewer, kind: str, record_id: int):
    """One record of a kind, or NotFound if it does not exist or the viewer may not see it."""
    model = KINDS[kind].model
    record = db.session.scalars(_scoped_statement(model, "id", viewer.is_provider),
                                _scoped_params(viewer, record_id)).unique().first()
    if record is None:
        raise NotFound(f"There is no {kind.replace('_', ' ')} {record_id} that you can see")
    return record


def get_case(viewer: Viewer, case_id: int) -> Case:
    """One case."""
    return get_record(viewer, "case", case_id)


def _filtered_cases(query, provider_id: int | None, contract_id: int | None, state: CaseState | None,
                    overdue: bool | None, open_only: bool):
    if provider_id is not None:
        query = query.where(Case.provider_id == provider_id)
    if contract_id is not None:
        query = query.where(Case.contract_id == contract_id)
    if state is not None:
        query = query.where(Case.state == state)
    if open_only:
        query = query.where(Case.state.in_(OPEN))
    # "Overdue" is what the scheduler has recorded: it sweeps every minute and marks a case overdue at a breach.
    # (The case list still flags a deadline past due before the sweep: see list_case_rows.)
    if overdue is True:
        query = query.where(Case.overdue.is_(True))
    elif overdue is False:
        query = query.where(Case.overdue.is_(False))
    return query


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def list_cases(viewer: Viewer, now: datetime, provider_id: int | None = None, contract_id: int | None = None,
               state: CaseState | None = None, overdue: bool | None = None, open_only: bool = False,
               page: int = 1, per_page: int = 25) -> tuple[list[Case], int]:
    """A page of the cases the viewer may see, newest first, with the total count."""
    query = _filtered_cases(_scoped(Case, viewer), provider_id, contract_id, state, overdue, open_only)
    items = db.session.scalars(
        query.options(selectinload(Case.provider), selectinload(Case.contract))
        .order_by(Case.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(items), _count(query)


class CaseListRow(NamedTuple):
    """One line of the case list, as the store reads it."""

    id: int
    reference: str
    summary: str
    state: CaseState
    overdue: bool
    created_at: datetime
    provider_name: str
    contract_reference: str
    rulebook_id: str


@cache
def _case_list_statements(filters: frozenset[str], for_provider: bool):
    """The case list's page and count statements for one shape of filter, built once and run with parameters
    (building a statement costs more than SQLite takes to run it)."""
    rows = select(Case.id, Case.reference, Case.summary, Case.state, Case.overdue, Case.created_at,
                  Provider.name.label("provider_name"), Contract.reference.label("contract_reference"),
                  Contract.rulebook_id).join(Provider, Provider.id == Case.provider_id).join(
                      Contract, Contract.id == Case.contract_id)
    counted = select(func.count(Case.id))
    conditions = [Case.council_id == bindparam("council_id")]
    if for_provider:
        conditions.append(Case.provider_id == bindparam("viewer_provider_id"))
    for name in sorted(filters):
        conditions.append(getattr(Case, name) == bindparam(name))
    rows = rows.where(*conditions).order_by(Case.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))
    return rows, counted.where(*conditions)


def list_case_rows(viewer: Viewer, now: datetime, provider_id: int | None = None, contract_id: int | None = None,
                   state: CaseState | None = None, overdue: bool | None = None, page: int = 1,
                   per_page: int = 25) -> tuple[list, int]:
    """A page of the case list as CaseListRow tuples, newest first, with the total count: one query for the rows,
    one to count, and one more only if a case not yet flagged overdue has a deadline past due.

    "Overdue" is what the scheduler has recorded (it sweeps every minute and flags a case at a breach); a row whose
    deadline has passed but not yet been swept is shown overdue too."""
    params = {"council_id": viewer.council_id, "provider_id": provider_id, "contract_id": contract_id,
              "state": state, "overdue": overdue}
    params = {k: v for k, v in params.items() if v is not None}
    rows_stmt, count_stmt = _case_list_statements(frozenset(params) - {"council_id"}, viewer.is_provider)
    if viewer.is_provider:
        params["viewer_provider_id"] = viewer.provider_id
    rows = db.session.execute(rows_stmt, {**params, "limit": per_page,
                                          "offset": (max(page, 1) - 1) * per_page}).all()
    total = db.session.execute(count_stmt, params).scalar_one()
    late = _late_case_ids(viewer, [r.id for r in rows if not r.overdue], now)
    return [CaseListRow(*r[:4], r.overdue or r.id in late, *r[5:]) for r in rows], total


def _late_case_ids(viewer: Viewer, case_ids: list[int], now: datetime) -> set[int]:
    """Which of these cases have a running deadline past its due instant (the next sweep will flag them)."""
    if not case_ids:
        return set()
    return set(db.session.scalars(select(Deadline.case_id).where(
        Deadline.case_id.in_(case_ids), Deadline.council_id == viewer.council_id, Deadline.status == "running",
        Deadline.due_at < now).distinct()))


_RECORD_KINDS = ("notice", "action_plan", "default_notice", "suspension", "termination", "milestone")


@cache
def _kinds_present_query(for_provider: bool):
    """How many records of each kind a case has, in one statement; built once (building it costs more than running
    it) with the case, council and provider as parameters."""
    parts = []
    for name in _RECORD_KINDS:
        model = KINDS[name].model
        part = select(literal(name).label("kind"), func.count(model.id).label("records")).where(
            model.case_id == bindparam("case_id"), model.council_id == bindparam("council_id"))
        if for_provider:
            part = part.where(model.provider_id == bindparam("provider_id"))
        parts.append(part)
    return union_all(*parts)


def case_records(viewer: Viewer, case: Case) -> dict[str, list]:
    """Everything attached to a case, by kind: one query says which kinds it has, then one query per kind present
    (a case at the notice rung has only notices; most never reach a suspension)."""
    params = {"case_id": case.id, "council_id": viewer.council_id}
    if viewer.is_provider:
        params["provider_id"] = viewer.provider_id
    present = {row.kind for row in db.session.execute(_kinds_present_query(viewer.is_provider), params)
               if row.records}
    out = {}
    for name in _RECORD_KINDS:
        out[name] = [] if name not in present else list(db.session.scalars(
            _scoped_statement(KINDS[name].model, "case_id", viewer.is_provider), _scoped_params(viewer, case.id)))
    return out


@cache
def _case_deadlines_statement():
    # Built once (see _scoped_statement): every case page lists its deadlines.
    return select(Deadline).where(Deadline.council_id == bindparam("council_id"),
                                  Deadline.case_id == bindparam("case_id")).order_by(Deadline.due_at, Deadline.id)


def deadlines_for(council_id: int, case_id: int | None = None, entity: tuple[str, int] | None = None,
                  provider_id: int | None = None) -> list[Deadline]:
    """Deadline rows of a case or of one record, soonest first."""
    if case_id is not None and entity is None and provider_id is None:
        return list(db.session.scalars(_case_deadlines_statement(), {"council_id": council_id, "case_id": case_id}))
    query = select(Deadline).where(Deadline.council_id == council_id)
    if case_id is not None:
        query = query.where(Deadline.case_id == case_id)
    if entity is not None:
        query = query.where(Deadline.entity_type == entity[0], Deadline.entity_id == entity[1])
    if provider_id is not None:
        query = query.where(Deadline.provider_id == provider_id)
    return list(db.session.scalars(query.order_by(Deadline.due_at, Deadline.id)))


def case_timeline(viewer: Viewer, case: Case):
    """The audit trail of the case and everything attached to it."""
    return events_for_case(viewer.council_id, case.id)


@cache
def _documents_statement():
    # Built once (see _scoped_statement). A list of letters never needs their PDFs: the bytes load only if read.
    return (select(Document).where(Document.council_id == bindparam("council_id"),
                                   Document.case_id == bindparam("case_id"))
            .options(defer(Document.content)).order_by(Document.id))


def documents_for(viewer: Viewer, case: Case) -> list[Document]:
    """Letters stored for a case."""
    return list(db.session.scalars(_documents_statement(), {"council_id": viewer.council_id, "case_id": case.id}))


def get_document(viewer: Viewer, document_id: int) -> Document:
    """One stored letter, if the viewer may see its case."""
    document = db.session.get(Document, document_id)
    if document is None or document.council_id != viewer.council_id:
        raise NotFound("There is no such document")
    get_case(viewer, document.case_id)  # raises NotFound for another provider's case
    return document


# -- building a workflow for a record --------------------------------------------------------------------------


def _facts(kind: str, record) -> dict:
    if kind == "action_plan":
        unverified = sum(1 for m in record.milestones if m.state is not MilestoneState.VERIFIED)
        return {"row_count": len(record.rows), "milestones_unverified": unverified}
    if kind == "milestone":
        return {"plan_state": record.plan.state.value}
    if kind == "notice":
        return {"served_on": record.served_on, "received_on": record.received_on,
                "plan_due_days": record.plan_due_days}
    if kind == "suspension" and record.state is SuspensionState.PROPOSED:
        return {"suspension_grounds": suspension_grounds(record.case), "ground": record.ground}
    return {}


LIVE_NOTICE = (NoticeState.ISSUED, NoticeState.PLAN_DUE, NoticeState.PLAN_SUBMITTED)
DEFAULT_IN_FORCE = (DefaultState.SERVED, DefaultState.NOT_REMEDIED)


def suspension_grounds(case: Case) -> frozenset[str]:
    """What is in place now that a contract may require before a suspension (CE-38): a live improvement notice or
    a default notice in force on any case of this contract, or a Large Scale Enquiry on the provider."""
    present = set()
    on_contract = select(Case.id).where(Case.contract_id == case.contract_id)
    if db.session.scalar(select(Notice.id).where(Notice.case_id.in_(on_contract),
                                                 Notice.state.in_(LIVE_NOTICE)).limit(1)) is not None:
        present.add("notice")
    in_force = select(DefaultNotice.id).where(DefaultNotice.case_id.in_(on_contract),
                                              DefaultNotice.state.in_(DEFAULT_IN_FORCE))
    if db.session.scalar(in_force.limit(1)) is not None:
        present.add("default_notice")
    if db.session.scalar(select(LargeScaleEnquiry.id).where(LargeScaleEnquiry.provider_id == case.provider_id,
                                                            LargeScaleEnquiry.ends_on.is_(None)).limit(1)) is not None:
        present.add("large_scale_enquiry")
    return frozenset(present)


def context_for(viewer: Viewer | None, case: Case, now: datetime, today: date, facts: dict | None = None) -> Context:
    """The plain values a workflow needs for a record of this case."""
    rulebook = rulebook_for(case.contract)
    return Context(actor=viewer, now=now, today=today, calendar=working_calendar(case.council_id, rulebook.region),
                   rulebook=rulebook, record_provider_id=case.provider_id, facts=facts or {})


def workflow_for(viewer: Viewer | None, kind: str, record, now: datetime, today: date) -> Workflow:
    """The record's workflow, ready to answer allowed_triggers() or fire()."""
    case = record if kind == "case" else record.case
    return KINDS[kind].workflow(record.state, context_for(viewer, case, now, today, _facts(kind, record)))


def allowed_triggers(viewer: Viewer, kind: str, record, now: datetime, today: date) -> list[tuple[str, str]]:
    """(trigger, button label) pairs the viewer may fire now."""
    if kind != "case" and record.case.state not in OPEN:
        return []
    workflow = workflow_for(viewer, kind, record, now, today)
    return [(t, workflow.label(t)) for t in workflow.allowed_triggers()]


# -- creating records ------------------------------------------------------------------------------------------


def _check_create(viewer: Viewer, roles, what: str, rulebook: Rulebook, rung: str | None) -> None:
    if viewer.role not in roles:
        raise TransitionNotAllowed(f"Your role ({viewer.role.label.lower()}) cannot {what}", forbidden=True)
    if rung and not rulebook.has_rung(rung):
        raise TransitionNotAllowed(f"The {rulebook.title} contract has no {rulebook.rung_name(rung).lower()} step")


def _audit(viewer_user: User | None, case: Case, kind: str, record_id: int, event: str, now: datetime,
           from_state=None, to_state=None, reason=None, data=None):
    return record_event(council_id=case.council_id, actor=viewer_user, entity_type=kind, entity_id=record_id,
                        event_name=event, from_state=from_state, to_state=to_state, reason=reason,
                        data=_jsonable(data or {}), at=now, case_id=case.id)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def open_case(viewer: Viewer, actor: User, contract_key: int | str, summary: str, now: datetime) -> Case:
    """Open a case on a contract as a concern under enhanced monitoring (T1)."""
    if viewer.role not in CaseWorkflow.OPEN_ROLES:
        raise TransitionNotAllowed("Only a contract manager or commissioning manager can open a case", forbidden=True)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationProblem("Enter a summary of the concern", "summary")
    if len(summary) > 2000:
        raise ValidationProblem("Summary must be 2,000 characters or fewer", "summary")
    contract = get_contract(viewer, contract_key)
    number = (db.session.scalar(select(func.count(Case.id)).where(Case.council_id == viewer.council_id)) or 0) + 1
    case = Case(council_id=viewer.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                reference=f"CASE-{number:05d}", summary=summary, state=CaseState.CONCERN, opened_by_id=actor.id,
                created_at=now, updated_at=now)
    db.session.add(case)
    db.session.flush()
    _audit(actor, case, "case", case.id, "CASE_OPENED", now, to_state=CaseState.CONCERN.value, reason=summary)
    return case


def draft_notice(viewer: Viewer, actor: User, case_id: int, findings: str, required_action: str,
                 now: datetime) -> Notice:
    """Draft the contract's improvement notice or formal warning (KT-18: what is inadequate, why, plan required)."""
    case = get_case(viewer, case_id)
    rulebook = rulebook_for(case.contract)
    _check_create(viewer, NoticeWorkflow.CREATE_ROLES, f"draft a {rulebook.rung_name('notice').lower()}", rulebook,
                  "notice")
    _require_open(case)
    findings, required_action = (findings or "").strip(), (required_action or "").strip()
    if not findings:
        raise ValidationProblem("Enter what is not adequate about the provider's performance, and why", "findings")
    if not required_action:
        raise ValidationProblem("Enter the action plan the provider must produce", "required_action")
    notice = Notice(council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
                    title=rulebook.rung_name("notice"), state=NoticeState.DRAFT, findings=findings,
                    required_action=required_action, created_at=now, updated_at=now)
    db.session.add(notice)
    db.session.flush()
    _audit(actor, case, "notice", notice.id, "NOTICE_DRAFTED", now, to_state=NoticeState.DRAFT.value,
           data={"title": notice.title})
    return notice


def create_action_plan(viewer: Viewer, actor: User, case_id: int, now: datetime, today: date,
                       notice_id: int | None = None, due_days: int | None = None) -> ActionPlan:
    """Start an action plan for a case, against a notice or required directly by the council (TH-19)."""
    case = get_case(viewer, case_id)
    rulebook = rulebook_for(case.contract)
    _check_create(viewer, ActionPlanWorkflow.CREATE_ROLES, "start an action plan", rulebook, "action_plan")
    _require_open(case)
    notice = None
    if notice_id is not None:
        notice = get_record(viewer, "notice", notice_id)
        if notice.case_id != case.id:
            raise ValidationProblem("That notice belongs to another case", "notice")
    live = db.session.scalar(select(ActionPlan).where(
        ActionPlan.case_id == case.id,
        ActionPlan.state.in_([PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED, PlanState.AGREED])))
    if live is not None:
        raise ValidationProblem(f"This case already has an action plan in progress (plan {live.id})", "case")
    plan = ActionPlan(council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
                      notice_id=notice.id if notice else None, title=rulebook.rung_name("action_plan"),
                      state=PlanState.DRAFT, created_at=now, updated_at=now)
    db.session.add(plan)
    db.session.flush()
    _audit(actor, case, "action_plan", plan.id, "PLAN_STARTED", now, to_state=PlanState.DRAFT.value,
           data={"notice_id": plan.notice_id})
    if notice is None and viewer.role in MANAGERS:
        # The council requires a plan directly (TH-19): its own clock, length set by the council.
        specs = rulebook.clocks_starting("plan_required")
        if specs:
            if due_days is None:
                raise ValidationProblem("Enter the number of working days the provider has for the plan", "due_days")
            if not isinstance(due_days, int) or not 1 <= due_days <= 120:
                raise ValidationProblem("Enter a number of working days from 1 to 120", "due_days")
            ctx = context_for(viewer, case, now, today)
            from workflows.clock import start_clock

            clock = start_clock(specs[0], today, ctx.calendar, length=due_days)
            plan.due_on = clock.due_on
            _save_clocks(case, "action_plan", plan.id, (clock,), ctx.rulebook.region, now)
        _cascade(actor, viewer, case, "require_action_plan", "PLAN_STARTED", now, today)
    return plan


def add_plan_row(viewer: Viewer, actor: User, plan_id: int, row: dict, now: datetime, today: date) -> ActionPlanRow:
    """Add one Appendix A row to a plan that is still being drafted or was returned."""
    plan = get_record(viewer, "action_plan", plan_id)
    _check_plan_editor(viewer)
    if plan.state not in (PlanState.DRAFT, PlanState.RETURNED):
        raise TransitionNotAllowed("Rows can only be changed while the plan is a draft or returned for changes; "
                                   "an agreed plan is changed by starting a new version")
    valid = validate_row(row, today)
    item = ActionPlanRow(council_id=plan.council_id, plan_id=plan.id, position=len(plan.rows) + 1,
                         **valid.__dict__)
    db.session.add(item)
    plan.updated_at = now
    db.session.flush()
    _audit(actor, plan.case, "action_plan", plan.id, "PLAN_ROW_ADDED", now, data={"row": valid.__dict__})
    return item


def add_milestone(viewer: Viewer, actor: User, plan_id: int, title: str, due_on: date, now: datetime) -> Milestone:
    """Add a milestone (a key task with its date) to a plan being drafted."""
    plan = get_record(viewer, "action_plan", plan_id)
    _check_plan_editor(viewer)
    if plan.state not in (PlanState.DRAFT, PlanState.RETURNED):
        raise TransitionNotAllowed("Milestones can only be added while the plan is a draft or returned for changes")
    title = (title or "").strip()
    if not title:
        raise ValidationProblem("Enter what the milestone is", "title")
    if not isinstance(due_on, date):
        raise ValidationProblem("Enter the date the milestone is due", "due_on")
    milestone = Milestone(council_id=plan.council_id, provider_id=plan.provider_id, case_id=plan.case_id,
                          plan_id=plan.id, title=title, due_on=due_on, state=MilestoneState.PLANNED,
                          created_at=now, updated_at=now)
    db.session.add(milestone)
    db.session.flush()
    _audit(actor, plan.case, "milestone", milestone.id, "MILESTONE_ADDED", now,
           to_state=MilestoneState.PLANNED.value, data={"title": title, "due_on": due_on})
    return milestone


def _check_plan_editor(viewer: Viewer) -> None:
    """Plans are written by the provider's staff and the council's managers (CE-32: the council may add actions)."""
    if viewer.role not in ActionPlanWorkflow.CREATE_ROLES:
        raise TransitionNotAllowed(f"Your role ({viewer.role.label.lower()}) cannot change an action plan",
                                   forbidden=True)


def draft_default_notice(viewer: Viewer, actor: User, case_id: int, now: datetime) -> DefaultNotice:
    """Draft a default notice on a case (served later by the commissioning manager)."""
    case = get_case(viewer, case_id)
    rulebook = rulebook_for(case.contract)
    _check_create(viewer, DefaultNoticeWorkflow.CREATE_ROLES, "draft a default notice", rulebook, "default_notice")
    _require_open(case)
    notice = DefaultNotice(council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
                           contract_id=case.contract_id, state=DefaultState.DRAFTED, created_at=now, updated_at=now)
    db.session.add(notice)
    db.session.flush()
    _audit(actor, case, "default_notice", notice.id, "DEFAULT_DRAFTED", now, to_state=DefaultState.DRAFTED.value)
    return notice


def propose_suspension(viewer: Viewer | None, actor: User | None, case_id: int, reason: str, now: datetime,
                       rule: str | None = None, council_id: int | None = None, ground: str | None = None) -> Suspension:
    """Propose a suspension for the authorised officer to confirm (by a manager, or by the system with a rule)."""
    case = get_case(viewer, case_id) if viewer else db.session.get(Case, case_id)
    rulebook = rulebook_for(case.contract)
    if viewer is not None:
        _check_create(viewer, SuspensionWorkflow.CREATE_ROLES, "propose a suspension", rulebook, "suspension")
    _require_open(case)
    # The suspension's ground (CE-33/37/38/52/53/54); a rule's proposal is on the ground the rulebook gives it.
    ground = (ground or "").strip() or (getattr(rulebook.ground_proposed_by(rule), "id", None) if rule else None)
    problem, condition = suspension_check(rulebook, ground, suspension_grounds(case))
    if problem:
        raise (ValidationProblem(problem, "ground") if rulebook.suspension_grounds
               and rulebook.suspension_ground(ground) is None else TransitionNotAllowed(problem))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationProblem("Enter why a suspension is proposed", "reason")
    suspension = Suspension(council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
                            state=SuspensionState.PROPOSED, proposed_reason=reason, proposed_by_rule=rule,
                            ground=ground, created_at=now, updated_at=now)
    db.session.add(suspension)
    db.session.flush()
    _audit(actor, case, "suspension", suspension.id, "SUSPENSION_PROPOSED", now,
           to_state=SuspensionState.PROPOSED.value, reason=reason,
           data={"rule": rule, "ground": ground, "condition": condition})
    return suspension


def consider_termination(viewer: Viewer | None, actor: User | None, case_id: int, reason: str, now: datetime,
                         today: date, rule: str | None = None) -> Termination:
    """Put termination on the table for the authorised officer to decide (never decided by the system)."""
    case = get_case(viewer, case_id) if viewer else db.session.get(Case, case_id)
    rulebook = rulebook_for(case.contract)
    if viewer is not None:
        _check_create(viewer, MANAGERS, "consider termination", rulebook, "termination")
    _require_open(case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationProblem("Enter why termination is being considered", "reason")
    pending = db.session.scalar(select(Termination).where(Termination.case_id == case.id,
                                                          Termination.state == TerminationState.CONSIDERED))
    if pending is not None:
        raise ValidationProblem("Termination is already being considered on this case", "reason")
    termination = Termination(council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
                              state=TerminationState.CONSIDERED, considered_reason=reason, proposed_by_rule=rule,
                              created_at=now, updated_at=now)
    db.session.add(termination)
    db.session.flush()
    _audit(actor, case, "termination", termination.id, "TERMINATION_CONSIDERED", now,
           to_state=TerminationState.CONSIDERED.value, reason=reason, data={"rule": rule})
    if viewer is not None:
        _cascade(actor, viewer, case, "consider_termination", "TERMINATION_CONSIDERED", now, today)
    return termination


def _require_open(case: Case) -> None:
    if case.state not in OPEN:
        raise TransitionNotAllowed(f"Case {case.reference} is closed ({case.state.value.replace('_', ' ')})")


# -- transitions -----------------------------------------------------------------------------------------------

# What a transition on one record means for the case and its other records (rules.md 2.1.2).
CASE_CONSEQUENCES = {
    "NOTICE_ISSUED": "escalate_to_notice",
    "PLAN_SIGNED_OFF": "require_action_plan",
    "DEFAULT_SERVED": "escalate_to_default",
    "SUSPENSION_STARTED": "suspend",
    "REINSTATEMENT_STARTED": "begin_reinstatement",
    "SUSPENSION_LIFTED": "lift_suspension",
    "SUSPENSION_TERMINATION_CONSIDERED": "consider_termination",
    "TERMINATION_DECIDED": "terminate",
    "TERMINATION_NOT_PURSUED": "not_terminate",
}
NOTICE_CONSEQUENCES = {
    "PLAN_SUBMITTED": "record_plan_submitted",
    "PLAN_RETURNED": "record_plan_returned",
    "PLAN_SIGNED_OFF": "close",
}


def apply_transition(viewer: Viewer, actor: User, kind: str, record_id: int, trigger: str, data: dict,
                     now: datetime, today: date, expected_version: int | None = None):
    """Fire a trigger on a record: state, audit event, deadlines and consequences, flushed as one change."""
    if kind not in KINDS:
        raise NotFound(f"Unknown record kind {kind!r}")
    record = get_record(viewer, kind, record_id)
    if expected_version is not None and record.version_id != expected_version:
        raise Conflict(_changed_message(kind, record))
    seen_version = record.version_id
    try:
        return _apply(viewer, actor, kind, record, trigger, data, now, today)
    except StaleDataError:
        db.session.rollback()
        fresh = db.session.get(KINDS[kind].model, record_id)
        if kind != "case" and fresh is not None and fresh.version_id == seen_version:
            # The record itself is as it was: what changed under us was its case (another step moved the rung).
            raise Conflict(_changed_message("case", fresh.case)) from None
        raise Conflict(_changed_message(kind, fresh)) from None
    except OperationalError as exc:
        # SQLite refuses the second of two simultaneous writers outright ("database is locked").
        if "locked" not in str(exc).lower():
            raise
        db.session.rollback()
        raise Conflict("Someone else was changing this record at the same moment: reload it and try again") from None


def _apply(viewer: Viewer, actor: User, kind: str, record, trigger: str, data: dict, now: datetime, today: date):
    case = record if kind == "case" else record.case
    if kind != "case":
        _require_open(case)  # a closed case's records are the record of what happened: nothing moves them on
    workflow = workflow_for(viewer, kind, record, now, today)
    result = workflow.fire(trigger, **data)
    _copy_onto(kind, record, result, actor, now)
    if kind == "default_notice" and trigger == "serve":
        _number_default(record)
    record.updated_at = now
    event_data = dict(result.data)
    if kind == "default_notice" and trigger == "serve":
        event_data["number"] = record.number
        event_data["defaults_in_6_months"] = _defaults_in_window(record)
    _audit(actor, case, kind, record.id, result.event, now, from_state=result.from_state.value,
           to_state=result.to_state.value, reason=result.data.get("reason") or result.data.get("comment"),
           data={k: v for k, v in event_data.items() if k not in ("reason",)})
    region = workflow.ctx.rulebook.region
    _save_clocks(case, kind, record.id, result.clocks_started, region, now)
    _meet_clocks(case, result.event, now, kind, record.id)
    if "*" in result.clocks_cancelled:
        _cancel_clocks(kind, record.id, now)
    _consequences(actor, viewer, kind, record, case, result, now, today)
    if kind == "action_plan" and result.event in PLAN_STEPS:
        _tell_the_other_side(case, record, result, now)
    db.session.flush()
    return record


def _tell_the_other_side(case: Case, plan: ActionPlan, result: TransitionResult, now: datetime) -> None:
    """Email and an in-app note when a plan moves to the other side: the contract manager when it is submitted,
    the provider's people when it is returned or agreed (once per plan, version and step)."""
    who = PLAN_STEPS[result.event][0]
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    link = f"{base}/cases/{case.id}#plan-{plan.id}"
    message = plan_step(result.event, plan.title, plan.plan_version, case.reference, case.provider.name,
                        result.data.get("comment"), link)
    key = f"plan:{plan.id}:{result.event}:{plan.version_id}"
    for person in people_for(case.council_id, case.provider_id, case.contract_id, who):
        enqueue(case.council_id, key, person, message, link, now)


def _changed_message(kind: str, record) -> str:
    state = record.state.value.replace("_", " ") if record is not None else "changed"
    return (f"Someone else changed this {kind.replace('_', ' ')} while you were working on it: it is now {state}. "
            "Check what changed and try again.")


def _copy_onto(kind: str, record, result: TransitionResult, actor: User, now: datetime) -> None:
    record.state = result.to_state
    data = result.data
    if kind == "notice":
        for key in ("served_on", "method", "received_on", "plan_due_days"):
            if key in data:
                setattr(record, key, data[key])
    elif kind == "action_plan":
        if result.trigger in ("return_for_changes", "agree"):
            record.council_comment = data.get("comment") or record.council_comment
        if result.trigger == "agree":
            record.council_signed_by_id, record.council_signed_at = actor.id, now
        if result.trigger == "sign_off":
            record.provider_signed_by_id, record.provider_signed_at = actor.id, now
            record.frozen = _freeze(record)
    elif kind == "milestone":
        if "evidence" in data:
            record.evidence = data["evidence"]
    elif kind == "default_notice":
        for key in ("served_on", "method", "default_description", "remedial_action", "remedy_days"):
            if key in data:
                setattr(record, key, data[key])
    elif kind == "suspension":
        for key in ("ground", "scope", "scope_detail", "starts_on", "lift_conditions"):
            if key in data:
                setattr(record, key, data[key])
        if "phases" in data:
            record.phases = _jsonable(data["phases"])
    elif kind == "termination":
        for key in ("decided_on", "effective_on", "grounds", "exit_plan"):
            if key in data:
                setattr(record, key, data[key])
    elif kind == "case" and result.to_state not in OPEN:
        record.closed_at = now


def _freeze(plan: ActionPlan) -> dict:
    """The agreed plan as both parties signed it (KT-19); later changes make a new version."""
    return _jsonable({
        "plan_version": plan.plan_version,
        "rows": [{c: getattr(r, c) for c in ("kpi", "current_performance", "rag", "issue", "action", "owner",
                                            "expected_outcome", "deadline")} for r in plan.rows],
        "milestones": [{"title": m.title, "due_on": m.due_on} for m in plan.milestones],
        "council_signed_at": plan.council_signed_at, "provider_signed_at": plan.provider_signed_at,
    })


def _number_default(notice: DefaultNotice) -> None:
    highest = db.session.scalar(select(func.max(DefaultNotice.number)).where(
        DefaultNotice.contract_id == notice.contract_id)) or 0
    notice.number = highest + 1


def _defaults_in_window(notice: DefaultNotice) -> int:
    """CE-38: defaults served on this contract in the 6 months up to this one (withdrawn ones excluded)."""
    served = db.session.scalars(select(DefaultNotice.served_on).where(
        DefaultNotice.contract_id == notice.contract_id, DefaultNotice.served_on.is_not(None),
        DefaultNotice.state != DefaultState.WITHDRAWN))
    days = [d for d in served if d is not None]
    if notice.served_on not in days:
        days.append(notice.served_on)
    return defaults_in_window(days, notice.served_on, rulebook_for(notice.case.contract).serious_default_window_months)


def _save_clocks(case: Case, kind: str, record_id: int, clocks: tuple[ClockStart, ...], region: str,
                 now: datetime) -> None:
    for clock in clocks:
        for old in db.session.scalars(select(Deadline).where(
                Deadline.entity_type == kind, Deadline.entity_id == record_id, Deadline.kind == clock.kind,
                Deadline.status == "running")):
            old.status = "superseded"
            cancel_deadline_timers(old, "Superseded by a new deadline")
        deadline = Deadline(
            council_id=case.council_id, case_id=case.id, contract_id=case.contract_id, provider_id=case.provider_id,
            entity_type=kind, entity_id=record_id, kind=clock.kind, label=clock.label, rule=clock.rule,
            unit=clock.unit, length=clock.length, region=region, start_on=clock.start_on, due_on=clock.due_on,
            due_at=clock.due_at, status="running", acts=clock.acts, pausable=clock.pausable,
            on_breach=clock.on_breach, frozen=True, explanation=list(clock.explanation), created_at=now,
            extension_days=0)
        db.session.add(deadline)
        db.session.flush()
        plan_deadline_timers(deadline)


def _meet_clocks(case: Case, event: str, now: datetime, kind: str | None = None, record_id: int | None = None) -> None:
    rulebook = rulebook_for(case.contract)
    for deadline in db.session.scalars(select(Deadline).where(Deadline.case_id == case.id,
                                                              Deadline.status == "running")):
        if deadline.entity_type == "milestone" and (kind, record_id) != ("milestone", deadline.entity_id):
            continue  # a milestone's deadline is met by that milestone alone, not by another one being done (KT-19)
        spec = rulebook.clock(deadline.kind) or EXTRA_CLOCKS.get(deadline.kind)
        if spec is not None and event in spec.stops:
            deadline.status, deadline.met_at = "met", now
            cancel_deadline_timers(deadline, "Met")


def _cancel_clocks(kind: str, record_id: int, now: datetime) -> None:
    for deadline in db.session.scalars(select(Deadline).where(
            Deadline.entity_type == kind, Deadline.entity_id == record_id, Deadline.status == "running")):
        deadline.status = "cancelled"
        cancel_deadline_timers(deadline, "The record was withdrawn or escalated")


def _cascade(actor: User | None, viewer: Viewer | None, case: Case, trigger: str, cause: str, now: datetime,
             today: date) -> None:
    """Move the case's rung as a consequence of a step already authorised on one of its records."""
    workflow = CaseWorkflow(case.state, context_for(None, case, now, today))
    row = workflow._row(trigger)
    if row is None or (row.rung and not workflow.ctx.rulebook.has_rung(row.rung)):
        return  # the case is already at (or past) that rung
    before = case.state
    case.state = row.dest
    case.updated_at = now
    if row.dest not in OPEN:
        case.closed_at = now
    _audit(actor, case, "case", case.id, row.event, now, from_state=before.value, to_state=row.dest.value,
           reason=f"Because of {cause.replace('_', ' ').lower()}")


def _consequences(actor: User, viewer: Viewer, kind: str, record, case: Case, result: TransitionResult,
                  now: datetime, today: date) -> None:
    if kind != "case" and result.event in CASE_CONSEQUENCES:
        _cascade(actor, viewer, case, CASE_CONSEQUENCES[result.event], result.event, now, today)
    if kind == "action_plan" and record.notice_id and result.event in NOTICE_CONSEQUENCES:
        notice = db.session.get(Notice, record.notice_id)
        trigger = NOTICE_CONSEQUENCES[result.event]
        workflow = NoticeWorkflow(notice.state, context_for(None, case, now, today))
        row = workflow._row(trigger)
        if row is not None:
            before, notice.state, notice.updated_at = notice.state, row.dest, now
            _audit(actor, case, "notice", notice.id, row.event, now, from_state=before.value,
                   to_state=row.dest.value, reason=f"Because of {result.event.replace('_', ' ').lower()}")
    if kind == "suspension" and result.event == "SUSPENSION_TERMINATION_CONSIDERED":
        termination = Termination(council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
                                  state=TerminationState.CONSIDERED,
                                  considered_reason="Remedial action not completed while suspended",
                                  created_at=now, updated_at=now)
        db.session.add(termination)
        db.session.flush()
        _audit(actor, case, "termination", termination.id, "TERMINATION_CONSIDERED", now,
               to_state=TerminationState.CONSIDERED.value, reason=termination.considered_reason)
    if kind == "case" and result.to_state not in OPEN:
        for deadline in db.session.scalars(select(Deadline).where(Deadline.case_id == case.id,
                                                                  Deadline.status == "running")):
            deadline.status = "cancelled"
            cancel_deadline_timers(deadline, "The case was closed")
    if kind == "action_plan" and result.event == "PLAN_SIGNED_OFF":
        _milestone_clocks(record, case, now)
        if record.previous_id is not None:
            _supersede(actor, case, db.session.get(ActionPlan, record.previous_id), record, now, today)
    if kind == "milestone" and result.event in ("MILESTONE_DONE",):
        _meet_milestone(record, now)
    if kind == "milestone" and result.event in ("MILESTONE_VERIFIED", "MILESTONE_EVIDENCE_REJECTED"):
        from models.portal_store import review_files  # (it imports this module)

        review_files(actor, record, result.event == "MILESTONE_VERIFIED", result.data.get("reason"), now)


# KT-19: the agreed plan's milestones are deadlines too (fixed dates agreed by both parties).
MILESTONE_CLOCK = ClockSpec(kind="milestone_due", label="Milestone completed", rule="KT-19", unit="calendar_days",
                            length=0, starts="plan_agreed", stops=("MILESTONE_DONE",), acts="provider",
                            on_breach="milestone_overdue")
EXTRA_CLOCKS = {"milestone_due": MILESTONE_CLOCK, "minutes_response": MINUTES_CLOCK}


def _milestone_clocks(plan: ActionPlan, case: Case, now: datetime) -> None:
    region = rulebook_for(case.contract).region
    for milestone in plan.milestones:
        days = (milestone.due_on - plan.provider_signed_at.date()).days if plan.provider_signed_at else 0
        clock = ClockStart(kind="milestone_due", label=f"Milestone: {milestone.title}", rule="KT-19",
                           unit="calendar_days", length=max(days, 0), start_on=now.date(), due_on=milestone.due_on,
                           due_at=end_of_day(milestone.due_on), acts="provider", pausable=False,
                           on_breach="milestone_overdue",
                           explanation=(f"Milestone of the agreed action plan (KT-19): due by the end of "
                                        f"{milestone.due_on:%A %-d %B %Y}, the date both parties agreed",))
        _save_clocks(case, "milestone", milestone.id, (clock,), region, now)


def _supersede(actor: User, case: Case, previous: ActionPlan, plan: ActionPlan, now: datetime, today: date) -> None:
    """KT section 11.3: once both parties sign the next version, the version it changes is history (frozen as
    agreed); its milestones' deadlines stop, and the new version's run instead."""
    workflow = ActionPlanWorkflow(previous.state, context_for(None, case, now, today))
    row = workflow._row("supersede")
    if row is None:
        return
    before, previous.state, previous.updated_at = previous.state, row.dest, now
    _audit(actor, case, "action_plan", previous.id, row.event, now, from_state=before.value, to_state=row.dest.value,
           reason=f"Replaced by version {plan.plan_version}", data={"replaced_by": plan.id})
    for milestone in previous.milestones:
        for deadline in db.session.scalars(select(Deadline).where(
                Deadline.entity_type == "milestone", Deadline.entity_id == milestone.id,
                Deadline.status == "running")):
            deadline.status = "superseded"
            cancel_deadline_timers(deadline, "The plan was replaced by a new version")


def _meet_milestone(milestone: Milestone, now: datetime) -> None:
    for deadline in db.session.scalars(select(Deadline).where(
            Deadline.entity_type == "milestone", Deadline.entity_id == milestone.id,
            Deadline.status.in_(("running", "breached")))):
        if deadline.status == "running":
            deadline.status = "met"
        deadline.met_at = now
        cancel_deadline_timers(deadline, "Met")


# -- documents -------------------------------------------------------------------------------------------------


def store_document(actor: User, case: Case, kind: str, record_id: int, filename: str, media_type: str,
                   content: bytes, now: datetime) -> Document:
    """Keep a served letter unchanged, with its SHA-256 in the audit trail (same transaction as the service)."""
    digest = hashlib.sha256(content).hexdigest()
    document = Document(council_id=case.council_id, case_id=case.id, entity_type=kind, entity_id=record_id,
                        filename=filename, media_type=media_type, sha256=digest, content=content, created_at=now)
    db.session.add(document)
    db.session.flush()
    _audit(actor, case, kind, record_id, "LETTER_STORED", now,
           data={"document_id": document.id, "filename": filename, "sha256": digest, "bytes": len(content)})
    return document


__all__ = ["KINDS", "BY_COLLECTION", "COMMISSIONERS", "Provider"]
