"""The working-day calendar against explicit dates, the hard ones included, and against GOV.UK's own list."""

import threading
from datetime import date, timedelta

import pytest
from govuk_bank_holidays.bank_holidays import BankHolidays
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import (
    REGIONS,
    WorkingCalendar,
    add_calendar_days,
    add_working_days,
    calendar_for,
    easter_sunday,
    is_working_day,
    working_days_between,
)

EW, SCT, NIR = (WorkingCalendar(region) for region in REGIONS)
CALENDARS = {"england-and-wales": EW, "scotland": SCT, "northern-ireland": NIR}


def test_ten_working_days_across_christmas_and_new_year():
    """KT-19: a formal warning received on Friday 18 December 2026 needs its action plan by 6 January 2027."""
    explanation = EW.explain_add_working_days(date(2026, 12, 18), 10)
    assert EW.add_working_days(date(2026, 12, 18), 10) == explanation.result == date(2027, 1, 6)
    assert [(s.date, s.reason) for s in explanation.skipped] == [
        (date(2026, 12, 19), "Saturday"), (date(2026, 12, 20), "Sunday"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Saturday"), (date(2026, 12, 27), "Sunday"),
        (date(2026, 12, 28), "Boxing Day (substitute day)"),
        (date(2027, 1, 1), "New Year's Day"),
        (date(2027, 1, 2), "Saturday"), (date(2027, 1, 3), "Sunday"),
    ]
    assert explanation.rule == (
        "10 working days after 18 December 2026 (England and Wales); 18 December 2026 itself does not count, "
        "day 1 is the next working day")
    lines = explanation.lines()
    assert lines[0] == explanation.rule
    assert lines[1:4] == ["Sat 19 Dec 2026: weekend", "Sun 20 Dec 2026: weekend", "Fri 25 Dec 2026: Christmas Day"]
    assert "Mon 28 Dec 2026: Boxing Day (substitute day)" in lines
    assert lines[-1] == "Due on Wednesday 6 January 2027"
    assert len(lines) == 1 + 9 + 1
    as_dict = explanation.as_dict()
    assert as_dict["start"] == "2026-12-18" and as_dict["due_on"] == "2027-01-06" and as_dict["rule"]
    assert as_dict["skipped"][5] == {"date": "2026-12-28", "reason": "Boxing Day (substitute day)"}


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("day, name, day_before, next_working_day", [
    (date(2023, 5, 8), "Coronation of Charles III", date(2023, 5, 5), date(2023, 5, 9)),
    (date(2022, 9, 19), "State Funeral of Queen Elizabeth II", date(2022, 9, 16), date(2022, 9, 20)),
    # The Spring bank holiday moved to Thursday 2 June 2022 and the Platinum Jubilee took Friday 3 June.
    (date(2022, 6, 3), "Platinum Jubilee of Elizabeth II", date(2022, 6, 1), date(2022, 6, 6)),
])
def test_one_off_bank_holidays_in_every_region(region, day, name, day_before, next_working_day):
    calendar = CALENDARS[region]
    assert not calendar.is_working_day(day)
    assert calendar.non_working_reason(day) == name
    assert calendar.add_working_days(day_before, 1) == next_working_day


@pytest.mark.parametrize("calendar, day, reason", [
    (EW, date(2027, 3, 26), "Good Friday"),
    (EW, date(2027, 3, 29), "Easter Monday"),
    (EW, date(2026, 4, 3), "Good Friday"),
    (EW, date(2026, 4, 6), "Easter Monday"),
    (NIR, date(2027, 3, 29), "Easter Monday"),
    (SCT, date(2027, 3, 26), "Good Friday"),
    (SCT, date(2027, 3, 29), None),  # Scotland has no Easter Monday bank holiday
    (SCT, date(2026, 4, 6), None),
])
def test_easter(calendar, day, reason):
    assert calendar.non_working_reason(day) == reason
    assert calendar.is_working_day(day) is (reason is None)


def test_easter_moves_a_deadline_further_in_england_than_in_scotland():
    assert EW.add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert SCT.add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 29)
    assert EW.working_days_between(date(2027, 3, 25), date(2027, 3, 30)) == 1
    assert SCT.working_days_between(date(2027, 3, 25), date(2027, 3, 30)) == 2


