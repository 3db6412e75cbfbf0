"""Provider portal records: milestone progress updates, evidence files and a notice's representations.

Every row carries its council and provider so that the portal's store queries scope on them directly.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import UTCDateTime, db, utcnow
from models.cases import Milestone, Notice
from models.entities import User


class MilestoneUpdate(db.Model):
    """A provider's progress report on a milestone: the status it was left in and a commentary (KT-19)."""

    __tablename__ = "milestone_update"
    __table_args__ = (Index("ix_milestone_update_milestone_council", "milestone_id", "council_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestone.id"))
    status: Mapped[str] = mapped_column(String(20))  # the milestone's state after the update
    commentary: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
    milestone: Mapped[Milestone] = relationship()
    files: Mapped[list[EvidenceFile]] = relationship(back_populates="update", order_by="EvidenceFile.id")


class EvidenceFile(db.Model):
    """A file of evidence kept outside static/ under a random name, with its SHA-256; the council verifies or
    rejects it with a reason."""

    __tablename__ = "evidence_file"
    __table_args__ = (Index("ix_evidence_file_milestone_council", "milestone_id", "council_id"),
                      Index("ix_evidence_file_council_review", "council_id", "review"))
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    # A milestone's evidence (with its case and progress report), or a request's answer's (issue 15, item 1).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id"))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("milestone_update.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("info_request.id"), index=True)
    filename: Mapped[str] = mapped_column(String(100))  # cleaned, with the extension of its real type
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)  # random; the name on disk
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review: Mapped[str] = mapped_column(String(20), default="submitted")  # submitted, verified, rejected
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str | None] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version_id}

    update: Mapped[MilestoneUpdate | None] = relationship(back_populates="files")
    milestone: Mapped[Milestone] = relationship()
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])


class NoticeRepresentation(db.Model):
    """What the provider says about a notice's findings, within the notice's window."""

    __tablename__ = "notice_representation"
    __table_args__ = (Index("ix_notice_representation_notice_council", "notice_id", "council_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
    notice: Mapped[Notice] = relationship()


class PlanComment(db.Model):
    """A comment on one row or one milestone of an action plan, by either side, while the plan is live (issue 16).
    It keeps what it was about in words, so it still reads right after the row or milestone is removed."""

    __tablename__ = "plan_comment"
    __table_args__ = (Index("ix_plan_comment_plan_council", "plan_id", "council_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id"))
    row_id: Mapped[int | None] = mapped_column(ForeignKey("action_plan_row.id", ondelete="SET NULL"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id", ondelete="SET NULL"), index=True)
    about: Mapped[str] = mapped_column(String(400))  # "Row 1 (S3 attendance)", "Milestone “Minibus contract signed”"
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
