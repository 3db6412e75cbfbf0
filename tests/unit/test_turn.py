"""Whose turn it is on a notice and its plan, the words after a step, the notice's manual plan step, and a
milestone's date (issue 16), on explicit dates with no app."""

from datetime import date

import pytest

from tests.unit.test_machines import ALL, CM, PM, PU, ctx
from workflows.access import Role, Viewer
from workflows.action_plan import PLAN_TRANSITIONS, PlanState, validate_milestone
from workflows.errors import ValidationProblem
from workflows.notice import NoticeState, NoticeWorkflow
from workflows.turn import Side, outcome, shown, what_happens_next, whose_turn

COUNCIL = Viewer(1, 1, Role.CONTRACT_MANAGER, None)
PROVIDER = Viewer(2, 1, Role.PROVIDER_MANAGER, 7)
ROW = {r.trigger: r for r in PLAN_TRANSITIONS}


@pytest.mark.parametrize(("kind", "state", "side"), [
    ("action_plan", PlanState.DRAFT, Side.PROVIDER), ("action_plan", PlanState.RETURNED, Side.PROVIDER),
    ("action_plan", PlanState.SUBMITTED, Side.COUNCIL), ("action_plan", PlanState.AGREED, Side.PROVIDER),
    ("action_plan", PlanState.SUPERSEDED, None), ("notice", NoticeState.DRAFT, Side.COUNCIL),
    ("notice", NoticeState.PLAN_DUE, Side.PROVIDER), ("notice", NoticeState.PLAN_SUBMITTED, Side.COUNCIL),
    ("notice", NoticeState.CLOSED, None), ("case", NoticeState.DRAFT, None)])
def test_whose_turn(kind, state, side):
    assert whose_turn(kind, state) is side
    if side is not None:
        assert side.label in ("With the council", "With the provider")


def test_a_step_both_sides_may_take_shows_only_on_their_turn_and_a_one_sided_step_always():
    assert shown(PROVIDER, "action_plan", PlanState.RETURNED, ROW["submit"])
    assert not shown(COUNCIL, "action_plan", PlanState.RETURNED, ROW["submit"])
    assert shown(COUNCIL, "action_plan", PlanState.RETURNED, ROW["fail"])  # the council's own decision
    assert shown(COUNCIL, "action_plan", PlanState.SUBMITTED, ROW["agree"])


@pytest.mark.parametrize("role", ALL)
def test_only_the_council_records_a_plan_received_outside_remedy_and_only_with_no_plan_in_remedy(role):
    none_in_remedy = NoticeWorkflow(NoticeState.PLAN_DUE, ctx(role, plan_in_remedy=False))
    in_remedy = NoticeWorkflow(NoticeState.PLAN_DUE, ctx(role, plan_in_remedy=True))
    council = role in (CM, Role.COMMISSIONING_MANAGER, Role.ADMIN)
    assert ("record_plan_submitted" in none_in_remedy.allowed_triggers()) is council
    assert "record_plan_submitted" not in in_remedy.allowed_triggers()
    assert none_in_remedy.label("record_plan_submitted") == "Record a plan received outside Remedy"
    if role in (PM, PU):
        assert none_in_remedy.why_not("record_plan_submitted")[1] is True  # a 403: never the provider's step
    # A plan submitted in Remedy still moves the notice, as a consequence of the plan's step.
    assert in_remedy.fire_system("record_plan_submitted", cause="PLAN_SUBMITTED").to_state is \
        NoticeState.PLAN_SUBMITTED


def test_banners_say_what_happened_to_whom_and_what_happens_next():
    assert outcome("notice", "issue", "Issue the notice", "warning notice", "Riverside Home Care",
                   date(2026, 12, 14)) == ("Warning notice issued to Riverside Home Care. The action plan is due by "
                                           "Monday 14 December 2026.")
    assert outcome("notice", "issue", "Issue the notice", "Warning notice", "Riverside Home Care") == \
        "Warning notice issued to Riverside Home Care."
    assert "What happens next" in outcome("action_plan", "submit", "Submit", "Action plan (version 1)", "X")
    assert outcome("notice", "escalate", "Escalate", "Warning notice", "X") == "Escalate: done"
    assert "will agree the plan" in what_happens_next("action_plan", PlanState.SUBMITTED, PROVIDER)
    assert what_happens_next("action_plan", PlanState.SUBMITTED, COUNCIL) is None


def test_a_milestone_is_never_due_in_the_past_or_before_the_notice():
    today, served = date(2026, 12, 21), date(2026, 12, 18)
    assert validate_milestone(" Minibus ", today, today, served) == ("Minibus", today)
    with pytest.raises(ValidationProblem, match=r"today \(21 December 2026\) or later"):
        validate_milestone("Minibus", date(2026, 12, 20), today, served)
    with pytest.raises(ValidationProblem, match=r"served \(18 December 2026\)"):
        validate_milestone("Minibus", date(2020, 1, 1), today, served)
    with pytest.raises(ValidationProblem, match="Enter what the milestone is"):
        validate_milestone("  ", today, today)
    with pytest.raises(ValidationProblem, match="Enter the date the milestone is due"):
        validate_milestone("Minibus", None, today)
