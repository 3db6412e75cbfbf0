"""Return periods and due dates: cadences, quarter bases and fixed dates on the England and Wales calendar."""

from datetime import date, timedelta
from pathlib import Path

from workflows.calendar import calendar_for
from workflows.monitoring import ReturnSpec
from workflows.returns import add_months, schedule
from workflows.rulebook import load_rulebooks
from workflows.settings import apply_settings

BOOKS = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")
EW = calendar_for("england-and-wales")


def spec(book, return_id, due_days=None, due_from="2026-01-01"):
    """A return as the rulebook gives it, or with a due date the council set on the contract (A4)."""
    settings = {"return_due": {return_id: {"working_days": due_days, "from": due_from}}} if due_days else None
    return apply_settings(BOOKS[book], settings).monitoring.return_spec(return_id)


def test_ce_four_weekly_periods_run_from_the_contract_start():
    periods = schedule(spec("cheshire-east-ech", "four-weekly", 10), date(2026, 4, 1), date(2027, 3, 30), EW)
    assert len(periods) == 13  # A7: thirteen 4-weekly periods in the 364 days to 30 March 2027
    assert periods[-1].end == date(2027, 3, 30)
    first = periods[0]
    assert (first.start, first.end) == (date(2026, 4, 1), date(2026, 4, 28))
    # 10 working days after Tuesday 28 April 2026, skipping the May bank holiday on Monday 4 May.
    assert first.due_on == date(2026, 5, 13)
    assert "Mon 4 May 2026: May Day" in first.due_explanation
    assert "council setting on the contract, not in the contract itself (A4)" in first.due_explanation[0]
    assert periods[1].start == date(2026, 4, 29)
    # Without the council's setting the seed gives no date (A4).
    assert schedule(spec("cheshire-east-ech", "four-weekly"), date(2026, 4, 1), date(2026, 5, 1), EW)[0].due_on \
        is None


def test_the_sweep_s_schedule_without_explanations_has_the_same_due_dates():
    # The monitoring sweep asks only for the dates (A7, A4): the same periods, the same due dates, no explanation.
    ce = spec("cheshire-east-ech", "four-weekly", 10)
    explained = schedule(ce, date(2026, 4, 1), date(2027, 3, 30), EW)
    bare = schedule(ce, date(2026, 4, 1), date(2027, 3, 30), EW, explain=False)
    assert [(p.start, p.end, p.label, p.due_on) for p in bare] == \
        [(p.start, p.end, p.label, p.due_on) for p in explained]
    assert all(p.due_explanation == () for p in bare)


def test_a4_a_due_date_set_applies_only_to_periods_ending_from_its_start():
    periods = schedule(spec("hammersmith-fulham-home-care", "monthly-template", 10, "2026-03-01"), date(2026, 1, 1),
                       date(2026, 3, 1), EW)
    assert [p.due_on for p in periods] == [None, None, date(2026, 4, 16)]  # Good Friday, Easter Monday skipped
    assert "applies to periods ending from 1 March 2026" in periods[0].due_explanation[0]


def test_financial_quarters_start_in_april_and_clip_to_the_contract_start():
    periods = schedule(spec("thurrock-supported-living", "hard-outcomes"), date(2026, 5, 15), date(2027, 1, 1), EW)
    assert [(p.label, p.start, p.end) for p in periods] == [
        ("Q1 2026-27", date(2026, 5, 15), date(2026, 6, 30)),
        ("Q2 2026-27", date(2026, 7, 1), date(2026, 9, 30)),
        ("Q3 2026-27", date(2026, 10, 1), date(2026, 12, 31)),
        ("Q4 2026-27", date(2027, 1, 1), date(2027, 3, 31)),
    ]
    assert periods[0].due_on is None  # A4: Thurrock states no due date
    assert "no due date set: the contract gives none" in periods[0].due_explanation[0]
    assert periods[0].due_explanation[0].endswith("until the council sets one on the contract")


