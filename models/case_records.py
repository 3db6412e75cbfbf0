"""The case kinds' part of a step on the engine: the facts their machines need, what a step writes beyond the
state, and what it means for the case and its other records (rules.md 2.1.2).

Consequences are system steps fired through the engine (`fire_system` with the cause), so a rung moved by a served
notice is audited, versioned and clocked exactly as a person's step would be.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, inspect, literal, select, union_all
from sqlalchemy.orm.base import NO_VALUE

from models import db, fixed
from models.case_queries import suspension_grounds
from models.cases import ActionPlan, Case, Deadline, DefaultNotice, Milestone, Notice, Suspension, Termination
from models.deadline_store import cancel_deadline_timers, create_deadline
from models.engine import Step, fire_system, jsonable, new_record
from models.outbox_store import enqueue
from models.portal_store import review_files
from models.rulebook_store import rulebook_for
from models.timer_store import people_for
from workflows.action_plan import LIVE
from workflows.case import OPEN
from workflows.clock import ClockStart, end_of_day
from workflows.default_notice import DefaultState, defaults_in_window
from workflows.messages import PLAN_STEPS, plan_step
from workflows.milestone import MilestoneState
from workflows.suspension import SuspensionState
from workflows.termination import TerminationState

# What a step on one record means for the case's rung (rules.md 2.1.2).
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
# What a plan's step means for the notice it answers.
NOTICE_CONSEQUENCES = {
    "PLAN_SUBMITTED": "record_plan_submitted",
    "PLAN_RETURNED": "record_plan_returned",
    "PLAN_SIGNED_OFF": "close",
}


# -- facts the machines need -------------------------------------------------------------------------------------


def plan_facts(plan: ActionPlan) -> dict:
    """A plan can be submitted with rows, and completed once every milestone is verified."""
    unverified = sum(1 for m in plan.milestones if m.state is not MilestoneState.VERIFIED)
    return {"row_count": len(plan.rows), "milestones_unverified": unverified}


def milestone_facts(milestone: Milestone) -> dict:
    """A milestone moves only while its plan is being carried out."""
    return {"plan_state": milestone.plan.state.value}


def notice_facts(notice) -> dict:
    """The notice's service dates, the plan period it set, and whether its plan is being written in Remedy (then
    the plan's own submission moves the notice, and the council records no plan received outside Remedy)."""
    plans = inspect(notice).attrs.plans.loaded_value  # the case page has read them (case_contents)
    if plans is NO_VALUE:
        in_remedy = db.session.scalar(select(ActionPlan.id).where(ActionPlan.notice_id == notice.id,
                                                                 ActionPlan.state.in_(fixed(LIVE))).limit(fixed(1)))
        live = in_remedy is not None
    else:
        live = any(plan.state in LIVE for plan in plans)
    return {"served_on": notice.served_on, "received_on": notice.received_on, "plan_due_days": notice.plan_due_days,
            "plan_in_remedy": live}


def suspension_facts(suspension) -> dict:
    """What in place now may ground a suspension (CE-38); a rule's proposal carries its own ground."""
    if suspension.state is not SuspensionState.PROPOSED:
        return {}
    return {"suspension_grounds": suspension_grounds(suspension.case), "ground": suspension.ground}


# -- what a step writes beyond the state --------------------------------------------------------------------------


def on_case_step(step: Step) -> None:
    """A case that leaves the ladder is closed at that moment."""
    if step.result.to_state not in OPEN:
        step.record.closed_at = step.now


def on_plan_step(step: Step) -> None:
    """The council's comment and signature, the provider's signature and the plan frozen as both signed (KT-19)."""
    plan, trigger, data = step.record, step.result.trigger, step.result.data
    if trigger in ("return_for_changes", "agree"):
        plan.council_comment = data.get("comment") or plan.council_comment
    if trigger == "agree":
        plan.council_signed_by_id, plan.council_signed_at = step.actor.id, step.now
    if trigger == "sign_off":
        plan.provider_signed_by_id, plan.provider_signed_at = step.actor.id, step.now
        plan.frozen = _freeze(plan)


