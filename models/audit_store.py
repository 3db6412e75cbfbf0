"""The audit trail: append-only events written in the same transaction as the change they record."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, event, select
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


def events_for(council_id: int, entity_type: str, entity_id: int) -> list[AuditEvent]:
    """The audit trail of one record, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.council_id == council_id, AuditEvent.entity_type == entity_type,
                   AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )


@cache
def _case_events_statement():
    # Built once: building a statement costs more than running it, and every case page shows its timeline.
    return (select(AuditEvent).where(AuditEvent.council_id == bindparam("council_id"),
                                     AuditEvent.case_id == bindparam("case_id")).order_by(AuditEvent.id))


def events_for_case(council_id: int, case_id: int) -> list[AuditEvent]:
    """Every event on a case and the records attached to it, oldest first (the case timeline)."""
    return list(db.session.scalars(_case_events_statement(), {"council_id": council_id, "case_id": case_id}))


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    # The trail must stand up in a contract dispute: nothing may edit or delete an event once written.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("Audit events are append-only and cannot be changed or deleted")
