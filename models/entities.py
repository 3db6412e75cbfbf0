"""The core records: councils, providers, contracts, people, API tokens, calendar closures and the audit trail."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import UTCDateTime, db, utcnow
from workflows.access import Role, SignInState, Viewer


def _enum(cls: type[enum.Enum], length: int = 40) -> Enum:
    # Store the enum's value (not its name) as plain VARCHAR so SQLite and PostgreSQL match and migrations stay simple.
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class Council(db.Model):
    """The organisation running Remedy; every record carries council_id so several could share one install."""

    __tablename__ = "council"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(40), default="england-and-wales")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The council's own safeguarding timescales in working days (local practice: the seeds set none, A54);
    # empty means Remedy's defaults (workflows.safeguarding.LocalPractice).
    safeguarding_decision_days: Mapped[int | None] = mapped_column(Integer)
    safeguarding_strategy_meeting_days: Mapped[int | None] = mapped_column(Integer)
    safeguarding_enquiry_days: Mapped[int | None] = mapped_column(Integer)
    # Moves whenever the council's own settings change (a closure day added or removed, its safeguarding
    # timescales): read with the signed-in person on every page, it lets each web worker keep what it works out from
    # them until they change (models/council_store.py).
    settings_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Moves with every change to what the council's lists and work queue are drawn from (models/picture_versions.py,
    # 0030): read with the signed-in person too, it lets each web worker keep a list it drew until the next change.
    picture_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CqcRatingValue(enum.Enum):
    """A Care Quality Commission overall rating."""

    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"
    NOT_YET_RATED = "not_yet_rated"

    @property
    def label(self) -> str:
        """The rating as CQC writes it."""
        return {
            "outstanding": "Outstanding",
            "good": "Good",
            "requires_improvement": "Requires improvement",
            "inadequate": "Inadequate",
            "not_yet_rated": "Not yet rated",
        }[self.value]


class Provider(db.Model):
    """A care provider the council commissions from."""

    __tablename__ = "provider"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_provider_council_reference"),
                      # A council's providers by name: the lists sorted by provider walk it (issue 17, 0025).
                      Index("ix_provider_council_name", "council_id", "name", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    name: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(40))
    cqc_location_id: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    # Moves with every change to what the provider page's picture is drawn from (models/picture_versions.py, 0029).
    picture_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    __mapper_args__ = {"version_id_col": version_id}

    contracts: Mapped[list[Contract]] = relationship(back_populates="provider", order_by="Contract.reference")
    ratings: Mapped[list[CqcRating]] = relationship(
        back_populates="provider", order_by="(CqcRating.rated_on.desc(), CqcRating.id.desc())"
    )

    @property
    def current_rating(self) -> CqcRating | None:
        """The most recent CQC rating recorded, if any."""
        return self.ratings[0] if self.ratings else None


class CqcRating(db.Model):
    """One entry in a provider's CQC rating history."""

    __tablename__ = "cqc_rating"
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    rating: Mapped[CqcRatingValue] = mapped_column(_enum(CqcRatingValue))
    rated_on: Mapped[date] = mapped_column(Date)
    report_url: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="ratings")


class Contract(db.Model):
    """A contract (or call-off from a framework) with one provider, run under one rulebook."""

    __tablename__ = "contract"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_contract_council_reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(100))
    lots: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    # The first day Remedy monitors the contract's returns: a contract brought into Remedy part-way through its life
    # has no returns to chase from before then (empty: from its start).
    monitoring_from: Mapped[date | None] = mapped_column(Date)
    rulebook_id: Mapped[str] = mapped_column(String(64))
    # What the council sets where the contract is silent (A4 due dates, deemed receipt, local clocks) and targets
    # changed from a date (KT-04): read through workflows/settings.py; every change is on the audit trail.
    settings: Mapped[dict | None] = mapped_column(JSON)
    contract_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    seed_label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    provider: Mapped[Provider] = relationship(back_populates="contracts")
    contract_manager: Mapped[User | None] = relationship(foreign_keys=[contract_manager_id])
    escalation_contacts: Mapped[list[EscalationContact]] = relationship(
        back_populates="contract", order_by="EscalationContact.level", cascade="all, delete-orphan"
    )


class EscalationContact(db.Model):
    """The provider's 1st, 2nd and 3rd points of contact for a contract (Kent section 1.1)."""

    __tablename__ = "escalation_contact"
    __table_args__ = (UniqueConstraint("contract_id", "level", name="uq_escalation_contact_contract_level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    telephone: Mapped[str | None] = mapped_column(String(40))

    contract: Mapped[Contract] = relationship(back_populates="escalation_contacts")


class User(UserMixin, db.Model):
    """A person who signs in: council staff, or staff of one provider."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changing this signs the person out everywhere (it is part of the session's identity).
    session_token: Mapped[str] = mapped_column(String(64))
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret, set at enrolment and in force once confirmed; the last
    # 30-second step a code was accepted for, so a code seen over someone's shoulder cannot be used again.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version_id}

    provider: Mapped[Provider | None] = relationship(foreign_keys=[provider_id])

    def get_id(self) -> str:
        """Flask-Login's session identity: the id and a token that can be rotated to end every session."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def viewer(self) -> Viewer:
        """This person as the stores scope queries for them."""
        return Viewer(user_id=self.id, council_id=self.council_id, role=self.role, provider_id=self.provider_id)

    @property
    def sign_in_state(self) -> SignInState:
        """The lock-out counters."""
        return SignInState(self.failed_sign_ins, self.locked_until)


class SignInAttempt(db.Model):
    """Every sign-in attempt, kept for security review."""

    __tablename__ = "sign_in_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(40))  # succeeded, wrong_password, unknown_email, locked, locked_out
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class RecoveryCode(db.Model):
    """A single-use code that signs a person in when they do not have their authenticator (only its hash is kept)."""

    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored, and it can be revoked."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ClosureKind(enum.Enum):
    """Why an extra date is not a working day."""

    COUNCIL_CLOSURE = "council_closure"
    BANK_HOLIDAY = "bank_holiday"

    @property
    def label(self) -> str:
        """As shown to people."""
        return {"council_closure": "Council closure", "bank_holiday": "One-off bank holiday"}[self.value]


class CalendarClosure(db.Model):
    """An extra non-working date kept in the database (a council closure day or a newly announced bank holiday)."""

    __tablename__ = "calendar_closure"
    __table_args__ = (UniqueConstraint("council_id", "region", "on", name="uq_calendar_closure_council_region_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    region: Mapped[str] = mapped_column(String(40))
    on: Mapped[date] = mapped_column(Date)
    kind: Mapped[ClosureKind] = mapped_column(_enum(ClosureKind))
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(db.Model):
    """One entry in the append-only audit trail: who did what to which record, when, from and to which state, why."""

    __tablename__ = "audit_event"
    # One record's trail, oldest first, within its council (migration 0024: led by council_id, so SQLite without
    # statistics no longer chose the council_id index and read a million events for a provider's trail).
    __table_args__ = (Index("ix_audit_event_council_entity", "council_id", "entity_type", "entity_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)  # every record of a case shares its timeline
    event: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class SchedulerTick(db.Model):
    """One sweep of the scheduler, kept so health pages can show when it last ran and how far behind it is."""

    __tablename__ = "scheduler_tick"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due: Mapped[int] = mapped_column(Integer, default=0)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    lag_seconds: Mapped[float] = mapped_column(default=0.0)


class ReferenceCounter(db.Model):
    """The last reference number a council gave one kind of record (CASE, CMP, SG, INC); taken under a row lock."""

    __tablename__ = "reference_counter"
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
