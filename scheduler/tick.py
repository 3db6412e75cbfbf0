"""One scheduler sweep. This foundation version records the tick (for health checks); the deadline engine adds
the due-timer sweep."""

from __future__ import annotations

from datetime import UTC, datetime

from models import db
from models.scheduler_store import record_tick


def tick(now: datetime) -> dict:
    """Sweep as if at `now` and return the counts; running it twice for the same instant fires nothing new."""
    started = datetime.now(UTC)
    fired = failed = due = 0
    record_tick(at=now, started_at=started, finished_at=datetime.now(UTC), due=due, fired=fired, failed=failed,
                lag_seconds=0.0)
    db.session.commit()
    return {"fired": fired, "due": due, "failed": failed}
