"""What the scheduler works from and leaves behind: timers, pauses, the outbox, in-app notifications, captured
mail, and contract monitoring meetings with their minutes (KT-16)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import TenantRecord, UTCDateTime, db, utcnow
from models.cases import Deadline
from models.entities import Contract, User, _enum
from workflows.minutes import MinutesState


class Timer(db.Model):
    """A reminder or breach the scheduler will fire once; `fire_key` makes re-planning an upsert."""

    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_status_due_at", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # reminder or breach
    threshold: Mapped[int] = mapped_column(Integer)  # working days before the due date
    due_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # pending, fired, cancelled, superseded, skipped
    fire_key: Mapped[str] = mapped_column(String(64), unique=True)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(200))  # why it was skipped or cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    deadline: Mapped[Deadline] = relationship()


class DeadlinePause(db.Model):
    """One stop of a pausable clock, with who paused and resumed it and why."""

    __tablename__ = "deadline_pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    paused_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resumed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):
    """A message to deliver, written in the same transaction as the event that caused it; `key` is unique."""

    __tablename__ = "outbox_message"
    # Claimed in (next_attempt_at, id) order along this index (models/outbox_store.claim_messages).
    __table_args__ = (Index("ix_outbox_message_status_next", "status", "next_attempt_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # email or in_app
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    to_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


class Notification(db.Model):
    """An in-app notification in a person's list (with an unread count)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CapturedMail(db.Model):
    """Mail that `make run` keeps instead of sending, shown on the "Sent mail" page."""

    __tablename__ = "captured_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(TenantRecord, db.Model):
    """A contract monitoring meeting and its minutes (KT-16: approved, withheld, or deemed approved)."""

    __tablename__ = "meeting"
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text)
    state: Mapped[MinutesState] = mapped_column(_enum(MinutesState))
    sent_on: Mapped[date | None] = mapped_column(Date)
    withheld_reason: Mapped[str | None] = mapped_column(Text)
    # Which of the contract's [[meetings]] cadences it was (issue 15, item 6); none for one recorded before them.
    cadence: Mapped[str | None] = mapped_column(String(64))

    contract: Mapped[Contract] = relationship()


class CalendarToken(db.Model):
    """The secret in a person's calendar feed address; revoking it stops the old address working."""

    __tablename__ = "calendar_token"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_calendar_token_token_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
