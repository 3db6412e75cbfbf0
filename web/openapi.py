"""The OpenAPI 3.1 document for /api/v1 (tests validate every response against these schemas)."""

from __future__ import annotations

from models.registry import CASE_COLLECTIONS
from web.openapi_people import people_paths, people_schemas

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "Bad request", 401: "No valid API token", 403: "Role does not allow this",
            404: "Not found or not yours", 409: "Not allowed now", 413: "Too large", 422: "Invalid data"}
    return {str(code): _json(_ERROR, text[code]) for code in codes}


# -- lists, a page at a time (issue 17) ---------------------------------------------------------------------------

# Every GET answering a list through web/api.py paged_list: page and per_page parameters, and the Page members.
PAGED_LISTS = ("/cases", "/providers", "/contracts", "/complaints", "/safeguarding-concerns", "/incidents",
               "/duty-notifications", "/requests", "/financial-changes", "/planned-meetings", "/people",
               "/leaving-care", "/leaving-care/caseloads", "/referrals", "/packages", "/capacity-confirmations",
               "/returns", "/kpi-results", "/breaches", "/soft-outcome-checks", "/stay-limits")
PAGE_PARAMETERS = {
    "page": {"name": "page", "in": "query", "description": "The page, from 1 (a page past the end has no items)",
             "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "per_page": {"name": "per_page", "in": "query", "description": "Items on a page, up to 100",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
    "after": {"name": "after", "in": "query",
              "description": "In place of page: the items after this one (a previous page's next_after), as fast "
                             "at any depth (not on /leaving-care/caseloads)",
              "schema": {"type": "integer", "minimum": 1}},
}
PAGE_SCHEMA = {
    "type": "object", "required": ["items", "total", "total_exact", "page", "per_page"],
    "description": "One page of a list, newest first. A page or per_page out of range is a 422 naming it.",
    "properties": {
        "items": {"type": "array"},
        "total": {"type": "integer", "minimum": 0,
                  "description": "How many items the list has: exact up to 1,000, about this many above"},
        "total_exact": {"type": "boolean", "description": "false when total is an estimate a few minutes old"},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
        "next_after": {"type": ["integer", "null"],
                       "description": "The last item's id when the page is full: ask for ?after= it for the next"}}}


def _paged(document: dict) -> dict:
    """Every list's GET takes page and per_page and answers a Page (with the list's own items), or a 422."""
    for path in PAGED_LISTS:
        operation = document["paths"][path]["get"]
        others = [p for p in operation.get("parameters", []) if p.get("name") not in PAGE_PARAMETERS]
        operation["parameters"] = others + [{"$ref": f"#/components/parameters/{name}"} for name in PAGE_PARAMETERS]
        ok = operation["responses"]["200"]["content"]["application/json"]
        ok["schema"] = {"allOf": [{"$ref": "#/components/schemas/Page"}, ok["schema"]]}
        operation["responses"].setdefault("422", _errors(422)["422"])
    document["components"]["parameters"] = {**document["components"].get("parameters", {}), **PAGE_PARAMETERS}
    document["components"]["schemas"]["Page"] = PAGE_SCHEMA
    return document


def openapi_document() -> dict:
    """The whole document."""
    return _paged(_document())


def _document() -> dict:
    date_param = {"type": "string", "format": "date"}
    region = {"type": "string", "enum": ["england-and-wales", "scotland", "northern-ireland"],
              "default": "england-and-wales"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Remedy API", "version": "1.0.0",
                 "description": "Provider under-performance cases, deadlines and working days. Send "
                                "'Authorization: Bearer <token>' (flask users token EMAIL makes one). A provider's "
                                "token sees only that provider's records; others are 404."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/health": {"get": {"summary": "Service and scheduler health", "security": [],
                                "responses": {"200": _json({"$ref": "#/components/schemas/Health"}, "Healthy"),
                                              "503": _json({"$ref": "#/components/schemas/Health"}, "Degraded")}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "The OpenAPI document"}}}},
            "/providers": {"get": {"summary": "Providers you can see", "responses": {
                "200": _json({"$ref": "#/components/schemas/ProviderList"}, "Providers"), **_errors(401, 403)}}},
            "/providers/{id}": {"get": {
                "summary": "One provider",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/Provider"}, "The provider"),
                              **_errors(401, 403, 404)}}},
            "/contracts": {"get": {
                "summary": "Contracts you can see",
                "parameters": [{"name": "provider", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/ContractList"}, "Contracts"),
                              **_errors(401, 403, 422)}}},
            "/contracts/{key}": {"get": {
                "summary": "One contract by id or reference",
                "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/Contract"}, "The contract"),
                              **_errors(401, 403, 404)}}},
            "/workdays/add": {"get": {
                "summary": "The date N working days after a start date, explained",
                "parameters": [
                    {"name": "start", "in": "query", "required": True, "schema": date_param},
                    {"name": "days", "in": "query", "required": True, "schema": {"type": "integer"}},
                    {"name": "region", "in": "query", "schema": region},
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/WorkdaysAdd"}, "The due date"),
                              **_errors(401, 403, 422)}}},
            **_case_paths(),
            **_return_paths(),
            **_concern_paths(),
            **_financial_change_paths(),
            **_duty_paths(),
            **_referral_paths(),
            **people_paths(_errors),  # issue 15: people and leaving care (web/openapi_people.py)
            **_meeting_paths(),
            **_stay_paths(),
            **_soft_outcome_paths(),
            "/workdays/between": {"get": {
                "summary": "Working days after one date up to and including another",
                "parameters": [
                    {"name": "start", "in": "query", "required": True, "schema": date_param},
                    {"name": "end", "in": "query", "required": True, "schema": date_param},
                    {"name": "region", "in": "query", "schema": region},
                ],
                "responses": {"200": _json({"$ref": "#/components/schemas/WorkdaysBetween"}, "The count"),
                              **_errors(401, 403, 422)}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "additionalProperties": False,
                          "properties": {"error": {"type": "string", "minLength": 1},
                                         "field": {"type": "string", "minLength": 1,
                                                   "description": "The parameter or JSON key at fault, if one is"}}},
                "Health": {
                    "type": "object", "required": ["status", "scheduler"],
                    "properties": {
                        "status": {"enum": ["ok", "degraded"]},
                        "database": {"enum": ["ok", "unavailable"]},
                        "scheduler": {"type": ["object", "null"], "required": ["last_tick_at", "lag_seconds"],
                                      "properties": {
                                          "last_tick_at": {"type": ["string", "null"], "format": "date-time"},
                                          "lag_seconds": {"type": ["number", "null"]},
                                          "fired": {"type": "integer"}, "failed": {"type": "integer"},
                                          "due": {"type": "integer"}}},
                    },
                },
                "CqcRating": {"type": "object", "required": ["rating", "rated_on"], "properties": {
                    "rating": {"enum": ["outstanding", "good", "requires_improvement", "inadequate",
                                        "not_yet_rated"]},
                    "rated_on": {"type": "string", "format": "date"},
                    "report_url": {"type": ["string", "null"]}}},
                "Provider": {
                    "type": "object", "additionalProperties": False,
                    "required": ["id", "name", "reference", "cqc_location_id", "cqc_rating", "cqc_ratings"],
                    "properties": {
                        "id": {"type": "integer"}, "name": {"type": "string"}, "reference": {"type": "string"},
                        "cqc_location_id": {"type": ["string", "null"]},
                        "cqc_rating": {"type": ["string", "null"]},
                        "cqc_ratings": {"type": "array", "items": {"$ref": "#/components/schemas/CqcRating"}}}},
                "ProviderList": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Provider"}}}},
                "Contract": {
                    "type": "object", "additionalProperties": False,
                    "required": ["id", "reference", "title", "provider", "service", "lots", "start_on", "end_on",
                                 "rulebook", "contract_manager", "escalation_contacts"],
                    "properties": {
                        "id": {"type": "integer"}, "reference": {"type": "string"}, "title": {"type": "string"},
                        "provider": {"type": "object", "required": ["id", "name", "reference"]},
                        "service": {"type": "string"},
                        "lots": {"type": "array", "items": {"type": "string"}},
                        "start_on": {"type": "string", "format": "date"},
                        "end_on": {"type": ["string", "null"], "format": "date"},
                        "rulebook": {"type": "string"},
                        "contract_manager": {"type": ["string", "null"]},
                        "escalation_contacts": {"type": "array", "maxItems": 3, "items": {
                            "type": "object", "required": ["level", "name"],
                            "properties": {"level": {"type": "integer", "minimum": 1, "maximum": 3},
                                           "name": {"type": "string"}}}}}},
                "ContractList": {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Contract"}}}},
                "WorkdaysAdd": {
                    "type": "object", "required": ["start", "days", "region", "due_on", "explanation"],
                    "properties": {
                        "start": {"type": "string", "format": "date"}, "days": {"type": "integer"},
                        "region": {"type": "string"}, "due_on": {"type": "string", "format": "date"},
                        "rule": {"type": "string"},
                        "explanation": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        "skipped": {"type": "array", "items": {
                            "type": "object", "required": ["date", "reason"],
                            "properties": {"date": {"type": "string", "format": "date"},
                                           "reason": {"type": "string"}}}}}},
                **_case_schemas(),
                **_concern_schemas(),
                **_financial_change_schemas(),
                **_duty_schemas(),
                **_referral_schemas(),
                **people_schemas(),
                **_meeting_schemas(),
                **_stay_schemas(),
                **_soft_outcome_schemas(),
                "WorkdaysBetween": {
                    "type": "object", "required": ["start", "end", "region", "working_days"],
                    "properties": {"start": {"type": "string", "format": "date"},
                                   "end": {"type": "string", "format": "date"}, "region": {"type": "string"},
                                   "working_days": {"type": "integer"}}},
            },
        },
    }


