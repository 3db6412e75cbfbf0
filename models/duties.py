"""Duties to notify and requests with a due date (issue 15): two record kinds on the engine, each under a contract
whose rulebook lists the duty or request type ([[duties]], [[requests]])."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import ContractRecord, db
from models.entities import Contract, Provider, _enum
from workflows.info_request import RequestState
from workflows.notification import NotificationState


class Notification(ContractRecord, db.Model):
    """Something the provider must tell the council (a rulebook duty), and when it did."""

    __tablename__ = "duty_notification"
    __table_args__ = (Index("ix_duty_notification_council_occurred_on", "council_id", "occurred_on", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_duty_notification_council_id"),)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[NotificationState] = mapped_column(_enum(NotificationState), default=NotificationState.AWAITED)
    duty: Mapped[str] = mapped_column(String(64))  # the rulebook's [[duties]] id
    rule: Mapped[str] = mapped_column(String(20))
    what_happened: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    notified_on: Mapped[date | None] = mapped_column(Date)
    how: Mapped[str | None] = mapped_column(String(500))
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()


class InfoRequest(ContractRecord, db.Model):
    """Something the council asks the provider for (a rulebook request type), with the date it must be answered by."""

    __tablename__ = "info_request"
    __table_args__ = (Index("ix_info_request_council_asked_on", "council_id", "asked_on", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_info_request_council_id"),)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[RequestState] = mapped_column(_enum(RequestState), default=RequestState.OPEN)
    request_type: Mapped[str] = mapped_column(String(64))  # the rulebook's [[requests]] id
    rule: Mapped[str] = mapped_column(String(20))
    what_asked: Mapped[str] = mapped_column(Text)
    asked_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[date | None] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()
