"""The working-day calendar: which days count, and how a deadline was counted.

A working day is a weekday that is not a bank holiday in the contract's region and not a closure day the council
has recorded (rules.md ambiguity A1: none of the seeds defines "working day", so each council gets a configurable
calendar, by default Monday to Friday less England and Wales bank holidays; KT-16's "Business Days" and KT-19's
"working days" share it, A21). Counting follows the clocks in the seeds ("within 10 working days of receiving its
formal warning", KT-19; "10 Working Days from the date of the Service being suspended", CE-34): the day of the
trigger never counts and day 1 is the next working day. Every answer can explain itself: the start, the rule, and
each skipped day with its reason.

Pure Python: bank holidays come from the `holidays` package (offline, no year limit); extra dates come from the
database as a plain mapping. Nothing here reads the clock.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays

REGIONS = ("england-and-wales", "scotland", "northern-ireland")
REGION_LABELS = {"england-and-wales": "England and Wales", "scotland": "Scotland",
                 "northern-ireland": "Northern Ireland"}
_SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}
# Days some regimes always exclude, bank holiday or not (Children Act representations, SI 2006/1738 reg 2).
EXCLUSIONS = ("Good Friday", "Christmas Day", "Boxing Day")
_WEEKEND_REASONS = ("Saturday", "Sunday")
# `holidays` knows UK bank holidays only from 1872 to its end_year (2100 in 0.109) and silently returns none after
# it, which would make every weekday a working day: refuse dates beyond it instead.
FIRST_YEAR = 1900
LAST_YEAR = min(2200, getattr(holidays.UK, "end_year", 2100))
# How far beyond the asked-for year a table is built, so neighbouring questions need no rebuild.
_MARGIN_YEARS = 10


@dataclass(frozen=True)
class SkippedDay:
    """A date that did not count towards a deadline, and why."""

    date: date
    reason: str


@dataclass(frozen=True)
class Explanation:
    """How a deadline was counted: the start, the rule applied, the due date and every day skipped on the way."""

    start: date
    rule: str
    result: date
    skipped: tuple[SkippedDay, ...]

    def lines(self) -> list[str]:
        """The explanation as short sentences: the rule, each skipped day and why, then the due date."""
        out = [self.rule]
        for skipped in self.skipped:
            reason = "weekend" if skipped.reason in _WEEKEND_REASONS else skipped.reason
            out.append(f"{skipped.date:%a} {skipped.date.day} {skipped.date:%b %Y}: {reason}")
        out.append(f"Due on {_long(self.result)}")
        return out

    def as_dict(self) -> dict:
        """The explanation as JSON-ready values for the API and the audit trail."""
        return {
            "start": self.start.isoformat(),
            "rule": self.rule,
            "due_on": self.result.isoformat(),
            "skipped": [{"date": s.date.isoformat(), "reason": s.reason} for s in self.skipped],
        }


def _long(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def _plain(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _days(n: int, unit: str) -> str:
    return f"{n} {unit} day" if n == 1 else f"{n} {unit} days"


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Western (Gregorian) church calendar, from which Good Friday follows."""
    # Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _exclusion_date(name: str, year: int) -> date:
    if name == "Good Friday":
        return easter_sunday(year) - timedelta(days=2)
    if name == "Christmas Day":
        return date(year, 12, 25)
    return date(year, 12, 26)


def _holiday_name(raw: str) -> str:
    # `holidays` names a weekend holiday's replacement weekday "... (observed)"; GOV.UK says "substitute day".
    clean = []
    for name in raw.split(";"):
        name = name.strip()
        if name.endswith("(observed)"):
            name = name[: -len("(observed)")].rstrip() + " (substitute day)"
        clean.append(name)
    return "; ".join(dict.fromkeys(clean))


@dataclass(frozen=True)
class _Table:
    # Built once and never changed: a reader that took a reference sees a consistent whole.
    first_year: int
    last_year: int
    low: int  # ordinal of 1 January first_year
    high: int  # ordinal of 31 December last_year
    working: list[int]  # sorted ordinals of every working day from low to high
    reasons: dict[int, str]  # ordinal -> reason, weekday non-working days only


_EMPTY = _Table(0, -1, 1, 0, [], {})