COLLECTIONS = list(CASE_COLLECTIONS)


def _case_paths() -> dict:
    record = {"$ref": "#/components/schemas/Record"}
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    collection = {"name": "collection", "in": "path", "required": True, "schema": {"enum": COLLECTIONS}}
    created = {"201": _json(record, "Created"), **_errors(401, 403, 404, 409, 422)}
    paths = {
        "/cases": {
            "get": {"summary": "Cases you can see, filtered and paged",
                    "parameters": [
                        {"name": "provider", "in": "query", "schema": {"type": "integer"}},
                        {"name": "contract", "in": "query", "schema": {"type": "integer"}},
                        {"name": "state", "in": "query", "schema": {"type": "string"}},
                        {"name": "overdue", "in": "query", "schema": {"enum": ["true", "false"]}},
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "per_page", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
                    "responses": {"200": _json({"$ref": "#/components/schemas/CaseList"}, "Cases"),
                                  **_errors(401, 403, 422)}},
            "post": {"summary": "Open a case on a contract (council managers); 409 when the contract already has "
                                "an open case, unless second_case_reason says why another is needed",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["contract", "summary"],
                         "properties": {"contract": {"type": ["integer", "string"]},
                                        "summary": {"type": "string"},
                                        "second_case_reason": {"type": "string"}}}}}},
                     "responses": created}},
        "/{collection}/{id}": {"get": {
            "summary": "One record: state, allowed triggers, deadlines with explanations, audit trail",
            "parameters": [collection, id_param],
            "responses": {"200": _json(record, "The record"), **_errors(401, 403, 404)}}},
        "/{collection}/{id}/transitions": {"post": {
            "summary": "Fire a trigger; data may carry the real date something happened (never in the future)",
            "parameters": [collection, id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["trigger"],
                "properties": {"trigger": {"type": "string"},
                               "version": {"type": "integer", "description": "the version you saw (optional)"}},
                "additionalProperties": True}}}},
            "responses": {"200": _json(record, "The updated record"), **_errors(400, 401, 403, 404, 409, 422)}}},
        "/action-plans/{id}/rows": {"post": {
            "summary": "Add a Kent Appendix A row to a draft plan", "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/PlanRow"}}}},
            "responses": created}},
        "/action-plans/{id}/milestones": {"post": {
            "summary": "Add a milestone to a draft plan", "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["title", "due_on"],
                "properties": {"title": {"type": "string"}, "due_on": {"type": "string", "format": "date"}}}}}},
            "responses": created}},
    }
    paths.update(_plan_change_paths(record, id_param))
    for name, summary in (("notices", "Draft the contract's notice (findings, required_action)"),
                          ("action-plans", "Start an action plan (notice, or due_days when required directly)"),
                          ("default-notices", "Draft a default notice"),
                          ("suspensions", "Propose a suspension (reason)"),
                          ("terminations", "Put termination forward for decision (reason)")):
        paths[f"/cases/{{id}}/{name}"] = {"post": {
            "summary": summary, "parameters": [id_param],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": created}}
    return paths


def _plan_change_paths(record: dict, id_param: dict) -> dict:
    """Changing and removing rows and milestones of a draft or returned plan (issue 16)."""
    row_param = {"name": "row_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    version = {"type": "integer", "description": "the version you saw (optional): the plan's for a row, the "
                                                 "milestone's for a milestone; a stale one is a 409"}
    version_query = {"name": "version", "in": "query", "schema": {"type": "integer"},
                     "description": version["description"]}
    changed = {"200": _json(record, "The plan or milestone as it now is"), **_errors(400, 401, 403, 404, 409, 422)}
    removed = {"200": _json(record, "The plan without it"), **_errors(400, 401, 403, 404, 409)}
    return {
        "/action-plans/{id}/rows/{row_id}": {
            "patch": {"summary": "Change a row of a draft or returned plan (only the members sent change)",
                      "parameters": [id_param, row_param],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "properties": {
                              "version": version, "rag": {"enum": ["red", "amber", "green"]},
                              "deadline": {"type": "string", "format": "date"},
                              **{c: {"type": "string"} for c in ("kpi", "current_performance", "issue", "action",
                                                                  "owner", "expected_outcome")}}}}}},
                      "responses": changed},
            "delete": {"summary": "Remove a row from a draft or returned plan (the audit trail keeps it)",
                       "parameters": [id_param, row_param, version_query], "responses": removed}},
        "/action-plans/{id}/comments": {"post": {
            "summary": "Comment on one row or one milestone of a plan being agreed (draft, submitted or returned)",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string"}, "row_id": {"type": "integer"},
                               "milestone_id": {"type": "integer"}}}}}},
            "responses": {"201": _json(record, "The plan with the comment"),
                          **_errors(400, 401, 403, 404, 409, 422)}}},
        "/milestones/{id}": {
            "patch": {"summary": "Change a milestone of a draft or returned plan (never due in the past)",
                      "parameters": [id_param],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "properties": {
                              "version": version, "title": {"type": "string"},
                              "due_on": {"type": "string", "format": "date"}}}}}},
                      "responses": changed},
            "delete": {"summary": "Remove a milestone from a draft or returned plan; answers with the plan",
                       "parameters": [id_param, version_query], "responses": removed}},
    }


