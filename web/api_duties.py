"""The API for duties to notify and requests with a due date (issue 15), collections `duty-notifications` and
`requests`."""

from __future__ import annotations

from flask import g

from models.engine import workflow_for
from models.notification_store import get_notification, notifications_query, notify, record_notification
from models.request_store import (
    attach_evidence,
    get_request,
    record_request,
    request_evidence,
    requests_query,
    step_request,
)
from web.api import answer, bp, expose_record, json_body, paged_list
from web.api_cases import _value, trail_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from web.portal import read_uploads
from workflows.access import Permission
from workflows.errors import ValidationProblem


def _common(kind: str, record) -> dict:
    workflow = workflow_for(g.viewer, kind, record, now_utc(), today_london())
    return {"id": record.id, "kind": kind, "reference": record.reference, "state": record.state.value,
            "version": record.version_id, "allowed_triggers": workflow.allowed_triggers(),
            "provider_id": record.provider_id, "contract_id": record.contract_id, "rule": record.rule,
            "due_on": _value(record.due_on), "late": record.late, **trail_json(kind, record.id)}


def notification_json(record) -> dict:
    """A duty to notify: what happened and when, when the council was told, its deadline explained, its trail."""
    return {**_common("notification", record), "duty": record.duty, "what_happened": record.what_happened,
            "occurred_on": _value(record.occurred_on), "notified_on": _value(record.notified_on),
            "how": record.how}


def _with_evidence(records: list) -> list:
    """A page of requests with their evidence files read for the whole page in one statement."""
    g.api_request_evidence = request_evidence(g.viewer, [r.id for r in records])
    return records


def request_json(record) -> dict:
    """A request: what was asked and when, the answer and when, its deadline explained, its trail."""
    read = g.get("api_request_evidence")
    evidence = read[record.id] if read is not None and record.id in read else request_evidence(
        g.viewer, [record.id])[record.id]
    return {**_common("request", record), "request_type": record.request_type, "what_asked": record.what_asked,
            "asked_on": _value(record.asked_on), "answer": record.answer,
            "answered_on": _value(record.answered_on),
            "evidence_files": [{"id": e.id, "filename": e.filename, "media_type": e.media_type, "bytes": e.size,
                                "sha256": e.sha256, "uploaded_at": _value(e.created_at)}
                               for e in evidence]}


@bp.get("/duty-notifications")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def duty_notifications():
    """Duties to notify the token's owner may see (a provider: its own), a page at a time, newest first."""
    return paged_list(notifications_query(g.viewer), notification_json, kind="notification")


@bp.post("/duty-notifications")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_duty_notification():
    """Record something the provider must tell the council (contract_id, duty, what_happened, occurred_on, and
    optionally notified_on): the duty's clock starts."""
    return answer(lambda: record_notification(g.viewer, g.api_user, json_body(), now_utc()), notification_json, 201)


def _notify(record_id: int, trigger: str, data: dict, version):
    if trigger != "notify":
        raise ValidationProblem("Give the trigger to fire: notify", "trigger")
    return notify(g.viewer, g.api_user, record_id, data, now_utc(), expected_version=version)


expose_record("duty-notifications", "duty_notification", "duty to notify (issue 15)",
              lambda record_id: get_notification(g.viewer, record_id), notification_json, _notify)


@bp.get("/requests")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def info_requests():
    """Requests the token's owner may see (a provider: those made of it), a page at a time, newest first."""
    return paged_list(requests_query(g.viewer), request_json, kind="request", prepare=_with_evidence)


@bp.post("/requests")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_info_request():
    """Ask the provider for something (contract_id, request_type, what_asked, asked_on, and due_on when the council
    sets the date): the request type's clock starts."""
    return answer(lambda: record_request(g.viewer, g.api_user, json_body(), now_utc()), request_json, 201)


def _step(record_id: int, trigger: str, data: dict, version):
    if trigger not in ("answer", "withdraw"):
        raise ValidationProblem("Give the trigger to fire: answer or withdraw", "trigger")
    return step_request(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)


expose_record("requests", "info_request", "request with a due date (issue 15)",
              lambda record_id: get_request(g.viewer, record_id), request_json, _step)


@bp.post("/requests/<int:request_id>/evidence")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def request_evidence_files(request_id: int):
    """Send evidence files with the answer to a request (multipart/form-data, field "files"): either side, checked
    and kept like a milestone's evidence (PDF, DOCX, XLSX, CSV, PNG or JPEG, up to 20 MB each)."""
    def act():
        get_request(g.viewer, request_id)  # another provider's request is a 404 before its files are read
        return attach_evidence(g.viewer, g.api_user, request_id, read_uploads(), now_utc())

    return answer(act, request_json, 201)
