"""Complaint and safeguarding clocks and machines, with explicit dates across bank holidays."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.clock import LONDON
from workflows.complaint import (
    RESPONSE_CHECKLIST,
    ComplaintState,
    ComplaintWorkflow,
    draft_deadline,
    initial_state,
    report_deadline,
    resolved_within_28_days,
    validate_receipt,
)
from workflows.errors import ValidationProblem
from workflows.machine import Context, TransitionNotAllowed
from workflows.rulebook import load_rulebooks
from workflows.safeguarding import (
    ConcernState,
    ConcernWorkflow,
    LocalPractice,
    decision_clock,
    incident_clocks,
    validate_incident,
)

EW = WorkingCalendar()
HF = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")["hammersmith-fulham-home-care"]
NOW = datetime(2026, 12, 30, 12, 0, tzinfo=UTC)


def ctx(role):
    actor = Viewer(1, 1, role, 5 if role.is_provider else None)
    return Context(actor=actor, now=NOW, today=NOW.date(), calendar=EW, rulebook=HF, record_provider_id=5)


@pytest.mark.parametrize("received, due, read_as_24h", [
    # Thursday 24 December 16:30: Christmas, the weekend and the Boxing Day substitute are skipped.
    (datetime(2026, 12, 24, 16, 30), date(2026, 12, 29), "16:30 on Tuesday 29 December 2026"),
    # Friday afternoon: the 24-hour reading lands on Saturday and rolls to Monday.
    (datetime(2026, 12, 18, 16, 30), date(2026, 12, 21), "16:30 on Monday 21 December 2026"),
    # Thursday before Easter 2027: Good Friday and Easter Monday.
    (datetime(2027, 3, 25, 9, 0), date(2027, 3, 30), "09:00 on Tuesday 30 March 2027"),
])
def test_hf74_one_working_day_shows_both_readings(received, due, read_as_24h):
    """A41: the stricter reading (24 hours, rolled to the same time on a working day) is enforced; the end of the
    next working day is shown too. This test used to expect the end of the next working day to be enforced."""
    clock = report_deadline(received.replace(tzinfo=LONDON), EW)
    assert clock.due_on == due and clock.rule == "HF-74"
    enforced = next(line for line in clock.explanation if line.startswith("Enforced (A41"))
    assert read_as_24h in enforced
    assert f"{clock.due_at.astimezone(LONDON):%H:%M on %A %-d %B %Y}" == read_as_24h
    assert any(line.startswith("Read as one working day: the end of") for line in clock.explanation)


def test_hf78_draft_response_within_10_working_days():
    assert draft_deadline(date(2026, 12, 18), EW).due_on == date(2027, 1, 6)
    assert draft_deadline(date(2027, 5, 21), EW).due_on == date(2027, 6, 7)  # the 31 May spring bank holiday


def test_ce59_resolved_within_28_days_is_a_measure():
    assert resolved_within_28_days(date(2026, 12, 1), date(2026, 12, 29)) is True
    assert resolved_within_28_days(date(2026, 12, 1), date(2026, 12, 30)) is False
    assert resolved_within_28_days(date(2026, 12, 1), None) is None


def test_receipt_validation_and_starting_state():
    data = {"received_at": "2026-12-24T16:30", "channel": "phone", "complainant_type": "family_member",
            "formal": True, "summary": "Carer did not arrive"}
    receipt = validate_receipt(data, NOW)
    assert receipt.received_at.tzinfo is not None and initial_state(receipt) is ComplaintState.RECEIVED
    assert initial_state(validate_receipt({**data, "by_council": True}, NOW)) is ComplaintState.RECEIVED_BY_COUNCIL
    assert initial_state(validate_receipt({**data, "formal": False}, NOW)) is ComplaintState.LOGGED_INFORMAL
    with pytest.raises(ValidationProblem, match="cannot be in the future"):
        validate_receipt({**data, "received_at": "2027-01-05T10:00"}, NOW)
    with pytest.raises(ValidationProblem, match="Select how the complaint was made"):
        validate_receipt({**data, "channel": "pigeon"}, NOW)


def test_the_response_must_cover_the_hf75_checklist():
    workflow = ComplaintWorkflow(ComplaintState.DRAFT_APPROVED, ctx(Role.PROVIDER_MANAGER))
    with pytest.raises(ValidationProblem, match="Ombudsman"):
        workflow.fire("send_response", checklist=list(RESPONSE_CHECKLIST[:-1]))
    result = ComplaintWorkflow(ComplaintState.DRAFT_APPROVED, ctx(Role.PROVIDER_MANAGER)).fire(
        "send_response", checklist=list(RESPONSE_CHECKLIST))
    assert result.to_state is ComplaintState.RESPONSE_SENT


def test_only_the_council_reviews_drafts_and_closes():
    with pytest.raises(TransitionNotAllowed):
        ComplaintWorkflow(ComplaintState.DRAFT_SUBMITTED, ctx(Role.PROVIDER_MANAGER)).fire("approve_draft")
    closed = ComplaintWorkflow(ComplaintState.RESPONSE_SENT, ctx(Role.CONTRACT_MANAGER)).fire(
        "close", outcome="partially_upheld", lessons="Rota checks at 07:00")
    assert closed.data["outcome"] == "partially_upheld"


def test_passing_a_council_complaint_on_starts_hf78():
    result = ComplaintWorkflow(ComplaintState.RECEIVED_BY_COUNCIL, ctx(Role.CONTRACT_MANAGER)).fire(
        "pass_to_provider")
    (clock,) = result.clocks_started
    assert clock.rule == "HF-78" and clock.due_on == date(2027, 1, 14)


def test_safeguarding_local_practice_clocks():
    practice = LocalPractice()
    assert decision_clock(date(2026, 12, 24), practice, EW).due_on == date(2026, 12, 29)
    context = ctx(Role.SAFEGUARDING_OFFICER)
    result = ConcernWorkflow(ConcernState.TRIAGED, context).fire("commence_enquiry", commenced_on="2026-12-18")
    clocks = {c.kind: c.due_on for c in result.clocks_started}
    assert clocks == {"strategy_meeting": date(2026, 12, 29), "enquiry_concluded": date(2027, 1, 20)}
    assert all("local practice" in c.label for c in result.clocks_started)


def test_only_safeguarding_officers_move_a_concern():
    for role in (Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.PROVIDER_MANAGER):
        with pytest.raises(TransitionNotAllowed):
            ConcernWorkflow(ConcernState.RAISED, ctx(role)).fire("triage", decision="d")


def test_key_holding_incidents_have_the_hf69_clocks():
    occurred = datetime(2026, 12, 24, 18, 0, tzinfo=LONDON)
    report, written = incident_clocks("key_holding", occurred, EW)
    assert report.due_at == datetime(2026, 12, 25, 18, 0, tzinfo=LONDON)  # 24 clock hours, holiday or not
    assert written.due_on == date(2026, 12, 27)  # 3 calendar days (A42)
    assert incident_clocks("accident", occurred, EW) == ()
    with pytest.raises(ValidationProblem, match="Describe what happened"):
        validate_incident({"kind": "accident", "occurred_at": "2026-12-24T18:00", "action_taken": "a"}, NOW)


def test_a_strategy_meeting_needs_its_kind_date_attendees_and_actions():
    from workflows.safeguarding import validate_concern_meeting

    today = date(2026, 12, 22)
    good = {"kind": "case_conference", "held_on": "2026-12-22", "attendees": "Jo, CQC", "actions": "Review rota"}
    assert validate_concern_meeting(good, today)["held_on"] == date(2026, 12, 22)
    with pytest.raises(ValidationProblem, match="Select strategy meeting or case conference"):
        validate_concern_meeting({**good, "kind": "chat"}, today)
    with pytest.raises(ValidationProblem, match="cannot be in the future|future"):
        validate_concern_meeting({**good, "held_on": "2026-12-23"}, today)
    with pytest.raises(ValidationProblem, match="Enter the actions agreed"):
        validate_concern_meeting({**good, "actions": " "}, today)


def test_regulator_and_dbs_dates_are_checked_together():
    from workflows.safeguarding import validate_notifications

    today = date(2026, 12, 22)
    with pytest.raises(ValidationProblem, match="at least one date"):
        validate_notifications({}, today)
    with pytest.raises(ValidationProblem, match="before it was made"):
        validate_notifications({"dbs_referral_on": "2026-12-22", "dbs_council_told_on": "2026-12-21"}, today)
    assert validate_notifications({"regulator_informed_on": "2026-12-21"}, today) == {
        "regulator_informed_on": date(2026, 12, 21), "dbs_referral_on": None, "dbs_council_told_on": None}


def test_the_investigation_request_starts_from_the_councils_template():
    from workflows.safeguarding import INVESTIGATION_TEMPLATE, validate_investigation_request

    assert "send us your report" in INVESTIGATION_TEMPLATE
    with pytest.raises(ValidationProblem, match="what the provider is asked to investigate"):
        validate_investigation_request({"requested_on": "2026-12-22", "request": ""}, date(2026, 12, 22))


def test_a_councils_timescales_are_whole_working_days_in_order():
    from workflows.safeguarding import LocalPractice, validate_practice

    assert validate_practice({"decision_working_days": "2", "strategy_meeting_working_days": 5,
                              "enquiry_working_days": 20}) == LocalPractice(2, 5, 20)
    with pytest.raises(ValidationProblem, match="between 1 and 60"):
        validate_practice({"decision_working_days": 0, "strategy_meeting_working_days": 5,
                           "enquiry_working_days": 20})
