"""Numbers and dates the database or the calendar cannot hold are refused with a 404 or a sentence, never a 500
(the review's probes, security-reliability.md sections 1 and 2)."""

import pytest

from tests.conftest import assert_page

HUGE = "99999999999999999999"  # above 2**63: SQLite overflows
PG_HUGE = "3000000000"  # above 2**31: PostgreSQL's integer overflows


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}

    def call(method: str, url: str, **kwargs):
        return client.open(url, method=method, headers=headers, **kwargs)

    return call


@pytest.mark.parametrize("url", [
    "/api/v1/breaches/905820169269063057408",
    "/api/v1/suspensions/437939992597139423232",
    f"/api/v1/cases/{PG_HUGE}",
    "/api/v1/providers/36893488147419103231",
    f"/api/v1/providers/{PG_HUGE}",
    "/api/v1/returns/304250263527209",
    "/api/v1/returns/26609697278389878784/template.csv",
    "/api/v1/returns/8969332047370/template.xlsx",
    f"/api/v1/complaints/{PG_HUGE}",
    f"/api/v1/minutes/{'9' * 5000}",
])
def test_an_id_no_record_can_have_is_not_found_in_the_api(api, url):
    response = api("GET", url)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["error"]


@pytest.mark.parametrize(("url", "body"), [
    ("/api/v1/action-plans/36893488147419103231/milestones", "\x8d\rH\x1f"),
    ("/api/v1/action-plans/4967453517969919836160/rows", '{"rag": "amber", "owner": {}}'),
    (f"/api/v1/breaches/{PG_HUGE}/transitions", '{"trigger": "dismiss"}'),
    ("/api/v1/returns/93458691311400107219353/upload", ""),
])
def test_a_write_to_an_id_no_record_can_have_is_not_found(api, url, body):
    response = api("POST", url, data=body, content_type="application/json")
    assert response.status_code == 404, response.get_data(as_text=True)


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/cases?provider=-916265899100973068976128&contract=4275132427778&state=", "provider"),
    ("/api/v1/cases?provider=abc", "provider"),
    ("/api/v1/cases?page=99999999999999999999", "page"),
    ("/api/v1/contracts?provider=-131538288880556756709670912", "provider"),
    ("/api/v1/contracts?provider=1.5", "provider"),
    ("/api/v1/kpi-results?contract=-36893488147419103231", "contract"),
    ("/api/v1/returns?state=submitted&contract=699266065803870380025922453504", "contract"),
    ("/api/v1/returns?contract=abc", "contract"),
    (f"/api/v1/breaches?contract={PG_HUGE}&status=", "contract"),
    (f"/api/v1/safeguarding-concerns?provider={PG_HUGE}", "provider"),
])
def test_a_filter_the_database_cannot_hold_is_refused_naming_it(api, url, field):
    response = api("GET", url)
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["field"] == field
    assert body["error"].startswith(f"Enter {field} as a whole number")


@pytest.mark.parametrize("url", [
    f"/api/v1/contracts/{PG_HUGE}/settings",  # GET has the same path: werkzeug said 405 when only the id was wrong
    "/api/v1/contracts/114809338422617408/settings",
    "/api/v1/contracts/0/monitoring-events",
    "/api/v1/cases/007/notices",  # not how an id is written
])
def test_a_post_to_an_id_no_record_can_have_is_not_found_not_405(api, url):
    response = api("POST", url, json={"key": "return_due", "reason": "x"})
    assert response.status_code == 404, response.get_data(as_text=True)


@pytest.mark.parametrize("key", [PG_HUGE, HUGE, "\u00b2", "1.5", "-1"])
def test_a_contract_key_no_contract_can_have_is_not_found(api, key):
    assert api("GET", f"/api/v1/contracts/{key}").status_code == 404


@pytest.mark.parametrize(("url", "body", "field"), [  # schemathesis' finds: the wrong JSON type reached a store
    ("/api/v1/cases", {"contract": "HC-2024-05", "summary": 24604940}, "summary"),
    ("/api/v1/safeguarding-concerns", {"provider": int(PG_HUGE), "type": "first_account", "details": "x",
                                        "raised_on": "2026-12-10"}, "provider"),
    ("/api/v1/safeguarding-concerns", {"provider": True, "type": "first_account", "details": "x",
                                        "raised_on": "2026-12-10"}, "provider"),
    ("/api/v1/incidents", {"provider": [1], "kind": "lost_keys"}, "provider"),
])
def test_a_body_member_of_the_wrong_type_is_refused_naming_it(api, url, body, field):
    response = api("POST", url, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["field"] == field


@pytest.mark.parametrize("contract", [[{}], {"id": 1}, 1.5, True, int(PG_HUGE)])
def test_a_financial_change_on_a_contract_that_cannot_exist_is_not_found(api, contract):
    response = api("POST", "/api/v1/financial-changes",
                   json={"contract_id": contract, "occurred_on": "2026-12-01", "what_changed": "x"})
    assert response.status_code == 404, response.get_data(as_text=True)


def test_a_blank_or_sensible_filter_still_works(api):
    assert api("GET", "/api/v1/cases?provider=&contract=").status_code == 200
    assert api("GET", "/api/v1/contracts?provider=1").status_code == 200


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/workdays/add?start=0320-12-03&days=915&region=england-and-wales", "start"),
    ("/api/v1/workdays/between?end=2000-01-04&start=0013-01-27", "start"),
    ("/api/v1/workdays/add?start=2100-12-30&days=10", "days"),
    ("/api/v1/workdays/between?start=2000-01-04&end=2101-01-01", "end"),
    ("/api/v1/workdays/add?start=2026-12-18&days=99999999999999999999", "days"),
])
def test_working_days_out_of_the_calendar_range_are_refused(api, url, field):
    response = api("GET", url)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["field"] == field
    assert "1900" in response.get_json()["error"] or "whole number" in response.get_json()["error"]