@pytest.mark.parametrize("calendar, day, reason", [
    # 2022: 1 January a Saturday and 2 January a Sunday, so Monday 3 and Tuesday 4 January in Scotland.
    (SCT, date(2022, 1, 3), "New Year's Day (substitute day)"),
    (SCT, date(2022, 1, 4), "New Year Holiday (substitute day)"),
    (EW, date(2022, 1, 3), "New Year's Day (substitute day)"),
    (EW, date(2022, 1, 4), None),
    # 2026: 2 January is a Friday, a holiday in Scotland only.
    (SCT, date(2026, 1, 2), "New Year Holiday"),
    (EW, date(2026, 1, 2), None),
    (NIR, date(2026, 1, 2), None),
    # 30 November 2025 was a Sunday: St Andrew's Day moved to Monday 1 December, in Scotland only.
    (SCT, date(2025, 11, 30), "Sunday"),
    (SCT, date(2025, 12, 1), "Saint Andrew's Day (substitute day)"),
    (EW, date(2025, 12, 1), None),
    (SCT, date(2027, 11, 30), "Saint Andrew's Day"),
    # Northern Ireland: St Patrick's Day and the Battle of the Boyne, with their substitutes.
    (NIR, date(2027, 3, 17), "Saint Patrick's Day"),
    (EW, date(2027, 3, 17), None),
    (NIR, date(2024, 3, 18), "Saint Patrick's Day (substitute day)"),  # 17 March 2024 a Sunday
    (NIR, date(2027, 7, 12), "Battle of the Boyne"),
    (NIR, date(2025, 7, 12), "Saturday"),
    (NIR, date(2025, 7, 14), "Battle of the Boyne (substitute day)"),  # 12 July 2025 a Saturday
    (NIR, date(2026, 7, 13), "Battle of the Boyne (substitute day)"),  # 12 July 2026 a Sunday
    (EW, date(2025, 7, 14), None),
    (SCT, date(2027, 7, 12), None),
    # Christmas on a Saturday: Christmas moves to Monday 27 and Boxing Day to Tuesday 28 December 2027.
    (EW, date(2027, 12, 27), "Christmas Day (substitute day)"),
    (EW, date(2027, 12, 28), "Boxing Day (substitute day)"),
])
def test_regional_holidays_and_their_substitute_days(calendar, day, reason):
    assert calendar.non_working_reason(day) == reason


@pytest.mark.parametrize("calendar, start, n, due", [
    (SCT, date(2021, 12, 31), 1, date(2022, 1, 5)),
    (EW, date(2021, 12, 31), 1, date(2022, 1, 4)),
    (NIR, date(2025, 7, 11), 1, date(2025, 7, 15)),
    (EW, date(2025, 7, 11), 1, date(2025, 7, 14)),
    (NIR, date(2027, 3, 16), 1, date(2027, 3, 18)),
    (SCT, date(2025, 11, 28), 1, date(2025, 12, 2)),
    (SCT, date(2026, 12, 18), 10, date(2027, 1, 7)),  # Scotland also loses Monday 4 January 2027
])
def test_regional_deadlines(calendar, start, n, due):
    assert calendar.add_working_days(start, n) == due


