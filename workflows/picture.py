"""One picture of a provider: everything that has happened to it on one timeline, and counts per quarter.

Quarters are calendar quarters (January to March, ...), the same for every contract, so providers on different
contracts compare; a contract's own reporting quarters belong to its monitoring returns, not to this picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# What the picture counts, in the order its table shows them.
KINDS = {
    "case": "Cases opened",
    "notice": "Notices served",
    "default_notice": "Default notices served",
    "suspension": "Suspensions started",
    "complaint": "Complaints",
    "safeguarding_concern": "Safeguarding concerns",
    "incident": "Incidents",
    "cqc_rating": "CQC ratings",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Happening:
    """One thing that happened to a provider, as the picture shows it."""

    on: date
    kind: str  # a key of KINDS
    title: str  # "Complaint CMP-00003 received"
    detail: str  # what the viewer may know of it
    target: tuple[str, int] | None = None  # (what it is, its id), for a link to its page


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter 1 to 4) of a date."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_label(quarter: tuple[int, int]) -> str:
    """"Oct to Dec 2026"."""
    year, q = quarter
    return f"{MONTHS[3 * q - 3]} to {MONTHS[3 * q - 1]} {year}"


def quarter_bounds(quarter: tuple[int, int]) -> tuple[date, date]:
    """The first and last day of a quarter."""
    year, q = quarter
    first = date(year, 3 * q - 2, 1)
    last = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def recent_quarters(today: date, count: int) -> list[tuple[int, int]]:
    """The quarter `today` is in and the count - 1 before it, newest first."""
    year, q = quarter_of(today)
    out = []
    for _ in range(count):
        out.append((year, q))
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out


def happening_order(kind: str) -> int:
    """Where a kind stands among the happenings of one day: the order of KINDS (a case before the notice served on
    it). The timeline is newest day first, then this order, then newest first within a kind."""
    return _ORDER[kind]


_ORDER = {kind: n for n, kind in enumerate(KINDS)}


def timeline_key(on: date, kind: str, instant: datetime | None, row_id: int) -> tuple:
    """Where a happening stands on a provider's timeline, as a key to sort by: newest day first (`on`, the London day
    it happened); on one day in the order of KINDS (happening_order); within a kind newest first, by the instant it
    happened for a kind dated by an instant, then by its row id."""
    return -on.toordinal(), happening_order(kind), -(instant.timestamp() if instant is not None else 0), -row_id
