"""Complaints, safeguarding concerns and incidents, with their clocks and the visibility rules.

Safeguarding details are restricted: safeguarding officers (and administrators) and the officers named on a
concern see them; other council staff see only that a concern exists; a provider sees only what a safeguarding
officer has explicitly shared with it, and every disclosure is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import selectinload

from models import db
from models.audit_store import record_event
from models.cases import Deadline
from models.concerns import Complaint, ConcernOfficer, Incident, LargeScaleEnquiry, SafeguardingConcern
from models.council_store import kept_for_council, settings_changed
from models.count_store import Count
from models.deadline_store import meet_deadlines
from models.engine import audit, fire, load, new_record, start_clocks, workflow_for
from models.entities import Council, User
from models.provider_store import get_provider
from models.reference_store import reference_for
from models.registry import concern_visible_to, scoped
from models.rulebook_store import council_of
from models.sql_days import days_between, london_day
from workflows.access import Viewer
from workflows.clock import LONDON
from workflows.complaint import (
    ComplaintState,
    ComplaintWorkflow,
    complaint_clocks,
    initial_state,
    validate_receipt,
)
from workflows.errors import NotFound, ValidationProblem
from workflows.incident import IncidentState
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.safeguarding import (
    CONCERN_KINDS,
    SAFEGUARDING,
    ConcernState,
    ConcernWorkflow,
    LocalPractice,
    decision_clock,
    incident_clocks,
    may_record_concerns,
    validate_concern_meeting,
    validate_incident,
    validate_investigation_request,
    validate_notifications,
    validate_practice,
)


def complaints_query(viewer: Viewer):
    """The statement of the complaints the viewer may see (a list's page)."""
    return scoped(Complaint, viewer)


def list_complaints(viewer: Viewer) -> list[Complaint]:
    """Complaints the viewer may see, newest first."""
    return list(db.session.scalars(complaints_query(viewer).order_by(Complaint.received_at.desc(),
                                                                       Complaint.id.desc())))


def get_complaint(viewer: Viewer, complaint_id: int) -> Complaint:
    """One complaint the viewer may see."""
    return load(viewer, "complaint", complaint_id)


def record_complaint(viewer: Viewer, actor: User, provider_id: int, data: dict, now: datetime) -> Complaint:
    """Record a complaint as received; a formal one starts HF-74's clocks, and one that raises a safeguarding
    concern is passed to safeguarding at once (HF-76) and the two are linked."""
    if viewer.is_provider and provider_id != viewer.provider_id:
        raise NotFound("There is no such provider that you can see")
    if not viewer.is_provider and viewer.role not in MANAGERS | SAFEGUARDING:
        raise TransitionNotAllowed("Your role cannot record complaints", forbidden=True)
    provider = get_provider(viewer, provider_id)
    receipt = validate_receipt(data, now)
    if viewer.is_provider and receipt.by_council:
        raise ValidationProblem("A provider records the complaints it receives; the council records its own",
                                "by_council")
    complaint = Complaint(council_id=viewer.council_id, provider_id=provider.id,
                          contract_id=data.get("contract_id"),
                          reference=reference_for("complaint", viewer.council_id),
                          state=initial_state(receipt), received_at=receipt.received_at, channel=receipt.channel,
                          complainant_type=receipt.complainant_type, formal=receipt.formal,
                          by_council=receipt.by_council, summary=receipt.summary, created_at=now, updated_at=now)
    new_record(actor, "complaint", complaint, "COMPLAINT_RECEIVED", now,
               data={"formal": receipt.formal, "by_council": receipt.by_council, "channel": receipt.channel,
                     "received_at": receipt.received_at})
    if complaint.state is ComplaintState.RECEIVED:
        # HF-74 is H&F's: the contract's own clocks, or the council's local setting, or none (issue 14).
        start_clocks("complaint", complaint, lambda ctx: complaint_clocks(ctx.rulebook, "complaint_received",
                                                                          receipt.received_at, ctx.calendar), now)
    if receipt.raises_safeguarding:
        concern = raise_concern(viewer, actor, provider.id, "care_concern",
                                f"Raised from complaint {complaint.reference}: {receipt.summary}",
                                receipt.received_at.astimezone(LONDON).date(), now, officers=(), check_role=False)
        complaint.safeguarding_concern_id = concern.id
        audit(actor, "complaint", complaint, "COMPLAINT_PASSED_TO_SAFEGUARDING", now,
              data={"concern": concern.reference})
    return complaint


def complaint_workflow(viewer: Viewer, complaint: Complaint, now: datetime) -> ComplaintWorkflow:
    """The complaint's workflow for this person now, to ask what they may do or to fire a step."""
    return workflow_for(viewer, "complaint", complaint, now, now.astimezone(LONDON).date())


def apply_complaint(viewer: Viewer, actor: User, complaint_id: int, trigger: str, data: dict,
                    now: datetime, expected_version=None) -> Complaint:
    """Move a complaint on: report, pass on, draft, review, send, close, escalate (through the engine)."""
    return fire(viewer, actor, "complaint", complaint_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def on_complaint_step(step) -> None:
    """The council's comment on a draft, and the day a closed or informally resolved complaint was resolved."""
    complaint, result = step.record, step.result
    if "comment" in result.data:
        complaint.council_comment = result.data["comment"]
    if result.event in ("COMPLAINT_CLOSED", "COMPLAINT_RESOLVED_INFORMALLY"):
        complaint.resolved_on = step.now.astimezone(LONDON).date()
    step.reason = result.data.get("comment") or result.data.get("lessons")
    step.event_data.pop("draft", None)


def overdue_ids(viewer: Viewer, entity_type: str, ids) -> set[int]:
    """Which of these records (complaints, concerns, incidents) have a deadline the scheduler recorded as breached
    and still not met."""
    ids = list(ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Deadline.entity_id).where(
        Deadline.council_id == viewer.council_id, Deadline.entity_type == entity_type,
        Deadline.entity_id.in_(ids), Deadline.status == "breached").distinct()))


