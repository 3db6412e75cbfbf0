"""A person's stay limit under a contract (issue 15, item 5: Thurrock TH-11 length of stay, TH-12 priority)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import TenantRecord, db
from models.entities import Contract, Provider, _enum
from models.people import Person
from workflows.stay_limit import StayState


class StayLimit(TenantRecord, db.Model):
    """One limit of one person: when it started, the date it runs out, and how it ended."""

    __tablename__ = "stay_limit"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_stay_limit_council_id"),)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[StayState] = mapped_column(_enum(StayState), default=StayState.RUNNING)
    limit: Mapped[str] = mapped_column(String(64))  # the rulebook's [[stay_limits]] id
    rule: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract] = relationship()
    person: Mapped[Person] = relationship()
