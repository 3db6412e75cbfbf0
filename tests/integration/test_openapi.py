"""The OpenAPI document covers every /api/v1 route (a route it leaves out fails here), and responses from the
complaint, safeguarding, incident and minutes routes, errors with their `field` included, match its schemas. API
responses are never kept by a browser or proxy (Cache-Control: no-store)."""

from __future__ import annotations

import re

import jsonschema
import pytest
import time_machine
from openapi_spec_validator import validate

from tests.integration.test_meetings import record as record_minutes
from web.openapi import openapi_document

NOW = "2026-12-11T10:00:00+00:00"


@pytest.fixture(scope="module")
def spec():
    document = openapi_document()
    validate(document)
    return document


def _shape(path: str) -> str:
    """A path with its parameters blanked, so Flask's <int:id> and the document's {id} compare equal."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_every_api_route_is_in_the_document_and_nothing_else(app, spec):
    routes = {(method.lower(), _shape(rule.rule.removeprefix("/api/v1")))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, _shape(path)) for path, operations in spec["paths"].items() for method in operations}
    assert len(routes) > 40
    assert routes - documented == set(), "routes the OpenAPI document leaves out"
    assert documented - routes == set(), "operations the document describes that no route serves"


class Checked:
    """A client that validates every JSON response against the document's schema for its operation and status."""

    def __init__(self, app, spec, api_token):
        self.client, self.spec, self.api_token, self.tokens = app.test_client(), spec, api_token, {}

    def __call__(self, role, method, url, path, status, json=None):
        if role not in self.tokens:
            self.tokens[role] = self.api_token(role)
        response = self.client.open(url, method=method, json=json,
                                    headers={"Authorization": f"Bearer {self.tokens[role]}"})
        assert response.status_code == status, (url, response.get_data(as_text=True))
        assert response.headers["Cache-Control"] == "no-store"
        operation = self.spec["paths"][path][method.lower()]
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        jsonschema.validate(response.get_json(), {**schema, "components": self.spec["components"]},
                            cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())
        return response.get_json()


@pytest.fixture
def api(app, spec, api_token):
    return Checked(app, spec, api_token)


def test_complaints_concerns_incidents_and_minutes_match_the_document(app, login_as, demo, api):
    from models.user_store import find_user_by_email

    with app.app_context():
        provider_id = find_user_by_email(demo["provider_manager"]).provider_id
    with time_machine.travel(NOW, tick=False):
        complaint = api("provider_manager", "POST", "/api/v1/complaints", "/complaints", 201, {
            "received_at": "2026-12-10T10:00:00+00:00", "channel": "email", "complainant_type": "service_user",
            "formal": True, "summary": "Visit cut short"})
        api("provider_user", "GET", "/api/v1/complaints", "/complaints", 200)
        api("contract_manager", "GET", f"/api/v1/complaints/{complaint['id']}", "/complaints/{id}", 200)
        api("provider_manager", "POST", f"/api/v1/complaints/{complaint['id']}/transitions",
            "/complaints/{id}/transitions", 422, {})
        concern = api("safeguarding_officer", "POST", "/api/v1/safeguarding-concerns", "/safeguarding-concerns",
                      201, {"provider": provider_id, "type": "first_account", "details": "Named carer",
                            "raised_on": "2026-12-10"})
        api("provider_manager", "POST", "/api/v1/safeguarding-concerns", "/safeguarding-concerns", 201,
            {"type": "first_account", "details": "Seen by our staff", "raised_on": "2026-12-10"})
        api("contract_manager", "GET", "/api/v1/safeguarding-concerns", "/safeguarding-concerns", 200)
        api("contract_manager", "GET", f"/api/v1/safeguarding-concerns/{concern['id']}",
            "/safeguarding-concerns/{id}", 200)
        api("safeguarding_officer", "POST", f"/api/v1/safeguarding-concerns/{concern['id']}/transitions",
            "/safeguarding-concerns/{id}/transitions", 200, {"trigger": "triage", "decision": "Enquiry"})
        api("safeguarding_officer", "POST", f"/api/v1/safeguarding-concerns/{concern['id']}/records",
            "/safeguarding-concerns/{id}/records", 200, {"record": "notifications",
                                                         "regulator_informed_on": "2026-12-10"})
        api("safeguarding_officer", "POST", f"/api/v1/safeguarding-concerns/{concern['id']}/records",
            "/safeguarding-concerns/{id}/records", 422, {"record": "visit"})
        api("provider_manager", "GET", f"/api/v1/safeguarding-concerns/{concern['id']}",
            "/safeguarding-concerns/{id}", 404)
        api("provider_manager", "POST", "/api/v1/incidents", "/incidents", 201, {
            "kind": "lost_keys", "occurred_at": "2026-12-10T18:00:00+00:00", "description": "Keys lost",
            "action_taken": "Locks changed"})
        api("contract_manager", "GET", "/api/v1/incidents", "/incidents", 200)
        meeting_id = record_minutes(app, login_as("contract_manager"))
        api("contract_manager", "POST", f"/api/v1/minutes/{meeting_id}/transitions", "/minutes/{id}/transitions",
            200, {"trigger": "send", "sent_on": "2026-12-11"})
        api("provider_user", "GET", f"/api/v1/minutes/{meeting_id}", "/minutes/{id}", 200)
        api("provider_user", "GET", "/api/v1/minutes/999999", "/minutes/{id}", 404)


def test_errors_with_a_field_match_the_document(api):
    body = api("contract_manager", "POST", "/api/v1/cases", "/cases", 422, {"summary": "No contract"})
    assert body["field"] == "contract"
    body = api("contract_manager", "GET", "/api/v1/cases?provider=99999999999", "/cases", 422)
    assert body["field"] == "provider"
    body = api("contract_manager", "GET", "/api/v1/workdays/add?start=0320-12-03&days=915", "/workdays/add", 422)
    assert body["field"] == "start"
    api("contract_manager", "GET", "/api/v1/contracts?provider=x", "/contracts", 422)
    api("contract_manager", "GET", "/api/v1/breaches?contract=x", "/breaches", 422)
    api("contract_manager", "GET", "/api/v1/kpi-results?contract=x", "/kpi-results", 422)


def test_pages_and_api_errors_say_no_store_and_assets_keep_their_caching(app, login_as):
    assert app.test_client().get("/api/v1/health").headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/api/v1/cases").headers["Cache-Control"] == "no-store"  # a 401
    assert login_as("contract_manager").get("/cases").headers["Cache-Control"] == "no-store"
    asset = app.test_client().get("/assets/govuk-frontend.min.css")
    asset.close()  # a file response: close it, or its open file outlives the test
    assert asset.status_code == 200 and "no-store" not in asset.headers["Cache-Control"]
