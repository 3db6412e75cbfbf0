"""Every endpoint carries the one permission decorator, and roles get what they should."""

import pytest

from web.permissions import PUBLIC


def test_every_endpoint_has_a_permission_marker(app):
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "remedy_permission", None):
            missing.append(f"{rule.endpoint} ({rule.rule})")
    assert not missing, "endpoints without @requires/@api_requires/@public: " + ", ".join(missing)


def test_public_endpoints_are_only_the_expected_ones(app):
    public = sorted({rule.endpoint for rule in app.url_map.iter_rules()
                     if app.view_functions[rule.endpoint].remedy_permission == PUBLIC})
    # auth.security_code serves only someone whose password was accepted in the last 5 minutes.
    assert public == ["api.health", "api.openapi", "assets.govuk_asset", "assets.static_file", "auth.security_code",
                      "auth.sign_in", "auth.sign_out", "deadlines.calendar_feed"]


def _example_url(rule) -> str:
    import re

    examples = {"filename": "remedy.css", "key": "1", "collection": "cases", "trigger": "resolve",
                "token": "not-a-token"}

    def value(match):
        converter, _, name = match.group(1).rpartition(":")
        if converter.startswith("any("):
            return re.findall(r'"([^"]+)"', converter)[0]
        return examples.get(name, "1")

    return re.sub(r"<([^>]+)>", value, rule.rule)


def test_signed_out_people_are_sent_to_sign_in_and_the_api_answers_401(app, demo):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if app.view_functions[rule.endpoint].remedy_permission == PUBLIC or "GET" not in rule.methods:
            continue
        response = client.get(_example_url(rule))
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, rule.rule
            assert "error" in response.get_json()
        else:
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/sign-in"), rule.rule


@pytest.mark.parametrize("role, allowed", [
    ("admin", True), ("commissioning_manager", False), ("contract_manager", False), ("council_viewer", False),
    ("safeguarding_officer", False), ("provider_manager", False), ("provider_user", False),
])
def test_only_admins_reach_administration(login_as, role, allowed):
    client = login_as(role)
    for url in ("/admin/", "/admin/users", "/admin/non-working-days"):
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), url
        if not allowed:
            assert "You do not have permission to see this page" in response.get_data(as_text=True)


@pytest.mark.parametrize("role, allowed", [
    ("admin", True), ("commissioning_manager", True), ("contract_manager", True), ("council_viewer", False),
    ("safeguarding_officer", False), ("provider_manager", False), ("provider_user", False),
])
def test_recording_a_cqc_rating_needs_a_council_manager(login_as, app, role, allowed):
    from models.provider_store import list_providers
    from models.user_store import find_user_by_email

    client = login_as(role)
    with app.app_context():
        viewer = find_user_by_email("admin@remedy.example").viewer
        provider = list_providers(viewer)[1]
    response = client.get(f"/providers/{provider.id}/cqc-ratings/new")
    assert response.status_code == (200 if allowed else 403)
