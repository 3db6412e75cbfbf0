"""Days in SQL, the same on SQLite and PostgreSQL: an instant's London date, and the days between two dates.

PostgreSQL converts with its own zone data. SQLite stores instants as UTC text (models.UTCDateTime) and knows no
zones, so an instant's London date is its UTC date, an hour later inside British Summer Time
(workflows.clock.summer_time_spans, for the years the caller names)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, and_, case, cast, func

from models import dialect_name
from workflows.clock import summer_time_spans


def _postgresql() -> bool:
    return dialect_name() == "postgresql"


def london_day(instant, first: date, last: date):
    """The London date of an instant column, for instants between the dates first and last."""
    if _postgresql():
        return cast(func.timezone("Europe/London", instant), Date)
    spans = summer_time_spans(first.year, last.year)
    return case(*((and_(instant >= start, instant < end), func.date(instant, "+1 hour")) for start, end in spans),
                else_=func.date(instant))


def days_between(earlier, later):
    """later - earlier in whole days, for two date expressions."""
    if _postgresql():
        return later - earlier
    return func.julianday(later) - func.julianday(earlier)
