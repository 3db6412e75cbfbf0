"""Opening cases and creating the records on them: notices, plans and their rows and milestones, default notices,
suspension proposals and terminations put forward. Every later change of state goes through the engine
(models/engine.py); these functions only create, check who may, and audit the creation."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from models import db, hold_writes
from models.calendar_store import working_calendar
from models.case_queries import get_case, get_record, suspension_grounds
from models.cases import ActionPlan, ActionPlanRow, Case, DefaultNotice, Milestone, Notice, Suspension, Termination
from models.deadline_store import create_deadline
from models.engine import audit, changed_message, fire, fire_system, parse_version, require_open
from models.entities import User
from models.portal import PlanComment
from models.provider_store import get_contract
from models.reference_store import reference_for
from models.registry import KINDS
from models.rulebook_store import rulebook_for
from workflows.access import Viewer
from workflows.action_plan import ActionPlanWorkflow, PlanState, validate_milestone, validate_row
from workflows.case import OPEN, CaseState, CaseWorkflow
from workflows.clock import LONDON, start_clock
from workflows.default_notice import DefaultNoticeWorkflow, DefaultState
from workflows.errors import Conflict, NotFound, ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.milestone import MilestoneState
from workflows.notice import NoticeState, NoticeWorkflow
from workflows.rulebook import Rulebook
from workflows.suspension import SuspensionState, SuspensionWorkflow, suspension_check
from workflows.termination import TerminationState

# -- creating records ------------------------------------------------------------------------------------------


def _check_create(viewer: Viewer, roles, what: str, rulebook: Rulebook, rung: str | None) -> None:
    if viewer.role not in roles:
        raise TransitionNotAllowed(f"Your role ({viewer.role.label.lower()}) cannot {what}", forbidden=True)
    if rung and not rulebook.has_rung(rung):
        raise TransitionNotAllowed(f"The {rulebook.title} contract has no {rulebook.rung_name(rung).lower()} step")


class SecondCase(Conflict):
    """The contract already has an open case: a second one needs a reason (it splits the history and can send
    duplicate letters)."""

    def __init__(self, contract_reference: str, existing: Case):
        stage = existing.state.value.replace("_", " ").capitalize()
        super().__init__(f"{contract_reference} already has an open case, {existing.reference}, at {stage}. "
                         "Add to that case instead, or give a reason for opening a second one")
        self.existing = existing


def open_case_on(viewer: Viewer, contract_id: int) -> Case | None:
    """The oldest open case on a contract, if there is one."""
    return db.session.scalar(select(Case).where(Case.council_id == viewer.council_id, Case.contract_id == contract_id,
                                                Case.state.in_(OPEN)).order_by(Case.id).limit(1))


def open_case(viewer: Viewer, actor: User, contract_key: int | str, summary: str, now: datetime,
              second_reason: str | None = None, check_second: bool = False) -> Case:
    """Open a case on a contract as a concern under enhanced monitoring (T1). With `check_second` (a person
    opening it), a contract that already has an open case needs `second_reason`, which goes on the audit trail."""
    if viewer.role not in CaseWorkflow.OPEN_ROLES:
        raise TransitionNotAllowed("Only a contract manager or commissioning manager can open a case", forbidden=True)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationProblem("Enter a summary of the concern", "summary")
    if len(summary) > 2000:
        raise ValidationProblem("Summary must be 2,000 characters or fewer", "summary")
    contract = get_contract(viewer, contract_key)
    second_reason = (second_reason or "").strip()
    if len(second_reason) > 2000:
        raise ValidationProblem("The reason must be 2,000 characters or fewer", "second_reason")
    existing = open_case_on(viewer, contract.id) if check_second else None
    if existing is not None and not second_reason:
        raise SecondCase(contract.reference, existing)
    reference = reference_for("case", viewer.council_id)
    case = Case(council_id=viewer.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                reference=reference, summary=summary, state=CaseState.CONCERN, opened_by_id=actor.id,
                created_at=now, updated_at=now)
    db.session.add(case)
    db.session.flush()
    audit(actor, "case", case, "CASE_OPENED", now, to_state=CaseState.CONCERN, reason=summary,
          data={"second_case_reason": second_reason, "open_case": existing.reference} if existing else None)
    return case


def draft_notice(viewer: Viewer, actor: User, case_id: int, findings: str, required_action: str,
                 now: datetime) -> Notice:
    """Draft the contract's improvement notice or formal warning (KT-18: what is inadequate, why, plan required)."""
    case = get_case(viewer, case_id)
    rulebook = rulebook_for(case.contract)
    _check_create(viewer, NoticeWorkflow.CREATE_ROLES, f"draft a {rulebook.rung_name('notice').lower()}", rulebook,
                  "notice")
    require_open(case)
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
    audit(actor, "notice", notice, "NOTICE_DRAFTED", now, to_state=NoticeState.DRAFT, data={"title": notice.title})
    return notice