def test_a_method_not_allowed_says_which_are(api):
    response = api("DELETE", "/api/v1/cases")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


@pytest.mark.parametrize("url", [
    f"/cases/{HUGE}", f"/cases/{PG_HUGE}", f"/evidence/{HUGE}", f"/deadlines/{PG_HUGE}",
    f"/complaints/{PG_HUGE}", f"/safeguarding/{PG_HUGE}", f"/providers/{PG_HUGE}",
])
def test_a_page_for_an_id_no_record_can_have_is_not_found(login_as, url):
    assert_page(login_as("contract_manager").get(url), "Page not found", 404)


def test_a_page_filter_the_database_cannot_hold_is_a_clear_refusal(login_as):
    browser = login_as("contract_manager")
    html = assert_page(browser.get(f"/cases?page={HUGE}"), "Sorry, there is a problem with your request", 422)
    assert "Enter page as a whole number" in html
    # A select's value past any id reaches the database only through a form: still a refusal, not a fault.
    assert browser.get(f"/cases?provider={HUGE}").status_code in (200, 422)
    assert browser.get(f"/returns?contract={PG_HUGE}").status_code in (200, 422)  # the shared list: shown unfiltered
    # Junk that is no number at all in a page's address shows the default, as a web page should.
    assert browser.get("/returns?contract=abc").status_code == 200


def test_the_working_days_page_refuses_dates_past_the_calendar(login_as):
    browser = login_as("contract_manager")
    html = assert_page(browser.get("/working-days?start=31&start=12&start=2100&days=10&region=england-and-wales"),
                       "Count working days", 422)
    assert "Enter a number of working days that ends between 1900 and 2100" in html
    html = assert_page(browser.get("/working-days?start=31&start=12&start=9999&days=10&region=england-and-wales"),
                       "Count working days", 422)
    assert "must be a date between 1900 and 2100" in html


def test_a_closure_day_past_the_calendar_is_refused_and_nothing_kept(app, login_as):
    from sqlalchemy import func, select

    from models import db
    from models.entities import CalendarClosure

    browser = login_as("admin")
    response = browser.post_form("/admin/non-working-days", {
        "on": ["31", "12", "9999"], "region": "england-and-wales", "kind": "council_closure", "reason": "probe"})
    assert response.status_code == 422
    assert "must be a date between 1900 and 2100" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(CalendarClosure.id))) == 0


def test_forms_with_ids_no_record_can_have_are_refused_not_500(login_as):
    manager = login_as("contract_manager")
    response = manager.post_form("/cases/new", {"contract": "99999999999999999999999", "summary": "probe"})
    assert response.status_code in (404, 409, 422), response.status_code
    officer = login_as("safeguarding_officer")
    response = officer.post_form("/safeguarding/new", {"provider_id": HUGE, "kind": "care", "details": "probe"})
    assert response.status_code in (404, 422), response.status_code


def test_nul_is_taken_out_of_json_and_form_text(api, login_as):
    """PostgreSQL cannot store NUL in text: it is dropped on the way in (the hostile-form walk found it as a 500)."""
    response = api("POST", "/api/v1/cases", json={"contract": "HC-2024-05", "summary": "Missed\x00 visits"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["summary"] == "Missed visits"
    manager = login_as("contract_manager")
    contract_id = api("GET", "/api/v1/contracts/HC-2024-05").get_json()["id"]
    response = manager.post_form("/cases/new", {"contract": str(contract_id), "summary": "Late\x00 calls",
                                                "second_reason": "Calls apart from the missed visits"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Late calls" in manager.get(response.headers["Location"]).get_data(as_text=True)


def test_a_monitoring_value_longer_than_its_column_is_refused(api):
    response = api("POST", "/api/v1/contracts/1/monitoring-events",
                   json={"kind": "rating:local", "on": "2026-01-05", "value": "x" * 61})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["field"] == "value"
