"""Every machine: (state, trigger, role) -> allowed or refused, validations, and the clocks transitions start."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from models.registry import WORKFLOWS
from workflows.access import Role, Viewer
from workflows.action_plan import ActionPlanWorkflow, PlanState, validate_row
from workflows.calendar import WorkingCalendar
from workflows.case import CaseState, CaseWorkflow
from workflows.default_notice import DefaultNoticeWorkflow, DefaultState, is_serious_default
from workflows.errors import ValidationProblem
from workflows.machine import Context, TransitionNotAllowed
from workflows.milestone import MilestoneState, MilestoneWorkflow
from workflows.notice import NoticeState, NoticeWorkflow
from workflows.rulebook import load_rulebooks
from workflows.suspension import SuspensionState, SuspensionWorkflow, missing_grounds
from workflows.termination import TerminationState, TerminationWorkflow

BOOKS = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")
KENT, CE, CORNWALL, THURROCK, HF = (BOOKS[k] for k in (
    "kent-ld-day-services", "cheshire-east-ech", "cornwall-leaving-care", "thurrock-supported-living",
    "hammersmith-fulham-home-care"))
EW = WorkingCalendar()
TODAY = date(2026, 12, 18)
OWN_PROVIDER = 7


def ctx(role: Role | None, rulebook=KENT, provider_id=OWN_PROVIDER, **facts) -> Context:
    actor = None if role is None else Viewer(1, 1, role, OWN_PROVIDER if role.is_provider else None)
    return Context(actor=actor, now=datetime(2026, 12, 18, 10, tzinfo=UTC), today=TODAY, calendar=EW,
                   rulebook=rulebook, record_provider_id=provider_id, facts=facts)


CM, COM, ADMIN, VIEWER, SAFE = (Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN, Role.COUNCIL_VIEWER,
                                Role.SAFEGUARDING_OFFICER)
PM, PU = Role.PROVIDER_MANAGER, Role.PROVIDER_USER
ALL = [CM, COM, ADMIN, VIEWER, SAFE, PM, PU]


def allowed(workflow_cls, state, trigger, role, rulebook=KENT, **facts) -> bool:
    return trigger in workflow_cls(state, ctx(role, rulebook, **facts)).allowed_triggers()


# (machine, state, trigger, roles allowed) -- everyone else is refused.
TABLE = [
    # The case's rung moves only as a consequence of its records (a notice issued, a default served...).
    (CaseWorkflow, CaseState.CONCERN, "escalate_to_notice", set()),
    (CaseWorkflow, CaseState.ACTION_PLAN, "suspend", set()),
    (CaseWorkflow, CaseState.TERMINATION_CONSIDERED, "terminate", set()),
    (CaseWorkflow, CaseState.CONCERN, "resolve", {CM, COM, ADMIN}),
    (CaseWorkflow, CaseState.DEFAULT, "resolve", {CM, COM, ADMIN}),
    (CaseWorkflow, CaseState.SUSPENDED, "resolve", set()),
    (CaseWorkflow, CaseState.NOTICE, "withdraw", {CM, COM, ADMIN}),
    (CaseWorkflow, CaseState.RESOLVED, "resolve", set()),
    (CaseWorkflow, CaseState.TERMINATED, "withdraw", set()),
    (NoticeWorkflow, NoticeState.DRAFT, "issue", {CM, COM, ADMIN}),
    (NoticeWorkflow, NoticeState.ISSUED, "issue", set()),
    (NoticeWorkflow, NoticeState.ISSUED, "acknowledge", {CM, COM, ADMIN, PM, PU}),
    (NoticeWorkflow, NoticeState.PLAN_DUE, "escalate", {CM, COM, ADMIN}),
    (NoticeWorkflow, NoticeState.CLOSED, "withdraw", set()),
    (ActionPlanWorkflow, PlanState.DRAFT, "submit", {CM, COM, ADMIN, PM}),
    (ActionPlanWorkflow, PlanState.SUBMITTED, "return_for_changes", {CM, COM, ADMIN}),
    (ActionPlanWorkflow, PlanState.SUBMITTED, "agree", {CM, COM, ADMIN}),
    (ActionPlanWorkflow, PlanState.AGREED, "sign_off", {PM}),
    (ActionPlanWorkflow, PlanState.IN_PROGRESS, "complete", {CM, COM, ADMIN}),
    (ActionPlanWorkflow, PlanState.COMPLETED, "fail", set()),
    (MilestoneWorkflow, MilestoneState.PLANNED, "start", {CM, COM, ADMIN, PM, PU}),
    (MilestoneWorkflow, MilestoneState.IN_PROGRESS, "mark_done", {CM, COM, ADMIN, PM, PU}),
    (MilestoneWorkflow, MilestoneState.DONE, "verify", {CM, COM, ADMIN}),
    (MilestoneWorkflow, MilestoneState.VERIFIED, "mark_done", set()),
    (SuspensionWorkflow, SuspensionState.PROPOSED, "suspend", {COM, ADMIN}),
    (SuspensionWorkflow, SuspensionState.ACTIVE, "begin_reinstatement", {COM, ADMIN}),
    (SuspensionWorkflow, SuspensionState.ACTIVE, "consider_termination", {CM, COM, ADMIN}),
    (SuspensionWorkflow, SuspensionState.LIFTED, "lift", set()),
    (TerminationWorkflow, TerminationState.CONSIDERED, "decide", {COM, ADMIN}),
    (TerminationWorkflow, TerminationState.DECIDED, "not_pursue", set()),
]


@pytest.mark.parametrize("role", ALL, ids=lambda r: r.value)
@pytest.mark.parametrize("machine, state, trigger, roles", TABLE,
                         ids=[f"{m.NAME}-{s.value}-{t}" for m, s, t, _ in TABLE])
def test_who_may_fire_what(machine, state, trigger, roles, role):
    facts = {"row_count": 1, "milestones_unverified": 0, "plan_state": "in_progress"}
    assert allowed(machine, state, trigger, role, CE, **facts) is (role in roles)
    if role not in roles:
        with pytest.raises(TransitionNotAllowed):
            machine(state, ctx(role, CE, **facts)).fire(trigger)


def test_default_notices_need_the_commissioning_manager_and_a_default_rung():
    facts = {}
    assert allowed(DefaultNoticeWorkflow, DefaultState.DRAFTED, "serve", COM, CE)
    with pytest.raises(TransitionNotAllowed, match="Only a commissioning manager or an administrator can serve the "
                                                   "default notice; you are signed in as a contract manager"):
        DefaultNoticeWorkflow(DefaultState.DRAFTED, ctx(CM, CE, **facts)).fire("serve")
    with pytest.raises(TransitionNotAllowed, match="has no default notice step"):
        DefaultNoticeWorkflow(DefaultState.DRAFTED, ctx(COM, KENT)).fire("serve")


def test_a_provider_acts_only_on_its_own_records():
    workflow = NoticeWorkflow(NoticeState.ISSUED, ctx(PM, provider_id=99))
    with pytest.raises(TransitionNotAllowed, match="only act on your own organisation"):
        workflow.fire("acknowledge", received_on="2026-12-18")


def test_cornwall_cases_are_monitored_or_take_an_agreed_improvement_plan_and_never_a_sanction():
    """A26: no warning, default, suspension or termination; an agreed improvement plan is the only step."""
    workflow = CaseWorkflow(CaseState.CONCERN, ctx(CM, CORNWALL))
    assert workflow.allowed_triggers() == ["resolve", "withdraw"]
    with pytest.raises(TransitionNotAllowed, match="has no notice step"):
        workflow.fire("escalate_to_notice")
    assert CORNWALL.rungs == (("action_plan", "Agreed improvement plan (A26)"),) and not CORNWALL.clocks
    on_plan = CaseWorkflow(CaseState.ACTION_PLAN, ctx(COM, CORNWALL))
    for trigger, rung in (("escalate_to_default", "default notice"), ("suspend", "suspension"),
                          ("consider_termination", "termination"), ("escalate_to_notice", "notice")):
        assert on_plan.refusal(trigger) == f"The {CORNWALL.title} contract has no {rung} step"
        assert on_plan.fire_system(trigger, cause="PLAN_FAILED") is None  # no consequence can take it there


def test_thurrock_goes_from_action_plan_to_termination():
    """TH section 8.4 (TH-20): no warning, default or suspension; the action plan leads to termination."""
    assert [rung for rung, _ in THURROCK.rungs] == ["action_plan", "termination"]
    workflow = CaseWorkflow(CaseState.ACTION_PLAN, ctx(COM, THURROCK))
    assert "has no default notice step" in workflow.refusal("escalate_to_default")
    assert "has no suspension step" in workflow.refusal("suspend")
    assert workflow.refusal("consider_termination") == "This happens when termination is put forward on the case"


def test_the_case_rung_moves_only_through_its_records():
    workflow = CaseWorkflow(CaseState.CONCERN, ctx(ADMIN, CE))
    assert workflow.allowed_triggers() == ["resolve", "withdraw"]
    with pytest.raises(TransitionNotAllowed, match="This happens when a notice is issued"):
        workflow.fire("escalate_to_notice")


def test_refusal_says_why_in_a_sentence():
    with pytest.raises(TransitionNotAllowed, match="You cannot issue the notice while the notice is issued "
                                                   r"\(only when draft\)"):
        NoticeWorkflow(NoticeState.ISSUED, ctx(CM)).fire("issue", served_on="2026-12-18", method="hand")


def test_kent_formal_warning_served_18_december_2026_plan_due_6_january_2027():
    """KT-19: an action plan agreed within 10 working days of receiving the formal warning."""
    result = NoticeWorkflow(NoticeState.DRAFT, ctx(CM)).fire("issue", served_on="2026-12-18", method="hand")
    assert result.to_state is NoticeState.ISSUED and result.event == "NOTICE_ISSUED"
    (clock,) = result.clocks_started
    assert (clock.kind, clock.rule, clock.start_on, clock.due_on) == (
        "plan_agreed", "KT-19", date(2026, 12, 18), date(2027, 1, 6))
    assert clock.due_at.isoformat() == "2027-01-06T23:59:59+00:00"
    assert any("Christmas Day" in line for line in clock.explanation)
    assert clock.explanation[-1] == "Due by the end of Wednesday 6 January 2027"


def test_notice_sent_by_email_is_deemed_received_the_next_working_day():
    result = NoticeWorkflow(NoticeState.DRAFT, ctx(CM)).fire("issue", served_on="2026-12-17", method="email")
    assert result.data["received_on"] == date(2026, 12, 18)
    assert result.clocks_started[0].due_on == date(2027, 1, 6)
    posted = NoticeWorkflow(NoticeState.DRAFT, ctx(CM)).fire("issue", served_on="2026-12-11", method="post")
    assert posted.data["received_on"] == date(2026, 12, 15)


def test_an_earlier_acknowledgement_restarts_the_clock_from_real_receipt():
    facts = {"served_on": date(2026, 12, 17), "received_on": date(2026, 12, 21)}
    result = NoticeWorkflow(NoticeState.ISSUED, ctx(PM, **facts)).fire("acknowledge", received_on="2026-12-18")
    assert result.clocks_started[0].due_on == date(2027, 1, 6)
    assert (result.data["received_on"], result.data["acknowledged_on"]) == (date(2026, 12, 18), date(2026, 12, 18))
    assert result.data["reason"] == ("Received on 18 December 2026, before its deemed day (21 December 2026): the "
                                     "plan's clock now counts from the day it was received")
    with pytest.raises(ValidationProblem, match="cannot be received before it was served"):
        NoticeWorkflow(NoticeState.ISSUED, ctx(PM, **facts)).fire("acknowledge", received_on="2026-12-16")


def test_a_later_acknowledgement_leaves_the_notice_received_on_its_deemed_day():
    """Deemed received on Tuesday 15 December 2026 (posted on Friday the 11th); the provider says it arrived on the
    17th. The notices clause treats it as received on the 15th: the clock keeps its start, and so does the record,
    while the day acknowledged goes on the audit trail."""
    facts = {"served_on": date(2026, 12, 11), "received_on": date(2026, 12, 15)}
    result = NoticeWorkflow(NoticeState.ISSUED, ctx(PM, **facts)).fire("acknowledge", received_on="2026-12-17")
    assert result.clocks_started == ()
    assert (result.data["received_on"], result.data["acknowledged_on"]) == (date(2026, 12, 15), date(2026, 12, 17))
    assert result.data["reason"] == ("Received on 17 December 2026, as recorded; treated as received on its deemed "
                                     "day, 15 December 2026, from which the plan's clock counts")


def test_cheshire_east_improvement_notice_sets_its_own_siap_deadline():
    """CE-45: the SIAP is due within the time the council sets in the Improvement Notice."""
    workflow = NoticeWorkflow(NoticeState.DRAFT, ctx(CM, CE))
    with pytest.raises(ValidationProblem, match="number of working days the provider has for the plan"):
        workflow.fire("issue", served_on="2026-12-18", method="hand")
    result = NoticeWorkflow(NoticeState.DRAFT, ctx(CM, CE)).fire("issue", served_on="2026-12-18", method="hand",
                                                                 plan_due_days=15)
    assert result.clocks_started[0].due_on == date(2027, 1, 13)
    assert result.clocks_started[0].rule == "CE-45"


@pytest.mark.parametrize("data, message", [
    ({"method": "hand"}, "Enter the date the notice was served"),
    ({"served_on": "2026-12-19", "method": "hand"}, "cannot be in the future"),
    ({"served_on": "2026-02-30", "method": "hand"}, "as a real date"),
    ({"served_on": "2026-12-18", "method": "pigeon"}, "Select how the notice was served"),
])
def test_issue_validates_its_data(data, message):
    with pytest.raises(ValidationProblem, match=message):
        NoticeWorkflow(NoticeState.DRAFT, ctx(CM)).fire("issue", **data)


def test_plans_need_rows_before_submission_and_verified_milestones_before_completion():
    with pytest.raises(TransitionNotAllowed, match="Add at least one row"):
        ActionPlanWorkflow(PlanState.DRAFT, ctx(PM, row_count=0)).fire("submit")
    with pytest.raises(TransitionNotAllowed, match="2 milestone"):
        ActionPlanWorkflow(PlanState.IN_PROGRESS, ctx(CM, milestones_unverified=2)).fire("complete")
    with pytest.raises(ValidationProblem, match="Enter what needs to change"):
        ActionPlanWorkflow(PlanState.SUBMITTED, ctx(CM)).fire("return_for_changes")


def test_appendix_a_rows_are_validated():
    row = {"kpi": "S3", "current_performance": "82% (Q3)", "rag": "Red", "issue": "Staff turnover",
           "action": "Recruit two seniors", "owner": "Registered manager", "expected_outcome": "90% by Q1",
           "deadline": "2027-03-31"}
    assert validate_row(row, TODAY).rag == "red"
    with pytest.raises(ValidationProblem, match="RAG"):
        validate_row({**row, "rag": "purple"}, TODAY)
    with pytest.raises(ValidationProblem, match="SMART"):
        validate_row({**row, "expected_outcome": " "}, TODAY)
    with pytest.raises(ValidationProblem, match="must be today .* or later"):
        validate_row({**row, "deadline": (TODAY - timedelta(days=1)).isoformat()}, TODAY)
    assert validate_row({**row, "deadline": TODAY.isoformat()}, TODAY).deadline == TODAY


def test_milestones_move_only_once_both_parties_signed():
    with pytest.raises(TransitionNotAllowed, match="once both parties have signed"):
        MilestoneWorkflow(MilestoneState.PLANNED, ctx(PM, plan_state="agreed")).fire("start")
    with pytest.raises(ValidationProblem, match="evidence"):
        MilestoneWorkflow(MilestoneState.IN_PROGRESS, ctx(PM, plan_state="in_progress")).fire("mark_done")


def test_default_notice_states_the_remedy_and_starts_the_ce36_clock():
    result = DefaultNoticeWorkflow(DefaultState.DRAFTED, ctx(COM, CE)).fire(
        "serve", served_on="2026-12-18", method="hand", default_description="Missed visits (C03)",
        remedial_action="Restore the rota", remedy_days=10)
    assert result.legally_significant and "sole cost" in result.data["cost_statement"]
    assert result.clocks_started[0].due_on == date(2027, 1, 6) and result.clocks_started[0].rule == "CE-36"
    assert result.clocks_started[0].on_breach == "propose_suspension"


def test_serious_default_is_two_in_any_six_months():
    """CE-38 and A9: a sliding window evaluated on each default."""
    assert not is_serious_default([date(2026, 1, 10)])
    assert is_serious_default([date(2026, 1, 10), date(2026, 7, 9)])
    assert not is_serious_default([date(2026, 1, 10), date(2026, 7, 11)])
    assert is_serious_default([date(2025, 3, 1), date(2026, 1, 10), date(2026, 2, 1)])


LIVE_DEFAULT = frozenset({"default_notice"})


def test_suspension_needs_a_scope_its_ground_allows():
    """CE-53/CE-54 are embargoes on referrals; CE-33 suspends the service in whole or in part."""
    workflow = SuspensionWorkflow(SuspensionState.PROPOSED, ctx(COM, CE, ground="siap-failed"))
    with pytest.raises(ValidationProblem, match="Select the scope"):
        workflow.fire("suspend", scope="referrals", starts_on="2026-12-18", reason="r", lift_conditions="c")
    with pytest.raises(ValidationProblem, match="which lots, services or areas"):
        SuspensionWorkflow(SuspensionState.PROPOSED, ctx(COM, CE, ground="siap-failed")).fire(
            "suspend", scope="partial", starts_on="2026-12-18", reason="r", lift_conditions="c")
    with pytest.raises(ValidationProblem, match="Select the ground"):
        SuspensionWorkflow(SuspensionState.PROPOSED, ctx(COM, CE)).fire(
            "suspend", scope="full", starts_on="2026-12-18", reason="r", lift_conditions="c")


@pytest.mark.parametrize("ground, scope, starts_ce34", [
    ("siap-failed", "full", True),  # CE-33: the only route to clause 26.1(b)
    ("punctuality", "referrals", False),  # CE-54 embargo
    ("local-rating-inadequate", "referrals", False),  # CE-53 embargo
    ("default-not-remedied", "partial", False),  # CE-37 suspension of the contract
    ("serious-default", "full", False),  # CE-38
    ("cqc-inadequate", "full", False),  # CE-52
])
def test_ce_34_clock_starts_only_for_a_siap_failure(ground, scope, starts_ce34):
    """CE-34: "10 Working Days from the date of the Service being suspended" follows CE-33's suspension only (seed 000
    l.873-878). This test used to assert that a punctuality embargo (CE-54) started it: that was the defect."""
    result = SuspensionWorkflow(SuspensionState.PROPOSED, ctx(COM, CE, ground=ground, suspension_grounds=LIVE_DEFAULT)
                                ).fire("suspend", scope=scope, scope_detail="Scheme A", starts_on="2026-12-18",
                                       reason="r", lift_conditions="c")
    if starts_ce34:
        (clock,) = result.clocks_started
        assert (clock.rule, clock.due_on, clock.on_breach) == ("CE-34", date(2027, 1, 6), "propose_termination")
    else:
        assert result.clocks_started == ()
    assert result.data["ground"] == ground


@pytest.mark.parametrize("ground, grounds, allowed", [
    ("serious-default", frozenset(), False),
    ("serious-default", frozenset({"notice"}), True),
    ("serious-default", frozenset({"default_notice"}), True),
    ("serious-default", frozenset({"large_scale_enquiry"}), True),
    ("serious-default", frozenset({"proposed_by_rule"}), False),  # a rule finding a serious default is not enough
    ("siap-failed", frozenset(), True),  # CE-33: no precondition (A14), even once the notice is closed
    ("default-not-remedied", frozenset(), True),  # CE-37
    ("cqc-inadequate", frozenset(), True),  # CE-52
])
def test_ce38_suspends_only_with_a_live_notice_a_default_or_a_large_scale_enquiry(ground, grounds, allowed):
    """CE-38: "whereby an active informal Improvement Notice or formal Default Notice is in place or the Provider is
    under Large Scale Safeguarding Enquiry"; A14: CE-33, CE-37 and CE-52 need no such precondition; Kent's rulebook
    sets none."""
    assert (missing_grounds(CE, grounds, ground) is None) is allowed
    assert missing_grounds(KENT, frozenset()) is None
    fire = SuspensionWorkflow(SuspensionState.PROPOSED, ctx(COM, CE, ground=ground, suspension_grounds=grounds)).fire
    data = {"scope": "full", "starts_on": "2026-12-18", "reason": "r", "lift_conditions": "c"}
    if allowed:
        result = fire("suspend", **data)
        assert result.to_state is SuspensionState.ACTIVE
        assert ("precondition met" if ground == "serious-default" else "needs no precondition") in \
            result.data["condition"]
    else:
        with pytest.raises(TransitionNotAllowed, match="only while an improvement notice is live, a default notice "
                                                         "is in force or the provider is under a Large Scale Enquiry"):
            fire("suspend", **data)


def test_phased_reinstatement_needs_ordered_phases():
    """CE-40: phases with dates and conditions."""
    workflow = SuspensionWorkflow(SuspensionState.ACTIVE, ctx(COM, CE))
    with pytest.raises(ValidationProblem, match="Add at least one phase"):
        workflow.fire("begin_reinstatement", phases=[])
    with pytest.raises(ValidationProblem, match="Phase 2 starts before phase 1 ends"):
        SuspensionWorkflow(SuspensionState.ACTIVE, ctx(COM, CE)).fire("begin_reinstatement", phases=[
            {"starts_on": "2027-01-04", "ends_on": "2027-01-31", "scope": "Scheme A", "conditions": "c"},
            {"starts_on": "2027-01-15", "scope": "All", "conditions": "c"}])
    result = SuspensionWorkflow(SuspensionState.ACTIVE, ctx(COM, CE)).fire("begin_reinstatement", phases=[
        {"starts_on": "2027-01-04", "ends_on": "2027-01-31", "scope": "Scheme A", "conditions": "Audit passed"},
        {"starts_on": "2027-02-01", "scope": "All schemes", "conditions": "Punctuality 95%"}])
    assert len(result.data["phases"]) == 2


def test_termination_is_decided_with_an_exit_plan():
    with pytest.raises(ValidationProblem, match="cannot take effect before it is decided"):
        TerminationWorkflow(TerminationState.CONSIDERED, ctx(COM)).fire(
            "decide", decided_on="2026-12-18", effective_on="2026-12-01", grounds="g", exit_plan="e")
    result = TerminationWorkflow(TerminationState.CONSIDERED, ctx(COM)).fire(
        "decide", decided_on="2026-12-18", effective_on="2027-03-31", grounds="Clause 48", exit_plan="Transfer")
    assert result.to_state is TerminationState.DECIDED and result.legally_significant


def test_the_scheduler_may_only_fire_system_steps():
    assert "mark_overdue" in MilestoneWorkflow(MilestoneState.PLANNED, ctx(None, plan_state="in_progress")
                                               ).allowed_triggers()
    with pytest.raises(TransitionNotAllowed, match="Only a person can"):
        DefaultNoticeWorkflow(DefaultState.DRAFTED, ctx(None, CE)).fire("serve")


def test_no_machine_has_wildcard_sources_or_auto_transitions():
    for workflow in WORKFLOWS.values():
        for row in workflow.TRANSITIONS:
            assert row.source and all(s in workflow.STATES for s in row.source)
            assert not row.trigger.startswith("to_")
