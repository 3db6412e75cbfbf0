"""Deadline rows as pages show them: the status a person should see now (a clock past due before the scheduler's
next sweep already reads Overdue; a paused one reads Paused), the working days left on its own calendar, and the
record it belongs to with a link to that record's page (from the registry)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import g

from models.audit_store import events_for
from models.calendar_store import working_calendar
from models.case_queries import deadlines_for
from models.cases import Deadline
from models.deadline_store import ListedDeadline, paused_ids, subjects_of
from models.engine import allowed_triggers
from web.clock import LONDON, now_utc, today_london
from workflows.access import Viewer
from workflows.calendar import WorkingCalendar
from workflows.clock import working_days_left
from workflows.deadline import effective_status


class DeadlineRow(NamedTuple):
    """A deadline as a page shows it (a tuple, not a dict: a template reads each field as an attribute, which a dict
    answers only after an AttributeError, forty rows a page)."""

    deadline: Deadline | ListedDeadline  # a list's deadlines are plain rows (models/deadline_store.ListedDeadline)
    status: str  # what a person should see now (effective_status)
    left: int  # working days from today to its due date, on its own calendar
    subject: str  # the record it belongs to, in words
    link: str  # that record's page


def deadline_rows(viewer: Viewer, deadlines, now: datetime) -> list[DeadlineRow]:
    """These deadlines as pages show them, in their order (a fixed number of queries however many there are)."""
    deadlines = list(deadlines)
    today = now.astimezone(LONDON).date()
    paused, subjects = paused_ids(deadlines), subjects_of(deadlines)
    calendars: dict[str, WorkingCalendar] = {}  # each region's, asked for once
    rows = []
    for deadline in deadlines:
        calendar = calendars.get(deadline.region)
        if calendar is None:
            calendar = calendars[deadline.region] = working_calendar(viewer.council_id, deadline.region)
        subject, link = subjects[deadline.id]
        status = effective_status(deadline.status, deadline.id in paused, deadline.due_at, now)
        rows.append(DeadlineRow(deadline, status, working_days_left(today, deadline.due_on, calendar), subject, link))
    return rows


def record_facts(kind: str, record) -> dict:
    """What every record's own page shows beside the record, for any kind in the registry: its deadlines (each with
    how it was counted), the steps this person may take now (trigger, label), and its audit trail."""
    now = now_utc()
    return {"deadlines": deadline_rows(g.viewer, deadlines_for(g.viewer.council_id, entity=(kind, record.id)), now),
            "steps": allowed_triggers(g.viewer, kind, record, now, today_london()),
            "events": events_for(g.viewer.council_id, kind, record.id, shown=True)}
