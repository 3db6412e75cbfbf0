"""The API for complaints, safeguarding concerns and incidents (collections `complaints` and
`safeguarding-concerns` of ../shared/INTERFACES.md, plus `incidents`)."""

from __future__ import annotations

from flask import g, jsonify, request

from models.concern_store import (
    apply_complaint,
    apply_concern,
    complaints_query,
    concern_views,
    concerns_query,
    get_complaint,
    get_concern,
    incidents_query,
    raise_concern,
    record_complaint,
    record_concern_meeting,
    record_incident,
    record_notifications,
    report_incident,
    request_investigation,
)
from models.engine import workflow_for
from models.rulebook_store import complaints_with_contracts
from web.api import answer, bp, expose_record, json_body, optional_id, paged_list, run_api, text_member
from web.api_cases import _value, trail_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission
from workflows.clock import LONDON
from workflows.complaint import resolved_within_28_days
from workflows.errors import ValidationProblem
from workflows.safeguarding import SAFEGUARDING


def complaint_json(complaint) -> dict:
    workflow = workflow_for(g.viewer, "complaint", complaint, now_utc(), today_london())
    body = {"id": complaint.id, "kind": "complaint", "reference": complaint.reference,
            "state": complaint.state.value, "version": complaint.version_id,
            "allowed_triggers": workflow.allowed_triggers(), "provider_id": complaint.provider_id}
    for field in ("received_at", "channel", "complainant_type", "formal", "by_council", "summary", "draft",
                  "council_comment", "checklist", "outcome", "lessons", "resolution", "resolved_on",
                  "safeguarding_concern_id"):
        body[field] = _value(getattr(complaint, field))
    # CE-59: the monthly return reports each complaint as resolved or not within 28 days of receipt (None while open).
    body["resolved_within_28_days"] = resolved_within_28_days(complaint.received_at.astimezone(LONDON).date(),
                                                              complaint.resolved_on)
    body.update(trail_json("complaint", complaint.id))
    return body


def concern_json(view) -> dict:
    """A concern as far as the token's owner may see it: restricted details are never sent to others."""
    concern = view.concern
    body = {"id": concern.id, "kind": "safeguarding_concern", "reference": concern.reference,
            "state": concern.state.value, "version": concern.version_id, "provider_id": concern.provider_id,
            "raised_on": concern.raised_on.isoformat(), "visibility": view.level, "details": view.details,
            "investigation_request": view.investigation_request,
            "allowed_triggers": [], "deadlines": [], "events": []}
    if view.level == "full":
        if g.viewer.role in SAFEGUARDING:
            body["allowed_triggers"] = workflow_for(g.viewer, "safeguarding_concern", concern, now_utc(),
                                                    today_london()).allowed_triggers()
        body.update({"type": concern.kind, "decision": concern.decision, "outcome": concern.outcome,
                     "outcome_summary": concern.outcome_summary, "shared_with_provider": concern.shared_with_provider,
                     "meetings": concern.meetings or []})
        for field in NOTIFICATION_DATES:
            body[field] = _value(getattr(concern, field))
        body.update(trail_json("safeguarding_concern", concern.id))
    return body


@bp.get("/complaints")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def complaints():
    """Complaints the token's owner may see, a page at a time, newest first."""
    return paged_list(complaints_query(g.viewer), complaint_json, kind="complaint", prepare=complaints_with_contracts)


@bp.post("/complaints")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_complaint():
    """Record a complaint as received."""
    def act():
        data = json_body()
        provider = optional_id(data, "provider", g.viewer.provider_id)
        if provider is None:
            raise ValidationProblem("Give the provider's id", "provider")
        return record_complaint(g.viewer, g.api_user, provider, data, now_utc())

    return answer(act, complaint_json, 201)


@bp.get("/safeguarding-concerns")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def concerns():
    """Safeguarding concerns, as far as the token's owner may see them, a page at a time, newest first."""
    return paged_list(concerns_query(g.viewer, request.args.get("provider", type=int)), concern_json,
                      kind="safeguarding_concern", prepare=lambda rows: concern_views(g.viewer, rows))


