"""Case records: the case, its notices, action plans and milestones, default notices, suspensions, terminations,
the deadlines their clocks produce, and stored letters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from models import TenantRecord, UTCDateTime, db, utcnow
from models.entities import Contract, Provider, User, _enum
from workflows.action_plan import PlanState
from workflows.case import CaseState
from workflows.default_notice import DefaultState
from workflows.milestone import MilestoneState
from workflows.notice import NoticeState
from workflows.suspension import SuspensionState
from workflows.termination import TerminationState


class Case(TenantRecord, db.Model):
    """An under-performance case for one contract of one provider."""

    __tablename__ = "case_file"
    __table_args__ = (UniqueConstraint("council_id", "reference", name="uq_case_file_council_reference"),
                      Index("ix_case_file_council_state", "council_id", "state", "id"),
                      Index("ix_case_file_council_state_overdue", "council_id", "state", "overdue", "id"),
                      # The case list, newest first, read in order a page at a time (issue 17, migration 0025).
                      Index("ix_case_file_council_created", "council_id", "created_at", "id", "state"),
                      # The provider page: its newest cases and a year's counts by quarter (migration 0024).
                      Index("ix_case_file_provider_created", "provider_id", "created_at", "id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    state: Mapped[CaseState] = mapped_column(_enum(CaseState))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship()
    provider: Mapped[Provider] = relationship()
    opened_by: Mapped[User | None] = relationship()


class Notice(TenantRecord, db.Model):
    """An improvement notice, formal warning or warning notice (the rulebook names it)."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_case_council", "case_id", "council_id"),
                      Index("ix_notice_provider_served", "provider_id", "served_on", "id"))  # (0025)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    title: Mapped[str] = mapped_column(String(120))  # what the contract calls it, when drafted
    state: Mapped[NoticeState] = mapped_column(_enum(NoticeState))
    findings: Mapped[str] = mapped_column(Text)  # KT-18 (a) and (b): what is not adequate and why
    required_action: Mapped[str] = mapped_column(Text)  # KT-18 (c): the action plan required
    served_on: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(10))
    received_on: Mapped[date | None] = mapped_column(Date)
    plan_due_days: Mapped[int | None] = mapped_column(Integer)

    case: Mapped[Case] = relationship()
    # The plans answering this notice, read only: the case page fills it from the plans it has read of the case
    # (models/case_queries.case_contents), so the notice's machine asks nothing more (models/case_records.notice_facts).
    plans: Mapped[list[ActionPlan]] = relationship(viewonly=True, order_by="ActionPlan.id")


class ActionPlan(TenantRecord, db.Model):
    """A service improvement action plan (Kent Appendix A); each agreed version is frozen."""

    __tablename__ = "action_plan"
    __table_args__ = (Index("ix_action_plan_case_council", "case_id", "council_id"),
                      Index("ix_action_plan_council_state", "council_id", "state"))  # the work queue (0025)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    plan_version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[PlanState] = mapped_column(_enum(PlanState))
    due_on: Mapped[date | None] = mapped_column(Date)  # council-set (TH-19) when no notice sets it
    council_comment: Mapped[str | None] = mapped_column(Text)
    council_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    council_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    provider_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    frozen: Mapped[dict | None] = mapped_column(JSON)  # the agreed version as both parties signed it
    # The agreed version this one changes (KT section 11.3: a change after agreement is agreed again).
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("action_plan.id"), index=True)

    case: Mapped[Case] = relationship()
    rows: Mapped[list[ActionPlanRow]] = relationship(back_populates="plan", order_by="ActionPlanRow.position",
                                                     cascade="all, delete-orphan")
    milestones: Mapped[list[Milestone]] = relationship(back_populates="plan",
                                                       order_by="(Milestone.due_on, Milestone.id)")


class ActionPlanRow(db.Model):
    """One row of the plan in Kent's Appendix A columns."""

    __tablename__ = "action_plan_row"
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kpi: Mapped[str] = mapped_column(String(60))
    current_performance: Mapped[str] = mapped_column(Text)
    rag: Mapped[str] = mapped_column(String(5))
    issue: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    expected_outcome: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)

    plan: Mapped[ActionPlan] = relationship(back_populates="rows")


class Milestone(TenantRecord, db.Model):
    """A milestone of an action plan."""

    __tablename__ = "milestone"
    __table_args__ = (Index("ix_milestone_case_council", "case_id", "council_id"),
                      Index("ix_milestone_council_state", "council_id", "state"))  # the work queue (0025)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[MilestoneState] = mapped_column(_enum(MilestoneState))
    evidence: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[ActionPlan] = relationship(back_populates="milestones")
    case: Mapped[Case] = relationship()