class WorkingCalendar:
    """A region's working days: weekdays less its bank holidays, the council's closure days and regime exclusions."""

    def __init__(self, region: str = "england-and-wales", closures: Mapping[date, str] | None = None,
                 exclusions: Iterable[str] = ()):
        if region not in REGIONS:
            raise ValueError(f"Unknown region {region!r}: choose one of {', '.join(REGIONS)}")
        exclusions = tuple(dict.fromkeys(exclusions))
        for name in exclusions:
            if name not in EXCLUSIONS:
                raise ValueError(f"Unknown exclusion {name!r}: choose from {', '.join(EXCLUSIONS)}")
        self.region = region
        self.closures = MappingProxyType(dict(closures or {}))
        self.exclusions = exclusions
        self._lock = threading.Lock()
        self._table = _EMPTY

    def __repr__(self) -> str:
        return (f"WorkingCalendar({self.region!r}, closures={len(self.closures)} dates, "
                f"exclusions={self.exclusions!r})")

    # -- building the tables, a span of years at a time ------------------------------------------------------

    def _non_working_weekdays(self, first: int, last: int) -> dict[int, str]:
        found: dict[int, str] = {}
        bank = holidays.UK(subdiv=_SUBDIVISIONS[self.region], years=range(first, last + 1))
        # The package lists a weekend holiday on its weekend date too; only weekdays can be skipped for it.
        for day, raw in bank.items():
            if day.weekday() < 5:
                found[day.toordinal()] = _holiday_name(raw)
        for year in range(first, last + 1):
            for name in self.exclusions:
                day = _exclusion_date(name, year)
                if day.weekday() < 5:
                    found.setdefault(day.toordinal(), name)
        for day, reason in self.closures.items():
            if first <= day.year <= last and day.weekday() < 5:
                found.setdefault(day.toordinal(), reason)
        return found

    def _table_for(self, year: int) -> _Table:
        """The current table, widened first if it does not yet cover the year."""
        table = self._table
        if table.first_year <= year <= table.last_year:
            return table
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"Working days can only be counted between {FIRST_YEAR} and {LAST_YEAR}")
        with self._lock:
            table = self._table
            if table.first_year <= year <= table.last_year:
                return table
            if table is _EMPTY:
                first, last = min(year, 2000) - 2, max(year, 2035) + 2
            else:
                first = min(table.first_year, year - _MARGIN_YEARS)
                last = max(table.last_year, year + _MARGIN_YEARS)
            first, last = max(first, FIRST_YEAR), min(last, LAST_YEAR)
            # Only the years not yet known are looked up; the new span always contains the old one.
            reasons = dict(table.reasons)
            for span_first, span_last in ((first, min(last, table.first_year - 1)),
                                          (max(first, table.last_year + 1), last)):
                if span_first <= span_last:
                    reasons.update(self._non_working_weekdays(span_first, span_last))
            low, high = date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()
            # Ordinal 1 (1 January of year 1) was a Monday, so (ordinal - 1) % 7 is the weekday.
            working = [o for o in range(low, high + 1) if (o - 1) % 7 < 5 and o not in reasons]
            table = _Table(first, last, low, high, working, reasons)
            self._table = table
            return table

    # -- questions ------------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Whether people work on this date: a weekday that is not a bank holiday, exclusion or closure day (A1)."""
        if d.weekday() >= 5:
            return False
        return d.toordinal() not in self._table_for(d.year).reasons

    def non_working_reason(self, d: date) -> str | None:
        """Why a date is not a working day ("Saturday", "Christmas Day", a closure's reason), or None if it is one."""
        weekday = d.weekday()
        if weekday >= 5:
            return _WEEKEND_REASONS[weekday - 5]
        return self._table_for(d.year).reasons.get(d.toordinal())

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start, as in "within 10 working days" (KT-19, CE-34): start never counts.

        n < 0 counts back from start (reminders "n working days before"); n == 0 gives start if it is a working day,
        else the next working day.
        """
        table = self._table
        ordinal = start.toordinal()
        if table.low <= ordinal <= table.high:
            working = table.working
            if n > 0:
                index = bisect_right(working, ordinal) + n - 1
            elif n < 0:
                index = bisect_left(working, ordinal) + n
            else:
                index = bisect_left(working, ordinal)
            if 0 <= index < len(working):
                return date.fromordinal(working[index])
        return self._add_working_days_widening(start, n)

    def _add_working_days_widening(self, start: date, n: int) -> date:
        year = start.year
        while True:
            table = self._table_for(year)
            ordinal, working = start.toordinal(), table.working
            if n > 0:
                index = bisect_right(working, ordinal) + n - 1
            elif n < 0:
                index = bisect_left(working, ordinal) + n
            else:
                index = bisect_left(working, ordinal)
            if 0 <= index < len(working):
                return date.fromordinal(working[index])
            # The answer lies beyond the built span: widen it and look again.
            year = table.last_year + 1 if index >= 0 else table.first_year - 1

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days fall after a, up to and including b (negative when b is before a, 0 when equal)."""
        if b < a:
            return -self.working_days_between(b, a)
        self._table_for(a.year)
        working = self._table_for(b.year).working
        return bisect_right(working, b.toordinal()) - bisect_right(working, a.toordinal())

    def add_calendar_days(self, start: date, n: int) -> date:
        """The date n calendar days after start (before, if n < 0); calendar-day clocks never roll off holidays."""
        return start + timedelta(days=n)

    def _describe(self) -> str:
        label = REGION_LABELS[self.region]
        if self.exclusions:
            names = self.exclusions
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            label += f"; {listed} {'is' if len(names) == 1 else 'are'} never a working day"
        return label

    def explain_add_working_days(self, start: date, n: int) -> Explanation:
        """The same answer as add_working_days, with the rule and every non-working day skipped between."""
        result = self.add_working_days(start, n)
        where = self._describe()
        if n > 0:
            rule = (f"{_days(n, 'working')} after {_plain(start)} ({where}); {_plain(start)} itself does not count, "
                    "day 1 is the next working day")
            low, high = start + timedelta(days=1), result
        elif n < 0:
            rule = (f"{_days(-n, 'working')} before {_plain(start)} ({where}), counted backwards; "
                    f"{_plain(start)} itself does not count")
            low, high = result, start - timedelta(days=1)
        else:
            rule = f"{_plain(start)}, or the next working day if it is not one ({where})"
            low, high = start, result
        skipped = []
        day, one = low, timedelta(days=1)
        while day <= high:
            reason = self.non_working_reason(day)
            if reason:
                skipped.append(SkippedDay(day, reason))
            day += one
        return Explanation(start=start, rule=rule, result=result, skipped=tuple(skipped))

    def explain_add_calendar_days(self, start: date, n: int) -> Explanation:
        """The same answer as add_calendar_days, saying so when it falls on a non-working day (it still stands)."""
        result = self.add_calendar_days(start, n)
        direction = "after" if n >= 0 else "before"
        rule = f"{_days(abs(n), 'calendar')} {direction} {_plain(start)}; every day counts"
        reason = self.non_working_reason(result)
        if reason:
            rule += (f". {_long(result)} is not a working day ({reason}), but a calendar-day deadline "
                     "does not move")
        return Explanation(start=start, rule=rule, result=result, skipped=())

    def holidays_in(self, year: int) -> dict[date, str]:
        """The weekdays of a year that are not working days (bank holidays, exclusions, closures), with their names."""
        table = self._table_for(year)
        low, high = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        return {date.fromordinal(o): table.reasons[o] for o in sorted(table.reasons) if low <= o <= high}


