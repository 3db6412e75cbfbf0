"""Council settings on a contract through the API: each setting with its source, and changes with a reason (A4)."""

from __future__ import annotations

from flask import current_app, g

from models.contract_settings_store import change_setting, setting_changes, settings_rows
from models.provider_store import get_contract
from models.rulebook_store import rulebook_for
from web.api import answer, bp, json_body, text_member
from web.api_cases import event_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission


def settings_json(contract) -> dict:
    """Every setting the council may make on the contract, with its value and where it comes from, and the audit
    trail of changes to them (each with its reason)."""
    regime = current_app.extensions["rulebooks"][contract.rulebook_id]
    return {"contract_id": contract.id, "rulebook": contract.rulebook_id, "settings": contract.settings or {},
            "version": contract.version_id, "items": settings_rows(contract, rulebook_for(contract), regime),
            "changes": [event_json(e) for e in setting_changes(g.viewer, contract)]}


@bp.get("/contracts/<int:contract_id>/settings")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def contract_settings(contract_id: int):
    """The contract's council settings and their sources ("the contract", "council setting" or "not set")."""
    return answer(lambda: get_contract(g.viewer, contract_id), settings_json)


@bp.post("/contracts/<int:contract_id>/settings")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)  # the store: 404 if not yours, then 403 unless admin
def change_contract_setting(contract_id: int):
    """Set or clear one council setting: {"key": ..., "value": {...} or null, "reason": "..."}."""
    def act():
        data = json_body()
        return change_setting(g.viewer, g.api_user, contract_id, str(data.get("key") or ""), data.get("value"),
                              str(data.get("reason") or ""), today_london(), now_utc())

    return answer(act, settings_json)


@bp.post("/providers/<int:provider_id>/cqc-ratings")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)  # 404 if not yours, then 403 without the capability
def record_provider_rating(provider_id: int):
    """Record a CQC rating ({"rating": "inadequate", "rated_on": "YYYY-MM-DD", "report_url": ...}); the contracts'
    rating rules are evaluated at once (CE-52: "immediate effect")."""
    from datetime import date

    from models.entities import CqcRatingValue
    from models.provider_store import get_provider, record_cqc_rating
    from workflows.access import ROLE_PERMISSIONS
    from workflows.errors import ValidationProblem
    from workflows.machine import TransitionNotAllowed

    def act():
        data = json_body()
        get_provider(g.viewer, provider_id)
        if Permission.RECORD_CQC_RATING not in ROLE_PERMISSIONS[g.viewer.role]:
            raise TransitionNotAllowed("Your role cannot record CQC ratings", forbidden=True)
        try:
            rating = CqcRatingValue(str(data.get("rating") or ""))
        except ValueError:
            raise ValidationProblem("rating must be one of " + ", ".join(v.value for v in CqcRatingValue),
                                    "rating") from None
        try:
            rated_on = date.fromisoformat(str(data.get("rated_on") or ""))
        except ValueError:
            raise ValidationProblem("Give rated_on as a date written YYYY-MM-DD", "rated_on") from None
        return record_cqc_rating(g.viewer, g.api_user, provider_id, rating, rated_on,
                                 text_member(data, "report_url") or None, today_london(), now_utc())

    return answer(act, lambda row: {"provider_id": provider_id, "rating": row.rating.value,
                                    "rated_on": row.rated_on.isoformat()}, 201)
