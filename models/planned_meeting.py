"""The next meeting of each of a contract's meeting cadences (issue 15, item 6: CE-10, HF-38, KT-13, CW-13)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import TenantRecord, db
from models.entities import Contract, Provider, _enum
from workflows.planned_meeting import PlannedMeetingState


class PlannedMeeting(TenantRecord, db.Model):
    """When the next meeting of one cadence is due, and the meeting that was held for it."""

    __tablename__ = "planned_meeting"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_planned_meeting_council_id"),)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[PlannedMeetingState] = mapped_column(_enum(PlannedMeetingState),
                                                       default=PlannedMeetingState.PLANNED)
    cadence: Mapped[str] = mapped_column(String(64))  # the rulebook's [[meetings]] id
    rule: Mapped[str] = mapped_column(String(20))
    what: Mapped[str] = mapped_column(String(300))
    counted_from: Mapped[date] = mapped_column(Date)  # the last meeting held, or the day monitoring began
    due_on: Mapped[date] = mapped_column(Date)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    held_on: Mapped[date | None] = mapped_column(Date)

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract] = relationship()
