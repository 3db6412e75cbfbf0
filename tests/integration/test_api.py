"""The JSON API: bearer tokens, JSON errors, and responses that match the OpenAPI document."""

import jsonschema
import pytest
from openapi_spec_validator import validate

from web.openapi import openapi_document


@pytest.fixture(scope="module")
def spec():
    document = openapi_document()
    validate(document)
    return document


def check(spec, response, path: str, status: int):
    """Validate a response body against the document's schema for that path and status."""
    assert response.status_code == status, response.get_data(as_text=True)
    operation = spec["paths"][path]["get"]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    resolver_schema = {**schema, "components": spec["components"]}
    jsonschema.validate(response.get_json(), resolver_schema, cls=jsonschema.Draft202012Validator,
                        format_checker=jsonschema.FormatChecker())
    return response.get_json()


def test_the_openapi_document_is_served_and_valid(app, spec):
    served = app.test_client().get("/api/v1/openapi.json").get_json()
    assert served == spec


def test_health_needs_no_token_and_reports_the_scheduler(app, spec):
    body = check(spec, app.test_client().get("/api/v1/health"), "/health", 200)
    assert body["status"] == "ok" and body["scheduler"]["last_tick_at"] is None


def test_health_shows_the_last_tick(app, spec):
    from datetime import UTC, datetime

    from scheduler.tick import tick

    with app.app_context():
        tick(datetime.now(UTC))
    body = check(spec, app.test_client().get("/api/v1/health"), "/health", 200)
    assert body["scheduler"]["last_tick_at"] is not None and body["scheduler"]["lag_seconds"] >= 0


def test_lists_and_records_match_the_document(app, api_token, spec):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}
    providers = check(spec, client.get("/api/v1/providers", headers=headers), "/providers", 200)["items"]
    assert len(providers) == 5
    one = check(spec, client.get(f"/api/v1/providers/{providers[0]['id']}", headers=headers), "/providers/{id}",
                200)
    assert one["reference"] == providers[0]["reference"]
    contracts = check(spec, client.get("/api/v1/contracts", headers=headers), "/contracts", 200)["items"]
    assert {c["rulebook"] for c in contracts} == {
        "cheshire-east-ech", "kent-ld-day-services", "cornwall-leaving-care", "thurrock-supported-living",
        "hammersmith-fulham-home-care"}
    by_ref = check(spec, client.get("/api/v1/contracts/LDDS-2023-07", headers=headers), "/contracts/{key}", 200)
    assert by_ref["lots"] == ["1a", "2a"] and len(by_ref["escalation_contacts"]) == 3
    check(spec, client.get("/api/v1/contracts/NOPE-1", headers=headers), "/contracts/{key}", 404)
    check(spec, client.get("/api/v1/providers/999999", headers=headers), "/providers/{id}", 404)


def test_workdays_add_explains_the_christmas_count(app, api_token, spec):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('provider_user')}"}
    body = check(spec, client.get("/api/v1/workdays/add?start=2026-12-18&days=10", headers=headers),
                 "/workdays/add", 200)
    assert body["due_on"] == "2027-01-06"
    reasons = {s["date"]: s["reason"] for s in body["skipped"]}
    assert "Christmas Day" in reasons["2026-12-25"]
    assert "Boxing Day" in reasons["2026-12-28"]
    assert "New Year" in reasons["2027-01-01"]
    assert any("2027-01-06" in line or "6 January 2027" in line for line in body["explanation"])
    scot = check(spec, client.get("/api/v1/workdays/add?start=2026-12-18&days=10&region=scotland",
                                  headers=headers), "/workdays/add", 200)
    assert scot["due_on"] == "2027-01-07"  # Scotland also keeps 2 January (substitute Monday 4 January 2027)


def test_workdays_between(app, api_token, spec):
    headers = {"Authorization": f"Bearer {api_token('council_viewer')}"}
    body = check(spec, app.test_client().get("/api/v1/workdays/between?start=2026-12-18&end=2027-01-06",
                                             headers=headers), "/workdays/between", 200)
    assert body["working_days"] == 10


@pytest.mark.parametrize("query, message", [
    ("start=2026-02-30&days=10", "start must be a real date"),
    ("start=2026-12-18&days=ten", "Enter days as a whole number"),
    ("days=10", "Give start as a date"),
    ("start=2026-12-18&days=10&region=wales", "region must be one of"),
])
def test_workdays_bad_input_is_a_422_with_a_sentence(app, api_token, spec, query, message):
    headers = {"Authorization": f"Bearer {api_token('council_viewer')}"}
    body = check(spec, app.test_client().get(f"/api/v1/workdays/add?{query}", headers=headers), "/workdays/add",
                 422)
    assert message in body["error"]


def test_missing_unknown_and_revoked_tokens_are_401(app, demo, api_token, spec):
    client = app.test_client()
    check(spec, client.get("/api/v1/providers"), "/providers", 401)
    check(spec, client.get("/api/v1/providers", headers={"Authorization": "Bearer nope"}), "/providers", 401)
    token = api_token("admin")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/providers", headers=headers).status_code == 200

    from datetime import UTC, datetime

    from models import db
    from models.user_store import find_user_by_email, list_tokens, revoke_token

    with app.app_context():
        user = find_user_by_email(demo["admin"])
        revoke_token(user, list_tokens(user)[0].id, datetime.now(UTC))
        db.session.commit()
    body = check(spec, client.get("/api/v1/providers", headers=headers), "/providers", 401)
    assert "revoked" in body["error"]


def test_tokens_are_stored_hashed(app, demo, api_token):
    from models.user_store import find_user_by_email, list_tokens

    token = api_token("admin")
    with app.app_context():
        row = list_tokens(find_user_by_email(demo["admin"]))[0]
        assert token not in row.token_hash and row.prefix == token[:12]


def test_unknown_api_paths_are_json_404(app):
    response = app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404 and "error" in response.get_json()


def test_people_manage_their_tokens_on_a_page(login_as, app):
    client = login_as("contract_manager")
    response = client.post_form("/account/api-tokens", {"name": "Finance system"})
    html = response.get_data(as_text=True)
    assert "It will not be shown again" in html
    import re

    token = re.search(r'id="new-token">([^<]+)<', html).group(1)
    api = app.test_client()
    assert api.get("/api/v1/providers", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = re.search(r"/account/api-tokens/(\d+)/revoke", html).group(1)
    assert client.post_form(f"/account/api-tokens/{token_id}/revoke", {}, page="/account/api-tokens").status_code == 303
    assert api.get("/api/v1/providers", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "Revoked" in client.get("/account/api-tokens").get_data(as_text=True)