def _return_paths() -> dict:
    """Monitoring returns, their uploads and templates, KPI results and breaches (issue 7)."""
    obj = {"type": "object"}
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    contract = {"name": "contract", "in": "query", "schema": {"type": "integer"}}
    trigger_body = {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["trigger"], "additionalProperties": True,
        "properties": {"trigger": {"type": "string"}, "reason": {"type": "string"}}}}}}
    changed = {"200": _json(obj, "The updated record"), **_errors(400, 401, 403, 404, 409, 422)}
    return {
        "/returns": {"get": {
            "summary": "Return periods you can see (providers: their own), with due dates",
            "parameters": [contract, {"name": "state", "in": "query",
                                      "schema": {"enum": ["due", "submitted", "accepted", "queried"]}}],
            "responses": {"200": _json(obj, "Return periods"), **_errors(401, 403, 422)}}},
        "/returns/{id}": {"get": {
            "summary": "One return period: state, due date and why, figures with every earlier version, audit trail",
            "parameters": [id_param], "responses": {"200": _json(obj, "The return"), **_errors(401, 403, 404)}}},
        "/returns/{id}/transitions": {"post": {
            "summary": "submit or correct (figures: {KPI id: [numerator, denominator]}, submitted_on), accept, "
                       "or query (reason)",
            "parameters": [id_param], "requestBody": trigger_body, "responses": changed}},
        "/returns/{id}/upload": {"post": {
            "summary": "Upload the completed CSV or XLSX template (field 'file'); any error and nothing is imported",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"200": _json(obj, "The periods submitted"), **_errors(401, 403, 404, 409, 413, 422)}}},
        "/returns/{id}/template.{format}": {"get": {
            "summary": "The upload template for this contract and period",
            "parameters": [id_param, {"name": "format", "in": "path", "required": True,
                                      "schema": {"enum": ["csv", "xlsx"]}}],
            "responses": {"200": {"description": "The template file"}, **_errors(401, 403, 404)}}},
        "/kpi-results": {"get": {
            "summary": "KPI period results (value, target, RAG) from accepted returns", "parameters": [contract],
            "responses": {"200": _json(obj, "Results"), **_errors(401, 403, 422)}}},
        "/breaches": {"get": {
            "summary": "Breaches found over closed periods, each with its rule, figures and proposed actions",
            "parameters": [contract, {"name": "status", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": _json(obj, "Breaches"), **_errors(401, 403, 422)}}},
        "/breaches/{id}": {"get": {
            "summary": "One breach", "parameters": [id_param],
            "responses": {"200": _json(obj, "The breach"), **_errors(401, 403, 404)}}},
        "/breaches/{id}/transitions": {"post": {
            "summary": "confirm (opens or escalates the case with its proposals) or dismiss (reason)",
            "parameters": [id_param], "requestBody": trigger_body, "responses": changed}},
        "/contracts/{id}/monitoring-events": {"post": {
            "summary": "Record an event a rolling-window rule counts (kind, on, ref) or a local rating "
                       "(kind rating:local, value)",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["kind", "on"],
                "properties": {"kind": {"type": "string"}, "on": {"type": "string", "format": "date"},
                               "ref": {"type": "string"}, "value": {"type": "string"}}}}}},
            "responses": {"201": _json(obj, "Recorded"), **_errors(401, 403, 404, 422)}}},
        "/providers/{id}/cqc-ratings": {"post": {
            "summary": "Record a CQC rating (rating, rated_on, report_url); rating rules are evaluated at once "
                       "(CE-52 immediate effect)",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["rating", "rated_on"],
                "properties": {"rating": {"type": "string"}, "rated_on": {"type": "string", "format": "date"},
                               "report_url": {"type": "string"}}}}}},
            "responses": {"201": _json(obj, "Recorded"), **_errors(401, 403, 404, 422)}}},
        "/contracts/{id}/settings": {
            "get": {"summary": "The council's settings on the contract (A4 due dates, deemed receipt, local "
                               "complaint clocks), each with its source: the contract, council setting or not set",
                    "parameters": [id_param], "responses": {"200": _json(obj, "Settings"), **_errors(401, 403, 404)}},
            "post": {"summary": "Set or clear one setting (administrators): key, value (null clears), reason",
                     "parameters": [id_param],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["key", "reason"],
                         "properties": {"key": {"enum": ["return_due", "deemed_receipt", "complaint_clocks",
                                                                 "kpi_targets", "retention"]},
                                        "value": {"type": ["object", "null"]}, "reason": {"type": "string"}}}}}},
                     "responses": {"200": _json(obj, "Settings"), **_errors(401, 403, 404, 422)}}},
    }