def complaint_figure_counts(viewer: Viewer, provider_id: int, periods: list[tuple[date, date]]):
    """The complaint figures for the monitoring return (KT S3) in each period (first and last day, London), counted
    by the database: a row (period, received, formal, resolved, within) for each period that has a complaint, the
    period its index in `periods`. "Resolved within 28 days" is of the London day of receipt (CE-59). Each
    complaint's period and figures are worked out once (a subquery), then counted a period at a time; the provider
    picture reads these rows with its other counts in one statement (models/picture_store.quarter_counts; issue 17:
    the provider page read a year of complaints to count them)."""
    first, last = min(start for start, _end in periods), max(end for _start, end in periods)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), LONDON)

    received_at = Complaint.received_at
    period = case(*((and_(received_at >= midnight(start), received_at < midnight(end + timedelta(1))), n)
                    for n, (start, end) in enumerate(periods)))
    resolved = Complaint.resolved_on.is_not(None)
    within = and_(resolved, days_between(london_day(received_at, first, last), Complaint.resolved_on) <= 28)
    rows = scoped(Complaint, viewer).with_only_columns(
        period.label("period"), case((Complaint.formal.is_(True), 1), else_=0).label("formal"),
        case((resolved, 1), else_=0).label("resolved"), case((within, 1), else_=0).label("within")).where(
        Complaint.provider_id == provider_id, received_at >= midnight(first),
        received_at < midnight(last + timedelta(1))).subquery()
    return select(rows.c.period, func.count().label("received"), func.sum(rows.c.formal).label("formal"),
                  func.sum(rows.c.resolved).label("resolved"), func.sum(rows.c.within).label("within")) \
        .group_by(rows.c.period)


