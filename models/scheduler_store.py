"""What the scheduler records about its own sweeps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from models import db
from models.entities import SchedulerTick


def record_tick(at: datetime, started_at: datetime, finished_at: datetime, due: int, fired: int, failed: int,
                lag_seconds: float) -> None:
    """Keep one tick's figures (one INSERT: no object for the session to track, a minute after minute)."""
    db.session.execute(insert(SchedulerTick).values(at=at, started_at=started_at, finished_at=finished_at, due=due,
                                                    fired=fired, failed=failed, lag_seconds=lag_seconds))


def last_tick() -> SchedulerTick | None:
    """The most recent tick, if the scheduler has ever run."""
    # Ticks are only ever appended: the newest has the highest id, found through the primary key at any size.
    return db.session.scalar(select(SchedulerTick).order_by(SchedulerTick.id.desc()).limit(1))


def scheduler_health(now: datetime) -> dict:
    """When the scheduler last ticked and how long ago, for /api/v1/health and the admin page."""
    tick = last_tick()
    if tick is None:
        return {"last_tick_at": None, "lag_seconds": None, "fired": 0, "failed": 0}
    return {
        "last_tick_at": tick.finished_at.isoformat(),
        "lag_seconds": round(max(0.0, (now - tick.finished_at).total_seconds()), 3),
        "fired": tick.fired,
        "failed": tick.failed,
    }