def _concern_paths() -> dict:
    """Complaints, safeguarding concerns, incidents and meeting minutes."""
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    provider = {"name": "provider", "in": "query", "schema": {"type": "integer"}}

    def ref(name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    def body(properties: dict, required: list[str]) -> dict:
        return {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": required, "additionalProperties": True, "properties": properties}}}}

    def items(name: str) -> dict:
        return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref(name)}}}

    trigger = body({"trigger": {"type": "string"}}, ["trigger"])
    changed = _errors(400, 401, 403, 404, 409, 422)
    return {
        "/complaints": {
            "get": {"summary": "Complaints you can see (providers: their own)",
                    "responses": {"200": _json(items("Complaint"), "Complaints"), **_errors(401, 403)}},
            "post": {"summary": "Record a complaint as received (a formal one starts HF-74's clocks)",
                     "requestBody": body({"provider": {"type": "integer"}, "received_at": {"type": "string"},
                                          "channel": {"type": "string"}, "complainant_type": {"type": "string"},
                                          "formal": {"type": "boolean"}, "summary": {"type": "string"}},
                                         ["received_at", "summary"]),
                     "responses": {"201": _json(ref("Complaint"), "Recorded"), **changed}}},
        "/complaints/{id}": {"get": {
            "summary": "One complaint: state, allowed triggers, deadlines and audit trail", "parameters": [id_param],
            "responses": {"200": _json(ref("Complaint"), "The complaint"), **_errors(401, 403, 404)}}},
        "/complaints/{id}/transitions": {"post": {
            "summary": "Move a complaint on", "parameters": [id_param], "requestBody": trigger,
            "responses": {"200": _json(ref("Complaint"), "The updated complaint"), **changed}}},
        "/safeguarding-concerns": {
            "get": {"summary": "Safeguarding concerns as far as you may see them (restricted details never sent)",
                    "parameters": [provider],
                    "responses": {"200": _json(items("Concern"), "Concerns"), **_errors(401, 403, 422)}},
            "post": {"summary": "Raise a safeguarding concern (a provider who raises one does not see it back)",
                     "requestBody": body({"provider": {"type": "integer"}, "type": {"type": "string"},
                                          "details": {"type": "string"},
                                          "raised_on": {"type": "string", "format": "date"}},
                                         ["type", "details", "raised_on"]),
                     "responses": {"201": _json({"oneOf": [ref("Concern"), {
                         "type": "object", "required": ["status"], "additionalProperties": False,
                         "properties": {"status": {"const": "raised"}}}]}, "Raised"), **changed}}},
        "/safeguarding-concerns/{id}": {"get": {
            "summary": "One concern, restricted as the visibility rules say", "parameters": [id_param],
            "responses": {"200": _json(ref("Concern"), "The concern"), **_errors(401, 403, 404)}}},
        "/safeguarding-concerns/{id}/transitions": {"post": {
            "summary": "Move a concern on (safeguarding officers only)", "parameters": [id_param],
            "requestBody": trigger,
            "responses": {"200": _json(ref("Concern"), "The updated concern"), **changed}}},
        "/safeguarding-concerns/{id}/records": {"post": {
            "summary": "Record a strategy meeting or case conference (HF-59), a request to the provider to investigate "
                       "(HF-58) or the regulator and DBS notification dates (HF-60, HF-61): safeguarding officers only",
            "parameters": [id_param],
            "requestBody": body({"record": {"enum": ["meeting", "investigation", "notifications"]}}, ["record"]),
            "responses": {"200": _json(ref("Concern"), "The updated concern"), **changed}}},
        "/incidents": {
            "get": {"summary": "Incidents you can see, with their deadlines",
                    "responses": {"200": _json(items("Incident"), "Incidents"), **_errors(401, 403)}},
            "post": {"summary": "Record an incident (key-holding incidents start HF-69's clocks)",
                     "requestBody": body({"provider": {"type": "integer"}, "kind": {"type": "string"},
                                          "occurred_at": {"type": "string"}, "description": {"type": "string"},
                                          "action_taken": {"type": "string"}, "reported": {"type": "boolean"},
                                          "written_report": {"type": "string"}}, ["kind", "occurred_at"]),
                     "responses": {"201": _json({"type": "object", "required": ["id", "reference"], "properties": {
                         "id": {"type": "integer"}, "reference": {"type": "string"}}}, "Recorded"), **changed}}},
        "/minutes/{id}": {"get": {
            "summary": "A meeting's minutes: state, deadline and audit trail (KT-16)", "parameters": [id_param],
            "responses": {"200": _json(ref("Minutes"), "The minutes"), **_errors(401, 403, 404)}}},
        "/minutes/{id}/transitions": {"post": {
            "summary": "Send (sent_on), approve or withhold (reason) minutes", "parameters": [id_param],
            "requestBody": trigger,
            "responses": {"200": _json(ref("Minutes"), "The updated minutes"), **changed}}},
    }


def _concern_schemas() -> dict:
    deadlines = {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}}
    events = {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
    triggers = {"type": "array", "items": {"type": "string"}}
    return {
        "Complaint": {"type": "object",
                      "required": ["id", "kind", "reference", "state", "version", "allowed_triggers", "provider_id",
                                   "deadlines", "events"],
                      "properties": {"id": {"type": "integer"}, "kind": {"const": "complaint"},
                                     "reference": {"type": "string"}, "state": {"type": "string"},
                                     "version": {"type": "integer"}, "allowed_triggers": triggers,
                                     "provider_id": {"type": "integer"}, "formal": {"type": ["boolean", "null"]},
                                     "summary": {"type": ["string", "null"]}, "deadlines": deadlines,
                                     "resolved_within_28_days": {"type": ["boolean", "null"]},
                                     "events": events}},
        "Concern": {"type": "object",
                    "required": ["id", "kind", "reference", "state", "version", "provider_id", "raised_on",
                                 "visibility", "details", "allowed_triggers", "deadlines", "events"],
                    "properties": {"id": {"type": "integer"}, "kind": {"const": "safeguarding_concern"},
                                   "reference": {"type": "string"}, "state": {"type": "string"},
                                   "version": {"type": "integer"}, "provider_id": {"type": "integer"},
                                   "raised_on": {"type": "string", "format": "date"},
                                   "visibility": {"enum": ["full", "shared", "exists"]},
                                   "details": {"type": ["string", "null"]},
                                   "investigation_request": {"type": ["string", "null"]},
                                   "meetings": {"type": "array", "items": {"type": "object"}},
                                   **{name: {"type": ["string", "null"], "format": "date"} for name in (
                                       "investigation_requested_on", "regulator_informed_on", "dbs_referral_on",
                                       "dbs_council_told_on")},
                                   "allowed_triggers": triggers, "deadlines": deadlines, "events": events}},
        "Incident": {"type": "object",
                     "required": ["id", "reference", "kind", "provider_id", "occurred_at", "deadlines"],
                     "properties": {"id": {"type": "integer"}, "reference": {"type": "string"},
                                    "kind": {"type": "string"}, "provider_id": {"type": "integer"},
                                    "occurred_at": {"type": "string", "format": "date-time"},
                                    "description": {"type": ["string", "null"]},
                                    "action_taken": {"type": ["string", "null"]},
                                    "reported_at": {"type": ["string", "null"]}, "deadlines": deadlines}},
        "Minutes": {"type": "object",
                    "required": ["id", "kind", "state", "version", "contract_id", "held_on", "allowed_triggers",
                                 "deadlines", "events"],
                    "properties": {"id": {"type": "integer"}, "kind": {"const": "minutes"},
                                   "state": {"type": "string"}, "version": {"type": "integer"},
                                   "contract_id": {"type": "integer"},
                                   "held_on": {"type": "string", "format": "date"},
                                   "sent_on": {"type": ["string", "null"], "format": "date"},
                                   "allowed_triggers": triggers, "deadlines": deadlines, "events": events}},
    }


def _financial_change_paths() -> dict:
    """Significant adverse financial changes (TH-16: reported within 7 working days of the change)."""
    change = {"$ref": "#/components/schemas/FinancialChange"}
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/financial-changes": {
            "get": {"summary": "Financial changes you can see (providers: their own), most recent first",
                    "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                        "items": {"type": "array", "items": change}}}, "Financial changes"),
                                  **_errors(401, 403)}},
            "post": {"summary": "Record a significant adverse financial change; TH-16's 7-working-day clock starts",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["contract_id", "occurred_on", "what_changed"],
                         "properties": {"contract_id": {"type": ["integer", "string"]},
                                        "occurred_on": {"type": "string", "format": "date"},
                                        "what_changed": {"type": "string"}}}}}},
                     "responses": {"201": _json(change, "Recorded"), **_errors(401, 403, 404, 422)}}},
        "/financial-changes/{id}": {"get": {
            "summary": "One financial change: state, allowed triggers, its deadline explained, audit trail",
            "parameters": [id_param],
            "responses": {"200": _json(change, "The financial change"), **_errors(401, 403, 404)}}},
        "/financial-changes/{id}/transitions": {"post": {
            "summary": "report (reported_on, never in the future nor before the change); meets the TH-16 deadline",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["trigger"],
                "properties": {"trigger": {"enum": ["report"]},
                               "reported_on": {"type": "string", "format": "date"},
                               "version": {"type": "integer", "description": "the version you saw (optional)"}}}}}},
            "responses": {"200": _json(change, "The updated financial change"),
                          **_errors(400, 401, 403, 404, 409, 422)}}},
    }