def complaint_figures(counted: dict[int, tuple[int, int, int, int]], periods: int, exact: bool = True) -> list[dict]:
    """The figures of each period from complaint_figure_counts' rows (by period: received, formal, resolved, within;
    a period with no complaint has no row), with the share resolved within 28 days; counts say "about" unless
    `exact` (a busy provider's, counted a few minutes ago: models/count_store.py)."""
    out = []
    for n in range(periods):
        received, formal, closed, in_time = (Count(int(v), exact=exact) for v in counted.get(n, (0, 0, 0, 0)))
        out.append({"received": received, "formal": formal, "resolved": closed, "resolved_within_28_days": in_time,
                    "percent_resolved_within_28_days": round(100 * in_time / closed, 1) if closed else None})
    return out


# -- safeguarding ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConcernView:
    """What this person may see of a concern: everything, that it exists, or only what was shared."""

    concern: SafeguardingConcern
    level: str  # "full", "exists" or "shared"

    @property
    def investigation_request(self) -> str | None:
        """The investigation the council asked the provider for: sent to the provider, so it sees it too."""
        return self.concern.investigation_request if self.level in ("full", "shared") else None

    @property
    def details(self) -> str | None:
        """The details, if this person may see them."""
        if self.level == "full":
            return self.concern.details
        if self.level == "shared":
            return self.concern.shared_with_provider or None
        return None


def _level(viewer: Viewer, concern: SafeguardingConcern) -> str | None:
    if concern_visible_to(viewer, concern):  # the kind's rule (models/registry.py): details and clocks
        return "full"
    if viewer.is_provider:
        shared = concern.shared_with_provider or concern.investigation_request
        return "shared" if shared and concern.provider_id == viewer.provider_id else None
    return "exists"


def listable_concerns(viewer: Viewer):
    """Which concerns a person may find in a list: every one of their council's (most only know it exists), and for
    a provider only those a safeguarding officer shared with it or asked it to investigate (as _level decides)."""
    if not viewer.is_provider:
        return true()
    return or_(func.coalesce(SafeguardingConcern.shared_with_provider, "") != "",
               func.coalesce(SafeguardingConcern.investigation_request, "") != "")


def concerns_query(viewer: Viewer, provider_id: int | None = None):
    """The statement of the concerns the viewer may know of (listable_concerns), optionally of one provider, with
    their named officers (who else may see the details): a list's page, shown through concern_views."""
    query = scoped(SafeguardingConcern, viewer).where(listable_concerns(viewer))
    if provider_id is not None:
        query = query.where(SafeguardingConcern.provider_id == provider_id)
    return query.options(selectinload(SafeguardingConcern.officers))


def concern_views(viewer: Viewer, concerns: list[SafeguardingConcern]) -> list[ConcernView]:
    """What the viewer may see of each concern (those they may not know of left out)."""
    views = []
    for concern in concerns:
        level = _level(viewer, concern)
        if level:
            views.append(ConcernView(concern, level))
    return views


def list_concerns(viewer: Viewer, provider_id: int | None = None, since: date | None = None,
                  limit: int | None = None) -> list[ConcernView]:
    """Concerns the viewer may know of, with what they may see of each, newest first: those raised `since` a day,
    or the newest `limit` read (fewer if some of those are not the viewer's to know of)."""
    query = scoped(SafeguardingConcern, viewer)
    if provider_id is not None:
        query = query.where(SafeguardingConcern.provider_id == provider_id)
    if since is not None:
        query = query.where(SafeguardingConcern.raised_on >= since)
    return concern_views(viewer, list(db.session.scalars(query.order_by(SafeguardingConcern.raised_on.desc(),
                                                                        SafeguardingConcern.id.desc()).limit(limit))))


def get_concern(viewer: Viewer, concern_id: int) -> ConcernView:
    """One concern, as far as the viewer may see it (NotFound if not at all)."""
    concern = db.session.scalar(scoped(SafeguardingConcern, viewer).where(SafeguardingConcern.id == concern_id))
    level = _level(viewer, concern) if concern is not None else None
    if level is None:
        raise NotFound("There is no such safeguarding concern that you can see")
    return ConcernView(concern, level)


