"""The API for H&F referrals and packages of care (issue 15, item 2), collections `referrals` and `packages`."""

from __future__ import annotations

from flask import g, request

from models.engine import workflow_for
from models.referral_store import (
    computed_kpis,
    confirmations_query,
    get_confirmation,
    get_package,
    get_referral,
    packages_query,
    person_reference,
    record_package,
    record_referral,
    referrals_query,
    start_confirmations,
    step_confirmation,
    step_package,
    step_referral,
)
from web.api import answer, bp, expose_record, json_body, paged_list
from web.api_cases import _value, trail_json
from web.bounds import date_param
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.home_care_kpis import financial_quarter

REFERRAL_TRIGGERS = ("acknowledge", "accept", "decline", "start", "withdraw")
PACKAGE_TRIGGERS = ("agree_plan", "allocate_key_worker", "review", "record_manual_entry", "record_extra_hours",
                    "admit_to_hospital", "return_home", "suspend_after_no_reply", "resume", "end")


def _base(kind: str, record) -> dict:
    workflow = workflow_for(g.viewer, kind, record, now_utc(), today_london())
    return {"id": record.id, "kind": kind, "reference": record.reference, "state": record.state.value,
            "version": record.version_id, "allowed_triggers": workflow.allowed_triggers(),
            "provider_id": record.provider_id, "contract_id": record.contract_id, "summary": record.summary,
            "late": record.late, **trail_json(kind, record.id)}


def _common(kind: str, record) -> dict:
    return {**_base(kind, record), "person": person_reference(record)}


def referral_json(record) -> dict:
    """A referral: its times, grade and response window, the answer (a refusal with its reason), its deadlines
    explained and its trail."""
    return {**_common("referral", record), **{name: _value(getattr(record, name)) for name in (
        "received_at", "starts_at", "grade", "hospital_discharge", "response_rule", "response_hours",
        "acknowledged_at", "decided_at", "started_at", "refusal_reason", "refusal_detail", "within_capacity")}}


def package_json(record) -> dict:
    """A package of care: its dates, hospital stay, unpaid visits, its deadlines explained and its trail."""
    return {**_common("package", record), **{name: _value(getattr(record, name)) for name in (
        "referral_id", "referred_at", "started_on", "plan_agreed_on", "key_worker_on", "first_review_on",
        "last_review_on", "admitted_at", "ended_on", "unpaid_visits", "unpaid_extra_hours")}}


@bp.get("/referrals")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def referrals():
    """Referrals the token's owner may see (a provider: those sent to it), a page at a time, newest first."""
    return paged_list(referrals_query(g.viewer), referral_json, kind="referral")


@bp.post("/referrals")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_referral():
    """Send a referral (contract_id, person or person_id, summary, received_at, starts_at, grade,
    hospital_discharge, response_hours): its hour clocks start."""
    return answer(lambda: record_referral(g.viewer, g.api_user, json_body(), now_utc()), referral_json, 201)


def _step_referral(record_id: int, trigger: str, data: dict, version):
    if trigger not in REFERRAL_TRIGGERS:
        raise ValidationProblem(f"Give the trigger to fire: {', '.join(REFERRAL_TRIGGERS)}", "trigger")
    return step_referral(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)


expose_record("referrals", "referral", "referral (H&F, issue 15)", lambda record_id: get_referral(g.viewer, record_id),
              referral_json, _step_referral)


@bp.get("/packages")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def packages():
    """Packages of care the token's owner may see (a provider: its own), a page at a time, newest first."""
    return paged_list(packages_query(g.viewer), package_json, kind="package")


@bp.post("/packages")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_package():
    """Record a package already running (contract_id, person or person_id, summary, referred_at, started_on): its
    plan, key worker and first review clocks start."""
    return answer(lambda: record_package(g.viewer, g.api_user, json_body(), now_utc()), package_json, 201)


def _step_package(record_id: int, trigger: str, data: dict, version):
    if trigger not in PACKAGE_TRIGGERS:
        raise ValidationProblem(f"Give the trigger to fire: {', '.join(PACKAGE_TRIGGERS)}", "trigger")
    return step_package(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)


expose_record("packages", "care_package", "package of care (H&F, issue 15)",
              lambda record_id: get_package(g.viewer, record_id), package_json, _step_package)


def confirmation_json(record) -> dict:
    """One week's capacity confirmation: its Tuesday, the hours declared and from when, its deadline, its trail."""
    return {**_base("capacity", record), **{name: _value(getattr(record, name)) for name in (
        "due_on", "confirmed_at", "available_hours", "available_from", "short_notice")}}


@bp.get("/capacity-confirmations")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def capacity_confirmations():
    """Weekly capacity confirmations the token's owner may see (a provider: its own), a page at a time, newest
    first."""
    return paged_list(confirmations_query(g.viewer), confirmation_json, kind="capacity")


@bp.post("/capacity-confirmations")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_capacity_confirmation():
    """Start awaiting the weekly confirmation on a contract (contract_id, week_of): each week awaits the next."""
    return answer(lambda: start_confirmations(g.viewer, g.api_user, json_body(), now_utc()), confirmation_json, 201)


def _step_confirmation(record_id: int, trigger: str, data: dict, version):
    if trigger != "confirm":
        raise ValidationProblem("Give the trigger to fire: confirm", "trigger")
    return step_confirmation(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)


expose_record("capacity-confirmations", "capacity_confirmation", "weekly capacity confirmation (H&F, issue 15)",
              lambda record_id: get_confirmation(g.viewer, record_id), confirmation_json, _step_confirmation)


@bp.get("/contracts/<key>/computed-kpis")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def contract_computed_kpis(key: str):
    """The KPIs Remedy computes from the contract's referral, package and capacity records for a period (from, to;
    left out: this financial quarter), each beside the provider's reported figure and flagged where they differ."""
    today = today_london()
    start, end = financial_quarter(today)
    if request.args.get("from") or request.args.get("to"):
        start, end = date_param(request.args.get("from"), "from"), date_param(request.args.get("to"), "to")

    def body(found):
        contract, kpis = found
        return {"contract": contract.reference, "from": start.isoformat(), "to": end.isoformat(),
                "items": [{"id": k.id, "name": k.name, "rule": k.rule, "unit": k.unit, "numerator": k.numerator,
                           "denominator": k.denominator, "value": k.value, "reported": k.reported,
                           "differs": k.differs} for k in kpis]}

    return answer(lambda: computed_kpis(g.viewer, key, start, end, today), body)