def _financial_change_schemas() -> dict:
    return {"FinancialChange": {
        "type": "object",
        "required": ["id", "kind", "reference", "state", "version", "allowed_triggers", "provider_id",
                     "contract_id", "what_changed", "occurred_on", "reported_on", "deadlines", "events"],
        "properties": {
            "id": {"type": "integer"}, "kind": {"const": "financial_change"}, "reference": {"type": "string"},
            "state": {"enum": ["recorded", "reported"]}, "version": {"type": "integer"},
            "allowed_triggers": {"type": "array", "items": {"type": "string"}},
            "provider_id": {"type": "integer"}, "contract_id": {"type": ["integer", "null"]},
            "what_changed": {"type": "string"}, "occurred_on": {"type": "string", "format": "date"},
            "reported_on": {"type": ["string", "null"], "format": "date"},
            "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}}}


def _kind_paths(path: str, schema: str, noun: str, create: dict, create_required: list, create_summary: str,
                triggers: dict, step_summary: str) -> dict:
    """A record kind's collection: list, create, one record, and its transitions."""
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    version = {"type": "integer", "description": "the version you saw (optional)"}
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {
        path: {
            "get": {"summary": f"{noun.capitalize()} you can see (providers: their own)",
                    "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                        "items": {"type": "array", "items": ref}}}, noun.capitalize()), **_errors(401, 403)}},
            "post": {"summary": create_summary,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": create_required, "properties": create}}}},
                     "responses": {"201": _json(ref, "Recorded"), **_errors(401, 403, 404, 422)}}},
        f"{path}/{{id}}": {"get": {
            "summary": f"One of the {noun}: state, allowed triggers, its deadline explained, audit trail",
            "parameters": [id_param],
            "responses": {"200": _json(ref, "The record"), **_errors(401, 403, 404)}}},
        f"{path}/{{id}}/transitions": {"post": {
            "summary": step_summary, "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["trigger"], "properties": {**triggers, "version": version}}}}},
            "responses": {"200": _json(ref, "The updated record"), **_errors(400, 401, 403, 404, 409, 422)}}},
    }


def _duty_paths() -> dict:
    """Duties to notify and requests with a due date (issue 15), configured per contract by its rulebook."""
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    date = {"type": "string", "format": "date"}
    kind = _kind_paths

    return {
        **kind("/duty-notifications", "DutyNotification", "duties to notify",
               {"contract_id": {"type": ["integer", "string"]},
                "duty": {"type": "string", "description": "a [[duties]] id of the contract's rulebook"},
                "what_happened": {"type": "string"}, "occurred_on": date,
                "notified_on": {**date, "description": "optional: the council was told on this date"},
                "how": {"type": "string"}},
               ["contract_id", "duty", "what_happened", "occurred_on"],
               "Record something the provider must tell the council; the duty's clock starts (immediately: the "
               "same working day, A52)",
               {"trigger": {"enum": ["notify"]}, "notified_on": date, "how": {"type": "string"}},
               "notify (notified_on, never in the future nor before it happened); stops the duty's clock, and "
               "records a late-notice breach event when given after the deadline"),
        **kind("/requests", "Request", "requests",
               {"contract_id": {"type": ["integer", "string"]},
                "request_type": {"type": "string", "description": "a [[requests]] id of the contract's rulebook"},
                "what_asked": {"type": "string"}, "asked_on": date,
                "due_on": {**date, "description": "required when the rulebook leaves the period to the council"}},
               ["contract_id", "request_type", "what_asked", "asked_on"],
               "Ask the provider for something its contract lists; the request type's clock starts",
               {"trigger": {"enum": ["answer", "withdraw"]}, "answer": {"type": "string"}, "answered_on": date,
                "reason": {"type": "string"}},
               "answer (answer, answered_on: either side) or withdraw (reason: the council); an answer meets the "
               "deadline, or records a late-answer breach event after it"),
        "/requests/{id}/evidence": {"post": {
            "summary": "Send evidence files with the answer (either side): PDF, DOCX, XLSX, CSV, PNG or JPEG, up to "
                       "20 MB each, checked by their content",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["files"],
                "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}},
            "responses": {"201": _json({"$ref": "#/components/schemas/Request"}, "The request with its files"),
                          **_errors(401, 403, 404, 409, 413, 422)}}},
    }


def _meeting_paths() -> dict:
    """Meeting cadences (issue 15, item 6): planned meetings, and recording a meeting that holds one."""
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    date = {"type": "string", "format": "date"}
    ref = {"$ref": "#/components/schemas/PlannedMeeting"}
    items = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref}}}
    return {
        "/planned-meetings": {
            "get": {"summary": "Planned meetings you can see (providers: their own), soonest due first",
                    "responses": {"200": _json(items, "Planned meetings"), **_errors(401, 403)}},
            "post": {"summary": "Plan a contract's next meetings: each of its rulebook's [[meetings]] cadences with "
                                "none planned, one cadence after the last meeting held (or after monitoring began)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["contract_id"],
                         "properties": {"contract_id": {"type": ["integer", "string"]}}}}}},
                     "responses": {"201": _json(items, "The meetings planned (none if all were)"),
                                   **_errors(401, 403, 404, 422)}}},
        "/planned-meetings/{id}": {"get": {
            "summary": "One planned meeting: state, its deadline explained, audit trail", "parameters": [id_param],
            "responses": {"200": _json(ref, "The planned meeting"), **_errors(401, 403, 404)}}},
        "/planned-meetings/{id}/transitions": {"post": {
            "summary": "cancel (reason: the council); a planned meeting is held by recording the meeting",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["trigger"],
                "properties": {"trigger": {"enum": ["cancel"]}, "reason": {"type": "string"},
                               "version": {"type": "integer"}}}}}},
            "responses": {"200": _json(ref, "The updated planned meeting"), **_errors(400, 401, 403, 404, 409, 422)}}},
        "/minutes": {"post": {
            "summary": "Record a meeting and draft its minutes; it holds its cadence's planned meeting and plans the "
                       "next",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["contract_id", "held_on", "attendees", "minutes"],
                "properties": {"contract_id": {"type": ["integer", "string"]}, "held_on": date,
                               "attendees": {"type": "string"}, "minutes": {"type": "string"},
                               "cadence": {"type": "string",
                                           "description": "a [[meetings]] id of the contract's rulebook "
                                                          "(default: its first)"}}}}}},
            "responses": {"201": _json({"$ref": "#/components/schemas/Minutes"}, "The meeting"),
                          **_errors(401, 403, 404, 422)}}},
    }