def raise_concern(viewer: Viewer, actor: User, provider_id: int, kind: str, details: str, raised_on: date,
                  now: datetime, officers=(), check_role: bool = True) -> SafeguardingConcern:
    """Raise a safeguarding concern (a First Account or Care Concern); the triage decision's clock starts. A provider
    may raise one itself: HF-56, every concern is reported to the council's safeguarding team; CE-57, First Account
    and Care Concern alerts are submitted (the seed gives no figure for "promptly")."""
    if check_role and not may_record_concerns(viewer):
        raise TransitionNotAllowed("Your role cannot raise safeguarding concerns", forbidden=True)
    provider = get_provider(viewer, provider_id)
    if kind not in CONCERN_KINDS:
        raise ValidationProblem("Select First Account or Care Concern", "kind")
    if not (details or "").strip():
        raise ValidationProblem("Describe the concern", "details")
    if raised_on > now.astimezone(LONDON).date():
        raise ValidationProblem("The date the concern was raised cannot be in the future", "raised_on")
    concern = SafeguardingConcern(council_id=viewer.council_id, provider_id=provider.id,
                                  reference=reference_for("safeguarding_concern", viewer.council_id),
                                  state=ConcernState.RAISED, kind=kind, raised_on=raised_on, details=details.strip(),
                                  created_at=now, updated_at=now)
    concern.officers = [ConcernOfficer(user_id=user_id) for user_id in set(officers)]
    if not viewer.is_provider and viewer.role not in SAFEGUARDING:
        concern.officers.append(ConcernOfficer(user_id=viewer.user_id))  # whoever raised it stays informed
    new_record(actor, "safeguarding_concern", concern, "CONCERN_RAISED", now,
               data={"kind": kind, "raised_on": raised_on})
    start_clocks("safeguarding_concern", concern,
                 lambda ctx: (decision_clock(raised_on, local_practice(viewer.council_id), ctx.calendar),), now)
    return concern


def concern_workflow(viewer: Viewer, concern: SafeguardingConcern, now: datetime) -> ConcernWorkflow:
    """The concern's workflow for this person now."""
    return workflow_for(viewer, "safeguarding_concern", concern, now, now.astimezone(LONDON).date())


def concern_facts(concern: SafeguardingConcern) -> dict:
    """The council's safeguarding timescales, for the stage clocks a step starts."""
    return {"practice": local_practice(concern.council_id)}


def apply_concern(viewer: Viewer, actor: User, concern_id: int, trigger: str, data: dict,
                  now: datetime, expected_version=None) -> SafeguardingConcern:
    """Move a concern on (safeguarding officers only, through the engine); a concern changed since the page was
    drawn is refused."""
    return fire(viewer, actor, "safeguarding_concern", concern_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version, load_with=lambda v, i: get_concern(v, i).concern)


def on_concern_step(step) -> None:
    """The outcome and its summary, when the enquiry concludes."""
    if "outcome" in step.result.data:
        step.record.outcome, step.record.outcome_summary = step.result.data["outcome"], step.result.data["summary"]


def share_with_provider(viewer: Viewer, actor: User, concern_id: int, text: str, now: datetime) -> None:
    """Disclose a chosen summary to the provider (safeguarding officers only); the disclosure is audited."""
    if viewer.role not in SAFEGUARDING:
        raise TransitionNotAllowed("Only a safeguarding officer can share safeguarding details with a provider",
                                   forbidden=True)
    concern = get_concern(viewer, concern_id).concern
    text = (text or "").strip()
    if not text:
        raise ValidationProblem("Enter what the provider may see", "text")
    concern.shared_with_provider = text
    audit(actor, "safeguarding_concern", concern, "CONCERN_DISCLOSED_TO_PROVIDER", now, data={"shared": text})


