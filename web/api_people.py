"""The API for people (issue 15, item 3) and Cornwall's leaving-care records (item 4): collections `people` and
`leaving-care`, a person's export and erasure (administrators), and the CW-08 caseload per personal adviser."""

from __future__ import annotations

from flask import g, request

from models.audit_store import events_for
from models.engine import workflow_for
from models.people import PersonRole
from models.people_store import (
    caseload_row,
    caseloads_query,
    end_service,
    erase_person,
    export_person,
    get_leaving_care,
    get_person,
    leaving_care_query,
    people_query,
    record_person,
    records_of,
    refer_young_person,
    step_leaving_care,
)
from web.api import answer, bp, enum_param, expose_record, json_body, paged_list, text_member
from web.api_cases import _value, event_json, trail_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.leaving_care import LEAVING_CARE_TRANSITIONS


def person_json(person, with_records: bool = False) -> dict:
    """A person: the council's reference (a tombstone once erased), role, month of birth (young people), dates,
    adviser; with the records linked to them when asked for one person."""
    body = {"id": person.id, "reference": person.reference, "role": person.role.value,
            "born_in": person.born_in.strftime("%Y-%m") if person.born_in else None,
            "started_on": _value(person.started_on), "ended_on": _value(person.ended_on),
            "adviser_id": person.adviser_id, "provider_id": person.provider_id, "contract_id": person.contract_id,
            "erased": person.erased_at is not None, "version": person.version_id}
    if with_records:
        body["records"] = [{"kind": kind.name, "id": r.id, "reference": r.reference, "state": r.state.value,
                            "page": kind.page_for(r.id, None)} for kind, r in records_of(g.viewer, person)]
        body["events"] = [event_json(e) for e in events_for(g.viewer.council_id, "person", person.id)]
    return body


def leaving_care_json(record) -> dict:
    """A leaving-care record: the young person, referral, allocation, last review and meeting, its clocks
    explained, the steps allowed now and its trail."""
    workflow = workflow_for(g.viewer, "leaving_care", record, now_utc(), today_london())
    return {"id": record.id, "kind": "leaving_care", "reference": record.reference, "state": record.state.value,
            "version": record.version_id, "allowed_triggers": workflow.allowed_triggers(),
            "provider_id": record.provider_id, "contract_id": record.contract_id, "person_id": record.person_id,
            "person": record.person.reference, "referred_on": _value(record.referred_on),
            "allocated_on": _value(record.allocated_on), "adviser_id": record.adviser_id,
            "reviewed_on": _value(record.reviewed_on), "contacted_on": _value(record.contacted_on),
            "note": record.note, **trail_json("leaving_care", record.id)}


@bp.get("/people")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def people():
    """People the token's owner may see (a provider: its own contracts'), optionally of one contract or role, a page
    at a time, newest first."""
    query = people_query(g.viewer, request.args.get("contract", type=int), enum_param("role", PersonRole))
    return paged_list(query, person_json)


@bp.post("/people")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_person():
    """Add a person (contract_id, reference, role, and optionally born_in YYYY-MM for a young person, started_on,
    adviser_id): the council's contract managers."""
    def act():
        body = json_body()
        for name in ("reference", "role", "born_in", "started_on"):
            text_member(body, name)
        return record_person(g.viewer, g.api_user, body, now_utc())

    return answer(act, lambda p: person_json(p, True), 201)


@bp.get("/people/<int:person_id>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def person(person_id: int):
    """One person, with every record linked to them and their trail."""
    return answer(lambda: get_person(g.viewer, person_id), lambda p: person_json(p, True))


@bp.post("/people/<int:person_id>/ending")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def person_ending(person_id: int):
    """Record the day the person's service ended ({"ended_on": "YYYY-MM-DD"}): retention counts from it."""
    return answer(lambda: end_service(g.viewer, g.api_user, person_id, json_body(), now_utc()),
                  lambda p: person_json(p, True))


@bp.get("/people/<int:person_id>/export")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)  # the store: 404 if not yours, then 403 unless admin
def export(person_id: int):
    """Everything kept about one person across every person-linked kind (UK GDPR); the export is audited."""
    return answer(lambda: export_person(g.viewer, g.api_user, person_id, now_utc()), lambda body: body)


@bp.post("/people/<int:person_id>/erasure")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)  # the store: 404 if not yours, then 403 unless admin
def erasure(person_id: int):
    """Erase one person's personal data on request ({"reason": ...}): the rows stay under a tombstone."""
    def act():
        body = json_body()
        return erase_person(g.viewer, g.api_user, person_id, text_member(body, "reason"), now_utc())

    return answer(act, lambda p: person_json(p, True))


@bp.get("/leaving-care")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def leaving_care():
    """Leaving-care records the token's owner may see (a provider: its own), a page at a time, newest first."""
    return paged_list(leaving_care_query(g.viewer), leaving_care_json, kind="leaving_care")


@bp.post("/leaving-care")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_leaving_care():
    """A young person referred to the provider (person_id, referred_on): the CW-14 allocation clock starts."""
    return answer(lambda: refer_young_person(g.viewer, g.api_user, json_body(), now_utc()), leaving_care_json, 201)


@bp.get("/leaving-care/caseloads")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def leaving_care_caseloads():
    """CW-08: each personal adviser's allocated young people against the contract's cap, over-cap flagged, a page at
    a time, by contract."""
    return paged_list(caseloads_query(g.viewer), lambda row: caseload_row(*row), rows=True)


_TRIGGERS = tuple(dict.fromkeys(row.trigger for row in LEAVING_CARE_TRANSITIONS))


def _step(record_id: int, trigger: str, data: dict, version):
    if trigger not in _TRIGGERS:
        raise ValidationProblem(f"Give the trigger to fire: {', '.join(_TRIGGERS)}", "trigger")
    return step_leaving_care(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)


expose_record("leaving-care", "leaving_care_record", "leaving-care record (CW-14, CW-16, CW-10)",
              lambda record_id: get_leaving_care(g.viewer, record_id), leaving_care_json, _step)
