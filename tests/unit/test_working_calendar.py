"""The working-day calendar, with explicit dates including the hard ones."""

from datetime import date

import pytest
from govuk_bank_holidays.bank_holidays import BankHolidays
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import (
    REGIONS,
    WorkingCalendar,
    add_working_days,
    calendar_for,
    is_working_day,
    working_days_between,
)

EW, SCT, NIR = (WorkingCalendar(r) for r in REGIONS)


def test_notice_served_on_18_december_2026_is_due_on_6_january_2027():
    """KT-19: 10 working days from receipt, across Christmas, the Boxing Day substitute and New Year."""
    assert EW.add_working_days(date(2026, 12, 18), 10) == date(2027, 1, 6)
    explanation = EW.explain_add_working_days(date(2026, 12, 18), 10)
    assert explanation.result == date(2027, 1, 6)
    assert [(s.date, s.reason) for s in explanation.skipped] == [
        (date(2026, 12, 19), "weekend"), (date(2026, 12, 20), "weekend"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "weekend"), (date(2026, 12, 27), "weekend"),
        (date(2026, 12, 28), "Boxing Day (substitute day)"),
        (date(2027, 1, 1), "New Year's Day"),
        (date(2027, 1, 2), "weekend"), (date(2027, 1, 3), "weekend"),
    ]
    assert "the start day does not count" in explanation.rule
    assert explanation.lines()[-1] == "Due on Wednesday 6 January 2027"
    assert explanation.as_dict()["due_on"] == "2027-01-06"


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("day, name, before, next_working_day", [
    (date(2023, 5, 8), "Coronation of Charles III", date(2023, 5, 5), date(2023, 5, 9)),
    (date(2022, 9, 19), "State Funeral of Queen Elizabeth II", date(2022, 9, 16), date(2022, 9, 20)),
    # The Platinum Jubilee Friday followed the Spring bank holiday moved to Thursday 2 June.
    (date(2022, 6, 3), "Platinum Jubilee of Elizabeth II", date(2022, 6, 1), date(2022, 6, 6)),
])
def test_one_off_bank_holidays_in_every_region(region, day, name, before, next_working_day):
    calendar = WorkingCalendar(region)
    assert not calendar.is_working_day(day)
    assert calendar.non_working_reason(day) == name
    assert calendar.add_working_days(before, 1) == next_working_day


def test_easter_in_england_and_wales_and_scotland():
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
    assert EW.non_working_reason(date(2027, 3, 26)) == "Good Friday"
    assert EW.non_working_reason(date(2027, 3, 29)) == "Easter Monday"
    assert EW.add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert SCT.non_working_reason(date(2027, 3, 26)) == "Good Friday"
    assert SCT.is_working_day(date(2027, 3, 29))  # Scotland has no Easter Monday holiday
    assert SCT.add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 29)


def test_scotland_2_january_and_its_substitute_days():
    # 2022: 1 January a Saturday and 2 January a Sunday, so Monday 3 and Tuesday 4 January are holidays.
    assert SCT.non_working_reason(date(2022, 1, 3)) == "New Year's Day (substitute day)"
    assert SCT.non_working_reason(date(2022, 1, 4)) == "New Year Holiday (substitute day)"
    assert EW.non_working_reason(date(2022, 1, 3)) == "New Year's Day (substitute day)"
    assert EW.is_working_day(date(2022, 1, 4))
    assert SCT.add_working_days(date(2021, 12, 31), 1) == date(2022, 1, 5)
    # 2026: 2 January is a Friday and a holiday in Scotland only.
    assert not SCT.is_working_day(date(2026, 1, 2)) and EW.is_working_day(date(2026, 1, 2))


def test_scotland_st_andrews_day_substitute():
    # 30 November 2025 was a Sunday: Monday 1 December was the holiday.
    assert SCT.non_working_reason(date(2025, 12, 1)) == "Saint Andrew's Day (substitute day)"
    assert EW.is_working_day(date(2025, 12, 1))


def test_northern_ireland_17_march_and_12_july():
    assert NIR.non_working_reason(date(2027, 3, 17)) == "Saint Patrick's Day"
    assert EW.is_working_day(date(2027, 3, 17))
    # 12 July 2025 was a Saturday: Monday 14 July was the holiday.
    assert NIR.non_working_reason(date(2025, 7, 14)) == "Battle of the Boyne (substitute day)"
    assert NIR.non_working_reason(date(2026, 7, 13)) == "Battle of the Boyne (substitute day)"  # 12th a Sunday
    assert NIR.add_working_days(date(2027, 7, 9), 1) == date(2027, 7, 13)  # Monday 12 July 2027
    assert EW.add_working_days(date(2027, 7, 9), 1) == date(2027, 7, 12)


def test_a_start_on_a_non_working_day_counts_from_the_next_working_day():
    assert EW.add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)  # Saturday -> Monday
    assert EW.add_working_days(date(2026, 12, 25), 1) == date(2026, 12, 29)
    assert EW.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)  # Christmas Eve is a working day
    assert EW.add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 23)
    assert EW.add_working_days(date(2026, 11, 23), 0) == date(2026, 11, 23)