class DefaultNotice(TenantRecord, db.Model):
    """A default notice, numbered per contract (CE-35, CE-36)."""

    __tablename__ = "default_notice"
    __table_args__ = (UniqueConstraint("contract_id", "number", name="uq_default_notice_contract_number"),
                      Index("ix_default_notice_case_council", "case_id", "council_id"),
                      Index("ix_default_notice_provider_served", "provider_id", "served_on", "id"))  # (0025)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    number: Mapped[int | None] = mapped_column(Integer)  # given when served
    state: Mapped[DefaultState] = mapped_column(_enum(DefaultState))
    default_description: Mapped[str | None] = mapped_column(Text)
    remedial_action: Mapped[str | None] = mapped_column(Text)
    remedy_days: Mapped[int | None] = mapped_column(Integer)
    served_on: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(10))

    case: Mapped[Case] = relationship()


class Suspension(TenantRecord, db.Model):
    """A suspension of referrals, part or all of the service, or from a framework."""

    __tablename__ = "suspension"
    __table_args__ = (Index("ix_suspension_case_council", "case_id", "council_id"),
                      Index("ix_suspension_council_state", "council_id", "state"),  # the work queue (0025)
                      Index("ix_suspension_provider_starts", "provider_id", "starts_on", "id"))  # provider page (0025)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    state: Mapped[SuspensionState] = mapped_column(_enum(SuspensionState))
    proposed_reason: Mapped[str] = mapped_column(Text)
    proposed_by_rule: Mapped[str | None] = mapped_column(String(20))  # set when the system proposed it
    # The contract's route to it (rulebook [suspension.grounds]: CE-33, CE-37, CE-38, CE-52, CE-53, CE-54).
    ground: Mapped[str | None] = mapped_column(String(40))
    scope: Mapped[str | None] = mapped_column(String(20))
    scope_detail: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date | None] = mapped_column(Date)
    lift_conditions: Mapped[str | None] = mapped_column(Text)
    phases: Mapped[list | None] = mapped_column(JSON)  # CE-40 phased reinstatement

    case: Mapped[Case] = relationship()


class Termination(TenantRecord, db.Model):
    """A termination, considered and then decided (or not) by the authorised officer."""

    __tablename__ = "termination"
    __table_args__ = (Index("ix_termination_case_council", "case_id", "council_id"),
                      Index("ix_termination_council_state", "council_id", "state"))  # the work queue (0025)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    state: Mapped[TerminationState] = mapped_column(_enum(TerminationState))
    considered_reason: Mapped[str] = mapped_column(Text)
    proposed_by_rule: Mapped[str | None] = mapped_column(String(20))
    decided_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date | None] = mapped_column(Date)
    grounds: Mapped[str | None] = mapped_column(Text)
    exit_plan: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()


class Deadline(db.Model):
    """A clock's deadline: due date and instant, status, and how it was counted. Frozen once served."""

    __tablename__ = "deadline"
    __table_args__ = (Index("ix_deadline_status_due_at", "status", "due_at"),
                      Index("ix_deadline_entity", "entity_type", "entity_id"),
                      # A case's deadlines, and the case list's "overdue now" probe per case. The council is in
                      # the key so that SQLite's planner (no statistics) prefers it to the council's own index.
                      Index("ix_deadline_case_council_status_due", "case_id", "council_id", "status", "due_at"),
                      # With the id: running deadlines read in the lists' order (due_at, id) and stopped at a page.
                      Index("ix_deadline_council_status_due", "council_id", "status", "due_at", "id"),
                      # Live deadlines soonest first: the deadline lists and counts read a page of them in order
                      # (issue 17, migration 0025). Partial: met and stopped deadlines pile up and are never listed.
                      Index("ix_deadline_live_due", "council_id", "due_at", "id",
                            postgresql_where=text("status IN ('running', 'breached')"),
                            sqlite_where=text("status IN ('running', 'breached')")))
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"))  # None: contract-level
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    length: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(40))
    start_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # running, met, breached, cancelled, superseded
    acts: Mapped[str] = mapped_column(String(10))  # provider or council
    pausable: Mapped[bool] = mapped_column(Boolean, default=False)
    on_breach: Mapped[str | None] = mapped_column(String(40))
    frozen: Mapped[bool] = mapped_column(Boolean, default=True)  # served deadlines never move with the calendar
    explanation: Mapped[list] = mapped_column(JSON)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    original_due_on: Mapped[date | None] = mapped_column(Date)  # before pauses and extensions
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the due instant, however late noticed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moves with every change: a step that read the deadline running is refused if a tick breached it meanwhile
    # (the scheduler's set-based UPDATE moves it too: models/timer_store.fire_batch).
    version_id: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Read with a list's rows when its statement asks (models/deadline_store.listed_facts), None when it did not:
    # whether a pause is open now, and the name of the record the deadline belongs to ("" when it has none).
    open_pause: Mapped[bool | None] = query_expression()
    subject_name: Mapped[str | None] = query_expression()

    __mapper_args__ = {"version_id_col": version_id}


class Document(db.Model):
    """A served letter stored unchanged, with its SHA-256 (also written into the audit event)."""

    __tablename__ = "document"
    # A case's letters are read by (case, council): with a one-column index on each, SQLite read the council's every
    # letter to find one case's (0.7 ms of the case page with 1,000 letters in the council; migration 0028).
    __table_args__ = (Index("ix_document_case_council", "case_id", "council_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
