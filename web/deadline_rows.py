"""Deadline rows as pages show them: the status a person should see now (a clock past due before the scheduler's
next sweep already reads Overdue; a paused one reads Paused) and the working days left on its own calendar."""

from __future__ import annotations

from datetime import datetime

from models.calendar_store import working_calendar
from models.deadline_store import is_paused
from web.clock import LONDON
from workflows.access import Viewer
from workflows.clock import working_days_left
from workflows.deadline import effective_status


def deadline_rows(viewer: Viewer, deadlines, now: datetime) -> list[dict]:
    """[{"deadline", "status", "left"}] for these deadline rows, in their order."""
    today = now.astimezone(LONDON).date()
    rows = []
    for deadline in deadlines:
        paused = deadline.status == "running" and deadline.pausable and is_paused(deadline)
        calendar = working_calendar(viewer.council_id, deadline.region)
        rows.append({"deadline": deadline, "status": effective_status(deadline.status, paused, deadline.due_at, now),
                     "left": working_days_left(today, deadline.due_on, calendar)})
    return rows
