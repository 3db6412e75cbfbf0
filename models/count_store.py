"""Counts that cost the same at any size (issue 17): exact up to a cap, and above it an honest "about" from a full
count made at most a few minutes ago in this process.

Counting 50,000 open cases to print "50,000" costs a scan of them on every page view, which was most of the
dashboard's and the case list's time at 100,000 cases. A person acting on a number that large does not need it to
the unit: the page says "about 49,000" and the full count is made once per CACHE_SECONDS per worker."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from sqlalchemy import func, literal, select

from models import db, fixed
from models.kept import held, kept_in

CAP = 1000  # counted exactly up to here
CACHE_SECONDS = 300.0  # how old an "about" count may be
_counted: dict[Hashable, tuple[float, object]] = {}


class Count(int):
    """A number of rows to show: exact, or (when `exact` is False) about this many, counted at most CACHE_SECONDS
    ago. It is an int, so it compares and adds as one; it prints as "about 49,000" when it is not exact."""

    exact: bool

    def __new__(cls, value: int, exact: bool = True) -> Count:
        count = super().__new__(cls, value)
        count.exact = exact
        return count

    def __str__(self) -> str:
        if self.exact:
            return str(int(self))
        return f"about {rounded(int(self)):,}"

    __html__ = __str__


def rounded(n: int) -> int:
    """Two significant figures: 49,346 -> 49,000; 1,284 -> 1,300."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return int(round(n / step) * step)


def cap() -> int:
    """Counted exactly up to here (read when used, so a test can lower it)."""
    return CAP


def capped(query):
    """A statement counting the rows of `query`, but never more than cap() + 1 of them (stops reading there)."""
    return select(func.count()).select_from(query.with_only_columns(literal(1)).order_by(None).limit(fixed(cap() + 1))
                                            .subquery())


def cached(key: Hashable, compute: Callable[[], object]) -> object:
    """`compute()` (a full count, or counts) from this process's cache if made within CACHE_SECONDS, else made now
    and kept."""
    return kept_in(_counted, key, compute, CACHE_SECONDS)


def fresh(key: Hashable) -> object | None:
    """What `cached` holds for `key` if it was made within CACHE_SECONDS, else None."""
    return held(_counted, key, CACHE_SECONDS)


def known_about(key: Hashable) -> Count | None:
    """An "about" count still fresh for something found over the cap: the exact count up to the cap is not read again
    until the cached full count is CACHE_SECONDS old (a list of 49,000 does not fall under 1,000 unseen for long,
    and if it does the page says "about 1,000" for at most that long)."""
    full = fresh(key)
    return Count(max(int(full), cap() + 1), exact=False) if isinstance(full, int) and full > cap() else None


def about(key: Hashable, count_all: Callable[[], int]) -> Count:
    """The full count of something known to be over the cap, cached (see `cached`); never below cap() + 1."""
    return Count(max(int(cached(key, count_all)), cap() + 1), exact=False)  # type: ignore[call-overload]


def bounded_count(key: Hashable, query, params: dict | None = None, counted: int | None = None) -> Count:
    """How many rows `query` has (given its bind parameters, if any): exact up to the cap (one statement that reads at
    most cap + 1 rows, unless the caller has read `counted`, that capped count, with rows of its own), about how many
    above it (see `about`)."""
    known = known_about(key)
    if known is not None:
        return known
    n = counted if counted is not None else db.session.scalar(capped(query), params) or 0
    if n <= cap():
        return Count(n)
    return about(key, lambda: db.session.scalar(
        select(func.count()).select_from(query.with_only_columns(literal(1)).order_by(None).subquery()), params) or 0)


def forget_counts() -> None:
    """Drop every cached count (tests)."""
    _counted.clear()
