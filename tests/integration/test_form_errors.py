"""ux #2 and #12: an empty form reports every missing answer at once, in the GOV.UK error summary, each linking to
its field (a date to its day box, `#<field>-day`) and each shown on the field itself."""

from __future__ import annotations

import re

import pytest
import time_machine

NOW = "2026-12-21T10:00:00+00:00"


@pytest.fixture
def records(app, api):
    """A Kent case with a draft notice, and another whose plan is a draft (for its rows and milestones)."""
    with time_machine.travel(NOW, tick=False):
        def post(url, body):
            return api("contract_manager", "POST", "/api/v1" + url, body, status=201)

        case = post("/cases", {"contract": "LDDS-2023-07", "summary": "Attendance red"})
        notice = post(f"/cases/{case['id']}/notices", {"findings": "f", "required_action": "a"})
        other = post("/cases", {"contract": "HC-2024-05", "summary": "Missed visits"})
        plan = post(f"/cases/{other['id']}/action-plans", {"due_days": 10})
    return {"case": case["id"], "notice": notice["id"], "plan": plan["id"]}


# (who, form address, the href of each field's error, in order): every field the form requires.
FORMS = [
    ("contract_manager", "/cases/new", ["contract", "summary"]),
    ("contract_manager", "/cases/{case}/notices/new", ["findings", "required_action"]),
    ("contract_manager", "/notices/{notice}/issue", ["served_on-day", "method"]),
    ("contract_manager", "/action-plans/{plan}/rows/new",
     ["kpi", "current_performance", "rag", "issue", "action", "owner", "expected_outcome", "deadline-day"]),
    ("contract_manager", "/action-plans/{plan}/milestones/new", ["title", "due_on-day"]),
    ("contract_manager", "/complaints/new", ["provider_id", "by_council", "formal", "received_on-day",
                                             "received_time", "channel", "complainant_type", "summary"]),
    ("provider_manager", "/complaints/new", ["formal", "received_on-day", "received_time", "channel",
                                             "complainant_type", "summary"]),
    ("contract_manager", "/incidents/new", ["provider_id", "kind", "occurred_on-day", "occurred_time",
                                            "description", "action_taken"]),
    ("provider_manager", "/incidents/new", ["kind", "occurred_on-day", "occurred_time", "description",
                                            "action_taken"]),
    ("safeguarding_officer", "/safeguarding/new", ["provider_id", "kind", "raised_on-day", "details"]),
    ("contract_manager", "/duty-notifications/new", ["duty", "occurred_on-day", "what_happened"]),
    ("contract_manager", "/requests/new", ["request_type", "asked_on-day", "what_asked"]),
    ("contract_manager", "/financial-changes/new", ["contract_id", "occurred_on-day", "what_changed"]),
]


def _blank(html: str) -> dict:
    """The form posted empty: every text box, select and date box blank, nothing chosen."""
    names = set(re.findall(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"', html)) - {"csrf_token", "version"}
    values = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    data = {name: "" for name in names if not re.search(rf'type="(?:radio|checkbox)"[^>]*name="{name}"', html)}
    data.update({k: v for k, v in values.items() if k == "version"})
    return data


@pytest.mark.parametrize(("role", "address", "fields"), FORMS, ids=[f"{r}:{a}" for r, a, _ in FORMS])
def test_an_empty_form_reports_every_missing_field_at_once(login_as, records, role, address, fields):
    url = address.format(**records)
    with time_machine.travel(NOW, tick=False):
        browser = login_as(role)
        page = browser.get(url)
        assert page.status_code == 200, (url, page.status_code)
        response = browser.post_form(url, _blank(page.get_data(as_text=True)), page=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, (url, response.status_code)
    assert "<title>Error: " in html
    summary = html.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert re.findall(r'href="#([^"]+)"', summary) == fields
    for field in fields:  # each message is on its field too
        name = field.removesuffix("-day")
        assert f'id="{name}-error"' in html, field


def test_a_domain_problem_about_an_instant_links_to_its_date(login_as):
    """The provider's incident error had no link and no inline message: the domain names `occurred_at`, the form
    asks for `occurred_on` and `occurred_time`."""
    with time_machine.travel(NOW, tick=False):
        provider = login_as("provider_manager")
        response = provider.post_form("/incidents/new", {
            "kind": "lost_keys", "occurred_on": ["24", "12", "2026"], "occurred_time": "10:00",
            "description": "Keys lost", "action_taken": "Locks changed"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#occurred_on-day"' in html and 'id="occurred_on-error"' in html
    assert "cannot be in the future" in html.split('id="occurred_on-error"')[1][:300]


def test_the_date_error_links_to_the_day_box(login_as, records):
    with time_machine.travel(NOW, tick=False):
        manager = login_as("contract_manager")
        url = f"/notices/{records['notice']}/issue"
        html = manager.post_form(url, {"served_on": ["31", "02", "2026"], "method": "hand"}).get_data(as_text=True)
    assert 'href="#served_on-day"' in html and 'id="served_on-day"' in html