@lru_cache(maxsize=256)
def _cached(region: str, closures: frozenset[tuple[date, str]], exclusions: tuple[str, ...]) -> WorkingCalendar:
    return WorkingCalendar(region, dict(closures), exclusions)


def calendar_for(region: str, closures: Mapping[date, str] | None = None,
                 exclusions: Iterable[str] = ()) -> WorkingCalendar:
    """A shared calendar for a region, its closure days and any regime exclusions, built once and reused."""
    return _cached(region, frozenset((closures or {}).items()), tuple(exclusions))


def is_working_day(d: date, region: str = "england-and-wales") -> bool:
    """Whether d is a working day in the region, counting bank holidays only (A1 default)."""
    return calendar_for(region).is_working_day(d)


def add_working_days(start: date, n: int, region: str = "england-and-wales") -> date:
    """The n-th working day after start in the region, counting bank holidays only (KT-19, CE-34)."""
    return calendar_for(region).add_working_days(start, n)


def working_days_between(a: date, b: date, region: str = "england-and-wales") -> int:
    """Working days after a up to and including b in the region, counting bank holidays only."""
    return calendar_for(region).working_days_between(a, b)


def add_calendar_days(start: date, n: int) -> date:
    """The date n calendar days after start; weekends and holidays make no difference."""
    return start + timedelta(days=n)