def on_default_step(step: Step) -> None:
    """A served default notice takes the contract's next number and counts towards CE-38's two in six months."""
    if step.result.trigger != "serve":
        return
    notice = step.record
    highest = db.session.scalar(select(func.max(DefaultNotice.number)).where(
        DefaultNotice.contract_id == notice.contract_id)) or 0
    notice.number = highest + 1
    step.event_data["number"] = notice.number
    step.event_data["defaults_in_6_months"] = _defaults_in_window(notice)


def _freeze(plan: ActionPlan) -> dict:
    """The agreed plan as both parties signed it (KT-19); later changes make a new version."""
    return jsonable({
        "plan_version": plan.plan_version,
        "rows": [{c: getattr(r, c) for c in ("kpi", "current_performance", "rag", "issue", "action", "owner",
                                            "expected_outcome", "deadline")} for r in plan.rows],
        "milestones": [{"title": m.title, "due_on": m.due_on} for m in plan.milestones],
        "council_signed_at": plan.council_signed_at, "provider_signed_at": plan.provider_signed_at,
    })


def _defaults_in_window(notice: DefaultNotice) -> int:
    """CE-38: defaults served on this contract in the 6 months up to this one (withdrawn ones excluded)."""
    served = db.session.scalars(select(DefaultNotice.served_on).where(
        DefaultNotice.contract_id == notice.contract_id, DefaultNotice.served_on.is_not(None),
        DefaultNotice.state != DefaultState.WITHDRAWN))
    days = [d for d in served if d is not None]
    if notice.served_on not in days:
        days.append(notice.served_on)
    return defaults_in_window(days, notice.served_on, rulebook_for(notice.case.contract).serious_default_window_months)


# -- consequences -------------------------------------------------------------------------------------------------


def case_consequences(step: Step) -> None:
    """What a step on any case record means for the case and the case's other records."""
    kind, record, case, result = step.kind.name, step.record, step.case, step.result
    if kind != "case" and result.event in CASE_CONSEQUENCES:
        fire_system("case", case, CASE_CONSEQUENCES[result.event], step.now, step.today, actor=step.actor,
                    cause=result.event)
    if kind == "case" and result.to_state not in OPEN:
        for deadline in step.running:  # the case's, read by the engine as the step stopped the ones it met
            deadline.status = "cancelled"
            cancel_deadline_timers(deadline, "The case was closed")
        _withdraw_proposals(step)
    if kind == "action_plan":
        _plan_consequences(step)
    if kind == "suspension" and result.event == "SUSPENSION_TERMINATION_CONSIDERED":
        new_record(step.actor, "termination", Termination(
            council_id=case.council_id, provider_id=case.provider_id, case_id=case.id,
            state=TerminationState.CONSIDERED, considered_reason="Remedial action not completed while suspended"),
            "TERMINATION_CONSIDERED", step.now, reason="Remedial action not completed while suspended")
    if kind == "milestone" and result.event == "MILESTONE_DONE":
        _meet_milestone(record, step.now)
    if kind == "milestone" and result.event in ("MILESTONE_VERIFIED", "MILESTONE_EVIDENCE_REJECTED"):
        review_files(step.actor, record, result.event == "MILESTONE_VERIFIED", result.data.get("reason"), step.now)


# A proposal still waiting for the authorised officer's decision (A53): ended when its case closes.
PENDING_PROPOSALS = ((Suspension, "suspension", SuspensionState.PROPOSED),
                     (Termination, "termination", TerminationState.CONSIDERED))
_PROPOSAL_MODELS = {kind: model for model, kind, _state in PENDING_PROPOSALS}