def name_officer(viewer: Viewer, actor: User, concern_id: int, user_id: int, now: datetime) -> None:
    """Name a council officer on a concern so they can see its details."""
    if viewer.role not in SAFEGUARDING:
        raise TransitionNotAllowed("Only a safeguarding officer can name officers on a concern", forbidden=True)
    concern = get_concern(viewer, concern_id).concern
    user = db.session.get(User, user_id)
    if user is None or user.council_id != viewer.council_id or user.role.is_provider:
        raise ValidationProblem("Choose a council officer", "user")
    if all(o.user_id != user_id for o in concern.officers):
        concern.officers.append(ConcernOfficer(user_id=user_id))
        audit(actor, "safeguarding_concern", concern, "CONCERN_OFFICER_NAMED", now, data={"user_id": user_id})


def local_practice(council_id: int) -> LocalPractice:
    """The council's safeguarding timescales, or Remedy's defaults where it has set none: kept by the worker until the
    council's settings change (models/council_store.py; the safeguarding list read the council on every view)."""
    def read() -> LocalPractice:
        council = council_of(council_id)
        default = LocalPractice()
        return LocalPractice(
            decision_working_days=council.safeguarding_decision_days or default.decision_working_days,
            strategy_meeting_working_days=(council.safeguarding_strategy_meeting_days
                                           or default.strategy_meeting_working_days),
            enquiry_working_days=council.safeguarding_enquiry_days or default.enquiry_working_days)

    return kept_for_council(council_id, "safeguarding practice", read)


def set_local_practice(viewer: Viewer, actor: User, data: dict, now: datetime) -> LocalPractice:
    """Change the council's safeguarding timescales (safeguarding officers and administrators). Deadlines already
    running keep the dates they were given; new ones use these."""
    _safeguarding_only(viewer, "change the council's safeguarding timescales")
    practice = validate_practice(data)
    council = db.session.get(Council, viewer.council_id)
    before = local_practice(council.id)
    council.safeguarding_decision_days = practice.decision_working_days
    council.safeguarding_strategy_meeting_days = practice.strategy_meeting_working_days
    council.safeguarding_enquiry_days = practice.enquiry_working_days
    record_event(council_id=council.id, actor=actor, entity_type="council", entity_id=council.id,
                 event_name="SAFEGUARDING_TIMESCALES_CHANGED", at=now,
                 data={"from": before.__dict__, "to": practice.__dict__})
    db.session.flush()
    settings_changed(council.id)
    return practice


def _safeguarding_only(viewer: Viewer, what: str) -> None:
    if viewer.role not in SAFEGUARDING:
        raise TransitionNotAllowed(f"Only a safeguarding officer can {what}", forbidden=True)


def record_concern_meeting(viewer: Viewer, actor: User, concern_id: int, data: dict, now: datetime) -> dict:
    """A strategy meeting or case conference (date, attendees, actions); a strategy meeting meets the local-practice
    deadline for holding one. HF-59: the provider attends those where it is implicated (its attendance is recorded)."""
    _safeguarding_only(viewer, "record a strategy meeting or case conference")
    concern = get_concern(viewer, concern_id).concern
    if concern.state is not ConcernState.ENQUIRY:
        raise TransitionNotAllowed("Meetings are recorded while a section 42 enquiry is under way")
    meeting = validate_concern_meeting(data, now.astimezone(LONDON).date())
    stored = {**meeting, "held_on": meeting["held_on"].isoformat()}
    concern.meetings = [*(concern.meetings or []), stored]  # a new list, so the JSON column is saved
    concern.updated_at = now
    event = "STRATEGY_MEETING_HELD" if meeting["kind"] == "strategy_meeting" else "CASE_CONFERENCE_HELD"
    audit(actor, "safeguarding_concern", concern, event, now, data=stored)
    if meeting["kind"] == "strategy_meeting":
        meet_deadlines("safeguarding_concern", concern.id, {"strategy_meeting"}, now)
    db.session.flush()
    return stored


