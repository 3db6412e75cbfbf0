"""The current instant and business date for the web layer (the domain is always handed time as an argument)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    """This instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today_london() -> date:
    """Today's date in Europe/London, the date business deadlines count from."""
    return now_utc().astimezone(LONDON).date()
