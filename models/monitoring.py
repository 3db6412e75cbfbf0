"""Monitoring returns, their submissions (every version kept), KPI period results, breaches the engine found, and
the events and ratings rolling-window and rating rules count (rules.md 2.3)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import UTCDateTime, db, utcnow
from models.entities import Contract, _enum
from workflows.breach_record import BreachState
from workflows.returns import ReturnState


class MonitoringReturn(db.Model):
    """One period of one return a contract requires, with its due date and where it stands."""

    __tablename__ = "monitoring_return"
    __table_args__ = (
        Index("ix_monitoring_return_council_period_start", "council_id", "period_start", "id", "state"),
        UniqueConstraint("contract_id", "return_id", "period_start", name="uq_monitoring_return_period"),
        Index("ix_monitoring_return_council_due", "council_id", "due_on"),
        Index("ix_monitoring_return_provider_id", "provider_id", "id"),  # the list sorted by provider (0025)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    return_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(60))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date | None] = mapped_column(Date)
    due_explanation: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[ReturnState] = mapped_column(_enum(ReturnState))
    submitted_on: Mapped[date | None] = mapped_column(Date)  # the first submission (timeliness, CE-K14)
    late: Mapped[bool | None] = mapped_column(Boolean)  # None: not submitted, or no due date (A4)
    queries: Mapped[int] = mapped_column(Integer, default=0)  # how often the council queried it (CE-K15)
    query_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    contract: Mapped[Contract] = relationship()


class ReturnSubmission(db.Model):
    """One set of figures for a return: a correction adds a new number and supersedes the last (history kept)."""

    __tablename__ = "return_submission"
    __table_args__ = (UniqueConstraint("return_row_id", "number", name="uq_return_submission_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    return_row_id: Mapped[int] = mapped_column(ForeignKey("monitoring_return.id"))
    number: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict] = mapped_column(JSON)  # KPI id -> [numerator, denominator]
    fields: Mapped[dict | None] = mapped_column(JSON)  # the return's structured items (TH-22): field id -> value
    source: Mapped[str] = mapped_column(String(10))  # form, csv, xlsx, api
    submitted_on: Mapped[date] = mapped_column(Date)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current: Mapped[bool] = mapped_column(Boolean, default=True)


class KpiResult(db.Model):
    """A KPI's result for a period, from the accepted figures: value, target and RAG."""

    __tablename__ = "kpi_result"
    __table_args__ = (
        UniqueConstraint("contract_id", "kpi_id", "period_start", name="uq_kpi_result_period"),
        Index("ix_kpi_result_council_provider", "council_id", "provider_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    return_row_id: Mapped[int] = mapped_column(ForeignKey("monitoring_return.id"), index=True)
    kpi_id: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(120))
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)
    target: Mapped[str] = mapped_column(String(200))
    rag: Mapped[str | None] = mapped_column(String(10))


class BreachRecord(db.Model):
    """A breach the engine found: the proposal a person confirms or dismisses; `key` makes evaluation idempotent."""

    __tablename__ = "breach_record"
    __table_args__ = (Index("ix_breach_record_council_occurred_on", "council_id", "occurred_on", "id", "status"),
                      UniqueConstraint("contract_id", "key", name="uq_breach_record_key"),
                      Index("ix_breach_record_provider_id", "provider_id", "id"))  # the list sorted by provider (0025)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"))
    key: Mapped[str] = mapped_column(String(300))
    rule_id: Mapped[str] = mapped_column(String(64))
    cites: Mapped[str] = mapped_column(String(60))
    actions: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    figures: Mapped[list] = mapped_column(JSON)
    occurred_on: Mapped[date] = mapped_column(Date)
    immediate: Mapped[bool] = mapped_column(Boolean, default=False)
    advisory: Mapped[bool] = mapped_column(Boolean, default=False)
    # proposed, confirmed, dismissed, withdrawn (a correction cured it), advisory (KT-10: shown, never escalated)
    status: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    proposals: Mapped[list] = mapped_column(JSON, default=list)  # [{"kind": "suspension", "id": 3}, ...]
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    contract: Mapped[Contract] = relationship()

    @property
    def state(self) -> BreachState:
        """The breach's place in its machine (workflows/breach_record.py), stored as `status` text."""
        return BreachState(self.status)

    @state.setter
    def state(self, value: BreachState) -> None:
        self.status = value.value


class MonitoringOccurrence(db.Model):
    """Something a rolling-window or rating rule counts: a care-plan delay, a default, a local quality rating."""

    __tablename__ = "monitoring_occurrence"
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))  # an event kind of [monitoring] events, or "rating:local"
    on: Mapped[date] = mapped_column(Date)
    ref: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[str | None] = mapped_column(String(60))  # the rating, for ratings
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