@pytest.mark.parametrize("start, n, due", [
    (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday + 1 = Monday
    (date(2026, 11, 22), 1, date(2026, 11, 23)),  # Sunday + 1 = Monday
    (date(2026, 11, 21), 5, date(2026, 11, 27)),
    (date(2026, 12, 24), 1, date(2026, 12, 29)),  # the day before a bank holiday: Christmas Eve is a working day
    (date(2026, 12, 25), 1, date(2026, 12, 29)),  # starting on the bank holiday itself
    (date(2026, 12, 28), 1, date(2026, 12, 29)),  # starting on the substitute day
    (date(2027, 5, 28), 1, date(2027, 6, 1)),  # Friday before the Spring bank holiday
    (date(2026, 11, 23), 0, date(2026, 11, 23)),  # n = 0 on a working day: that day
    (date(2026, 11, 21), 0, date(2026, 11, 23)),  # n = 0 on a Saturday: the next working day
    (date(2026, 12, 25), 0, date(2026, 12, 29)),
])
def test_the_start_day_never_counts_even_when_it_is_not_a_working_day(start, n, due):
    assert EW.add_working_days(start, n) == due
    assert EW.explain_add_working_days(start, n).result == due


def test_explaining_a_roll_forward_lists_the_start_day_itself():
    explanation = EW.explain_add_working_days(date(2026, 12, 25), 0)
    assert [s.date for s in explanation.skipped] == [date(2026, 12, 25) + timedelta(days=i) for i in range(4)]
    assert explanation.result == date(2026, 12, 29)


@pytest.mark.parametrize("start, n, due", [
    # 5 working days before 6 January 2027: 5, 4 January, 31, 30, 29 December.
    (date(2027, 1, 6), -5, date(2026, 12, 29)),
    (date(2027, 1, 6), -6, date(2026, 12, 24)),
    (date(2027, 1, 6), -1, date(2027, 1, 5)),
    (date(2027, 1, 4), -1, date(2026, 12, 31)),
    (date(2027, 1, 2), -1, date(2026, 12, 31)),  # from a Saturday, back to Thursday (New Year's Day skipped)
    (date(2026, 11, 23), -1, date(2026, 11, 20)),  # Monday back to Friday
])
def test_counting_backwards_for_reminders(start, n, due):
    assert EW.add_working_days(start, n) == due
    assert EW.explain_add_working_days(start, n).result == due


def test_explaining_a_reminder_counted_backwards():
    explanation = EW.explain_add_working_days(date(2027, 1, 6), -5)
    assert explanation.rule.startswith("5 working days before 6 January 2027 (England and Wales), counted backwards")
    assert [(s.date, s.reason) for s in explanation.skipped] == [
        (date(2027, 1, 1), "New Year's Day"), (date(2027, 1, 2), "Saturday"), (date(2027, 1, 3), "Sunday")]
    assert explanation.lines()[-1] == "Due on Tuesday 29 December 2026"


@pytest.mark.parametrize("a, b, count", [
    (date(2026, 12, 18), date(2027, 1, 6), 10),
    (date(2027, 1, 6), date(2026, 12, 18), -10),
    (date(2026, 12, 18), date(2026, 12, 18), 0),
    (date(2026, 12, 25), date(2026, 12, 25), 0),
    (date(2026, 12, 24), date(2026, 12, 28), 0),  # 25 to 28 December: none count
    (date(2026, 12, 24), date(2026, 12, 29), 1),
    (date(2026, 11, 20), date(2026, 11, 23), 1),  # Friday to Monday
    (date(2026, 11, 21), date(2026, 11, 22), 0),  # Saturday to Sunday
    (date(2026, 1, 1), date(2027, 1, 1), 253),  # 2026 has 261 weekdays, 8 of them bank holidays
])
def test_working_days_between(a, b, count):
    assert EW.working_days_between(a, b) == count


def test_council_closure_moves_the_deadline_and_explains_itself():
    calendar = WorkingCalendar(closures={date(2027, 1, 4): "Council closure: office move"})
    explanation = calendar.explain_add_working_days(date(2026, 12, 18), 10)
    assert calendar.add_working_days(date(2026, 12, 18), 10) == explanation.result == date(2027, 1, 7)
    assert (date(2027, 1, 4), "Council closure: office move") in [(s.date, s.reason) for s in explanation.skipped]
    assert "Mon 4 Jan 2027: Council closure: office move" in explanation.lines()
    assert calendar.holidays_in(2027)[date(2027, 1, 4)] == "Council closure: office move"
    assert calendar.working_days_between(date(2026, 12, 18), date(2027, 1, 7)) == 10
    # The plain regional calendar is untouched.
    assert EW.is_working_day(date(2027, 1, 4))


def test_a_closure_announced_as_a_one_off_bank_holiday_far_ahead():
    calendar = WorkingCalendar("northern-ireland", closures={date(2060, 6, 7): "Bank holiday: one-off"})
    assert NIR.add_working_days(date(2060, 6, 4), 3) == date(2060, 6, 9)  # Friday 4 June 2060
    assert calendar.add_working_days(date(2060, 6, 4), 3) == date(2060, 6, 10)
    assert calendar.non_working_reason(date(2060, 6, 7)) == "Bank holiday: one-off"


def test_a_closure_on_a_bank_holiday_or_weekend_keeps_the_older_reason():
    calendar = WorkingCalendar(closures={date(2026, 12, 25): "Council closure: Christmas",
                                         date(2026, 12, 19): "Council closure: Saturday"})
    assert calendar.non_working_reason(date(2026, 12, 25)) == "Christmas Day"
    assert calendar.non_working_reason(date(2026, 12, 19)) == "Saturday"


def test_calendar_for_is_cached_per_closure_set():
    closures = {date(2027, 1, 4): "Council closure: office move"}
    shared = calendar_for("england-and-wales", closures)
    assert calendar_for("england-and-wales", dict(closures)) is shared
    assert calendar_for("england-and-wales") is not shared
    assert calendar_for("england-and-wales") is calendar_for("england-and-wales", {})
    assert shared.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 5)


