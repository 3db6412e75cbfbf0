"""An administrator reads the contract rulebooks in plain English, on real Chromium, accessibly."""

from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in


def test_admin_reads_a_rulebook(page, live_server, demo, axe_check, screenshot):
    sign_in(page, live_server, demo["admin"])
    page.goto(f"{live_server}/admin/rulebooks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contract rulebooks")
    axe_check(page)
    screenshot(page, "rulebooks")
    page.get_by_role("link", name="Kent: Learning Disability Community Day Services").click()
    expect(page.get_by_role("heading", level=2, name="Breach rules")).to_be_visible()
    axe_check(page)
    screenshot(page, "rulebook-kent")
