"""A contract manager opens a case, issues a formal warning and sees the deadline and how it was counted."""

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in


def test_contract_manager_issues_a_formal_warning(page, live_server, demo, app, axe_check, screenshot,
                                                   console_errors):
    from scheduler.tick import tick

    with app.app_context():
        tick(datetime.now(UTC))  # a running scheduler, so no warning banner
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, demo["contract_manager"])
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Contract").select_option(label="LDDS-2023-07: Brightwater Day Opportunities CIC")
    page.get_by_label("Summary of the concern").fill("Attendance (KPI S3) red for two quarters")
    axe_check(page)
    page.get_by_role("button", name="Open the case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Case CASE-00001")
    page.get_by_role("link", name="Draft a formal warning").click()
    page.get_by_label("What is not adequate, and why").fill("Attendance is 71% against the 95% target.")
    page.get_by_label("The action plan the provider must produce").fill("A section 11.3 action plan.")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("link", name="Issue the notice").click()
    today = datetime.now(UTC).date()
    group = page.get_by_role("group", name="Date the notice was served")
    group.get_by_label("Day").fill(str(today.day))
    group.get_by_label("Month").fill(str(today.month))
    group.get_by_label("Year").fill(str(today.year))
    page.get_by_label("By hand").check()
    axe_check(page)
    screenshot(page, "issue-notice")
    page.get_by_role("button", name="Continue").click()
    # Check answers: the due date with how it was counted, and the letter as it will be served (issue 16).
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you issue the notice")
    expect(page.get_by_text("How it was counted")).to_be_visible()
    letter = page.frame_locator("iframe[title='The letter as it will be served']")
    expect(letter.get_by_text("Attendance is 71% against the 95% target.")).to_be_visible()
    axe_check(page)
    screenshot(page, "issue-notice-check")
    page.get_by_role("button", name="Issue the notice").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Formal warning issued to Brightwater Day Opportunities CIC. The action plan is due by")
    expect(page.get_by_role("link", name="Action plan agreed by both parties")).to_be_visible()
    page.get_by_text("How this was counted").first.click()
    expect(page.locator("details").first).to_contain_text("KT-19")
    axe_check(page)
    screenshot(page, "case")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"CASE-00001-formal-warning-.*\.pdf")).click()
    path = download.value.path()
    assert path.read_bytes()[:5] == b"%PDF-"
    page.get_by_role("link", name="View the letter").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Formal warning")
    expect(page.locator(".due")).to_contain_text("KT-19")
    screenshot(page, "letter")
    assert console_errors == []
