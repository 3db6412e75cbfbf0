"""TH-16: a significant adverse financial change, reported within 7 working days: who may report it, what a report
needs, and the clock counted over Christmas and New Year."""

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from models.registry import WORKFLOWS
from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.clock import LONDON
from workflows.errors import ValidationProblem
from workflows.financial_change import (
    REPORT_CLOCK,
    FinancialChangeState,
    FinancialChangeWorkflow,
    report_deadline,
    validate_change,
)
from workflows.machine import Context, TransitionNotAllowed
from workflows.rulebook import load_rulebooks

EW = WorkingCalendar()
TODAY = date(2026, 12, 30)
OWN, OTHER = 7, 8
THURROCK = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")["thurrock-supported-living"]
RECORDED, REPORTED = FinancialChangeState.RECORDED, FinancialChangeState.REPORTED
ALL = [Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN, Role.COUNCIL_VIEWER,
       Role.SAFEGUARDING_OFFICER, Role.PROVIDER_MANAGER, Role.PROVIDER_USER]
MAY_REPORT = {Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN, Role.PROVIDER_MANAGER,
              Role.PROVIDER_USER}


def machine(role, state=RECORDED, provider_id=OWN, occurred_on=date(2026, 12, 22)):
    actor = Viewer(1, 1, role, OWN if role.is_provider else None)
    ctx = Context(actor=actor, now=datetime(2026, 12, 30, 10, tzinfo=UTC), today=TODAY, calendar=EW,
                  rulebook=THURROCK, record_provider_id=provider_id, facts={"occurred_on": occurred_on})
    return FinancialChangeWorkflow(state, ctx)


@pytest.mark.parametrize("role", ALL)
def test_the_provider_and_the_council_managers_record_the_report(role):
    assert ("report" in machine(role).allowed_triggers()) == (role in MAY_REPORT)


def test_nobody_reports_twice_or_for_another_provider():
    assert machine(Role.PROVIDER_MANAGER, REPORTED).allowed_triggers() == []
    with pytest.raises(TransitionNotAllowed, match="while the financial change is reported"):
        machine(Role.CONTRACT_MANAGER, REPORTED).fire("report", reported_on="2026-12-29")
    with pytest.raises(TransitionNotAllowed, match="your own organisation") as refused:
        machine(Role.PROVIDER_MANAGER, provider_id=OTHER).fire("report", reported_on="2026-12-29")
    assert refused.value.forbidden


def test_a_report_stops_the_th16_clock_and_keeps_its_date():
    result = machine(Role.PROVIDER_USER).fire("report", reported_on="2026-12-29")
    assert (result.from_state, result.to_state) == (RECORDED, REPORTED)
    assert result.event in REPORT_CLOCK.stops and result.data == {"reported_on": date(2026, 12, 29)}


@pytest.mark.parametrize(("reported_on", "message"), [
    ("", "Enter the date the change was reported to the council"),
    ("2026-12-31", "The date cannot be in the future"),
    ("2026-12-21", "cannot be before the change occurred (22 December 2026)"),
    ("29/12/2026", "as a real date like 2026-12-18"),
])
def test_a_report_needs_a_real_date_between_the_change_and_today(reported_on, message):
    with pytest.raises(ValidationProblem, match=message.replace("(", r"\(").replace(")", r"\)")) as problem:
        machine(Role.PROVIDER_MANAGER).fire("report", reported_on=reported_on)
    assert problem.value.field == "reported_on"


def test_recording_a_change_needs_what_changed_and_a_past_date():
    with pytest.raises(ValidationProblem, match="Describe the adverse change in financial position"):
        validate_change({"occurred_on": "2026-12-22", "what_changed": "  "}, TODAY)
    with pytest.raises(ValidationProblem, match="Enter the date the change occurred"):
        validate_change({"what_changed": "Lost its main lender"}, TODAY)
    with pytest.raises(ValidationProblem, match="cannot be in the future"):
        validate_change({"occurred_on": "2027-01-04", "what_changed": "Lost its main lender"}, TODAY)
    assert validate_change({"occurred_on": "2026-12-22", "what_changed": " Lost its main lender "}, TODAY) == {
        "what_changed": "Lost its main lender", "occurred_on": date(2026, 12, 22)}


def test_seven_working_days_over_christmas_skip_the_bank_holidays_and_weekends():
    # Tue 22 Dec 2026 does not count: 23 (1), 24 (2), [25 Christmas, 26-27 weekend, 28 Boxing Day substitute],
    # 29 (3), 30 (4), 31 (5), [1 Jan New Year's Day, 2-3 weekend], Mon 4 Jan (6), Tue 5 Jan 2027 (7).
    clock = report_deadline(date(2026, 12, 22), EW)
    assert clock.due_on == date(2027, 1, 5)
    assert clock.due_at == datetime.combine(date(2027, 1, 5), time(23, 59, 59), tzinfo=LONDON)
    assert (clock.rule, clock.acts, clock.contractual, clock.unit, clock.length) == (
        "TH-16", "provider", True, "working_days", 7)
    text = "\n".join(clock.explanation)
    for skipped in ("Fri 25 Dec 2026: Christmas Day", "Mon 28 Dec 2026: Boxing Day (substitute day)",
                    "Fri 1 Jan 2027: New Year's Day"):
        assert skipped in text
    assert "Tue 29 Dec" not in text and text.endswith("Due by the end of Tuesday 5 January 2027")


def test_an_ordinary_week_is_seven_working_days_later():
    assert report_deadline(date(2027, 3, 3), EW).due_on == date(2027, 3, 12)  # Wed -> the Friday of next week


def test_the_machine_has_a_state_diagram():
    assert WORKFLOWS["financial_change"] is FinancialChangeWorkflow
    assert "RECORDED --> REPORTED: report" in FinancialChangeWorkflow.mermaid()