def _withdraw_proposals(step: Step) -> None:
    """A case closed (resolved, withdrawn, or terminated by a decision) while Remedy's own proposal to suspend or
    to terminate waited for a decision (A53: Remedy only proposes, and its proposal leaves the rung alone, so the
    case may close under it): the proposal is withdrawn through its machine, audited, rather than left "considered"
    on a closed case where nobody can decide it any more. So a pending proposal always has an open case, which
    the council's work queue counts on (models/work_queue.py)."""
    reason = f"The case was closed ({step.result.to_state.value.replace('_', ' ')})"
    pending = union_all(*(select(literal(kind).label("kind"), model.id.label("id"))
                          .where(model.case_id == step.case.id, model.state == fixed(state))
                          for model, kind, state in PENDING_PROPOSALS))  # one statement; most cases have none
    for kind, record_id in db.session.execute(pending).all():
        record = db.session.get(_PROPOSAL_MODELS[kind], record_id)
        fire_system(kind, record, "withdraw", step.now, step.today, actor=step.actor, cause=step.result.event,
                    reason=reason)


def _plan_consequences(step: Step) -> None:
    plan, case, result = step.record, step.case, step.result
    if plan.notice_id and result.event in NOTICE_CONSEQUENCES:
        fire_system("notice", db.session.get(Notice, plan.notice_id), NOTICE_CONSEQUENCES[result.event], step.now,
                    step.today, actor=step.actor, cause=result.event)
    if result.event == "PLAN_SIGNED_OFF":
        _milestone_clocks(plan, case, step.now)
        if plan.previous_id is not None:
            _supersede(step, db.session.get(ActionPlan, plan.previous_id))
    if result.event in PLAN_STEPS:
        _tell_the_other_side(case, plan, result, step.now)


def _milestone_clocks(plan: ActionPlan, case: Case, now) -> None:
    """KT-19: the agreed plan's milestones are deadlines too, on the dates both parties agreed."""
    region = rulebook_for(case.contract).region
    for milestone in plan.milestones:
        days = (milestone.due_on - plan.provider_signed_at.date()).days if plan.provider_signed_at else 0
        clock = ClockStart(kind="milestone_due", label=f"Milestone: {milestone.title}", rule="KT-19",
                           unit="calendar_days", length=max(days, 0), start_on=now.date(), due_on=milestone.due_on,
                           due_at=end_of_day(milestone.due_on), acts="provider", pausable=False,
                           on_breach="milestone_overdue",
                           explanation=(f"Milestone of the agreed action plan (KT-19): due by the end of "
                                        f"{milestone.due_on:%A %-d %B %Y}, the date both parties agreed",))
        create_deadline(record=milestone, entity_type="milestone", case=case, clock=clock, region=region, now=now)


def _supersede(step: Step, previous: ActionPlan) -> None:
    """KT section 11.3: once both parties sign the next version, the version it changes is history (frozen as
    agreed); its milestones' deadlines stop, and the new version's run instead."""
    moved = fire_system("action_plan", previous, "supersede", step.now, step.today, actor=step.actor,
                        cause="PLAN_SIGNED_OFF", reason=f"Replaced by version {step.record.plan_version}",
                        data={"replaced_by": step.record.id})
    if moved is None:
        return
    for milestone in previous.milestones:
        for deadline in db.session.scalars(select(Deadline).where(
                Deadline.entity_type == "milestone", Deadline.entity_id == milestone.id,
                Deadline.status == "running")):
            deadline.status = "superseded"
            cancel_deadline_timers(deadline, "The plan was replaced by a new version")


def _meet_milestone(milestone: Milestone, now) -> None:
    """A milestone done late still meets its deadline (the breach stays on the record)."""
    for deadline in db.session.scalars(select(Deadline).where(
            Deadline.entity_type == "milestone", Deadline.entity_id == milestone.id,
            Deadline.status.in_(("running", "breached")))):
        if deadline.status == "running":
            deadline.status = "met"
        deadline.met_at = now
        cancel_deadline_timers(deadline, "Met")


def _tell_the_other_side(case: Case, plan: ActionPlan, result, now) -> None:
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
