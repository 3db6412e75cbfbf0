"""The API for per-person stay limits (issue 15, item 5: TH-11, TH-12), collection `stay-limits`."""

from __future__ import annotations

from flask import g

from models.engine import workflow_for
from models.stay_limit_store import get_stay, start_stay, stays_query, step_stay
from web.api import answer, bp, expose_record, json_body, paged_list
from web.api_cases import _value, trail_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission
from workflows.errors import ValidationProblem


def stay_json(record) -> dict:
    """A stay limit: whose (the person's id and pseudonymous reference), its rule and dates, its trail."""
    workflow = workflow_for(g.viewer, "stay_limit", record, now_utc(), today_london())
    return {"id": record.id, "kind": "stay_limit", "reference": record.reference, "state": record.state.value,
            "version": record.version_id, "allowed_triggers": workflow.allowed_triggers(),
            "provider_id": record.provider_id, "contract_id": record.contract_id, "person_id": record.person_id,
            "person": record.person.reference, "limit": record.limit, "rule": record.rule,
            "started_on": _value(record.started_on), "due_on": _value(record.due_on),
            "ended_on": _value(record.ended_on), **trail_json("stay_limit", record.id)}


@bp.get("/stay-limits")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def stay_limits():
    """Stay limits the token's owner may see (a provider: its own), a page at a time, newest first."""
    return paged_list(stays_query(g.viewer), stay_json, kind="stay_limit")


@bp.post("/stay-limits")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_stay_limit():
    """Start a limit the person's contract lists (person_id, limit, and started_on for a priority)."""
    return answer(lambda: start_stay(g.viewer, g.api_user, json_body(), now_utc()), stay_json, 201)


def _step(record_id: int, trigger: str, data: dict, version):
    if trigger not in ("end", "agree"):
        raise ValidationProblem("Give the trigger to fire: end or agree", "trigger")
    return step_stay(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)


expose_record("stay-limits", "stay_limit", "stay limit (issue 15)", lambda record_id: get_stay(g.viewer, record_id),
              stay_json, _step)