def test_calendar_quarters_and_anniversary_halves():
    calendar_quarters = ReturnSpec(id="q", name="Q", rule="CE-28", cadence="quarterly", quarter_basis="calendar")
    periods = schedule(calendar_quarters, date(2026, 2, 10), date(2026, 12, 31), EW)
    assert [p.label for p in periods] == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]
    halves = schedule(spec("kent-ld-day-services", "six-monthly"), date(2026, 7, 15), date(2027, 8, 1), EW)
    assert [(p.start, p.end) for p in halves] == [(date(2026, 7, 15), date(2027, 1, 14)),
                                                   (date(2027, 1, 15), date(2027, 7, 14)),
                                                   (date(2027, 7, 15), date(2028, 1, 14))]


def test_thirty_april_is_the_first_after_the_period_ends():
    annual = schedule(spec("cheshire-east-ech", "annual"), date(2026, 4, 1), date(2027, 4, 1), EW)
    assert (annual[0].end, annual[0].due_on) == (date(2027, 3, 31), date(2027, 4, 30))
    survey = schedule(spec("cheshire-east-ech", "survey"), date(2026, 4, 1), date(2026, 12, 31), EW)
    assert (survey[0].label, survey[0].due_on) == ("Year 2026", date(2027, 4, 30))


def test_monthly_returns_are_calendar_months():
    periods = schedule(spec("hammersmith-fulham-home-care", "monthly-template"), date(2026, 1, 20),
                       date(2026, 3, 1), EW)
    assert [(p.label, p.start, p.end) for p in periods] == [
        ("January 2026", date(2026, 1, 20), date(2026, 1, 31)),
        ("February 2026", date(2026, 2, 1), date(2026, 2, 28)),
        ("March 2026", date(2026, 3, 1), date(2026, 3, 31)),
    ]


def test_closed_and_overdue():
    period = schedule(spec("hammersmith-fulham-home-care", "monthly-template", 10), date(2026, 1, 1),
                      date(2026, 1, 1), EW)[0]
    assert not period.is_closed(date(2026, 1, 31)) and period.is_closed(date(2026, 2, 1))
    assert period.due_on == date(2026, 2, 13)
    assert not period.is_overdue(date(2026, 2, 13)) and period.is_overdue(date(2026, 2, 14))


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)
    assert add_months(date(2027, 8, 30), 6) == date(2028, 2, 29)  # a leap year
    assert add_months(date(2100, 1, 29), 1) == date(2100, 2, 28)  # 2100 is not one


def test_add_months_agrees_with_the_calendar_module_on_every_day_of_eight_years():
    from calendar import monthrange

    day = date(2023, 1, 1)
    while day.year < 2031:
        for months in (-25, -12, -1, 1, 2, 3, 6, 12, 13, 48):
            total = day.month - 1 + months
            year, month = day.year + total // 12, total % 12 + 1
            assert add_months(day, months) == date(year, month, min(day.day, monthrange(year, month)[1]))
        day += timedelta(days=1)


def test_labels_name_days_without_a_leading_zero_and_months_in_english():
    """A period's label is stored with its return row and printed on letters: "5 Jan 2026", never "05 Jan"."""
    weeks = ReturnSpec(id="w", name="W", rule="TH-22", cadence="4-weekly")
    periods = schedule(weeks, date(2026, 1, 5), date(2026, 3, 1), EW)
    assert [p.label for p in periods] == ["Period 1 (5 Jan 2026 to 1 Feb 2026)", "Period 2 (2 Feb 2026 to 1 Mar 2026)"]
    yearly = ReturnSpec(id="y", name="Y", rule="KT-30", cadence="annual", quarter_basis="contract-anniversary")
    assert [p.label for p in schedule(yearly, date(2026, 9, 1), date(2027, 9, 1), EW)] == [
        "1 Sep 2026 to 31 Aug 2027", "1 Sep 2027 to 31 Aug 2028"]
