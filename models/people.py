"""People, with as little personal data as the work needs (issue 15, item 3).

A service user, resident or young person is a pseudonymous reference the council chooses ("SU-0412", "YP-17").
Remedy never needs a name: the records that count per-person clocks (H&F referrals and packages, Cornwall's young
people, Thurrock's residents) point at a `Person` by `person_id`, and free text on them is labelled "no names".

Erasure (UK GDPR, on request) keeps the row as a tombstone (`erased_at`, reference replaced) so that aggregate
figures and the audit trail still add up; the person-linked kinds list their free-text columns in the registry
(`RecordKind.personal_text`) so that erasure can blank them in one place.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import ContractRecord, UTCDateTime, db
from models.entities import Contract, Provider, _enum
from workflows.leaving_care import LeavingCareState


class PersonRole(enum.Enum):
    """Who the person is to the contract."""

    SERVICE_USER = "service_user"  # home care, day services (H&F, Kent, CE)
    RESIDENT = "resident"  # supported living (Thurrock)
    YOUNG_PERSON = "young_person"  # leaving care (Cornwall)


class Person(ContractRecord, db.Model):
    """A pseudonymous person under one provider's contract; the council chooses the reference, never a name."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_person_council_id"),)
    reference: Mapped[str] = mapped_column(String(40))  # the council's pseudonym, unique per council
    role: Mapped[PersonRole] = mapped_column(_enum(PersonRole), default=PersonRole.SERVICE_USER)
    # Month of birth (stored as the 1st) only where a clock needs an age (Cornwall CW-14, 15 years 9 months).
    born_in: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)  # the service, tenancy or placement start
    ended_on: Mapped[date | None] = mapped_column(Date)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # Cornwall personal adviser
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a tombstone after erasure

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()


class LeavingCare(ContractRecord, db.Model):
    """A young person's leaving-care record under a Cornwall-style contract (CW-14, CW-16, CW-10): referred, a
    personal adviser allocated, then the last pathway plan review and the last meeting, each starting the next clock."""

    __tablename__ = "leaving_care"
    __table_args__ = (Index("ix_leaving_care_council_referred_on", "council_id", "referred_on", "id", "state"),
                      UniqueConstraint("council_id", "reference", name="uq_leaving_care_council_id"),)
    reference: Mapped[str] = mapped_column(String(20))
    state: Mapped[LeavingCareState] = mapped_column(_enum(LeavingCareState), default=LeavingCareState.REFERRED)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    referred_on: Mapped[date] = mapped_column(Date)
    allocated_on: Mapped[date | None] = mapped_column(Date)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    reviewed_on: Mapped[date | None] = mapped_column(Date)  # the last pathway plan review
    contacted_on: Mapped[date | None] = mapped_column(Date)  # the last meeting with the adviser
    note: Mapped[str | None] = mapped_column(Text)  # the last note a step gave ("no names"; blanked on erasure)

    person: Mapped[Person] = relationship()
    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract | None] = relationship()
