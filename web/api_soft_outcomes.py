"""The API for residents' annual soft-outcome checks (issue 15, item 5: TH-S01 to TH-S09, TH-21), collection
`soft-outcome-checks`."""

from __future__ import annotations

from flask import g

from models.engine import workflow_for
from models.soft_outcome_store import checks_query, get_check, plan_check, record_check
from web.api import answer, bp, expose_record, json_body, paged_list
from web.api_cases import _value, trail_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission
from workflows.errors import ValidationProblem


def check_json(record) -> dict:
    """A check: whose, when due and why, the ratings by outcome id, its trail."""
    workflow = workflow_for(g.viewer, "soft_outcome_check", record, now_utc(), today_london())
    return {"id": record.id, "kind": "soft_outcome_check", "reference": record.reference,
            "state": record.state.value, "version": record.version_id,
            "allowed_triggers": workflow.allowed_triggers(), "provider_id": record.provider_id,
            "contract_id": record.contract_id, "person_id": record.person_id, "person": record.person.reference,
            "rule": record.rule, "counted_from": _value(record.counted_from), "due_on": _value(record.due_on),
            "checked_on": _value(record.checked_on), "ratings": record.ratings, "notes": record.notes,
            **trail_json("soft_outcome_check", record.id)}


@bp.get("/soft-outcome-checks")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def soft_outcome_checks():
    """Checks the token's owner may see (a provider: its residents'), a page at a time, newest first."""
    return paged_list(checks_query(g.viewer), check_json, kind="soft_outcome_check")


@bp.post("/soft-outcome-checks")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_soft_outcome_check():
    """Plan a resident's next check (person_id)."""
    return answer(lambda: plan_check(g.viewer, g.api_user, json_body(), now_utc()), check_json, 201)


def _step(record_id: int, trigger: str, data: dict, version):
    if trigger != "record":
        raise ValidationProblem("Give the trigger to fire: record", "trigger")
    return record_check(g.viewer, g.api_user, record_id, data, now_utc(), expected_version=version)


expose_record("soft-outcome-checks", "soft_outcome_check", "soft-outcome check (issue 15)",
              lambda record_id: get_check(g.viewer, record_id), check_json, _step)