@pytest.mark.parametrize("region, exclusions, day", [
    # Boxing Day only became a Scottish bank holiday in 1974; the Children Act definition always excludes it.
    ("scotland", ("Boxing Day",), date(1973, 12, 26)),
    ("scotland", ("Good Friday", "Christmas Day", "Boxing Day"), date(1973, 12, 26)),
])
def test_regime_exclusions_take_out_days_the_region_does_not(region, exclusions, day):
    assert WorkingCalendar(region).is_working_day(day)
    calendar = WorkingCalendar(region, exclusions=exclusions)
    assert not calendar.is_working_day(day)
    assert calendar.non_working_reason(day) == "Boxing Day"
    explanation = calendar.explain_add_working_days(date(1973, 12, 24), 2)
    assert explanation.result == date(1973, 12, 28)
    assert WorkingCalendar(region).add_working_days(date(1973, 12, 24), 2) == date(1973, 12, 27)
    assert "never a working day" in explanation.rule


@pytest.mark.parametrize("year", [1950, 2026, 2027, 2100])
def test_exclusions_find_good_friday_christmas_and_boxing_day_every_year(year):
    calendar = WorkingCalendar("scotland", exclusions=("Good Friday", "Christmas Day", "Boxing Day"))
    found = calendar.holidays_in(year)
    for day in (date(year, 12, 25), date(year, 12, 26)):
        assert day.weekday() >= 5 or day in found
    easter = {1950: date(1950, 4, 9), 2026: date(2026, 4, 5), 2027: date(2027, 3, 28), 2100: date(2100, 3, 28)}
    assert found[easter[year] - timedelta(days=2)] == "Good Friday"


def test_unknown_exclusion_is_refused():
    with pytest.raises(ValueError, match="Unknown exclusion 'Pancake Day'"):
        WorkingCalendar(exclusions=("Pancake Day",))