def request_investigation(viewer: Viewer, actor: User, concern_id: int, data: dict, now: datetime) -> None:
    """Ask the provider to investigate, on the council's template (HF-58): the request is what the provider then sees
    of the concern, so it is recorded as a disclosure."""
    _safeguarding_only(viewer, "ask a provider to investigate")
    concern = get_concern(viewer, concern_id).concern
    if concern.state is not ConcernState.ENQUIRY:
        raise TransitionNotAllowed("A provider investigation is requested during a section 42 enquiry")
    valid = validate_investigation_request(data, now.astimezone(LONDON).date())
    concern.investigation_requested_on, concern.investigation_request = valid["requested_on"], valid["request"]
    concern.updated_at = now
    audit(actor, "safeguarding_concern", concern, "PROVIDER_INVESTIGATION_REQUESTED", now,
           data={"requested_on": valid["requested_on"].isoformat(), "shared": valid["request"]})
    db.session.flush()


def record_notifications(viewer: Viewer, actor: User, concern_id: int, data: dict, now: datetime) -> None:
    """When the regulator was informed of the alert (HF-60), a DBS referral made, and the council told of it (HF-61)."""
    _safeguarding_only(viewer, "record the regulator and DBS notifications")
    concern = get_concern(viewer, concern_id).concern
    valid = validate_notifications(data, now.astimezone(LONDON).date())
    changed = {}
    for key, value in valid.items():
        if value is not None and getattr(concern, key) != value:
            setattr(concern, key, value)
            changed[key] = value.isoformat()
    if changed:
        concern.updated_at = now
        audit(actor, "safeguarding_concern", concern, "CONCERN_NOTIFICATIONS_RECORDED", now, data=changed)
    db.session.flush()


def start_large_scale_enquiry(viewer: Viewer, actor: User, provider_id: int, starts_on: date,
                              now: datetime) -> LargeScaleEnquiry:
    """Flag a Large Scale Enquiry on a provider (CE-38 suspension route, CE-51 extra monitoring)."""
    if viewer.role not in SAFEGUARDING:
        raise TransitionNotAllowed("Only a safeguarding officer can start a Large Scale Enquiry", forbidden=True)
    provider = get_provider(viewer, provider_id)
    if active_large_scale_enquiry(provider.id) is not None:
        raise ValidationProblem("This provider already has an active Large Scale Enquiry", "provider")
    if starts_on > now.astimezone(LONDON).date():
        raise ValidationProblem("The date the enquiry started cannot be in the future", "starts_on")
    enquiry = LargeScaleEnquiry(council_id=viewer.council_id, provider_id=provider.id, starts_on=starts_on,
                                lead_officer_id=viewer.user_id, created_at=now)
    db.session.add(enquiry)
    db.session.flush()
    record_event(council_id=viewer.council_id, actor=actor, entity_type="provider", entity_id=provider.id,
                 event_name="LARGE_SCALE_ENQUIRY_STARTED", at=now, data={"starts_on": starts_on.isoformat()})
    return enquiry


def end_large_scale_enquiry(viewer: Viewer, actor: User, provider_id: int, ends_on: date,
                            now: datetime) -> LargeScaleEnquiry:
    """Close the provider's Large Scale Enquiry on a date (not before it started, not in the future)."""
    _safeguarding_only(viewer, "end a Large Scale Enquiry")
    provider = get_provider(viewer, provider_id)
    enquiry = active_large_scale_enquiry(provider.id)
    if enquiry is None:
        raise ValidationProblem("This provider has no active Large Scale Enquiry", "ends_on")
    if ends_on < enquiry.starts_on:
        raise ValidationProblem("The enquiry cannot end before it started", "ends_on")
    if ends_on > now.astimezone(LONDON).date():
        raise ValidationProblem("The date the enquiry ended cannot be in the future", "ends_on")
    enquiry.ends_on = ends_on
    record_event(council_id=viewer.council_id, actor=actor, entity_type="provider", entity_id=provider.id,
                 event_name="LARGE_SCALE_ENQUIRY_ENDED", at=now, data={"ends_on": ends_on.isoformat()})
    db.session.flush()
    return enquiry