def _meeting_schemas() -> dict:
    maybe_date = {"type": ["string", "null"], "format": "date"}
    return {"PlannedMeeting": {
        "type": "object",
        "required": ["id", "kind", "reference", "state", "version", "allowed_triggers", "provider_id", "contract_id",
                     "cadence", "rule", "what", "counted_from", "due_on", "meeting_id", "held_on", "deadlines",
                     "events"],
        "properties": {"id": {"type": "integer"}, "kind": {"const": "planned_meeting"},
                       "reference": {"type": "string"},
                       "state": {"enum": ["planned", "overdue", "held", "cancelled"]},
                       "version": {"type": "integer"},
                       "allowed_triggers": {"type": "array", "items": {"type": "string"}},
                       "provider_id": {"type": "integer"}, "contract_id": {"type": "integer"},
                       "cadence": {"type": "string"}, "rule": {"type": "string"}, "what": {"type": "string"},
                       "counted_from": {"type": "string", "format": "date"},
                       "due_on": {"type": "string", "format": "date"},
                       "meeting_id": {"type": ["integer", "null"]}, "held_on": maybe_date,
                       "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
                       "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}}}


def _stay_paths() -> dict:
    """Per-person stay limits (issue 15, item 5: TH-11, TH-12)."""
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ref = {"$ref": "#/components/schemas/StayLimit"}
    date = {"type": "string", "format": "date"}
    return {
        "/stay-limits": {
            "get": {"summary": "Stay limits you can see (providers: their own), soonest first",
                    "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                        "items": {"type": "array", "items": ref}}}, "Stay limits"), **_errors(401, 403)}},
            "post": {"summary": "Start a limit the person's contract lists: from moving in (TH-11) or from the "
                                "priority's award (TH-12, started_on)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["person_id", "limit"],
                         "properties": {"person_id": {"type": ["integer", "string"]},
                                        "limit": {"type": "string", "description": "a [[stay_limits]] id"},
                                        "started_on": date}}}}},
                     "responses": {"201": _json(ref, "Started"), **_errors(401, 403, 404, 422)}}},
        "/stay-limits/{id}": {"get": {
            "summary": "One stay limit: state, its date explained, audit trail", "parameters": [id_param],
            "responses": {"200": _json(ref, "The stay limit"), **_errors(401, 403, 404)}}},
        "/stay-limits/{id}/transitions": {"post": {
            "summary": "end (ended_on: either side) or agree (reason: the council, TH-11 only)",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["trigger"],
                "properties": {"trigger": {"enum": ["end", "agree"]}, "ended_on": date,
                               "reason": {"type": "string"}, "version": {"type": "integer"}}}}}},
            "responses": {"200": _json(ref, "The updated stay limit"), **_errors(400, 401, 403, 404, 409, 422)}}},
    }


def _stay_schemas() -> dict:
    maybe_date = {"type": ["string", "null"], "format": "date"}
    return {"StayLimit": {
        "type": "object",
        "required": ["id", "kind", "reference", "state", "version", "allowed_triggers", "provider_id", "contract_id",
                     "person_id", "person", "limit", "rule", "started_on", "due_on", "ended_on", "deadlines",
                     "events"],
        "properties": {"id": {"type": "integer"}, "kind": {"const": "stay_limit"}, "reference": {"type": "string"},
                       "state": {"enum": ["running", "overstayed", "ended", "agreed"]},
                       "version": {"type": "integer"},
                       "allowed_triggers": {"type": "array", "items": {"type": "string"}},
                       "provider_id": {"type": "integer"}, "contract_id": {"type": "integer"},
                       "person_id": {"type": "integer"}, "person": {"type": "string"},
                       "limit": {"type": "string"}, "rule": {"type": "string"},
                       "started_on": {"type": "string", "format": "date"},
                       "due_on": {"type": "string", "format": "date"}, "ended_on": maybe_date,
                       "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
                       "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}}}


def _soft_outcome_paths() -> dict:
    """A resident's annual soft-outcome check (issue 15, item 5: TH-S01 to TH-S09, TH-21)."""
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ref = {"$ref": "#/components/schemas/SoftOutcomeCheck"}
    return {
        "/soft-outcome-checks": {
            "get": {"summary": "Soft-outcome checks you can see (providers: their residents'), soonest due first",
                    "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                        "items": {"type": "array", "items": ref}}}, "Checks"), **_errors(401, 403)}},
            "post": {"summary": "Plan a resident's next check: its months after the last check, or after moving in",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["person_id"],
                         "properties": {"person_id": {"type": ["integer", "string"]}}}}}},
                     "responses": {"201": _json(ref, "Planned"), **_errors(401, 403, 404, 422)}}},
        "/soft-outcome-checks/{id}": {"get": {
            "summary": "One check: state, ratings, its date explained, audit trail", "parameters": [id_param],
            "responses": {"200": _json(ref, "The check"), **_errors(401, 403, 404)}}},
        "/soft-outcome-checks/{id}/transitions": {"post": {
            "summary": "record (checked_on, ratings: one scale value per outcome id, notes with no names): the "
                       "council; plans the next check",
            "parameters": [id_param],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["trigger"],
                "properties": {"trigger": {"enum": ["record"]}, "checked_on": {"type": "string", "format": "date"},
                               "ratings": {"type": "object", "additionalProperties": {"type": "string"}},
                               "notes": {"type": "string"}, "version": {"type": "integer"}}}}}},
            "responses": {"200": _json(ref, "The recorded check"), **_errors(400, 401, 403, 404, 409, 422)}}},
    }


