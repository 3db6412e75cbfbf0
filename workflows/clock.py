"""Clocks: turning "10 working days from receipt" into a due date, a due instant and an explanation.

Day-based clocks are counted in local dates (Europe/London) and converted to an instant only at the end: the due
instant is the end of the due day in London (clock-lessons 4.5; rules.md A1 "a deadline ends at the close of that
working day"). Council-set lengths (CE-45, CE-36, TH-19) come from the notice itself.
"""

from __future__ import annotations

import calendar as _months
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflows.calendar import Explanation, SkippedDay, WorkingCalendar

LONDON = ZoneInfo("Europe/London")
UNITS = ("working_days", "calendar_days", "hours", "months")
# Said on every hour clock's explanation, so nobody reads it as working time (issue 15).
HOURS_NOTE = ("Counted in real hours, Europe/London: nights, weekends, bank holidays and the clock changes all count "
              "(a working-day clock skips weekends and bank holidays instead)")
UNIT_LABELS = {"working_days": "working days", "calendar_days": "calendar days", "hours": "hours",
               "months": "months"}


@dataclass(frozen=True)
class ClockSpec:
    """A clock as a rulebook defines it: its length and unit, what starts and stops it, and whose it is."""

    kind: str
    label: str
    rule: str
    unit: str
    length: int | None  # None: the council sets it in the notice (CE-45, CE-36, TH-19)
    starts: str
    stops: tuple[str, ...]
    acts: str  # "provider" or "council": who must act before it runs out
    pausable: bool = False
    on_breach: str | None = None  # e.g. "propose_termination" (CE-34)
    # A deadline served on a provider under the contract is frozen once served; a council's own target (local
    # practice, an internal review date) is not contractual and moves when the council's calendar changes.
    contractual: bool = True
    seed_line: int | None = None  # the seed line that gives it (rulebook 'seed_line'), cited as its source


@dataclass(frozen=True)
class ClockStart:
    """A clock started by a transition: a deadline with its explanation, ready to be stored."""

    kind: str
    label: str
    rule: str
    unit: str
    length: int
    start_on: date
    due_on: date
    due_at: datetime
    acts: str
    pausable: bool
    on_breach: str | None
    explanation: tuple[str, ...]
    contractual: bool = True


def end_of_day(day: date) -> datetime:
    """The last second of a day in London, as an aware instant (DST-safe: built from the local date)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON)


def summer_time_spans(first_year: int, last_year: int) -> list[tuple[datetime, datetime]]:
    """The UTC instants between which London keeps British Summer Time, each year from first_year to last_year: from
    01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October (the Summer Time Order 2002).
    For SQL that must find an instant's London date on a database that knows no time zones (SQLite)."""

    def last_sunday(year: int, month: int) -> date:
        last = date(year, month, _months.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() + 1) % 7)

    return [(datetime.combine(last_sunday(year, 3), time(1), UTC),
             datetime.combine(last_sunday(year, 10), time(1), UTC)) for year in range(first_year, last_year + 1)]


def add_months(start: date, n: int) -> date:
    """Calendar months with end-of-month clamping (31 January + 1 month = 28 or 29 February)."""
    month_index = start.month - 1 + n
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, _months.monthrange(year, month)[1]))


def start_clock(spec: ClockSpec, start: date, calendar: WorkingCalendar, length: int | None = None,
                start_at: datetime | None = None) -> ClockStart:
    """Count a clock from its start date (the start day never counts) and explain how the due date was reached."""
    length = spec.length if length is None else length
    if length is None:
        raise ValueError(f"The {spec.label} clock needs a length set by the council")
    if spec.unit == "working_days":
        explanation = calendar.explain_add_working_days(start, length)
        due_on, due_at = explanation.result, end_of_day(explanation.result)
    elif spec.unit == "calendar_days":
        explanation = calendar.explain_add_calendar_days(start, length)
        due_on, due_at = explanation.result, end_of_day(explanation.result)
    elif spec.unit == "months":
        due_on = add_months(start, length)
        explanation = Explanation(start=start, rule=f"{length} calendar months after {start:%-d %B %Y}",
                                  result=due_on, skipped=())
        due_at = end_of_day(due_on)
    elif spec.unit == "hours":
        begin = start_at or datetime.combine(start, time(9, 0), tzinfo=LONDON)
        # Aware arithmetic in one zone is wall-clock arithmetic: add the hours in UTC so that they are real hours.
        due_at = (begin.astimezone(UTC) + timedelta(hours=length)).astimezone(LONDON)
        due_on = due_at.date()
        explanation = Explanation(start=start, result=due_on, skipped=(),
                                  rule=f"{length} hours after {begin.astimezone(LONDON):%H:%M on %-d %B %Y}")
    else:
        raise ValueError(f"Unknown clock unit {spec.unit!r}")
    lines = [f"{spec.label} ({spec.rule}): " + explanation.rule]
    lines += [f"{s.date:%a %-d %b %Y}: {s.reason}, not counted" for s in explanation.skipped]
    if spec.unit == "hours":
        lines.append(HOURS_NOTE)
    lines.append(f"Due by the end of {due_on:%A %-d %B %Y}" if spec.unit != "hours"
                 else f"Due by {due_at.astimezone(LONDON):%H:%M on %A %-d %B %Y}")
    return ClockStart(kind=spec.kind, label=spec.label, rule=spec.rule, unit=spec.unit, length=length,
                      start_on=start, due_on=due_on, due_at=due_at, acts=spec.acts, pausable=spec.pausable,
                      on_breach=spec.on_breach, explanation=tuple(lines), contractual=spec.contractual)


def working_days_left(today: date, due_on: date, calendar: WorkingCalendar) -> int:
    """Working days from today until the due date (0 on the day; negative once overdue)."""
    return calendar.working_days_between(today, due_on)


__all__ = ["ClockSpec", "ClockStart", "SkippedDay", "add_months", "end_of_day", "start_clock",
           "working_days_left", "HOURS_NOTE", "UNITS", "UNIT_LABELS", "LONDON"]
