"""TH-16 end to end: a significant adverse financial change recorded on Thurrock's contract, its 7-working-day clock
and reminders, reported through the API and the pages, and never seen by another provider."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import jsonschema
import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import assert_page
from web.openapi import openapi_document

NOW = "2026-12-30T10:00:00+00:00"  # a Wednesday between Christmas and New Year
CHANGE = {"occurred_on": "2026-12-22", "what_changed": "The provider's main lender withdrew its overdraft facility"}


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def contract_id(app, reference: str) -> int:
    from models import db
    from models.entities import Contract

    with app.app_context():
        return db.session.scalar(select(Contract.id).where(Contract.reference == reference))


def check(response, path: str, method: str, status: int) -> dict:
    """The response has the status and matches the OpenAPI document's schema for it."""
    assert response.status_code == status, response.get_data(as_text=True)
    spec = openapi_document()
    schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.get_json(), {**schema, "components": spec["components"]},
                        cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())
    return response.get_json()


def timers(app, deadline_id: int) -> dict[str, set]:
    from models import db
    from models.scheduling import Timer

    with app.app_context():
        rows = db.session.scalars(select(Timer).where(Timer.deadline_id == deadline_id)).all()
        return {"kinds": {(t.kind, t.status) for t in rows}, "due": {t.due_on for t in rows if t.kind == "breach"}}


@pytest.fixture
def api(app, api_token):
    def client(role: str):
        headers = {"Authorization": f"Bearer {api_token(role)}"}
        test_client = app.test_client()

        class Api:
            def get(self, url):
                return test_client.get(f"/api/v1{url}", headers=headers)

            def post(self, url, body):
                return test_client.post(f"/api/v1{url}", json=body, headers=headers)

        return Api()

    return client


@pytest.mark.rules("TH-16")
def test_a_thurrock_change_is_reported_through_the_api_and_its_clock_met(app, api):
    thurrock = contract_id(app, "SL-2025-02")
    manager = api("contract_manager")
    with time_machine.travel(NOW, tick=False):
        created = check(manager.post("/financial-changes", {"contract_id": thurrock, **CHANGE}),
                        "/financial-changes", "post", 201)
        assert (created["reference"], created["state"], created["allowed_triggers"]) == (
            "FIN-00001", "recorded", ["report"])
        (deadline,) = created["deadlines"]
        assert (deadline["rule"], deadline["due_on"], deadline["status"], deadline["frozen"]) == (
            "TH-16", "2027-01-05", "running", True)
        assert "Fri 25 Dec 2026: Christmas Day, not counted" in deadline["explanation"]
        assert created["events"][0]["event"] == "FINANCIAL_CHANGE_RECORDED"
        # Reminders are planned with the deadline: the breach at the end of the due day, and reminders before it.
        planned = timers(app, deadline["id"])
        assert ("breach", "pending") in planned["kinds"] and ("reminder", "pending") in planned["kinds"]
        assert planned["due"] == {date(2027, 1, 5)}

        url = f"/financial-changes/{created['id']}"
        stale = manager.post(f"{url}/transitions", {"trigger": "report", "reported_on": "2026-12-29", "version": 99})
        assert stale.status_code == 409 and "Someone else changed this financial change" in stale.get_json()["error"]
        early = manager.post(f"{url}/transitions", {"trigger": "report", "reported_on": "2026-12-21"})
        assert early.status_code == 422 and early.get_json()["field"] == "reported_on"
        reported = check(manager.post(f"{url}/transitions", {"trigger": "report", "reported_on": "2026-12-29",
                                                             "version": created["version"]}),
                         "/financial-changes/{id}/transitions", "post", 200)
        assert (reported["state"], reported["reported_on"], reported["allowed_triggers"]) == (
            "reported", "2026-12-29", [])
        assert reported["deadlines"][0]["status"] == "met"
        assert ("breach", "pending") not in timers(app, deadline["id"])["kinds"]  # nobody is chased once it is met
        again = manager.post(f"{url}/transitions", {"trigger": "report", "reported_on": "2026-12-29"})
        assert again.status_code == 409
        listed = check(manager.get("/financial-changes"), "/financial-changes", "get", 200)["items"]
        assert [c["reference"] for c in listed] == ["FIN-00001"]
        assert check(manager.get(url), "/financial-changes/{id}", "get", 200)["events"][-1]["event"] == (
            "FINANCIAL_CHANGE_REPORTED")


