"""A resident's annual soft-outcome check (issue 15, item 5: Thurrock TH-S01 to TH-S09, TH-21)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import TenantRecord, db
from models.entities import Contract, Provider, _enum
from models.people import Person
from workflows.soft_outcome import CheckState


class SoftOutcomeCheck(TenantRecord, db.Model):
    """One resident's check: when it is due, when it was done, and one rating per soft outcome."""

    __tablename__ = "soft_outcome_check"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_soft_outcome_check_council_id"),)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[CheckState] = mapped_column(_enum(CheckState), default=CheckState.DUE)
    rule: Mapped[str] = mapped_column(String(20))
    counted_from: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    checked_on: Mapped[date | None] = mapped_column(Date)
    ratings: Mapped[dict | None] = mapped_column(JSON)  # {"TH-S01": "evidenced", ...}
    notes: Mapped[str | None] = mapped_column(Text)  # free text: "no names", blanked on erasure

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract] = relationship()
    person: Mapped[Person] = relationship()
