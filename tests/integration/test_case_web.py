"""Case pages: list and filters, the case with its deadlines, and one GOV.UK form per transition."""

from __future__ import annotations

import re

import time_machine

from tests.conftest import assert_page

SERVED = "2026-12-18T14:00:00+00:00"


def contract_id(app, reference):
    from sqlalchemy import select

    from models import db
    from models.entities import Contract

    with app.app_context():
        return db.session.scalar(select(Contract.id).where(Contract.reference == reference))


def open_case(app, client, reference="LDDS-2023-07", summary="Attendance S3 red") -> int:
    response = client.post_form("/cases/new", {"contract": str(contract_id(app, reference)), "summary": summary})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/cases/(\d+)", response.headers["Location"]).group(1))


def record_id(html: str, collection: str, trigger: str) -> int:
    return int(re.search(rf"/{collection}/(\d+)/{trigger}", html).group(1))


def test_kent_warning_issued_through_the_pages_shows_its_deadline_explained(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager)
        case_url = f"/cases/{case_id}"
        html = assert_page(manager.get(case_url), "Case CASE-00001")
        assert "Draft a formal warning" in html and "Draft a Default Notice" not in html  # Kent has none
        manager.post_form(f"{case_url}/notices/new", {"findings": "Attendance 71% against 95%",
                                                     "required_action": "A section 11.3 action plan"})
        html = manager.get(case_url).get_data(as_text=True)
        notice_id = record_id(html, "notices", "issue")
        url = f"/notices/{notice_id}/issue"
        assert_page(manager.get(url), "Issue the notice")
        bad = manager.post_form(url, {"served_on": ["19", "12", "2026"], "method": "hand"})
        html = assert_page(bad, "Issue the notice", status=422)
        assert "The date cannot be in the future" in html and "govuk-error-summary" in html
        assert manager.post_form(url, {"served_on": ["18", "12", "2026"], "method": "hand"}).status_code == 303
        html = manager.get(case_url).get_data(as_text=True)
        assert "Wednesday 6 January 2027" in html and "KT-19" in html and "10 working days left" in html
        assert "Christmas Day" in html and "How this was counted" in html
        assert "Notice issued" in html  # the timeline


def test_role_refusals_and_stale_versions(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager, "ECH-2024-01", "Missed visits")
        manager.post_form(f"/cases/{case_id}/default-notices/new", {})
        html = manager.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Serve the default notice" not in html  # only the commissioning manager may
        default_id = int(re.search(r'id="default-(\d+)"', html).group(1))
        assert manager.get(f"/default-notices/{default_id}/serve").status_code == 403
        commissioner = login_as("commissioning_manager")
        form = commissioner.get(f"/default-notices/{default_id}/serve").get_data(as_text=True)
        assert "Working days allowed for the remedy" in form
        # The Cheshire East notice asks for the SIAP period the council sets (CE-45).
        manager.post_form(f"/cases/{case_id}/notices/new", {"findings": "f", "required_action": "a"})
        notice_id = record_id(manager.get(f"/cases/{case_id}").get_data(as_text=True), "notices", "issue")
        assert "Working days the provider has for the plan" in manager.get(
            f"/notices/{notice_id}/issue").get_data(as_text=True)
        # Two people on the same case: the second is told what changed.
        first = manager.get(f"/cases/{case_id}/withdraw").get_data(as_text=True)
        version = re.search(r'name="version" type="hidden" value="(\d+)"', first).group(1)
        commissioner.post_form(f"/cases/{case_id}/resolve", {"reason": "Fixed"})
        stale = manager.post_form(f"/cases/{case_id}/withdraw", {"reason": "Raised in error", "version": version},
                                  page=f"/cases/{case_id}/withdraw")
        html = assert_page(stale, "Withdraw the case", status=409)
        assert "Someone else changed this case while you were working on it: it is now resolved" in html


def test_list_filters_pages_and_provider_isolation(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        own = open_case(app, manager, "LDDS-2023-07", "Own provider case")
        other = open_case(app, manager, "HC-2024-05", "Other provider case")
        html = assert_page(manager.get("/cases"), "Cases")
        assert "2 cases" in html
        assert "1 case" in manager.get("/cases?state=concern&provider=" + str(
            re.search(r'value="(\d+)">Riverside', html).group(1))).get_data(as_text=True)
        provider = login_as("provider_user")
        listing = provider.get("/cases").get_data(as_text=True)
        assert "Own provider case" in listing and "Other provider case" not in listing
        assert provider.get(f"/cases/{other}").status_code == 404
        assert provider.get(f"/cases/{other}/resolve").status_code == 404
        assert provider.get(f"/cases/{own}").status_code == 200
        assert provider.get("/cases/new").status_code == 403


def test_the_plan_journey_through_the_pages(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager)
        case_url = f"/cases/{case_id}"
        provider = login_as("provider_manager")
        assert provider.post_form(f"{case_url}/action-plans/new", {"notice": ""}).status_code == 303
        html = provider.get(case_url).get_data(as_text=True)
        plan_id = int(re.search(r"/action-plans/(\d+)/rows/new", html).group(1))
        row = {"kpi": "S3", "current_performance": "71% at Q3", "rag": "red", "issue": "Transport",
               "action": "Second minibus", "owner": "Operations director",
               "expected_outcome": "90% by Q1 2027", "deadline": ["31", "3", "2027"]}
        assert provider.post_form(f"/action-plans/{plan_id}/rows/new", row).status_code == 303
        milestone = {"title": "Minibus contract signed", "due_on": ["29", "1", "2027"]}
        assert provider.post_form(f"/action-plans/{plan_id}/milestones/new", milestone).status_code == 303
        assert provider.post_form(f"/action-plans/{plan_id}/submit", {}).status_code == 303
        manager.post_form(f"/action-plans/{plan_id}/return_for_changes", {"comment": "Add a review date"})
        assert "Council's comment: Add a review date" in provider.get(case_url).get_data(as_text=True)
        provider.post_form(f"/action-plans/{plan_id}/submit", {})
        manager.post_form(f"/action-plans/{plan_id}/agree", {})
        provider.post_form(f"/action-plans/{plan_id}/sign_off", {})
        html = provider.get(case_url).get_data(as_text=True)
        milestone_id = record_id(html, "milestones", "mark_done")
        login_as("provider_user").post_form(f"/milestones/{milestone_id}/mark_done",
                                            {"evidence": "Contract signed 20 January"})
        manager.post_form(f"/milestones/{milestone_id}/verify", {})
        html = manager.get(case_url).get_data(as_text=True)
        for event in ("Plan submitted", "Plan returned", "Plan agreed", "Plan signed off", "Milestone verified"):
            assert event in html