def _soft_outcome_schemas() -> dict:
    maybe_date = {"type": ["string", "null"], "format": "date"}
    return {"SoftOutcomeCheck": {
        "type": "object",
        "required": ["id", "kind", "reference", "state", "version", "allowed_triggers", "provider_id", "contract_id",
                     "person_id", "person", "rule", "counted_from", "due_on", "checked_on", "ratings", "notes",
                     "deadlines", "events"],
        "properties": {"id": {"type": "integer"}, "kind": {"const": "soft_outcome_check"},
                       "reference": {"type": "string"}, "state": {"enum": ["due", "overdue", "recorded"]},
                       "version": {"type": "integer"},
                       "allowed_triggers": {"type": "array", "items": {"type": "string"}},
                       "provider_id": {"type": "integer"}, "contract_id": {"type": "integer"},
                       "person_id": {"type": "integer"}, "person": {"type": "string"}, "rule": {"type": "string"},
                       "counted_from": {"type": "string", "format": "date"},
                       "due_on": {"type": "string", "format": "date"}, "checked_on": maybe_date,
                       "ratings": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
                       "notes": {"type": ["string", "null"]},
                       "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
                       "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}}}


def _duty_schemas() -> dict:
    common = {
        "id": {"type": "integer"}, "reference": {"type": "string"}, "version": {"type": "integer"},
        "allowed_triggers": {"type": "array", "items": {"type": "string"}},
        "provider_id": {"type": "integer"}, "contract_id": {"type": ["integer", "null"]},
        "rule": {"type": "string"}, "due_on": {"type": "string", "format": "date"}, "late": {"type": "boolean"},
        "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}
    required = ["id", "kind", "reference", "state", "version", "allowed_triggers", "provider_id", "contract_id",
                "rule", "due_on", "late", "deadlines", "events"]
    maybe_date = {"type": ["string", "null"], "format": "date"}
    return {
        "DutyNotification": {"type": "object",
                             "required": [*required, "duty", "what_happened", "occurred_on", "notified_on"],
                             "properties": {**common, "kind": {"const": "notification"},
                                            "state": {"enum": ["awaited", "notified", "late", "notified_late"]},
                                            "duty": {"type": "string"}, "what_happened": {"type": "string"},
                                            "occurred_on": {"type": "string", "format": "date"},
                                            "notified_on": maybe_date, "how": {"type": ["string", "null"]}}},
        "Request": {"type": "object",
                    "required": [*required, "request_type", "what_asked", "asked_on", "answer", "answered_on",
                                 "evidence_files"],
                    "properties": {**common, "kind": {"const": "request"},
                                   "state": {"enum": ["open", "answered", "overdue", "withdrawn"]},
                                   "request_type": {"type": "string"}, "what_asked": {"type": "string"},
                                   "asked_on": {"type": "string", "format": "date"},
                                   "answer": {"type": ["string", "null"]}, "answered_on": maybe_date,
                                   "evidence_files": {"type": "array", "items": {
                                       "type": "object",
                                       "required": ["id", "filename", "media_type", "bytes", "sha256"],
                                       "properties": {"id": {"type": "integer"}, "filename": {"type": "string"},
                                                      "media_type": {"type": "string"},
                                                      "bytes": {"type": "integer"}, "sha256": {"type": "string"},
                                                      "uploaded_at": {"type": "string"}}}}}},
    }


def _case_schemas() -> dict:
    return {
        "Deadline": {"type": "object",
                     "required": ["kind", "rule", "due_on", "due_at", "status", "explanation", "frozen"],
                     "properties": {
                         "kind": {"type": "string"}, "label": {"type": "string"}, "rule": {"type": "string"},
                         "unit": {"enum": ["working_days", "calendar_days", "hours", "months"]},
                         "due_on": {"type": "string", "format": "date"},
                         "due_at": {"type": "string", "format": "date-time"},
                         "status": {"enum": ["running", "met", "breached", "cancelled", "superseded"]},
                         "frozen": {"type": "boolean"},
                         "explanation": {"type": "array", "items": {"type": "string"}, "minItems": 1}}},
        "Event": {"type": "object", "required": ["at", "actor", "event", "entity"],
                  "properties": {"at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                                 "event": {"type": "string"}, "from": {"type": ["string", "null"]},
                                 "to": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]},
                                 "data": {"type": "object"}}},
        "Record": {"type": "object",
                   "required": ["id", "kind", "state", "version", "allowed_triggers", "deadlines", "events"],
                   "properties": {
                       "id": {"type": "integer"},
                       "kind": {"enum": ["case", "notice", "action_plan", "milestone", "default_notice",
                                         "suspension", "termination"]},
                       "state": {"type": "string"}, "version": {"type": "integer"},
                       "allowed_triggers": {"type": "array", "items": {"type": "string"}},
                       "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
                       "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                       # The provider portal's additions (web/api_cases.portal_json).
                       "previous_id": {"type": ["integer", "null"],
                                       "description": "An action plan: the agreed version this one changes"},
                       "health": {"enum": ["on track", "at risk", "overdue", None],
                                  "description": "An action plan: how it is going"},
                       "comments": {"type": "array", "description": "An action plan: comments on its rows and "
                                                                    "milestones, oldest first",
                                    "items": {"type": "object",
                                              "required": ["id", "about", "row_id", "milestone_id", "text", "at"]}},
                       "progress": {"type": "array", "description": "A milestone: progress reports, newest first",
                                    "items": {"type": "object", "required": ["status", "commentary", "at"]}},
                       "evidence_files": {
                           "type": "array", "description": "A milestone: evidence files (download from the web page)",
                           "items": {"type": "object", "required": ["id", "filename", "media_type", "bytes",
                                                                    "sha256", "review"]}},
                       "representations": {"type": "array", "description": "A notice: the provider's representations",
                                           "items": {"type": "object", "required": ["text", "at"]}}}},
        "CaseList": {"type": "object", "required": ["items", "total", "page", "per_page"], "properties": {
            "items": {"type": "array", "items": {"type": "object", "required": ["id", "reference", "state"]}},
            "total": {"type": "integer"},
            # Issue 17: exact up to 1,000; above that an estimate from a count made within 5 minutes, and pages
            # beyond the first 1,000 cases are empty (filter to narrow the list).
            "total_exact": {"type": "boolean", "description": "false when total is an estimate (over 1,000)"},
            "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
        "PlanRow": {"type": "object",
                    "required": ["kpi", "current_performance", "rag", "issue", "action", "owner",
                                 "expected_outcome", "deadline"],
                    "properties": {"rag": {"enum": ["red", "amber", "green"]},
                                   "deadline": {"type": "string", "format": "date"}}},
    }


# -- H&F referrals and packages of care (issue 15, item 2) ------------------------------------------------------


def _referral_paths() -> dict:
    """Referrals and packages of care, under a contract whose rulebook has [referrals] and [packages] windows."""
    instant = {"type": "string", "format": "date-time",
               "description": "ISO 8601; with no offset, London time; left out: now"}
    date = {"type": "string", "format": "date"}
    person = {"person": {"type": "string", "description": "the council's reference for the person (no names)"},
              "person_id": {"type": "integer"}}
    number = {"type": ["number", "null"]}
    return {
        "/contracts/{key}/computed-kpis": {"get": {
            "summary": "KPIs Remedy computes from the contract's referral, package and capacity records, beside the "
                       "provider's reported figures (differs: they disagree)",
            "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "from", "in": "query", "schema": date}, {"name": "to", "in": "query",
                                                                               "schema": date}],
            "responses": {"200": _json({"type": "object", "required": ["contract", "from", "to", "items"],
                                        "properties": {"items": {"type": "array", "items": {
                                            "type": "object",
                                            "required": ["id", "rule", "unit", "value", "reported", "differs"],
                                            "properties": {"value": number, "reported": number,
                                                           "differs": {"type": "boolean"}}}}}},
                                       "Computed KPIs"), **_errors(401, 403, 404, 422)}}},
        **_kind_paths(
            "/referrals", "Referral", "referrals",
            {"contract_id": {"type": ["integer", "string"]}, **person, "summary": {"type": "string"},
             "received_at": instant, "starts_at": instant,
             "grade": {"type": "string", "description": "an implementation grade id of the rulebook (HF-R06..R08)"},
             "hospital_discharge": {"type": "boolean"},
             "response_hours": {"type": "integer", "description": "HF-R09: the response time Brokerage set"}},
            ["contract_id", "summary", "starts_at"],
            "Send a referral; its acknowledgement, response and implementation clocks start (real hours)",
            {"trigger": {"enum": ["acknowledge", "accept", "decline", "start", "withdraw"]},
             "acknowledged_at": instant, "decided_at": instant, "started_at": instant,
             "refusal_reason": {"enum": ["no_capacity", "no_skills", "outside_patch", "other"]},
             "refusal_detail": {"type": "string"}, "within_capacity": {"type": "boolean"},
             "reason": {"type": "string"}},
            "acknowledge, accept, decline (refusal_reason, within_capacity), start or withdraw (reason); a step "
            "after its window breaches it and records the contract's breach event"),
        **_kind_paths(
            "/packages", "Package", "packages of care",
            {"contract_id": {"type": ["integer", "string"]}, **person, "summary": {"type": "string"},
             "referred_at": instant, "started_on": date},
            ["contract_id", "summary", "started_on"],
            "Record a package already running; its plan, key worker and first review clocks start",
            {"trigger": {"enum": ["agree_plan", "allocate_key_worker", "review", "record_manual_entry",
                                  "record_extra_hours", "admit_to_hospital", "return_home",
                                  "suspend_after_no_reply", "resume", "end"]},
             "agreed_on": date, "allocated_on": date, "reviewed_on": date, "visit_at": instant,
             "entered_at": instant, "delivered_at": instant, "agreed_at": instant,
             "extra_hours": {"type": "integer"}, "admitted_at": instant, "home_at": instant, "ended_on": date,
             "reason": {"type": "string"}},
            "agree_plan, allocate_key_worker, review (starts the next review's clocks), record_manual_entry (HF-53), "
            "record_extra_hours (HF-54), "
            "admit_to_hospital (HF-64's 48 hours), return_home, suspend_after_no_reply (HF-63, reason), resume or "
            "end"),
        **_kind_paths(
            "/capacity-confirmations", "CapacityConfirmation", "weekly capacity confirmations",
            {"contract_id": {"type": ["integer", "string"]},
             "week_of": {**date, "description": "a day in the first week to await; left out: this week"}},
            ["contract_id"], "Start awaiting the written capacity confirmation every Tuesday (HF-B02)",
            {"trigger": {"enum": ["confirm"]}, "confirmed_at": instant, "available_hours": {"type": "integer"},
             "available_from": date},
            "confirm (available_hours, available_from, confirmed_at); awaits the next week's; less than a week's "
            "notice or after the Tuesday records a missed-capacity-confirmation event"),
    }


def _referral_schemas() -> dict:
    maybe_instant = {"type": ["string", "null"], "format": "date-time"}
    maybe_date = {"type": ["string", "null"], "format": "date"}
    common = {"id": {"type": "integer"}, "reference": {"type": "string"}, "version": {"type": "integer"},
              "allowed_triggers": {"type": "array", "items": {"type": "string"}},
              "provider_id": {"type": "integer"}, "contract_id": {"type": ["integer", "null"]},
              "person": {"type": "string"}, "summary": {"type": "string"}, "late": {"type": "boolean"},
              "deadlines": {"type": "array", "items": {"$ref": "#/components/schemas/Deadline"}},
              "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}}
    required = list(common) + ["kind", "state"]
    return {
        "Referral": {"type": "object", "required": [*required, "received_at", "starts_at", "grade",
                                                     "response_rule", "response_hours"],
                     "properties": {**common, "kind": {"const": "referral"},
                                    "state": {"enum": ["received", "acknowledged", "accepted", "declined",
                                                       "started", "withdrawn"]},
                                    "received_at": {"type": "string", "format": "date-time"},
                                    "starts_at": {"type": "string", "format": "date-time"},
                                    "grade": {"type": "string"}, "hospital_discharge": {"type": "boolean"},
                                    "response_rule": {"type": "string"}, "response_hours": {"type": "integer"},
                                    "acknowledged_at": maybe_instant, "decided_at": maybe_instant,
                                    "started_at": maybe_instant, "refusal_reason": {"type": ["string", "null"]},
                                    "refusal_detail": {"type": ["string", "null"]},
                                    "within_capacity": {"type": ["boolean", "null"]}}},
        "Package": {"type": "object", "required": [*required, "started_on", "unpaid_visits"],
                    "properties": {**common, "kind": {"const": "package"},
                                   "state": {"enum": ["active", "in_hospital", "suspended", "ended"]},
                                   "referral_id": {"type": ["integer", "null"]},
                                   "referred_at": {"type": "string", "format": "date-time"},
                                   "started_on": {"type": "string", "format": "date"},
                                   "plan_agreed_on": maybe_date, "key_worker_on": maybe_date,
                                   "first_review_on": maybe_date, "last_review_on": maybe_date,
                                   "admitted_at": maybe_instant, "ended_on": maybe_date,
                                   "unpaid_visits": {"type": "integer"},
                                   "unpaid_extra_hours": {"type": "integer"}}},
        "CapacityConfirmation": {
            "type": "object", "required": [*[r for r in required if r != "person"], "due_on", "short_notice"],
            "properties": {**common, "kind": {"const": "capacity"},
                           "state": {"enum": ["awaited", "confirmed", "missed", "confirmed_late"]},
                           "due_on": {"type": "string", "format": "date"}, "confirmed_at": maybe_instant,
                           "available_hours": {"type": ["integer", "null"]}, "available_from": maybe_date,
                           "short_notice": {"type": "boolean"}}},
    }
