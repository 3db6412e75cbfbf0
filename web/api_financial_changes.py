"""The API for significant adverse financial changes (TH-16), collection `financial-changes`."""

from __future__ import annotations

from flask import g

from models.engine import workflow_for
from models.financial_change_store import changes_query, get_change, record_change, report_change
from web.api import answer, bp, expose_record, json_body, paged_list
from web.api_cases import _value, trail_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission
from workflows.errors import ValidationProblem


def change_json(change) -> dict:
    """A financial change: state, version, the triggers the token's owner may fire, its deadline and trail."""
    workflow = workflow_for(g.viewer, "financial_change", change, now_utc(), today_london())
    return {"id": change.id, "kind": "financial_change", "reference": change.reference,
            "state": change.state.value, "version": change.version_id,
            "allowed_triggers": workflow.allowed_triggers(), "provider_id": change.provider_id,
            "contract_id": change.contract_id, "what_changed": change.what_changed,
            "occurred_on": _value(change.occurred_on), "reported_on": _value(change.reported_on),
            **trail_json("financial_change", change.id)}


@bp.get("/financial-changes")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def financial_changes():
    """Financial changes the token's owner may see (a provider: its own), a page at a time, newest first."""
    return paged_list(changes_query(g.viewer), change_json, kind="financial_change")


@bp.post("/financial-changes")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_financial_change():
    """Record a significant adverse financial change (contract_id, occurred_on, what_changed): TH-16's clock
    starts."""
    return answer(lambda: record_change(g.viewer, g.api_user, json_body(), now_utc()), change_json, 201)


def _report(record_id: int, trigger: str, data: dict, version):
    if trigger != "report":
        raise ValidationProblem("Give the trigger to fire: report", "trigger")
    return report_change(g.viewer, g.api_user, record_id, data, now_utc(), expected_version=version)


expose_record("financial-changes", "financial_change", "financial change (TH-16)",
              lambda record_id: get_change(g.viewer, record_id), change_json, _report)
