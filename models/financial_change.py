"""Significant adverse changes in a provider's financial position (TH-16): reported to the council within 7 working
days of the change."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import ContractRecord, db
from models.entities import Contract, Provider, _enum
from workflows.financial_change import FinancialChangeState


class FinancialChange(ContractRecord, db.Model):
    """A significant adverse change in a provider's financial position, under a contract (TH-16)."""

    __tablename__ = "financial_change"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_financial_change_council_id"),)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[FinancialChangeState] = mapped_column(_enum(FinancialChangeState),
                                                        default=FinancialChangeState.RECORDED)
    what_changed: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    reported_on: Mapped[date | None] = mapped_column(Date)

    provider: Mapped[Provider] = relationship()
    # The engine counts the record's clock on its contract's rulebook calendar (engine.contract_of).
    contract: Mapped[Contract | None] = relationship()