def test_counting_backwards_for_reminders():
    # 5 working days before 6 January 2027: 5, 4 January, 31, 30, 29 December.
    assert EW.add_working_days(date(2027, 1, 6), -5) == date(2026, 12, 29)
    assert EW.add_working_days(date(2027, 1, 6), -6) == date(2026, 12, 24)
    assert EW.add_working_days(date(2027, 1, 6), -1) == date(2027, 1, 5)
    assert EW.add_working_days(date(2027, 1, 4), -1) == date(2026, 12, 31)
    explanation = EW.explain_add_working_days(date(2027, 1, 6), -5)
    assert "before" in explanation.rule and date(2027, 1, 1) in [s.date for s in explanation.skipped]


def test_working_days_between():
    assert EW.working_days_between(date(2026, 12, 18), date(2027, 1, 6)) == 10
    assert EW.working_days_between(date(2027, 1, 6), date(2026, 12, 18)) == -10
    assert EW.working_days_between(date(2026, 12, 18), date(2026, 12, 18)) == 0
    assert EW.working_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 0  # 25-28 none count
    assert working_days_between(date(2026, 12, 18), date(2027, 1, 7), "scotland") == 10


def test_council_closures_move_the_count_and_explain_themselves():
    calendar = WorkingCalendar(closures={date(2027, 1, 4): "Council closure: office move"})
    explanation = calendar.explain_add_working_days(date(2026, 12, 18), 10)
    assert explanation.result == date(2027, 1, 7)
    assert (date(2027, 1, 4), "Council closure: office move") in [(s.date, s.reason) for s in explanation.skipped]
    assert calendar_for("england-and-wales", {date(2027, 1, 4): "x"}).add_working_days(date(2027, 1, 1), 1) == (
        date(2027, 1, 5))


def test_regime_exclusions():
    # The Children Act working day excludes Boxing Day, Christmas Day and Good Friday; a closure-free check.
    calendar = WorkingCalendar(exclusions=("Boxing Day",))
    assert calendar.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert not WorkingCalendar(exclusions=("Christmas Day",)).is_working_day(date(2026, 12, 25))
    with pytest.raises(ValueError, match="Unknown exclusion"):
        WorkingCalendar(exclusions=("Pancake Day",))


def test_unknown_region_is_refused():
    with pytest.raises(ValueError, match="choose one of england-and-wales, scotland, northern-ireland"):
        WorkingCalendar("wales")


def test_calendar_days_never_roll():
    explanation = EW.explain_add_calendar_days(date(2026, 11, 27), 28)
    assert explanation.result == date(2026, 12, 25)
    assert "does not move" in explanation.rule and "Christmas Day" in explanation.rule


def test_module_level_helpers():
    assert add_working_days(date(2026, 12, 18), 10) == date(2027, 1, 6)
    assert not is_working_day(date(2027, 3, 17), "northern-ireland")


def test_far_dates_extend_the_tables():
    # Christmas 2034 is a Monday: 25 and 26 December skipped, then 27, 28, 29.
    assert EW.add_working_days(date(2034, 12, 22), 3) == date(2034, 12, 29)
    assert EW.add_working_days(date(2090, 1, 1), 1) == date(2090, 1, 3)
    assert EW.add_working_days(date(1999, 12, 30), 1) == date(2000, 1, 4)  # Millennium: 31 Dec 1999 a holiday


@settings(max_examples=300, deadline=None)
@given(st.dates(date(2013, 1, 1), date(2030, 12, 31)), st.integers(1, 80))
def test_properties(start, n):
    due = EW.add_working_days(start, n)
    assert EW.is_working_day(due)
    assert EW.working_days_between(start, due) == n
    assert EW.explain_add_working_days(start, n).result == due
    assert EW.add_working_days(due, -n) <= start or not EW.is_working_day(start)


GOVUK_DIVISIONS = {"england-and-wales": BankHolidays.ENGLAND_AND_WALES, "scotland": BankHolidays.SCOTLAND,
                   "northern-ireland": BankHolidays.NORTHERN_IRELAND}


# Holidays announced after the GOV.UK snapshot bundled in govuk-bank-holidays was taken; each must be justified.
ANNOUNCED_AFTER_SNAPSHOT = {
    # Scotland's one-off bank holiday for its men's football team at the 2026 World Cup (holidays 0.109).
    ("scotland", date(2026, 6, 15)),
}


@pytest.mark.parametrize("region", REGIONS)
def test_agrees_with_govuk_data_on_every_weekday_it_covers(region):
    # use_cached_holidays=True: the bundled GOV.UK data, never the network.
    govuk = BankHolidays(use_cached_holidays=True)
    theirs = {h["date"] for h in govuk.get_holidays(division=GOVUK_DIVISIONS[region]) if h["date"].weekday() < 5}
    years = {d.year for d in theirs}
    assert len(years) >= 5
    calendar = WorkingCalendar(region)
    ours = {d for year in years for d in calendar.holidays_in(year)}
    differences = {(region, d) for d in ours ^ theirs}
    assert differences - ANNOUNCED_AFTER_SNAPSHOT == set()
    assert all(d in ours for r, d in ANNOUNCED_AFTER_SNAPSHOT if r == region)
