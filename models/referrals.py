"""Hammersmith & Fulham referrals and packages of care (issue 15, item 2): two record kinds on the engine, each
under a contract whose rulebook has [referrals] and [packages] windows, each about one pseudonymous Person."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import ContractRecord, UTCDateTime, db
from models.entities import Contract, Provider, _enum
from models.people import Person
from workflows.capacity import CapacityState
from workflows.care_package import PackageState
from workflows.referral import ReferralState


class Referral(ContractRecord, db.Model):
    """A package-of-care request from Brokerage to the provider, its windows and the provider's answer."""

    __tablename__ = "referral"
    __table_args__ = (Index("ix_referral_council_received_at", "council_id", "received_at", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_referral_council_id"),)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[ReferralState] = mapped_column(_enum(ReferralState), default=ReferralState.RECEIVED)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)  # what the package is for (no names)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the package is wanted to start
    grade: Mapped[str] = mapped_column(String(20))  # the rulebook's grade id (HF-R06..R08)
    hospital_discharge: Mapped[bool] = mapped_column(Boolean, default=False)
    response_rule: Mapped[str] = mapped_column(String(20))  # HF-R02..R05, or HF-R09 when Brokerage set it
    response_hours: Mapped[int] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refusal_reason: Mapped[str | None] = mapped_column(String(40))
    refusal_detail: Mapped[str | None] = mapped_column(Text)
    within_capacity: Mapped[bool | None] = mapped_column(Boolean)
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()
    person: Mapped[Person] = relationship()


class CarePackage(ContractRecord, db.Model):
    """A package of care being delivered to one person: its plan, key worker, reviews, hospital stays and manual
    call-monitoring entries."""

    __tablename__ = "care_package"
    __table_args__ = (Index("ix_care_package_council_started_on", "council_id", "started_on", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_care_package_council_id"),)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[PackageState] = mapped_column(_enum(PackageState), default=PackageState.ACTIVE)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)  # the care it provides (no names)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_on: Mapped[date] = mapped_column(Date)
    plan_agreed_on: Mapped[date | None] = mapped_column(Date)
    key_worker_on: Mapped[date | None] = mapped_column(Date)
    first_review_on: Mapped[date | None] = mapped_column(Date)
    last_review_on: Mapped[date | None] = mapped_column(Date)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_on: Mapped[date | None] = mapped_column(Date)
    unpaid_visits: Mapped[int] = mapped_column(Integer, default=0)  # manual entries made too late (HF-53)
    unpaid_extra_hours: Mapped[int] = mapped_column(Integer, default=0)  # extra hours agreed too late (HF-54)
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()
    person: Mapped[Person] = relationship()


class CapacityConfirmation(ContractRecord, db.Model):
    """One week's written capacity confirmation from the provider to Brokerage (BCM 2.1, HF-B02)."""

    __tablename__ = "capacity_confirmation"
    __table_args__ = (Index("ix_capacity_confirmation_council_due_on", "council_id", "due_on", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_capacity_confirmation_council_id"),
                      UniqueConstraint("contract_id", "due_on", name="uq_capacity_confirmation_contract_id"))
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[CapacityState] = mapped_column(_enum(CapacityState), default=CapacityState.AWAITED)
    due_on: Mapped[date] = mapped_column(Date)  # the week's Tuesday
    summary: Mapped[str] = mapped_column(String(200))  # "Week of 4 January 2027", for lists
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_hours: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[date | None] = mapped_column(Date)
    short_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False)

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()
