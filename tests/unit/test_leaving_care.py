"""Cornwall's per-young-person clocks with explicit dates (CW-14 at 15 years 9 months or 7 working days after a later
referral, past the Easter and Christmas bank holidays; CW-16 and CW-10 in calendar months, clamped at a month's
end), the [leaving_care] table read from the rulebook with its errors, and the machine's (state, trigger, role)
table."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.errors import ValidationProblem
from workflows.leaving_care import (
    CONTACT_CLOCK,
    LeavingCareState,
    LeavingCareWorkflow,
    allocation_deadline,
    recurring_deadline,
)
from workflows.machine import Context, TransitionNotAllowed
from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook
from workflows.young_people import LeavingCareError, parse_leaving_care

FOLDER = Path(__file__).resolve().parents[2] / "rulebooks"
BOOKS = load_rulebooks(FOLDER)
CORNWALL = BOOKS["cornwall-leaving-care"]
RULES = CORNWALL.leaving_care
EW = WorkingCalendar()
ALL = list(Role)
BOTH = {Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN, Role.PROVIDER_MANAGER, Role.PROVIDER_USER}


def test_the_numbers_come_from_cornwalls_rulebook_and_nobody_elses():
    assert RULES is not None
    assert (RULES.allocate_by_age_months, RULES.allocate_within_working_days, RULES.review_months,
            RULES.contact_months, RULES.caseload_lower, RULES.caseload_cap) == (189, 7, 6, 2, 25, 30)
    assert RULES.allocation_age_text == "15 years and 9 months"
    assert [b for b in BOOKS if BOOKS[b].leaving_care is not None] == ["cornwall-leaving-care"]


@pytest.mark.parametrize(("born_in", "referred_on", "due_on", "first"), [
    # Referred before 15y9m: due the day they reach it (born in May 2011: 1 February 2027).
    (date(2011, 5, 17), date(2026, 11, 2), date(2027, 2, 1), "reaches 15 years and 9 months (born in May 2011"),
    # Referred after: 7 working days; Good Friday 2027 (26 March) and Easter Monday (29 March) are skipped.
    (date(2009, 1, 1), date(2027, 3, 24), date(2027, 4, 6), "Referred on 24 March 2027, after"),
    # Referred on the very day they reach it: not before it, so the 7 working days apply.
    (date(2011, 3, 1), date(2026, 12, 1), date(2026, 12, 10), "Referred on 1 December 2026"),
])
def test_cw14_allocation_by_age_or_seven_working_days_after_a_later_referral(born_in, referred_on, due_on, first):
    clock = allocation_deadline(RULES, born_in, referred_on, EW)
    assert (clock.rule, clock.kind, clock.due_on) == ("CW-14", "pa_allocation", due_on)
    assert first in clock.explanation[0]
    assert clock.explanation[-1] == f"Due by the end of {due_on:%A %-d %B %Y}"


def test_cw14_explains_each_bank_holiday_it_skips():
    clock = allocation_deadline(RULES, date(2009, 1, 1), date(2027, 3, 24), EW)
    assert "Fri 26 Mar 2027: Good Friday, not counted" in clock.explanation
    assert "Mon 29 Mar 2027: Easter Monday, not counted" in clock.explanation


def test_recurring_clocks_count_calendar_months_clamped_at_the_end_of_a_month():
    clock = recurring_deadline(CONTACT_CLOCK, 2, date(2026, 12, 31), "Met on 31 December 2026", EW)
    assert (clock.rule, clock.due_on) == ("CW-10", date(2027, 2, 28))
    assert clock.explanation[0] == "Met on 31 December 2026"


def _workflow(state, role, **facts):
    viewer = Viewer(user_id=1, council_id=1, role=role, provider_id=3 if role.is_provider else None)
    ctx = Context(actor=viewer, now=datetime(2027, 1, 7, 10, tzinfo=UTC), today=date(2027, 1, 7), calendar=EW,
                  rulebook=CORNWALL, record_provider_id=3, facts=facts)
    return LeavingCareWorkflow(state, ctx)


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize(("state", "trigger", "allowed_roles"), [
    (LeavingCareState.REFERRED, "allocate", BOTH),
    (LeavingCareState.REFERRED, "record_review", set()),
    (LeavingCareState.ALLOCATED, "record_review", BOTH),
    (LeavingCareState.ALLOCATED, "record_contact", BOTH),
    (LeavingCareState.ALLOCATED, "allocate", set()),
    (LeavingCareState.ALLOCATED, "close", {Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN}),
    (LeavingCareState.CLOSED, "record_contact", set()),
])
def test_who_may_do_what(role, state, trigger, allowed_roles):
    assert (trigger in _workflow(state, role).allowed_triggers()) == (role in allowed_roles)


def test_allocation_starts_the_review_and_contact_clocks_and_dates_are_checked():
    workflow = _workflow(LeavingCareState.REFERRED, Role.PROVIDER_MANAGER, referred_on=date(2027, 1, 4))
    with pytest.raises(ValidationProblem, match="before the referral"):
        workflow.fire("allocate", adviser_id=5, allocated_on="2027-01-03")
    with pytest.raises(ValidationProblem, match="Select the personal adviser"):
        workflow.fire("allocate", allocated_on="2027-01-05")
    result = workflow.fire("allocate", adviser_id=5, allocated_on="2027-01-05", note="x" * 10)
    assert result.to_state is LeavingCareState.ALLOCATED and result.event == "PA_ALLOCATED"
    assert {(c.rule, c.due_on) for c in result.clocks_started} == {("CW-16", date(2027, 7, 5)),
                                                                   ("CW-10", date(2027, 3, 5))}
    review = _workflow(LeavingCareState.ALLOCATED, Role.PROVIDER_USER, allocated_on=date(2027, 1, 5))
    again = review.fire("record_review", reviewed_on="2027-01-06")
    assert again.to_state is LeavingCareState.ALLOCATED
    assert [(c.kind, c.due_on) for c in again.clocks_started] == [("pathway_review", date(2027, 7, 6))]
    with pytest.raises(TransitionNotAllowed):
        review.fire("close", reason="Moved away")  # the provider's staff cannot close it
    with pytest.raises(ValidationProblem, match="Note must be 2000"):
        review.fire("record_contact", contacted_on="2027-01-06", note="x" * 2001)


@pytest.mark.parametrize(("table", "problem"), [
    ({"allocate_by_age_months": 189}, "must be a whole number"),
    ({**{k: 7 for k in ("allocate_within_working_days", "review_months", "contact_months")},
      "allocate_by_age_months": 189, "caseload_lower": 31, "caseload_cap": 30}, "cannot be above"),
    ({"allocate_by_age_months": 189, "favourite_colour": 1}, "has no key 'favourite_colour'"),
])
def test_a_bad_leaving_care_table_is_refused(table, problem):
    with pytest.raises(LeavingCareError, match=problem):
        parse_leaving_care(table)


def test_a_bad_leaving_care_table_names_its_line(tmp_path):
    text = (FOLDER / "cornwall-leaving-care.toml").read_text().replace("review_months = 6", "review_months = 0")
    path = tmp_path / "cornwall-leaving-care.toml"
    path.write_text(text)
    with pytest.raises(RulebookError) as error:
        parse_rulebook(path)
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if t.startswith("review_months"))
    assert error.value.line == line and "'review_months' must be a whole number from 1 to 24" in str(error.value)
