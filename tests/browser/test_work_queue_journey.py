"""Issue 16 on real Chromium, with axe on every page: a contract manager answers "what needs me this week" from the
dashboard in one click, and finds a case by provider name with the search box; a provider sees its tasks."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in


def _seed(app) -> None:
    """A warning notice issued today on Brightwater's contract (its plan is due in 10 working days), a second case
    on Riverside's, and a complaint Riverside must report by the next working day."""
    from models import db
    from models.case_store import open_case
    from models.concern_store import record_complaint
    from tests.integration.portal_setup import add_provider_b_manager, case_with_notice, user
    from web.clock import now_utc, today_london
    from workflows.clock import LONDON

    now, today = now_utc(), today_london()
    with app.app_context():
        case_with_notice("LDDS-2023-07", now, today)
        manager = user("contract.manager@remedy.example")
        open_case(manager.viewer, manager, "HC-2024-05", "Missed visits in Hammersmith", now)
        other = user(add_provider_b_manager())
        record_complaint(other.viewer, other, other.provider_id, {
            "received_at": (now - timedelta(hours=1)).astimezone(LONDON), "channel": "phone",
            "complainant_type": "family_member", "formal": True, "summary": "Carer did not arrive"}, now)
        db.session.commit()


def test_contract_manager_answers_what_needs_me_this_week_in_one_click(app, page, live_server, demo, axe_check,
                                                                        screenshot, console_errors):
    _seed(app)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, demo["contract_manager"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    # The menu fits one row at 1280 px and has Performance and Breaches in it.
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Performance")).to_be_visible()
    expect(menu.get_by_role("link", name="Breaches")).to_be_visible()
    tops = {round(box["y"]) for box in (link.bounding_box() for link in menu.get_by_role("link").all())}
    assert len(tops) == 1, f"the menu wraps onto {len(tops)} rows"
    expect(page.locator("#tile-open-cases .remedy-tile__count")).to_have_text("2")
    axe_check(page)
    screenshot(page, "work-queue-contract-manager")

    this_week = page.locator("#tile-this-week a")
    expect(this_week).to_contain_text("due this week")
    this_week.click()  # one click: everything due in the next 7 days, across every record
    expect(page.get_by_role("heading", level=1)).to_have_text("Deadlines")
    expect(page.get_by_role("heading", name="Due this week")).to_be_visible()
    expect(page.get_by_role("link", name="CMP-00001")).to_be_visible()  # the real subject of the complaint's clock
    axe_check(page)
    screenshot(page, "deadlines-this-week")

    page.get_by_role("link", name="Show every deadline").click()
    expect(page.get_by_role("heading", name="Later")).to_be_visible()
    expect(page.get_by_role("link", name="CASE-00001").first).to_be_visible()  # the plan due in 10 working days
    axe_check(page)
    assert not console_errors, console_errors


def test_contract_manager_finds_a_case_by_provider_name(app, page, live_server, demo, axe_check, screenshot,
                                                        console_errors):
    _seed(app)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, demo["contract_manager"])
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Cases").click()
    expect(page.locator("#list-count")).to_contain_text("2 cases")
    page.get_by_label("Search cases").fill("Brightwater")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#list-count")).to_contain_text("1 case")
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Brightwater Day Opportunities CIC")
    expect(row).to_contain_text("Provider")  # waiting on the provider: its plan is due
    axe_check(page)
    screenshot(page, "cases-search")
    row.get_by_role("link", name="CASE-00001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CASE-00001")
    axe_check(page)

    # The same list at 390 px: the table scrolls in its own region, not the page.
    page.set_viewport_size({"width": 390, "height": 844})
    page.go_back()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    axe_check(page)
    assert not console_errors, console_errors


def test_provider_sees_write_and_send_your_action_plan_as_a_task(app, page, live_server, demo, axe_check,
                                                                 screenshot):
    _seed(app)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, demo["provider_manager"])
    task = page.locator(".govuk-task-list__item").filter(has_text="Write and send your action plan")
    expect(task).to_contain_text("Not yet started")
    expect(task.locator(".govuk-task-list__hint")).to_have_text(re.compile(r"Due \w+day \d+ \w+ \d{4}"))
    axe_check(page)
    screenshot(page, "provider-tasks")
    task.get_by_role("link", name="Write and send your action plan").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)