def large_scale_enquiries(viewer: Viewer, provider_id: int) -> list[LargeScaleEnquiry]:
    """A provider's Large Scale Enquiries, newest first (council staff only: it is a safeguarding matter)."""
    if viewer.is_provider:
        return []
    return list(db.session.scalars(select(LargeScaleEnquiry).where(
        LargeScaleEnquiry.council_id == viewer.council_id, LargeScaleEnquiry.provider_id == provider_id)
        .order_by(LargeScaleEnquiry.starts_on.desc())))


def active_large_scale_enquiry(provider_id: int) -> LargeScaleEnquiry | None:
    """The provider's open Large Scale Enquiry, if any."""
    return db.session.scalar(select(LargeScaleEnquiry).where(LargeScaleEnquiry.provider_id == provider_id,
                                                             LargeScaleEnquiry.ends_on.is_(None)))


# -- incidents ---------------------------------------------------------------------------------------------------


def record_incident(viewer: Viewer, actor: User, provider_id: int, data: dict, now: datetime) -> Incident:
    """Record an incident; key-holding incidents start HF-69's 24-hour and 3-day clocks."""
    if viewer.is_provider and provider_id != viewer.provider_id:
        raise NotFound("There is no such provider that you can see")
    provider = get_provider(viewer, provider_id)
    valid = validate_incident(data, now)
    incident = Incident(council_id=viewer.council_id, provider_id=provider.id,
                        reference=reference_for("incident", viewer.council_id), created_at=now, updated_at=now,
                        **valid)
    new_record(actor, "incident", incident, "INCIDENT_RECORDED", now,
               data={"kind": valid["kind"], "occurred_at": valid["occurred_at"]})
    start_clocks("incident", incident, lambda ctx: incident_clocks(valid["kind"], valid["occurred_at"],
                                                                   ctx.calendar), now)
    return incident


def get_incident(viewer: Viewer, incident_id: int) -> Incident:
    """One incident the viewer may see."""
    return load(viewer, "incident", incident_id)


def report_incident(viewer: Viewer, actor: User, incident_id: int, written_report: str | None,
                    now: datetime, expected_version=None) -> Incident:
    """Record that the incident was reported to the council, and its written report when it comes (each a step of
    the incident's machine, through the engine; the version the page showed is checked on the first)."""
    today = now.astimezone(LONDON).date()
    incident = get_incident(viewer, incident_id)
    steps = []
    if incident.state is IncidentState.RECORDED:
        steps.append(("report", {}))
    if written_report and written_report.strip() and incident.state is not IncidentState.WRITTEN_UP:
        steps.append(("write_up", {"written_report": written_report}))
    for trigger, data in steps:
        fire(viewer, actor, "incident", incident.id, trigger, data, now, today, expected_version=expected_version)
        expected_version = None  # the second step follows the first, in the same change
    return incident


def on_incident_step(step) -> None:
    """When the incident was reported to the council (HF-69's 24 hours are measured to it)."""
    if step.result.trigger == "report":
        step.record.reported_at = step.now


def incidents_query(viewer: Viewer, provider_id: int | None = None):
    """The statement of the incidents the viewer may see, optionally of one provider (a list's page)."""
    query = scoped(Incident, viewer)
    if provider_id is not None:
        query = query.where(Incident.provider_id == provider_id)
    return query


def list_incidents(viewer: Viewer, provider_id: int | None = None) -> list[Incident]:
    """Incidents the viewer may see, newest first."""
    return list(db.session.scalars(incidents_query(viewer, provider_id).order_by(Incident.occurred_at.desc())))

