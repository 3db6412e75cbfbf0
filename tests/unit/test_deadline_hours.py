"""A clock of real hours is reminded by the hour, and its messages name the time (issue 15, item 2: HF-R01)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from workflows.calendar import WorkingCalendar
from workflows.deadline import plan_timers
from workflows.messages import breach, reminder

CALENDAR = WorkingCalendar("england-and-wales")
RECEIVED = datetime(2027, 3, 26, 10, 0, tzinfo=UTC)  # Good Friday, GMT


def test_a_two_hour_window_is_reminded_an_hour_before_on_a_bank_holiday():
    due_at = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
    plans = plan_timers(7, date(2027, 3, 26), date(2027, 3, 26), due_at, CALENDAR, hours=2)
    assert [(p.kind, p.due_at) for p in plans] == [("breach", due_at),
                                                   ("reminder", datetime(2027, 3, 26, 11, 0, tzinfo=UTC))]


def test_a_window_under_two_hours_is_reminded_half_way_and_day_clocks_keep_their_mornings():
    due_at = datetime(2027, 3, 26, 11, 0, tzinfo=UTC)
    (_, reminded) = plan_timers(7, date(2027, 3, 26), date(2027, 3, 26), due_at, CALENDAR, hours=1)
    assert reminded.due_at == datetime(2027, 3, 26, 10, 30, tzinfo=UTC)
    days = plan_timers(8, date(2027, 3, 22), date(2027, 4, 6), datetime(2027, 4, 6, 22, 59, tzinfo=UTC), CALENDAR)
    assert {p.threshold for p in days if p.kind == "reminder"} == {5, 1, 0}  # working days before, at 08:00


def test_an_hour_clock_says_its_time_in_london_across_the_clock_change():
    due_at = datetime(2027, 3, 28, 10, 0, tzinfo=UTC)  # 11:00 BST on Sunday 28 March
    message = reminder("Accepted or declined", "HF-R04", "REF-00001", "Riverside", date(2027, 3, 28), 0, [], "/r/1",
                       "referral", due_at)
    assert message.subject == ("Reminder: Accepted or declined for REF-00001 is due soon (11:00 on Sunday 28 March "
                               "2027 (a clock of real hours))")
    late = breach("Accepted or declined", "HF-R04", "REF-00001", "Riverside", date(2027, 3, 28), None, [], "/r/1",
                  "referral", due_at)
    assert "was due by 11:00 on Sunday 28 March 2027" in late.subject
    day = reminder("Plan", "KT-19", "CASE-00001", "Brightwater", date(2027, 1, 6), 1, [], "/c/1")
    assert "is due in 1 working day" in day.subject and "by the end of Wednesday 6 January 2027" in day.text
