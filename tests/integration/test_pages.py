"""The GOV.UK pages people use: dashboard, provider, contract, errors, and the headers they come with."""

import re

from tests.conftest import assert_page, forget_pictures


def _provider_id(app, reference):
    from sqlalchemy import select

    from models import db
    from models.entities import Provider

    with app.app_context():
        return db.session.scalar(select(Provider.id).where(Provider.reference == reference))


def test_dashboard_lists_the_managers_contracts_and_links_to_every_provider_with_navigation_by_role(login_as):
    html = assert_page(login_as("contract_manager").get("/"), "Dashboard")
    for text in ("Contracts you manage", "Meadowbank Extra Care Ltd", "ECH-2024-01", "HC-2024-05",
                 'href="/contracts">See every contract', 'href="/providers">every provider',
                 'class="govuk-service-navigation', "Working days", "govuk-phase-banner", "Remedy"):
        assert text in html
    # Every provider, with its rating, is a click away (issue 17: the home page listed the council's hundreds).
    assert "Requires improvement" in login_as("contract_manager").get("/providers").get_data(as_text=True)
    assert "Administration" not in html
    assert "Administration" in login_as("admin").get("/").get_data(as_text=True)


def test_provider_page_shows_rating_history_and_contracts(login_as, app):
    provider_id = _provider_id(app, "PRV-002")
    html = assert_page(login_as("contract_manager").get(f"/providers/{provider_id}"),
                       "Brightwater Day Opportunities CIC")
    assert "1-100000002" in html and "LDDS-2023-07" in html and "2 June 2026" in html
    assert "Record a new CQC rating" in html


def test_recording_a_cqc_rating_adds_to_the_history_and_the_audit_trail(login_as, app):
    provider_id = _provider_id(app, "PRV-002")
    client = login_as("contract_manager")
    url = f"/providers/{provider_id}/cqc-ratings/new"
    response = client.post_form(url, {"rating": "good", "rated_on": ["3", "11", "2026"],
                                      "report_url": "https://www.cqc.org.uk/location/1-100000002"})
    assert response.status_code == 303
    html = client.get(f"/providers/{provider_id}").get_data(as_text=True)
    assert "3 November 2026" in html
    assert "Cqc rating recorded" in html  # the timeline entry
    assert "requires improvement to good" in html


def test_a_future_cqc_rating_date_is_refused_with_a_clear_message(login_as, app):
    provider_id = _provider_id(app, "PRV-002")
    client = login_as("contract_manager")
    response = client.post_form(f"/providers/{provider_id}/cqc-ratings/new",
                                {"rating": "good", "rated_on": ["1", "1", "2099"]})
    html = assert_page(response, "Record a CQC rating", status=422)
    assert "The date of the rating must be today or in the past" in html
    assert "govuk-error-summary" in html


def test_missing_rating_fields_are_named(login_as, app):
    provider_id = _provider_id(app, "PRV-002")
    html = login_as("contract_manager").post_form(f"/providers/{provider_id}/cqc-ratings/new", {}).get_data(
        as_text=True)
    assert "Select the rating" in html and "Enter the date of the rating" in html


def test_contract_page_shows_rulebook_and_escalation_contacts(login_as, app):
    from sqlalchemy import select

    from models import db
    from models.entities import Contract

    with app.app_context():
        contract_id = db.session.scalar(select(Contract.id).where(Contract.reference == "LDDS-2023-07"))
    html = assert_page(login_as("council_viewer").get(f"/contracts/{contract_id}"),
                       "Contract LDDS-2023-07")
    for text in ("Kent: Learning Disability Community Day Services", "1a, 2a", "1st", "2nd", "3rd",
                 "Operations director", "Seed 001", "Sam Contracts"):
        assert text in html


def test_error_pages_are_styled(login_as):
    client = login_as("provider_user")
    assert_page(client.get("/no-such-page"), "Page not found", status=404)
    html = assert_page(client.get("/admin/users"), "You do not have permission to see this page", status=403)
    assert "govuk-header" in html or "govuk-generic-header" in html


def test_500_page_is_styled_and_nothing_leaks(app, login_as):
    from flask import Blueprint

    from web.permissions import public

    bp = Blueprint("boom", __name__)

    @bp.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    app.register_blueprint(bp)
    client = login_as("council_viewer")
    response = client.get("/boom")
    html = assert_page(response, "Sorry, there is a problem with Remedy", status=500)
    assert "secret internals" not in html


def test_security_headers_and_csp_nonce(visitor, demo):
    response = visitor.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = response.get_data(as_text=True)
    assert f'nonce="{nonce}"' in html  # GOV.UK Frontend's inline js-enabled script runs under the policy
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert visitor.get("/sign-in").headers["Content-Security-Policy"] != csp  # a fresh nonce per response


def test_govuk_assets_are_served_where_the_css_expects_them(visitor):
    def status(url):
        with visitor.get(url) as response:
            return response.status_code, response.get_data(as_text=url.endswith(".css"))

    code, css = status("/assets/govuk-frontend.min.css")
    assert code == 200
    font = re.search(r"url\((/assets/fonts/[^)]+\.woff2)\)", css).group(1)
    for url in (font, "/assets/images/favicon.ico", "/assets/govuk-frontend.min.js", "/static/remedy.css"):
        assert status(url)[0] == 200, url


def test_working_day_calculator_explains_itself(login_as):
    html = assert_page(login_as("contract_manager").get(
        "/working-days?start=18&start=12&start=2026&days=10&region=england-and-wales"),
        "Count working days")
    assert "Due on Wednesday 6 January 2027" in html
    assert "Christmas Day" in html and "New Year" in html


def test_working_day_calculator_reports_bad_input(login_as):
    html = login_as("contract_manager").get(
        "/working-days?start=31&start=2&start=2026&days=ten&region=england-and-wales").get_data(
        as_text=True)
    assert "govuk-error-summary" in html
    assert "Enter the number of working days" in html or "Not a valid integer" in html


def _case_with_two_events(app, email: str) -> int:
    """A case opened and withdrawn: two events on its timeline."""
    from datetime import UTC, datetime

    from models import db
    from models.case_store import open_case
    from models.engine import fire
    from models.user_store import find_user_by_email

    with app.app_context():
        manager = find_user_by_email(email)
        now = datetime.now(UTC)
        case = open_case(manager.viewer, manager, "HC-2024-05", "Missed visits", now)
        db.session.commit()
        fire(manager.viewer, manager, "case", case.id, "withdraw", {"reason": "Resolved informally"}, now,
             now.date())
        db.session.commit()
        return case.id


def test_a_long_case_shows_its_newest_events_and_links_to_the_whole_history(app, demo, login_as, monkeypatch):
    """Issue 17: the case page draws the newest events of its timeline; the whole history is one link away."""
    from web import cases

    client = login_as("contract_manager")
    case_id = _case_with_two_events(app, demo["contract_manager"])
    monkeypatch.setattr(cases, "TIMELINE_SHOWN", 1)
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    history = client.get(f"/cases/{case_id}/history").get_data(as_text=True)
    shown = html.split('id="timeline"')[1].split("</ol>")[0].count("<li")
    assert shown == 1 and f'href="/cases/{case_id}/history"' in html
    assert history.split('id="timeline"')[1].split("</ol>")[0].count("<li") > 1 and "History of case CASE-" in history
    monkeypatch.setattr(cases, "TIMELINE_SHOWN", 1000)
    forget_pictures(app)  # the page is kept while nothing on it changes; here only the setting did
    assert "/history" not in client.get(f"/cases/{case_id}").get_data(as_text=True).split('id="timeline"')[1]
