"""The audit trail: append-only events written in the same transaction as the change they record."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, event, select
from sqlalchemy.orm import Session

from models import db, utcnow
from models.entities import AuditEvent, User


def record_event(
    *,
    council_id: int,
    actor: User | None,
    entity_type: str,
    entity_id: int,
    event_name: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict | None = None,
    at: datetime | None = None,
    case_id: int | None = None,
) -> AuditEvent:
    """Append one audit event (flushed, not committed: it lands with the change it describes)."""
    row = AuditEvent(
        council_id=council_id,
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        actor_label=f"{actor.name} ({actor.role.label})" if actor else "Remedy (automatic)",
        entity_type=entity_type,
        entity_id=entity_id,
        case_id=case_id,
        event=event_name,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )
    db.session.add(row)
    db.session.flush()
    return row


class ShownEvent(NamedTuple):
    """An audit event as a timeline shows it (templates/components/timeline.html): not its `data`, a JSON document
    parsed for every row, which only the API and the letters read. Read as plain columns, thirty a case page, where
    whole events cost four times as much on PostgreSQL (1.8 ms against 0.4)."""

    id: int
    at: datetime
    actor_label: str
    entity_type: str
    event: str
    from_state: str | None
    to_state: str | None
    reason: str | None


def _selected(shown: bool) -> tuple:
    """What a statement of events reads: a ShownEvent's columns, or whole AuditEvents."""
    return tuple(getattr(AuditEvent, name) for name in ShownEvent._fields) if shown else (AuditEvent,)


def events_for(council_id: int, entity_type: str, entity_id: int, shown: bool = False) -> list:
    """The audit trail of one record, oldest first; with `shown`, as ShownEvents (what a page shows), not whole
    AuditEvents."""
    params = {"council_id": council_id, "entity_type": entity_type, "entity_id": entity_id}
    return _events(_record_events_statement(shown), params, shown)


def _events(statement, params: dict, shown: bool) -> list:
    """A statement's events, as ShownEvents or whole (_selected)."""
    if shown:
        return [ShownEvent._make(row) for row in db.session.execute(statement, params)]
    return list(db.session.scalars(statement, params))


@cache
def _record_events_statement(shown: bool):
    # Built once for each shape: every record's page shows its trail.
    return (select(*_selected(shown)).where(AuditEvent.council_id == bindparam("council_id"),
                                            AuditEvent.entity_type == bindparam("entity_type"),
                                            AuditEvent.entity_id == bindparam("entity_id")).order_by(AuditEvent.id))


def events_of(council_id: int, entity_type: str, entity_ids: list[int]) -> dict[int, list[AuditEvent]]:
    """The audit trails of many records of one kind in one statement (a page of an API list), each oldest first, by
    record id; a record with none maps to []. Ordered by record then id, the order of the (council_id, entity_type,
    entity_id, id) index: ordered by id alone, SQLite read the council's every event along its id order instead
    (issue 17: the API complaints list, 860 ms at 1,000,000 events)."""
    found: dict[int, list[AuditEvent]] = {entity_id: [] for entity_id in entity_ids}
    if entity_ids:
        for row in db.session.scalars(_events_of_statement(), {"council_id": council_id, "entity_type": entity_type,
                                                               "ids": list(entity_ids)}):
            found[row.entity_id].append(row)
    return found


@cache
def _events_of_statement():
    # Built once (the ids an expanding parameter): every page of an API list reads its records' trails.
    return (select(AuditEvent).where(AuditEvent.council_id == bindparam("council_id"),
                                     AuditEvent.entity_type == bindparam("entity_type"),
                                     AuditEvent.entity_id.in_(bindparam("ids", expanding=True)))
            .order_by(AuditEvent.entity_id, AuditEvent.id))


@cache
def _case_events_statement(shown: bool, newest: bool):
    # Built once for each shape: building a statement costs more than running it, and every case page shows its
    # timeline (the newest, read newest first along the index, then turned round).
    query = select(*_selected(shown)).where(AuditEvent.council_id == bindparam("council_id"),
                                            AuditEvent.case_id == bindparam("case_id"))
    if not newest:
        return query.order_by(AuditEvent.id)
    return query.order_by(AuditEvent.id.desc()).limit(bindparam("newest", type_=Integer, literal_execute=True))


def events_for_case(council_id: int, case_id: int, newest: int | None = None, shown: bool = False) -> list:
    """Every event on a case and the records attached to it, oldest first (the case timeline); with `newest`, only
    that many of the latest; with `shown`, as ShownEvents (what a page shows), not whole AuditEvents."""
    params = {"council_id": council_id, "case_id": case_id}
    statement = _case_events_statement(shown, newest is not None)
    if newest is not None:
        params["newest"] = newest
    rows = _events(statement, params, shown)
    return rows[::-1] if newest is not None else rows


def scrub_events(council_id: int, entities: list[tuple[str, int]], keys: tuple[str, ...], words: dict[str, str]
                 ) -> int:
    """UK GDPR erasure (issue 15), the one change the trail allows: in the events of these records, the free-text
    members named by `keys` become "[erased]" and every word of `words` (a person's reference) is replaced by its
    tombstone, in the data and the reason. Who did what, when and to which record stays. Returns the events changed."""
    table = AuditEvent.__table__
    changed = 0
    for entity_type, entity_id in entities:
        rows = db.session.execute(select(table.c.id, table.c.data, table.c.reason).where(
            table.c.council_id == council_id, table.c.entity_type == entity_type,
            table.c.entity_id == entity_id)).all()
        for row in rows:
            data, reason = _scrub(row.data or {}, keys, words), _scrub(row.reason, (), words)
            if (data, reason) != (row.data or {}, row.reason):
                # A Core update on purpose: the ORM guard below refuses every other change to an event.
                db.session.execute(table.update().where(table.c.id == row.id).values(data=data, reason=reason))
                changed += 1
    for loaded in [o for o in db.session.identity_map.values() if isinstance(o, AuditEvent)]:
        db.session.expire(loaded)  # an event already loaded shows the scrubbed text, not what it held
    return changed


def _scrub(value, keys: tuple[str, ...], words: dict[str, str]):
    if isinstance(value, dict):
        return {k: ("[erased]" if k in keys and v not in (None, "") else _scrub(v, keys, words))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, keys, words) for v in value]
    if isinstance(value, str):
        for word, tombstone in words.items():
            value = value.replace(word, tombstone)
    return value


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    # The trail must stand up in a contract dispute: nothing may edit or delete an event once written.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("Audit events are append-only and cannot be changed or deleted")