def test_another_provider_neither_sees_nor_touches_the_change(app, api):
    thurrock, kent = contract_id(app, "SL-2025-02"), contract_id(app, "LDDS-2023-07")
    with time_machine.travel(NOW, tick=False):
        theirs = api("contract_manager").post("/financial-changes", {"contract_id": thurrock, **CHANGE}).get_json()
        brightwater = api("provider_manager")  # the Kent contract's provider
        listed = brightwater.get("/financial-changes").get_json()
        assert (listed["items"], listed["total"]) == ([], 0)
        assert brightwater.get(f"/financial-changes/{theirs['id']}").status_code == 404
        assert brightwater.post(f"/financial-changes/{theirs['id']}/transitions",
                                {"trigger": "report", "reported_on": "2026-12-29"}).status_code == 404
        assert brightwater.post("/financial-changes", {"contract_id": thurrock, **CHANGE}).status_code == 404
        own = check(brightwater.post("/financial-changes", {"contract_id": kent, **CHANGE}),
                    "/financial-changes", "post", 201)
        assert [c["id"] for c in brightwater.get("/financial-changes").get_json()["items"]] == [own["id"]]
        assert api("council_viewer").post("/financial-changes", {"contract_id": kent, **CHANGE}).status_code == 403
        blank = brightwater.post("/financial-changes", {"contract_id": kent, "occurred_on": "2026-12-22"})
        assert blank.status_code == 422 and blank.get_json()["error"] == (
            "Describe the adverse change in financial position")


def test_a_change_through_the_pages_shows_its_deadline_explained_and_its_steps(app, login_as):
    thurrock = contract_id(app, "SL-2025-02")
    with time_machine.travel(NOW, tick=False):
        manager = login_as("contract_manager")
        form = assert_page(manager.get("/financial-changes/new"), "Record an adverse financial change")
        assert "SL-2025-02" in form
        blank = manager.post_form("/financial-changes/new", {})
        assert blank.status_code == 422 and "Select the contract" in page_text(blank)
        created = manager.post_form("/financial-changes/new", {
            "contract_id": str(thurrock), "occurred_on": ["22", "12", "2026"],
            "what_changed": CHANGE["what_changed"]})
        assert created.status_code == 303, page_text(created)[:2000]
        url = created.headers["Location"]
        assert re.fullmatch(r"/financial-changes/\d+", url)
        text = page_text(manager.get(url))
        assert_page(manager.get(url), "Financial change FIN-00001")
        for expected in ("Thameside Supported Living Ltd", "TH-16", "Tuesday 5 January 2027", "How this was counted",
                         "Mon 28 Dec 2026: Boxing Day (substitute day), not counted",
                         "Record that it was reported to the council"):
            assert expected in text, expected
        assert 'href="/financial-changes"' in manager.get("/concerns").get_data(as_text=True)  # under Concerns
        viewer = login_as("council_viewer")
        assert "Record that it was reported" not in page_text(viewer.get(url))
        assert viewer.get(f"{url}/report").status_code == 403
        assert manager.post_form(f"{url}/report", {"reported_on": ["29", "12", "2026"]}).status_code == 303
        text = page_text(manager.get(url))
        assert "Tuesday 29 December 2026" in text and "Record that it was reported" not in text
        listing = page_text(manager.get("/financial-changes"))
        assert "FIN-00001" in listing and "Tuesday 29 December 2026" in listing
        assert "FIN-00001" not in page_text(login_as("provider_manager").get("/financial-changes"))
        assert login_as("provider_manager").get(url).status_code == 404


def test_a_change_not_reported_in_time_is_overdue(app, login_as, api):
    from models import db
    from models.cases import Deadline
    from scheduler.tick import tick

    kent = contract_id(app, "LDDS-2023-07")
    with time_machine.travel(NOW, tick=False):
        created = api("provider_manager").post("/financial-changes", {"contract_id": kent, **CHANGE}).get_json()
    with app.app_context():
        tick(datetime(2027, 1, 6, 9, 0, tzinfo=UTC))
        db.session.expire_all()
        deadline = db.session.get(Deadline, created["deadlines"][0]["id"])
        assert deadline.status == "breached"
    with time_machine.travel("2027-01-06T10:00:00+00:00", tick=False):
        listing = login_as("provider_manager").get("/financial-changes").get_data(as_text=True)
        assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in listing