def preview_step(viewer: Viewer, actor: User, kind: str, record_id: int, trigger: str, data: dict, now: datetime,
                 today: date, look, expected_version=None):
    """What a step would do, without doing it, for a check-answers page: the step runs through the engine in a
    savepoint exactly as it will when confirmed (so its deadline and served letter are the real ones), `look(record)`
    reads what it made, and everything is rolled back. The engine's refusals are raised as `fire` raises them."""
    hold_writes()  # SQLite: the savepoint would otherwise begin a transaction that another writer can outdate
    savepoint = db.session.begin_nested()
    try:
        record = fire(viewer, actor, kind, record_id, trigger, data, now, today, expected_version=expected_version)
        return look(record)
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        db.session.expire_all()


def create_action_plan(viewer: Viewer, actor: User, case_id: int, now: datetime, today: date,
                       notice_id: int | None = None, due_days: int | None = None) -> ActionPlan:
    """Start an action plan for a case, against a notice or required directly by the council (TH-19)."""
    case = get_case(viewer, case_id)
    rulebook = rulebook_for(case.contract)
    _check_create(viewer, ActionPlanWorkflow.CREATE_ROLES, "start an action plan", rulebook, "action_plan")
    require_open(case)
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
    if notice is not None:
        db.session.expire(notice, ["plans"])  # read again if asked: the notice has a plan now
    audit(actor, "action_plan", plan, "PLAN_STARTED", now, to_state=PlanState.DRAFT,
          data={"notice_id": plan.notice_id})
    if notice is None and viewer.role in MANAGERS:
        # The council requires a plan directly (TH-19): its own clock, length set by the council.
        specs = rulebook.clocks_starting("plan_required")
        if specs:
            if due_days is None:
                raise ValidationProblem("Enter the number of working days the provider has for the plan", "due_days")
            if not isinstance(due_days, int) or not 1 <= due_days <= 120:
                raise ValidationProblem("Enter a number of working days from 1 to 120", "due_days")
            clock = start_clock(specs[0], today, working_calendar(case.council_id, rulebook.region), length=due_days)
            plan.due_on = clock.due_on
            create_deadline(record=plan, entity_type="action_plan", case=case, clock=clock, region=rulebook.region,
                            now=now)
        fire_system("case", case, "require_action_plan", now, today, actor=actor, cause="PLAN_STARTED")
    return plan


ROW_COLUMNS = ("kpi", "current_performance", "rag", "issue", "action", "owner", "expected_outcome", "deadline")
EDITABLE = (PlanState.DRAFT, PlanState.RETURNED)


def check_editable(viewer: Viewer, plan: ActionPlan, what: str, expected_version=None, record=None) -> None:
    """A plan's rows and milestones change only while it is a draft or returned for changes, by people who may write
    plans, on an open case, and only as the person last saw them (a 409 otherwise; KT-19: an agreed plan is changed
    by a new version, agreed again by both parties)."""
    if viewer.role not in ActionPlanWorkflow.CREATE_ROLES:
        raise TransitionNotAllowed(f"Your role ({viewer.role.label.lower()}) cannot change an action plan",
                                   forbidden=True)
    require_open(plan.case)
    if plan.state not in EDITABLE:
        raise TransitionNotAllowed(f"{what} can only be changed while the plan is a draft or returned for changes "
                                   f"(it is {plan.state.value.replace('_', ' ')}); an agreed plan is changed by "
                                   "starting a new version")
    version = parse_version(expected_version)
    seen = record if record is not None else plan
    if version is not None and seen.version_id != version:
        raise Conflict(changed_message(KINDS["milestone" if record is not None else "action_plan"], seen))


