"""The provider portal's records: new versions of agreed plans, milestone progress with evidence files, the
council's review of that evidence, a notice's representations, and the lists the portal's pages show.

Every query is scoped here, in the store: a provider's people see their own provider's rows and nothing else (a
record of another provider is NotFound, exactly as if it did not exist). Stores flush; the caller commits.

Evidence files are written to EVIDENCE_DIR (outside static/) under random names. A file written in a transaction
that does not commit is deleted when the transaction ends, so a refused or failed upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from models import db
from models.calendar_store import working_calendar
from models.case_queries import get_record
from models.cases import ActionPlan, ActionPlanRow, Case, Deadline, Milestone, Notice
from models.engine import audit, fire
from models.entities import User
from models.portal import EvidenceFile, MilestoneUpdate, NoticeRepresentation, PlanComment
from models.registry import scoped
from models.rulebook_store import rulebook_for
from workflows.access import Viewer
from workflows.action_plan import LIVE, REVISABLE, ActionPlanWorkflow, Health, PlanState, plan_health
from workflows.case import OPEN
from workflows.errors import NotFound, ValidationProblem
from workflows.evidence import check_evidence, clean_filename
from workflows.machine import MANAGERS, PROVIDERS, TransitionNotAllowed
from workflows.milestone import MilestoneState
from workflows.notice import NoticeState, representation_refusal

# -- evidence files on disk: nothing left behind by a transaction that does not commit ---------------------------

_WRITTEN = "remedy_evidence_written"


@event.listens_for(Session, "after_commit")
def _keep_written_files(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint or nested transaction: the outer one decides
        return
    for path in session.info.pop(_WRITTEN, []):
        Path(path).unlink(missing_ok=True)


def evidence_dir() -> Path:
    """Where evidence files are kept (configured; never under static/)."""
    return Path(current_app.config["EVIDENCE_DIR"])


def _write_file(content: bytes) -> str:
    """Write bytes under a new random name, atomically; returns the name."""
    folder = evidence_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(20)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_WRITTEN, []).append(str(folder / name))
    return name


def evidence_path(evidence: EvidenceFile) -> Path:
    """The file on disk for an evidence record."""
    return evidence_dir() / evidence.storage_name


# -- plan versions (KT section 11.3) -------------------------------------------------------------------------------


def plan_versions(viewer: Viewer, plan: ActionPlan) -> list[ActionPlan]:
    """Every version of this plan, oldest first: the chain of previous versions and any later ones."""
    chain = [plan]
    while chain[0].previous_id is not None:
        chain.insert(0, get_record(viewer, "action_plan", chain[0].previous_id))
    current = plan
    while True:
        later = db.session.scalar(scoped(ActionPlan, viewer).where(ActionPlan.previous_id == current.id))
        if later is None:
            break
        chain.append(later)
        current = later
    return chain


def revise_plan(viewer: Viewer, actor: User, plan_id: int, now: datetime) -> ActionPlan:
    """Start the next version of an agreed plan (KT section 11.3: a change after agreement is agreed again by both
    parties). The agreed version stays in force, frozen, until both parties sign the new one; the new version
    starts from the agreed rows and the milestones not yet verified."""
    plan = get_record(viewer, "action_plan", plan_id)
    if viewer.role not in ActionPlanWorkflow.CREATE_ROLES:
        raise TransitionNotAllowed(f"Your role ({viewer.role.label.lower()}) cannot change an action plan",
                                   forbidden=True)
    if plan.case.state not in OPEN:
        raise TransitionNotAllowed(f"Case {plan.case.reference} is closed: its plans stay as they were")
    if plan.state not in REVISABLE:
        raise TransitionNotAllowed("Only an agreed plan is changed by a new version; a draft or returned plan is "
                                   "changed as it is")
    pending = db.session.scalar(select(ActionPlan.id).where(ActionPlan.previous_id == plan.id))
    if pending is not None:
        raise TransitionNotAllowed(f"Version {plan.plan_version + 1} of this plan has already been started")
    revision = ActionPlan(council_id=plan.council_id, provider_id=plan.provider_id, case_id=plan.case_id,
                          notice_id=plan.notice_id, title=plan.title, plan_version=plan.plan_version + 1,
                          state=PlanState.DRAFT, due_on=None, previous_id=plan.id, created_at=now, updated_at=now)
    db.session.add(revision)
    db.session.flush()
    for position, row in enumerate(plan.rows, start=1):
        db.session.add(ActionPlanRow(council_id=plan.council_id, plan_id=revision.id, position=position,
                                     **{c: getattr(row, c) for c in ("kpi", "current_performance", "rag", "issue",
                                                                     "action", "owner", "expected_outcome",
                                                                     "deadline")}))
    for milestone in plan.milestones:
        if milestone.state is MilestoneState.VERIFIED:
            continue  # done and checked: it stays on the version it was done under
        db.session.add(Milestone(council_id=plan.council_id, provider_id=plan.provider_id, case_id=plan.case_id,
                                 plan_id=revision.id, title=milestone.title, due_on=milestone.due_on,
                                 state=MilestoneState.PLANNED, created_at=now, updated_at=now))
    db.session.flush()
    db.session.refresh(revision)
    audit(actor, "action_plan", revision, "PLAN_VERSION_STARTED", now,
           to_state=PlanState.DRAFT.value, data={"previous_id": plan.id, "previous_version": plan.plan_version,
                                                 "plan_version": revision.plan_version})
    return revision


# -- comments on a plan's rows and milestones (issue 16) ----------------------------------------------------------

COMMENTABLE = (PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED)  # while the plan is being agreed


def comment_on_plan(viewer: Viewer, actor: User, plan: ActionPlan, text: str, now: datetime, *,
                    row: ActionPlanRow | None = None, milestone: Milestone | None = None) -> PlanComment:
    """A comment by either side on one row or one milestone of a plan being agreed, shown beside it (KT-19: the plan is
    agreed between the parties, so both may say what should change where)."""
    if viewer.role not in PROVIDERS | MANAGERS:
        raise TransitionNotAllowed(f"Your role ({viewer.role.label.lower()}) cannot comment on an action plan",
                                   forbidden=True)
    if plan.case.state not in OPEN:
        raise TransitionNotAllowed(f"Case {plan.case.reference} is closed: its plans stay as they were")
    if plan.state not in COMMENTABLE:
        raise TransitionNotAllowed(f"Comments go on a plan while it is being agreed; this one is "
                                   f"{plan.state.value.replace('_', ' ')}")
    text = (text or "").strip()
    if not text:
        raise ValidationProblem("Enter your comment", "text")
    if len(text) > 5000:
        raise ValidationProblem("Comment must be 5,000 characters or fewer", "text")
    about = (f"Row {row.position} ({row.kpi})" if row is not None
             else f"Milestone \u201c{milestone.title}\u201d" if milestone is not None else "The plan")
    comment = PlanComment(council_id=plan.council_id, provider_id=plan.provider_id, case_id=plan.case_id,
                          plan_id=plan.id, row_id=row.id if row is not None else None,
                          milestone_id=milestone.id if milestone is not None else None, about=about[:400],
                          text=text, author_id=actor.id, created_at=now)
    db.session.add(comment)
    db.session.flush()
    audit(actor, "action_plan", plan, "PLAN_COMMENTED", now, reason=text,
          data={"comment_id": comment.id, "about": about, "row_id": comment.row_id,
                "milestone_id": comment.milestone_id})
    return comment


def plan_comments(viewer: Viewer, plan_ids: list[int]) -> dict[int, dict[tuple[str, int | None], list]]:
    """Comments on these plans, by plan, then by ("row", id), ("milestone", id) or ("removed", None) for those whose
    row or milestone has since been removed; oldest first."""
    out: dict[int, dict[tuple[str, int | None], list]] = {p: {} for p in plan_ids}
    if plan_ids:
        query = scoped(PlanComment, viewer).where(PlanComment.plan_id.in_(plan_ids))
        for comment in db.session.scalars(query.options(selectinload(PlanComment.author)).order_by(PlanComment.id)):
            key = (("row", comment.row_id) if comment.row_id else ("milestone", comment.milestone_id)
                   if comment.milestone_id else ("removed", None))
            out[comment.plan_id].setdefault(key, []).append(comment)
    return out


# -- milestone progress and evidence --------------------------------------------------------------------------------

PROGRESS_STATUSES = {"in_progress": "start", "done": "mark_done"}
OPEN_FOR_EVIDENCE = (MilestoneState.PLANNED, MilestoneState.IN_PROGRESS, MilestoneState.OVERDUE,
                     MilestoneState.DONE)


@dataclass(frozen=True)
class Upload:
    """A file as the person sent it: the name their computer gave it and its bytes."""

    name: str
    content: bytes


def record_progress(viewer: Viewer, actor: User, milestone_id: int, status: str, commentary: str,
                    uploads: list[Upload], now: datetime, today: date) -> MilestoneUpdate:
    """A progress report on a milestone of a signed plan (KT-19): its status and a commentary, with evidence files.
    Marking it done needs evidence: a file with this report, or one sent earlier and not rejected."""
    milestone = get_record(viewer, "milestone", milestone_id)
    if viewer.role not in PROVIDERS | MANAGERS:
        raise TransitionNotAllowed("Only the provider's staff or a council manager can report progress",
                                   forbidden=True)
    if milestone.plan.state is not PlanState.IN_PROGRESS:
        raise TransitionNotAllowed("Progress is reported once both parties have signed the plan")
    if milestone.state not in OPEN_FOR_EVIDENCE:
        raise TransitionNotAllowed(f"This milestone is {milestone.state.value.replace('_', ' ')}: nothing more "
                                   "can be reported on it")
    commentary = (commentary or "").strip()
    if not commentary:
        raise ValidationProblem("Enter a commentary on the progress made", "commentary")
    if len(commentary) > 5000:
        raise ValidationProblem("Commentary must be 5,000 characters or fewer", "commentary")
    if status not in PROGRESS_STATUSES and status != milestone.state.value:
        raise ValidationProblem("Select the milestone's status", "status")
    checked = [(u, check_evidence(u.content)) for u in uploads]  # every file is checked before anything is kept
    trigger = PROGRESS_STATUSES.get(status)
    if trigger == "mark_done" and milestone.state is not MilestoneState.DONE:
        earlier = db.session.scalar(select(EvidenceFile.id).where(
            EvidenceFile.milestone_id == milestone.id, EvidenceFile.council_id == viewer.council_id,
            EvidenceFile.review != "rejected").limit(1))
        if not checked and earlier is None:
            raise ValidationProblem("Attach evidence that the milestone is done", "file")
        fire(viewer, actor, "milestone", milestone.id, "mark_done", {"evidence": commentary}, now, today)
    elif trigger == "start" and milestone.state in (MilestoneState.PLANNED,):
        fire(viewer, actor, "milestone", milestone.id, "start", {}, now, today)
    update = MilestoneUpdate(council_id=milestone.council_id, provider_id=milestone.provider_id,
                             case_id=milestone.case_id, milestone_id=milestone.id, status=milestone.state.value,
                             commentary=commentary, author_id=actor.id, created_at=now)
    db.session.add(update)
    db.session.flush()
    audit(actor, "milestone", milestone, "MILESTONE_PROGRESS_REPORTED", now,
           reason=commentary, data={"status": milestone.state.value, "update_id": update.id})
    for upload, file_type in checked:
        _keep_evidence(actor, milestone, update, upload, file_type, now)
    return update


def _keep_evidence(actor: User, milestone: Milestone, update: MilestoneUpdate, upload: Upload, file_type,
                   now: datetime) -> EvidenceFile:
    return keep_evidence(actor, "milestone", milestone, upload, file_type, now, case_id=milestone.case_id,
                         milestone_id=milestone.id, update_id=update.id)


def keep_evidence(actor: User, kind: str, record, upload: Upload, file_type, now: datetime,
                  **links) -> EvidenceFile:
    """Keep a checked evidence file on disk under a random name with its SHA-256, linked to its record (a
    milestone and its progress report, or a request: `links`), and audit it on that record. The one evidence path:
    the caller has checked the file with `check_evidence` (type sniffed, size capped)."""
    digest = hashlib.sha256(upload.content).hexdigest()
    evidence = EvidenceFile(council_id=record.council_id, provider_id=record.provider_id, **links,
                            filename=clean_filename(upload.name, file_type), storage_name=_write_file(upload.content),
                            media_type=file_type.media_type, size=len(upload.content), sha256=digest,
                            uploaded_by_id=actor.id, created_at=now, review="submitted")
    db.session.add(evidence)
    db.session.flush()
    audit(actor, kind, record, "EVIDENCE_ATTACHED", now,
          data={"evidence_id": evidence.id, "filename": evidence.filename, "media_type": evidence.media_type,
                "bytes": evidence.size, "sha256": digest})
    return evidence


def get_evidence(viewer: Viewer, evidence_id: int) -> EvidenceFile:
    """One evidence file, if the viewer may see it (a provider: only its own)."""
    evidence = db.session.scalar(scoped(EvidenceFile, viewer).where(EvidenceFile.id == evidence_id))
    if evidence is None:
        raise NotFound("There is no such evidence file that you can see")
    return evidence


def evidence_for(viewer: Viewer, milestone_ids: list[int]) -> dict[int, list[EvidenceFile]]:
    """Evidence files of these milestones, by milestone, oldest first."""
    out: dict[int, list[EvidenceFile]] = {m: [] for m in milestone_ids}
    if milestone_ids:
        in_milestones = scoped(EvidenceFile, viewer).where(EvidenceFile.milestone_id.in_(milestone_ids))
        for evidence in db.session.scalars(in_milestones.order_by(EvidenceFile.id)):
            out[evidence.milestone_id].append(evidence)
    return out


def updates_for(viewer: Viewer, milestone_ids: list[int]) -> dict[int, list[MilestoneUpdate]]:
    """Progress reports on these milestones, by milestone, newest first."""
    out: dict[int, list[MilestoneUpdate]] = {m: [] for m in milestone_ids}
    if milestone_ids:
        query = scoped(MilestoneUpdate, viewer).where(MilestoneUpdate.milestone_id.in_(milestone_ids))
        for update in db.session.scalars(query.options(selectinload(MilestoneUpdate.author))
                                         .order_by(MilestoneUpdate.id.desc())):
            out[update.milestone_id].append(update)
    return out


REVIEW_DECISIONS = ("verify", "reject")


def review_evidence(viewer: Viewer, actor: User, milestone_id: int, decision: str, reason: str, now: datetime,
                    today: date) -> Milestone:
    """The council verifies a done milestone's evidence (the milestone is verified) or rejects it with a reason
    (the milestone goes back to in progress, and the provider sees why)."""
    milestone = get_record(viewer, "milestone", milestone_id)
    if viewer.role not in MANAGERS:
        raise TransitionNotAllowed("Only a council manager can verify or reject evidence", forbidden=True)
    if decision not in REVIEW_DECISIONS:
        raise ValidationProblem("Select whether the evidence is accepted", "decision")
    reason = (reason or "").strip()
    if decision == "reject" and not reason:
        raise ValidationProblem("Enter why the evidence is not accepted", "reason")
    trigger = "verify" if decision == "verify" else "reject_evidence"
    # The milestone's transition reviews its files too (case_store's consequences call review_files).
    fire(viewer, actor, "milestone", milestone.id, trigger, {"reason": reason} if reason else {}, now,
                     today)
    return milestone


def review_files(actor: User | None, milestone: Milestone, verified: bool, reason: str | None,
                 now: datetime) -> None:
    """Mark a milestone's files waiting for review as verified or rejected, whichever way the milestone was reviewed
    (from the review page, the milestone's own step or the API), each with an audit event."""
    for evidence in db.session.scalars(select(EvidenceFile).where(
            EvidenceFile.council_id == milestone.council_id, EvidenceFile.milestone_id == milestone.id,
            EvidenceFile.review == "submitted").order_by(EvidenceFile.id)):
        evidence.review = "verified" if verified else "rejected"
        evidence.reviewed_by_id, evidence.reviewed_at = (actor.id if actor else None), now
        evidence.review_reason = reason or None
        audit(actor, "milestone", milestone, "EVIDENCE_VERIFIED" if verified else "EVIDENCE_REJECTED", now,
              reason=reason or None,
              data={"evidence_id": evidence.id, "filename": evidence.filename, "sha256": evidence.sha256})
    db.session.flush()


# -- notices: representations ----------------------------------------------------------------------------------


def representation_window(viewer: Viewer, notice: Notice) -> date | None:
    """The last day for representations on a notice: its running action-plan deadline, if it has one."""
    return db.session.scalar(select(Deadline.due_on).where(
        Deadline.council_id == viewer.council_id, Deadline.entity_type == "notice",
        Deadline.entity_id == notice.id, Deadline.status.in_(("running", "breached"))).order_by(Deadline.due_at))


def make_representation(viewer: Viewer, actor: User, notice_id: int, text: str, now: datetime,
                        today: date) -> NoticeRepresentation:
    """The provider's representations on a notice's findings, within the notice's window."""
    notice = get_record(viewer, "notice", notice_id)
    if not viewer.is_provider:
        raise TransitionNotAllowed("Representations are made by the provider", forbidden=True)
    refusal = representation_refusal(notice.state, today, representation_window(viewer, notice))
    if refusal:
        raise TransitionNotAllowed(refusal)
    text = (text or "").strip()
    if not text:
        raise ValidationProblem("Enter your representations", "text")
    if len(text) > 10000:
        raise ValidationProblem("Representations must be 10,000 characters or fewer", "text")
    representation = NoticeRepresentation(council_id=notice.council_id, provider_id=notice.provider_id,
                                          case_id=notice.case_id, notice_id=notice.id, text=text,
                                          author_id=actor.id, created_at=now)
    db.session.add(representation)
    db.session.flush()
    audit(actor, "notice", notice, "NOTICE_REPRESENTATIONS_MADE", now, reason=text,
           data={"representation_id": representation.id})
    return representation


def open_representations(viewer: Viewer) -> list[NoticeRepresentation]:
    """Representations on notices still open (served, the plan not yet agreed), newest first."""
    query = scoped(NoticeRepresentation, viewer).join(Notice, Notice.id == NoticeRepresentation.notice_id).where(
        Notice.state.in_((NoticeState.ISSUED, NoticeState.PLAN_DUE, NoticeState.PLAN_SUBMITTED)))
    return list(db.session.scalars(query.options(selectinload(NoticeRepresentation.notice)
                                                 .selectinload(Notice.case).selectinload(Case.provider))
                                   .order_by(NoticeRepresentation.id.desc())))


def representations_for(viewer: Viewer, notice_ids: list[int]) -> dict[int, list[NoticeRepresentation]]:
    """Representations on these notices, by notice, oldest first."""
    out: dict[int, list[NoticeRepresentation]] = {n: [] for n in notice_ids}
    if notice_ids:
        query = scoped(NoticeRepresentation, viewer).where(NoticeRepresentation.notice_id.in_(notice_ids))
        for item in db.session.scalars(query.order_by(NoticeRepresentation.id)):
            out[item.notice_id].append(item)
    return out


# -- what the portal's pages list ------------------------------------------------------------------------------


def health_of(plan: ActionPlan, today: date) -> Health | None:
    """On track, at risk or overdue (workflows.action_plan.plan_health) for a loaded plan."""
    calendar = working_calendar(plan.council_id, rulebook_for(plan.case.contract).region)
    return plan_health(plan.state, plan.due_on or _plan_due_on(plan),
                       [(m.due_on, m.state.value) for m in plan.milestones], today, calendar)


def _plan_due_on(plan: ActionPlan) -> date | None:
    if plan.notice_id is None:
        return None
    return db.session.scalar(select(Deadline.due_on).where(
        Deadline.council_id == plan.council_id, Deadline.entity_type == "notice", Deadline.entity_id == plan.notice_id,
        Deadline.status.in_(("running", "breached"))).order_by(Deadline.due_at))


def live_plans(viewer: Viewer, states=LIVE) -> list[ActionPlan]:
    """Plans that are still being written, agreed or worked on, in open cases, oldest change first."""
    query = scoped(ActionPlan, viewer).join(Case, Case.id == ActionPlan.case_id).where(
        ActionPlan.state.in_(states), Case.state.in_(OPEN))
    return list(db.session.scalars(query.options(
        selectinload(ActionPlan.rows), selectinload(ActionPlan.milestones),
        selectinload(ActionPlan.case).selectinload(Case.contract),
        selectinload(ActionPlan.case).selectinload(Case.provider)).order_by(ActionPlan.updated_at, ActionPlan.id)))


def milestones_awaiting_review(viewer: Viewer) -> list[Milestone]:
    """Milestones marked done, whose evidence the council has not yet checked, oldest first."""
    query = select(Milestone).join(Case, Case.id == Milestone.case_id).join(
        ActionPlan, ActionPlan.id == Milestone.plan_id).where(
        Milestone.council_id == viewer.council_id, Milestone.state == MilestoneState.DONE, Case.state.in_(OPEN),
        ActionPlan.state == PlanState.IN_PROGRESS)  # a superseded version's milestones are history
    if viewer.is_provider:
        query = query.where(Milestone.provider_id == viewer.provider_id)
    return list(db.session.scalars(query.options(selectinload(Milestone.case).selectinload(Case.provider),
                                                 selectinload(Milestone.plan)).order_by(Milestone.updated_at)))


def open_milestones(viewer: Viewer) -> list[Milestone]:
    """Milestones of signed plans not yet done, soonest due first."""
    query = select(Milestone).join(ActionPlan, ActionPlan.id == Milestone.plan_id).where(
        Milestone.council_id == viewer.council_id, ActionPlan.state == PlanState.IN_PROGRESS,
        Milestone.state.in_((MilestoneState.PLANNED, MilestoneState.IN_PROGRESS, MilestoneState.OVERDUE)))
    if viewer.is_provider:
        query = query.where(Milestone.provider_id == viewer.provider_id)
    return list(db.session.scalars(query.options(selectinload(Milestone.case), selectinload(Milestone.plan))
                                   .order_by(Milestone.due_on, Milestone.id)))


def open_notices(viewer: Viewer) -> list[Notice]:
    """Notices served and still open, newest first."""
    query = select(Notice).where(Notice.council_id == viewer.council_id, Notice.state.in_(
        (NoticeState.ISSUED, NoticeState.PLAN_DUE, NoticeState.PLAN_SUBMITTED)))
    if viewer.is_provider:
        query = query.where(Notice.provider_id == viewer.provider_id)
    return list(db.session.scalars(query.options(selectinload(Notice.case)).order_by(Notice.id.desc())))


def notice_deadlines(viewer: Viewer, notice_ids: list[int]) -> dict[int, Deadline]:
    """Each notice's current deadline (running or breached), with how it was counted."""
    out: dict[int, Deadline] = {}
    if notice_ids:
        query = select(Deadline).where(Deadline.council_id == viewer.council_id, Deadline.entity_type == "notice",
                                       Deadline.entity_id.in_(notice_ids),
                                       Deadline.status.in_(("running", "breached", "met")))
        if viewer.is_provider:
            query = query.where(Deadline.provider_id == viewer.provider_id)
        for deadline in db.session.scalars(query.order_by(Deadline.id)):
            out[deadline.entity_id] = deadline
    return out
