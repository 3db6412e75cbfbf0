"""Extra non-working dates kept in the database, and the working calendar they make with the bank holidays."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from flask import g, has_app_context
from sqlalchemy import bindparam, select

from models import db
from models.audit_store import record_event
from models.council_store import kept_for_council, settings_changed
from models.entities import CalendarClosure, ClosureKind, Council, User
from workflows.calendar import REGIONS, WorkingCalendar, calendar_for
from workflows.errors import NotFound, ValidationProblem


@cache
def _closures_statement():
    # Built once: every page that counts working days reads the closures.
    return select(CalendarClosure).where(CalendarClosure.council_id == bindparam("council_id"),
                                         CalendarClosure.region == bindparam("region")).order_by(CalendarClosure.on)


def list_closures(council_id: int, region: str | None = None) -> list[CalendarClosure]:
    """A council's extra non-working dates, by date."""
    if region:
        return list(db.session.scalars(_closures_statement(), {"council_id": council_id, "region": region}))
    query = select(CalendarClosure).where(CalendarClosure.council_id == council_id)
    if region:
        query = query.where(CalendarClosure.region == region)
    return list(db.session.scalars(query.order_by(CalendarClosure.on)))


def working_calendar(council_id: int, region: str) -> WorkingCalendar:
    """The council's working calendar for a region: bank holidays plus its recorded closures.

    Read once a request and region however many deadlines a page counts, and kept by the worker from one request to
    the next until the council's settings change (models/council_store.py; issue 17: the case page, the deadlines
    page and every record's page read the closures on every view)."""
    if region not in REGIONS:
        raise ValidationProblem(f"Choose a region from {', '.join(REGIONS)}", "region")
    cache = g.setdefault("working_calendars", {}) if has_app_context() else {}
    key = (council_id, region)
    if key not in cache:
        cache[key] = kept_for_council(council_id, ("calendar", region), lambda: calendar_for(region, {
            row.on: f"{row.kind.label}: {row.reason}" for row in list_closures(council_id, region)}))
    return cache[key]


def add_closure(
    council: Council, actor: User, on: date, region: str, kind: ClosureKind, reason: str, now: datetime
) -> CalendarClosure:
    """Record an extra non-working date with its reason (audited)."""
    reason = reason.strip()
    if not reason:
        raise ValidationProblem("Enter the reason the day is not a working day", "reason")
    if region not in REGIONS:
        raise ValidationProblem("Select a region", "region")
    if on.weekday() >= 5:
        raise ValidationProblem("That date is a weekend, which is never a working day", "on")
    exists = db.session.scalar(select(CalendarClosure).where(
        CalendarClosure.council_id == council.id, CalendarClosure.region == region, CalendarClosure.on == on))
    if exists:
        raise ValidationProblem(f"{on:%-d %B %Y} is already recorded as a non-working day", "on")
    base = calendar_for(region)
    already = base.non_working_reason(on)
    if already:
        raise ValidationProblem(f"{on:%-d %B %Y} is already a non-working day ({already})", "on")
    row = CalendarClosure(council_id=council.id, region=region, on=on, kind=kind, reason=reason,
                          created_by_id=actor.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    _forget_calendars(council.id)
    record_event(council_id=council.id, actor=actor, entity_type="calendar", entity_id=row.id,
                 event_name="CLOSURE_ADDED", at=now, reason=reason,
                 data={"on": on.isoformat(), "region": region, "kind": kind.value})
    return row


def remove_closure(council: Council, actor: User, closure_id: int, now: datetime) -> None:
    """Remove an extra non-working date (audited)."""
    row = db.session.scalar(select(CalendarClosure).where(
        CalendarClosure.id == closure_id, CalendarClosure.council_id == council.id))
    if row is None:
        raise NotFound("There is no such closure day")
    record_event(council_id=council.id, actor=actor, entity_type="calendar", entity_id=row.id,
                 event_name="CLOSURE_REMOVED", at=now, reason=row.reason,
                 data={"on": row.on.isoformat(), "region": row.region, "kind": row.kind.value})
    db.session.delete(row)
    db.session.flush()
    _forget_calendars(council.id)


def _forget_calendars(council_id: int) -> None:
    """A closure day changed: every worker reads the closures afresh (the council's settings version moves)."""
    settings_changed(council_id)
    if has_app_context():
        g.pop("working_calendars", None)