@pytest.mark.parametrize("region", ["wales", "England and Wales", "", "ENG"])
def test_unknown_region_is_refused_naming_the_allowed_ones(region):
    with pytest.raises(ValueError, match="choose one of england-and-wales, scotland, northern-ireland"):
        WorkingCalendar(region)


def test_calendar_days_never_roll():
    explanation = EW.explain_add_calendar_days(date(2026, 11, 27), 28)
    assert EW.add_calendar_days(date(2026, 11, 27), 28) == explanation.result == date(2026, 12, 25)
    assert explanation.skipped == ()
    assert "28 calendar days after 27 November 2026" in explanation.rule
    assert "Christmas Day" in explanation.rule and "does not move" in explanation.rule
    quiet = EW.explain_add_calendar_days(date(2026, 11, 26), 28)
    assert quiet.result == date(2026, 12, 24) and "does not move" not in quiet.rule
    assert add_calendar_days(date(2026, 12, 24), -28) == date(2026, 11, 26)


def test_holidays_in_a_year_lists_weekdays_only_with_friendly_names():
    assert EW.holidays_in(2026) == {
        date(2026, 1, 1): "New Year's Day", date(2026, 4, 3): "Good Friday", date(2026, 4, 6): "Easter Monday",
        date(2026, 5, 4): "May Day", date(2026, 5, 25): "Spring Bank Holiday",
        date(2026, 8, 31): "Late Summer Bank Holiday", date(2026, 12, 25): "Christmas Day",
        date(2026, 12, 28): "Boxing Day (substitute day)",
    }


def test_module_level_helpers_use_the_plain_regional_calendars():
    assert add_working_days(date(2026, 12, 18), 10) == date(2027, 1, 6)
    assert add_working_days(date(2026, 12, 18), 10, "scotland") == date(2027, 1, 7)
    assert not is_working_day(date(2027, 3, 17), "northern-ireland")
    assert is_working_day(date(2027, 3, 17))
    assert working_days_between(date(2026, 12, 18), date(2027, 1, 7), "scotland") == 10


@pytest.mark.parametrize("start, n, due", [
    (date(2034, 12, 22), 3, date(2034, 12, 29)),  # Christmas 2034 a Monday
    (date(2090, 1, 1), 1, date(2090, 1, 3)),  # far beyond the first table built
    (date(1999, 12, 30), 1, date(2000, 1, 4)),  # the Millennium holiday on Friday 31 December 1999
    (date(1900, 1, 10), -3, date(1900, 1, 5)),
    (date(2100, 12, 20), 5, date(2100, 12, 29)),  # the last year the holidays package knows
])
def test_far_dates_widen_the_tables(start, n, due):
    calendar = WorkingCalendar()
    assert calendar.add_working_days(start, n) == due
    assert calendar.working_days_between(start, due) == n