def _flush_change() -> None:
    """Flush a change to a plan; someone else's change to it in the meantime is a Conflict, not a lost update."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("Someone else changed this action plan while you were working on it. Check what changed "
                       "and try again.") from None


def add_plan_row(viewer: Viewer, actor: User, plan_id: int, row: dict, now: datetime, today: date) -> ActionPlanRow:
    """Add one Appendix A row to a plan that is still being drafted or was returned."""
    plan = get_record(viewer, "action_plan", plan_id)
    check_editable(viewer, plan, "Rows")
    valid = validate_row(row, today)
    item = ActionPlanRow(council_id=plan.council_id, position=len(plan.rows) + 1, **valid.__dict__)
    plan.rows.append(item)  # through the loaded list, so the next row added in this session counts this one
    plan.updated_at = now
    db.session.flush()
    audit(actor, "action_plan", plan, "PLAN_ROW_ADDED", now, data={"row": valid.__dict__})
    return item


def plan_of_row(viewer: Viewer, row_id: int) -> tuple[ActionPlanRow, ActionPlan]:
    """A plan row and its plan, if the viewer may see the plan (another provider's is NotFound)."""
    row = db.session.scalar(select(ActionPlanRow).where(ActionPlanRow.id == row_id,
                                                        ActionPlanRow.council_id == viewer.council_id))
    if row is None:
        raise NotFound("There is no such row that you can see")
    return row, get_record(viewer, "action_plan", row.plan_id)


def change_plan_row(viewer: Viewer, actor: User, row_id: int, changes: dict, now: datetime, today: date,
                    expected_version=None) -> ActionPlanRow:
    """Change a row of a draft or returned plan; the audit trail keeps what it said before and after. Columns left
    out keep their value (the API's PATCH); the version is the plan's."""
    row, plan = plan_of_row(viewer, row_id)
    check_editable(viewer, plan, "Rows", expected_version)
    before = {c: getattr(row, c) for c in ROW_COLUMNS}
    valid = validate_row({**before, **{k: v for k, v in changes.items() if k in ROW_COLUMNS}}, today).__dict__
    changed = {c: {"from": before[c], "to": valid[c]} for c in ROW_COLUMNS if before[c] != valid[c]}
    if not changed:
        return row
    for column, value in valid.items():
        setattr(row, column, value)
    plan.updated_at = now
    _flush_change()
    audit(actor, "action_plan", plan, "PLAN_ROW_CHANGED", now, data={"row": row.position, "changed": changed})
    return row


def remove_plan_row(viewer: Viewer, actor: User, row_id: int, now: datetime, expected_version=None) -> ActionPlan:
    """Take a row out of a draft or returned plan; the audit trail keeps the whole row that was removed."""
    row, plan = plan_of_row(viewer, row_id)
    check_editable(viewer, plan, "Rows", expected_version)
    removed = {"position": row.position, **{c: getattr(row, c) for c in ROW_COLUMNS}}
    # Comments on it stay on the plan, saying what they were about (models/portal.PlanComment.about).
    db.session.execute(update(PlanComment).where(PlanComment.row_id == row.id).values(row_id=None))
    plan.rows.remove(row)
    for position, other in enumerate(plan.rows, start=1):
        other.position = position
    plan.updated_at = now
    _flush_change()
    audit(actor, "action_plan", plan, "PLAN_ROW_REMOVED", now, data={"row": removed})
    return plan


def _served_on(plan: ActionPlan) -> date | None:
    return db.session.get(Notice, plan.notice_id).served_on if plan.notice_id else None


def add_milestone(viewer: Viewer, actor: User, plan_id: int, title: str, due_on: date, now: datetime) -> Milestone:
    """Add a milestone (a key task with its date) to a plan being drafted; never due in the past (KT-19)."""
    plan = get_record(viewer, "action_plan", plan_id)
    check_editable(viewer, plan, "Milestones")
    title, due_on = validate_milestone(title, due_on, now.astimezone(LONDON).date(), _served_on(plan))
    milestone = Milestone(council_id=plan.council_id, provider_id=plan.provider_id, case_id=plan.case_id,
                          plan_id=plan.id, title=title, due_on=due_on, state=MilestoneState.PLANNED,
                          created_at=now, updated_at=now)
    db.session.add(milestone)
    db.session.flush()
    audit(actor, "milestone", milestone, "MILESTONE_ADDED", now, to_state=MilestoneState.PLANNED,
          data={"title": title, "due_on": due_on})
    return milestone


def change_milestone(viewer: Viewer, actor: User, milestone_id: int, changes: dict, now: datetime,
                     expected_version=None) -> Milestone:
    """Change what a milestone of a draft or returned plan is, or its date (never to a date in the past); the
    version is the milestone's. Members left out keep their value."""
    milestone = get_record(viewer, "milestone", milestone_id)
    plan = milestone.plan
    check_editable(viewer, plan, "Milestones", expected_version, record=milestone)
    before = {"title": milestone.title, "due_on": milestone.due_on}
    title, due_on = validate_milestone(changes.get("title", milestone.title), changes.get("due_on", milestone.due_on),
                                       now.astimezone(LONDON).date(), _served_on(plan))
    changed = {k: {"from": before[k], "to": v} for k, v in (("title", title), ("due_on", due_on)) if before[k] != v}
    if not changed:
        return milestone
    milestone.title, milestone.due_on, milestone.updated_at = title, due_on, now
    plan.updated_at = now
    _flush_change()
    audit(actor, "milestone", milestone, "MILESTONE_CHANGED", now, data={"changed": changed})
    return milestone


def remove_milestone(viewer: Viewer, actor: User, milestone_id: int, now: datetime,
                     expected_version=None) -> ActionPlan:
    """Take a milestone out of a draft or returned plan. Its audit trail stays (it is append-only), ending with
    what was removed; a draft's milestone has no deadlines, progress or evidence yet (they start at sign-off)."""
    milestone = get_record(viewer, "milestone", milestone_id)
    plan = milestone.plan
    check_editable(viewer, plan, "Milestones", expected_version, record=milestone)
    removed = {"title": milestone.title, "due_on": milestone.due_on}
    audit(actor, "milestone", milestone, "MILESTONE_REMOVED", now, from_state=milestone.state,
          data={"milestone": removed, "plan_id": plan.id})
    audit(actor, "action_plan", plan, "PLAN_MILESTONE_REMOVED", now, data={"milestone": removed})
    db.session.execute(update(PlanComment).where(PlanComment.milestone_id == milestone.id).values(milestone_id=None))
    db.session.delete(milestone)
    plan.updated_at = now
    _flush_change()
    db.session.expire(plan, ["milestones"])
    return plan


def draft_default_notice(viewer: Viewer, actor: User, case_id: int, now: datetime) -> DefaultNotice:
    """Draft a default notice on a case (served later by the commissioning manager)."""
    case = get_case(viewer, case_id)
    rulebook = rulebook_for(case.contract)
    _check_create(viewer, DefaultNoticeWorkflow.CREATE_ROLES, "draft a default notice", rulebook, "default_notice")
    require_open(case)
    notice = DefaultNotice(council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
                           contract_id=case.contract_id, state=DefaultState.DRAFTED, created_at=now, updated_at=now)
    db.session.add(notice)
    db.session.flush()
    audit(actor, "default_notice", notice, "DEFAULT_DRAFTED", now, to_state=DefaultState.DRAFTED)
    return notice


def propose_suspension(viewer: Viewer | None, actor: User | None, case_id: int, reason: str, now: datetime,
                       rule: str | None = None, council_id: int | None = None, ground: str | None = None) -> Suspension:
    """Propose a suspension for the authorised officer to confirm (by a manager, or by the system with a rule)."""
    case = get_case(viewer, case_id) if viewer else db.session.get(Case, case_id)
    rulebook = rulebook_for(case.contract)
    if viewer is not None:
        _check_create(viewer, SuspensionWorkflow.CREATE_ROLES, "propose a suspension", rulebook, "suspension")
    require_open(case)
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
    audit(actor, "suspension", suspension, "SUSPENSION_PROPOSED", now, to_state=SuspensionState.PROPOSED,
          reason=reason, data={"rule": rule, "ground": ground, "condition": condition})
    return suspension


def consider_termination(viewer: Viewer | None, actor: User | None, case_id: int, reason: str, now: datetime,
                         today: date, rule: str | None = None) -> Termination:
    """Put termination on the table for the authorised officer to decide (never decided by the system)."""
    case = get_case(viewer, case_id) if viewer else db.session.get(Case, case_id)
    rulebook = rulebook_for(case.contract)
    if viewer is not None:
        _check_create(viewer, MANAGERS, "consider termination", rulebook, "termination")
    require_open(case)
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
    audit(actor, "termination", termination, "TERMINATION_CONSIDERED", now, to_state=TerminationState.CONSIDERED,
          reason=reason, data={"rule": rule})
    if viewer is not None:
        fire_system("case", case, "consider_termination", now, today, actor=actor, cause="TERMINATION_CONSIDERED")
    return termination


def propose_unless_pending(case: Case, kind: str, reason: str, rule: str, now: datetime,
                           actor: User | None = None) -> Suspension | Termination | None:
    """Remedy's own proposal of a suspension or of termination on a case (a breached clock, a breach rule), unless
    the contract has no such rung or one is already proposed or in force: the record made, or None. Legally
    significant steps are only ever proposed, for the authorised officer to decide (A53)."""
    book = rulebook_for(case.contract)
    if kind == "suspension" and book.has_rung("suspension"):
        pending = db.session.scalar(select(Suspension.id).where(
            Suspension.case_id == case.id, Suspension.state.in_([SuspensionState.PROPOSED, SuspensionState.ACTIVE])))
        return None if pending else propose_suspension(None, actor, case.id, reason, now, rule=rule)
    if kind == "termination" and book.has_rung("termination"):
        pending = db.session.scalar(select(Termination.id).where(
            Termination.case_id == case.id, Termination.state == TerminationState.CONSIDERED))
        return None if pending else consider_termination(None, actor, case.id, reason, now,
                                                         now.astimezone(LONDON).date(), rule=rule)
    return None
