"""What has happened to one provider, read for the provider picture: every happening the viewer may know of, and
its open cases. Safeguarding concerns come through concern_store, so the same visibility rules apply here."""

from __future__ import annotations

from models import db
from models.cases import Case, DefaultNotice, Notice, Suspension
from models.concern_store import list_concerns
from models.concerns import Complaint, Incident
from models.entities import CqcRating
from models.registry import scoped
from workflows.access import Viewer
from workflows.case import OPEN
from workflows.clock import LONDON
from workflows.picture import Happening


def _of(model, viewer: Viewer, provider_id: int):
    return scoped(model, viewer).where(model.provider_id == provider_id)


def provider_happenings(viewer: Viewer, provider_id: int) -> list[Happening]:
    """Cases opened, notices and defaults served, suspensions started, complaints, safeguarding concerns (as far as
    the viewer may know of them), incidents and CQC ratings. The caller has checked the viewer may see the
    provider (get_provider)."""
    out: list[Happening] = []
    for case in db.session.scalars(_of(Case, viewer, provider_id)):
        out.append(Happening(case.created_at.astimezone(LONDON).date(), "case", f"Case {case.reference} opened",
                             case.summary, ("case", case.id)))
    for notice in db.session.scalars(_of(Notice, viewer, provider_id).where(Notice.served_on.is_not(None))):
        out.append(Happening(notice.served_on, "notice", f"{notice.title} served", notice.findings,
                             ("case", notice.case_id)))
    for notice in db.session.scalars(_of(DefaultNotice, viewer, provider_id)
                                     .where(DefaultNotice.served_on.is_not(None))):
        out.append(Happening(notice.served_on, "default_notice", f"Default notice {notice.number or ''} served"
                             .replace("  ", " "), notice.default_description or "", ("case", notice.case_id)))
    for suspension in db.session.scalars(_of(Suspension, viewer, provider_id)
                                         .where(Suspension.starts_on.is_not(None))):
        out.append(Happening(suspension.starts_on, "suspension", "Suspension started",
                             suspension.scope_detail or suspension.scope or "", ("case", suspension.case_id)))
    for complaint in db.session.scalars(_of(Complaint, viewer, provider_id)):
        kind = "Formal" if complaint.formal else "Informal"
        out.append(Happening(complaint.received_at.astimezone(LONDON).date(), "complaint",
                             f"Complaint {complaint.reference} received", f"{kind}: {complaint.summary}",
                             ("complaint", complaint.id)))
    for view in list_concerns(viewer, provider_id):
        detail = {"full": view.concern.details, "shared": "Shared with you by the council's safeguarding team",
                  "exists": "Details restricted to the safeguarding team"}[view.level]
        out.append(Happening(view.concern.raised_on, "safeguarding_concern",
                             f"Safeguarding concern {view.concern.reference} raised", detail,
                             ("safeguarding_concern", view.concern.id)))
    for incident in db.session.scalars(_of(Incident, viewer, provider_id)):
        out.append(Happening(incident.occurred_at.astimezone(LONDON).date(), "incident",
                             f"Incident {incident.reference}", incident.description, ("incident", incident.id)))
    for rating in db.session.scalars(_of(CqcRating, viewer, provider_id)):
        out.append(Happening(rating.rated_on, "cqc_rating", f"CQC rating: {rating.rating.label}",
                             "The report is linked in the rating history below" if rating.report_url else "", None))
    return out


def open_cases(viewer: Viewer, provider_id: int, limit: int | None = None) -> list[Case]:
    """The provider's open cases, newest first (at most `limit`: the rest are on the case list)."""
    return list(db.session.scalars(_of(Case, viewer, provider_id).where(Case.state.in_(OPEN))
                                   .order_by(Case.id.desc()).limit(limit)))