def test_threads_widening_one_calendar_at_once_get_the_same_answers_as_one_thread():
    """A web server's threads share calendars from calendar_for; a table being widened must never give a wrong date."""
    starts = [date(year, month, 28) for year in range(1905, 2096, 7) for month in (3, 12)]
    expected = [WorkingCalendar("scotland").add_working_days(start, 15) for start in starts]
    shared = WorkingCalendar("scotland")
    barrier, answers = threading.Barrier(8), {}

    def count(worker: int) -> None:
        order = starts[worker::2] + starts if worker % 2 else list(reversed(starts))
        barrier.wait()
        answers[worker] = {start: shared.add_working_days(start, 15) for start in order}

    threads = [threading.Thread(target=count, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all([found[start] for start in starts] == expected for found in answers.values())
    assert len(answers) == 8


@pytest.mark.parametrize("start, n", [(date(1899, 12, 1), 1), (date(1900, 1, 2), -5), (date(2101, 1, 4), 1),
                                      (date(2100, 12, 31), 1)])
def test_dates_the_holidays_package_does_not_cover_are_refused(start, n):
    # holidays 0.109 returns no UK holidays after 2100: counting on would silently ignore Christmas.
    with pytest.raises(ValueError, match="between 1900 and 2100"):
        WorkingCalendar().add_working_days(start, n)


def test_our_good_friday_matches_the_holidays_package_every_year():
    for year in range(1900, 2101):
        assert EW.non_working_reason(easter_sunday(year) - timedelta(days=2)) == "Good Friday", year


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(REGIONS), st.dates(date(2000, 1, 1), date(2040, 12, 31)), st.integers(1, 120))
def test_properties_of_counting_working_days(region, start, n):
    calendar = CALENDARS[region]
    due = calendar.add_working_days(start, n)
    assert due > start
    assert calendar.is_working_day(due)
    assert calendar.working_days_between(start, due) == n
    assert calendar.working_days_between(due, start) == -n
    explanation = calendar.explain_add_working_days(start, n)
    assert explanation.result == due
    # Every day strictly between start and due is either counted or skipped with a reason.
    assert len(explanation.skipped) == (due - start).days - n
    assert all(calendar.non_working_reason(s.date) == s.reason for s in explanation.skipped)
    # Counting back the same number of working days lands on start, or on the last working day before it.
    back = calendar.add_working_days(due, -n)
    assert back <= start and calendar.working_days_between(back, start) == 0


GOVUK_DIVISIONS = {"england-and-wales": BankHolidays.ENGLAND_AND_WALES, "scotland": BankHolidays.SCOTLAND,
                   "northern-ireland": BankHolidays.NORTHERN_IRELAND}

# Announced after the GOV.UK snapshot bundled with govuk-bank-holidays 0.19 was taken; holidays 0.109 has it.
ANNOUNCED_AFTER_SNAPSHOT = {("scotland", date(2026, 6, 15))}  # Scotland at the FIFA World Cup


@pytest.fixture(scope="module")
def govuk():
    # use_cached_holidays=True reads the bundled GOV.UK file; without it the package goes to the network.
    return BankHolidays(use_cached_holidays=True)


@pytest.mark.parametrize("region", REGIONS)
def test_agrees_with_govuk_on_every_weekday_of_every_year_it_covers(govuk, region):
    theirs = {h["date"] for h in govuk.get_holidays(division=GOVUK_DIVISIONS[region]) if h["date"].weekday() < 5}
    years = range(min(d.year for d in theirs), max(d.year for d in theirs) + 1)
    assert len(years) >= 15  # 2012 to 2028 in govuk-bank-holidays 0.19
    calendar = WorkingCalendar(region)
    ours = {d for year in years for d in calendar.holidays_in(year)}
    differences = {(region, d) for d in ours ^ theirs}
    assert differences == {item for item in ANNOUNCED_AFTER_SNAPSHOT if item[0] == region}
    # And day by day: every weekday in those years is a working day exactly when GOV.UK does not list it.
    day = date(years.start, 1, 1)
    while day.year < years.stop:
        if day.weekday() < 5 and (region, day) not in ANNOUNCED_AFTER_SNAPSHOT:
            assert calendar.is_working_day(day) is (day not in theirs), day
        day += timedelta(days=1)


def test_summer_time_spans_match_londons_zone_data_every_year():
    """workflows.clock.summer_time_spans (the SQL helper's rule for SQLite) agrees with Europe/London's zone data
    an hour either side of every change, 1997 to 2040; 2026's spans are 29 March and 25 October, 01:00 UTC."""
    from datetime import UTC, datetime, timedelta

    from workflows.clock import LONDON, summer_time_spans

    spans = summer_time_spans(1997, 2040)
    assert spans[2026 - 1997] == (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC))
    hour = timedelta(hours=1)
    for start, end in spans:
        for instant, summer in ((start - hour, False), (start, True), (end - hour, True), (end, False)):
            assert (instant.astimezone(LONDON).utcoffset() == hour) is summer, instant
