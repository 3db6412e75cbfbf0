"""Complaints, safeguarding concerns (restricted), incidents, and the provider-level Large Scale Enquiry flag."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import ContractRecord, UTCDateTime, db, utcnow
from models.entities import Provider, User, _enum
from workflows.complaint import ComplaintState
from workflows.incident import IncidentState
from workflows.safeguarding import ConcernState


class Complaint(ContractRecord, db.Model):
    """A complaint about a provider's service, received by the provider or by the council."""

    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_council_received_at", "council_id", "received_at", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_complaint_council_id"),
                      Index("ix_complaint_provider_received", "provider_id", "received_at", "id"))  # (0025)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[ComplaintState] = mapped_column(_enum(ComplaintState))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))
    complainant_type: Mapped[str] = mapped_column(String(30))
    formal: Mapped[bool] = mapped_column(Boolean)
    by_council: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(Text)
    draft: Mapped[str | None] = mapped_column(Text)
    council_comment: Mapped[str | None] = mapped_column(Text)
    checklist: Mapped[list | None] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(20))
    lessons: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    safeguarding_concern_id: Mapped[int | None] = mapped_column(ForeignKey("safeguarding_concern.id"))

    provider: Mapped[Provider] = relationship()


class SafeguardingConcern(ContractRecord, db.Model):
    """A safeguarding concern; its details are restricted to safeguarding officers and the officers named on it."""

    __tablename__ = "safeguarding_concern"
    __table_args__ = (Index("ix_safeguarding_concern_council_raised_on", "council_id", "raised_on", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_safeguarding_concern_council_id"),)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[ConcernState] = mapped_column(_enum(ConcernState))
    kind: Mapped[str] = mapped_column(String(20))  # first_account or care_concern
    raised_on: Mapped[date] = mapped_column(Date)
    details: Mapped[str] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(30))
    outcome_summary: Mapped[str | None] = mapped_column(Text)
    regulator_informed_on: Mapped[date | None] = mapped_column(Date)
    dbs_referral_on: Mapped[date | None] = mapped_column(Date)
    dbs_council_told_on: Mapped[date | None] = mapped_column(Date)  # HF section 13: the council is told of it
    # The provider investigation the council asks for, on its template (rules.md 2.6): sent to the provider.
    investigation_requested_on: Mapped[date | None] = mapped_column(Date)
    investigation_request: Mapped[str | None] = mapped_column(Text)
    # What the provider may see, written by a safeguarding officer; every disclosure is audited.
    shared_with_provider: Mapped[str | None] = mapped_column(Text)
    meetings: Mapped[list | None] = mapped_column(JSON)  # strategy meetings and case conferences

    provider: Mapped[Provider] = relationship()
    officers: Mapped[list[ConcernOfficer]] = relationship(cascade="all, delete-orphan")


class ConcernOfficer(db.Model):
    """A council officer named on a safeguarding concern, who may see its details."""

    __tablename__ = "concern_officer"
    __table_args__ = (UniqueConstraint("concern_id", "user_id", name="uq_concern_officer_concern_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_concern.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)

    user: Mapped[User] = relationship()


class Incident(ContractRecord, db.Model):
    """An incident or accident (HF-69 key-holding incidents carry clocks)."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_council_occurred_at", "council_id", "occurred_at", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_incident_council_id"),
                      Index("ix_incident_provider_occurred", "provider_id", "occurred_at", "id"))  # (0025)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[IncidentState] = mapped_column(_enum(IncidentState), default=IncidentState.RECORDED)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text)
    action_taken: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    written_report: Mapped[str | None] = mapped_column(Text)

    provider: Mapped[Provider] = relationship()


class LargeScaleEnquiry(db.Model):
    """A provider-level Large Scale Enquiry (enables CE-38's suspension route and CE-51's extra monitoring)."""

    __tablename__ = "large_scale_enquiry"
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    lead_officer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead_officer: Mapped[User] = relationship()