@bp.post("/safeguarding-concerns")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_concern():
    """Raise a safeguarding concern."""
    from datetime import date

    def act():
        data = json_body()
        provider = optional_id(data, "provider", g.viewer.provider_id)
        if provider is None:
            raise ValidationProblem("Give the provider's id", "provider")
        try:
            raised_on = date.fromisoformat(str(data.get("raised_on")))
        except ValueError:
            raise ValidationProblem("Give raised_on as a date written YYYY-MM-DD", "raised_on") from None
        concern = raise_concern(g.viewer, g.api_user, provider, str(data.get("type", "")), text_member(data, "details"),
                                raised_on, now_utc())
        return get_concern(g.viewer, concern.id) if not g.viewer.is_provider else None

    view, error = run_api(act)
    if error:
        return error
    if view is None:  # a provider raised it and may not see it back
        return jsonify({"status": "raised"}), 201
    return jsonify(concern_json(view)), 201


# What a safeguarding officer records on a concern besides its steps (the concern page's forms): a strategy meeting or
# case conference, the request to the provider to investigate, and the regulator and DBS notification dates.
CONCERN_RECORDS = {"meeting": record_concern_meeting, "investigation": request_investigation,
                   "notifications": record_notifications}
NOTIFICATION_DATES = ("investigation_requested_on", "regulator_informed_on", "dbs_referral_on", "dbs_council_told_on")


@bp.post("/safeguarding-concerns/<int:concern_id>/records")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def record_on_concern(concern_id: int):
    """Record a meeting, an investigation request or the notification dates on a concern (safeguarding officers)."""
    def act():
        get_concern(g.viewer, concern_id)  # a concern the token's owner may not see is a 404, whatever the body says
        data = json_body()
        record = CONCERN_RECORDS.get(str(data.get("record")))
        if record is None:
            raise ValidationProblem("Give record as one of: " + ", ".join(CONCERN_RECORDS), "record")
        record(g.viewer, g.api_user, concern_id, data, now_utc())
        return get_concern(g.viewer, concern_id)

    return answer(act, concern_json)


@bp.get("/incidents")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def incidents():
    """Incidents the token's owner may see, a page at a time, newest first."""
    return paged_list(incidents_query(g.viewer), lambda i: {
        "id": i.id, "reference": i.reference, "kind": i.kind, "provider_id": i.provider_id,
        "occurred_at": i.occurred_at.isoformat(), "description": i.description, "action_taken": i.action_taken,
        "reported_at": _value(i.reported_at), **trail_json("incident", i.id, events=False)}, kind="incident")


@bp.post("/incidents")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_incident():
    """Record an incident (key-holding incidents start HF-69's clocks)."""
    def act():
        data = json_body()
        provider = optional_id(data, "provider", g.viewer.provider_id)
        if provider is None:
            raise ValidationProblem("Give the provider's id", "provider")
        incident = record_incident(g.viewer, g.api_user, provider, data, now_utc())
        if data.get("reported"):
            report_incident(g.viewer, g.api_user, incident.id, text_member(data, "written_report") or None, now_utc())
        return incident

    return answer(act, lambda made: {"id": made.id, "reference": made.reference}, 201)


expose_record("complaints", "complaint", "complaint", lambda record_id: get_complaint(g.viewer, record_id),
              complaint_json,
              lambda record_id, trigger, data, version: apply_complaint(g.viewer, g.api_user, record_id, trigger,
                                                                        data, now_utc(), expected_version=version))


def _concern_step(record_id: int, trigger: str, data: dict, version):
    apply_concern(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)
    return get_concern(g.viewer, record_id)  # what this person may see of it


expose_record("safeguarding-concerns", "concern", "safeguarding concern (restricted as the visibility rules say)",
              lambda record_id: get_concern(g.viewer, record_id), concern_json, _concern_step)
