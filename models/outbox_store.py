"""The outbox: messages written with the event that caused them, delivered later, never twice for one key."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, tuple_

from models import db, fixed
from models.entities import User
from models.scheduling import CapturedMail, Notification, OutboxMessage
from workflows.messages import Message

MAX_ATTEMPTS = 5


def enqueue(council_id: int, key: str, user: User, message: Message, link: str, now: datetime) -> int:
    """Queue an email and an in-app notification for a person; keys already queued are left alone."""
    queued = 0
    for channel in ("email", "in_app"):
        full_key = f"{key}:{channel}:{user.id}"
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == full_key)) is not None:
            continue
        db.session.add(OutboxMessage(council_id=council_id, key=full_key, channel=channel, user_id=user.id,
                                     to_address=user.email if channel == "email" else None, subject=message.subject,
                                     body_text=message.text, body_html=message.html if channel == "email" else None,
                                     link=link, status="pending",
                                     attempts=0, next_attempt_at=now, created_at=now))
        queued += 1
    db.session.flush()
    return queued


def claim_messages(now: datetime, limit: int, after: tuple[datetime, int] | None = None) -> list[OutboxMessage]:
    """Messages whose next attempt is due, in the order they fell due (then by id), after a given (due, id) place
    if any, for one delivery worker, held until its transaction ends: on PostgreSQL locked with `FOR UPDATE SKIP
    LOCKED`, so a message another worker holds is passed over, neither waited for nor sent twice. SQLite has no row
    locks: there the caller takes its turn first (scheduler.lock.delivery_turn).

    Read along ix_outbox_message_status_next (status, next_attempt_at, id), which gives both the bound and the
    order: in id order, PostgreSQL's generic plan walked the primary key past every retry waiting out its backoff
    (36 ms an idle tick with 9,000 of them, for no message sent)."""
    return list(db.session.scalars(claim_query(now, limit, after)))


def claim_query(now: datetime, limit: int, after: tuple[datetime, int] | None = None):
    """The query claim_messages runs (tests check its plan)."""
    query = select(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
    if after is not None:
        query = query.where(tuple_(OutboxMessage.next_attempt_at, OutboxMessage.id) > tuple_(*after))
    query = query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def deliver_in_app(message: OutboxMessage, now: datetime) -> None:
    """Put a notification in the person's list (once per outbox row)."""
    exists = db.session.scalar(select(Notification.id).where(Notification.outbox_id == message.id))
    if exists is None:
        db.session.add(Notification(council_id=message.council_id, user_id=message.user_id, outbox_id=message.id,
                                    subject=message.subject, body=message.body_text, link=message.link,
                                    created_at=now))
    mark_sent(message, now)


def capture(message: OutboxMessage, now: datetime) -> None:
    """Keep an email on the "Sent mail" page instead of sending it (make run)."""
    exists = db.session.scalar(select(CapturedMail.id).where(CapturedMail.outbox_id == message.id))
    if exists is None:
        db.session.add(CapturedMail(council_id=message.council_id, outbox_id=message.id,
                                    to_address=message.to_address or "", subject=message.subject,
                                    body_text=message.body_text, body_html=message.body_html, captured_at=now))
    mark_sent(message, now)


def mark_sent(message: OutboxMessage, now: datetime) -> None:
    """Record a delivery."""
    message.status, message.sent_at, message.last_error = "sent", now, None
    message.attempts += 1


def mark_failed(message: OutboxMessage, error: str, now: datetime) -> None:
    """Record a failed attempt: retry with backoff (1, 2, 4, 8 minutes), then the dead-letter list after 5."""
    message.attempts += 1
    message.last_error = error[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = "dead"
    else:
        message.next_attempt_at = now + timedelta(minutes=2 ** (message.attempts - 1))


def dead_letters(council_id: int) -> list[OutboxMessage]:
    """Messages that could not be delivered after 5 attempts."""
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.council_id == council_id, OutboxMessage.status == "dead").order_by(OutboxMessage.id.desc())))


def retry(council_id: int, message_id: int, now: datetime) -> OutboxMessage:
    """Put a dead letter back in the queue for another 5 attempts."""
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id,
                                                            OutboxMessage.council_id == council_id))
    if message is None or message.status != "dead":
        from workflows.errors import NotFound

        raise NotFound("There is no such undelivered message")
    message.status, message.attempts, message.next_attempt_at = "pending", 0, now
    return message


def counts(council_id: int | None = None) -> dict:
    """How many messages are pending, sent and dead."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if council_id is not None:
        query = query.where(OutboxMessage.council_id == council_id)
    return {status: n for status, n in db.session.execute(query)}


def notifications_for(user: User, limit: int = 50) -> list[Notification]:
    """A person's notifications, newest first."""
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc()).limit(fixed(limit))))


def unread_count(user: User) -> int:
    """How many of a person's notifications are unread."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_all_read(user: User, now: datetime) -> int:
    """Mark a person's notifications as read."""
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.read_at.is_(None)))
    count = 0
    for row in rows:
        row.read_at = now
        count += 1
    return count


def captured_mail(council_id: int, limit: int = 100) -> list[CapturedMail]:
    """Mail kept instead of sent, newest first."""
    return list(db.session.scalars(select(CapturedMail).where(CapturedMail.council_id == council_id)
                                   .order_by(CapturedMail.id.desc()).limit(limit)))
