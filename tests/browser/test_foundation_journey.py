"""A contract manager signs in, opens the dashboard and a provider, on real Chromium, accessibly."""

from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD


def sign_in(page, live_server, email):
    page.goto(f"{live_server}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_contract_manager_signs_in_and_opens_a_provider(page, live_server, demo, axe_check, screenshot,
                                                          console_errors):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/sign-in?next=/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Remedy")
    axe_check(page)
    screenshot(page, "sign-in")

    sign_in(page, live_server, demo["contract_manager"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    # GOV.UK Frontend's JavaScript ran under the Content-Security-Policy.
    expect(page.locator("body")).to_have_class("govuk-template__body js-enabled govuk-frontend-supported")
    expect(page.get_by_role("heading", name="Contracts you manage")).to_be_visible()
    axe_check(page)
    screenshot(page, "dashboard")

    page.get_by_role("link", name="every provider").click()
    expect(page.get_by_role("link", name="Meadowbank Extra Care Ltd")).to_be_visible()
    page.get_by_role("link", name="Brightwater Day Opportunities CIC").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Brightwater Day Opportunities CIC")
    expect(page.get_by_text("Requires improvement").first).to_be_visible()
    axe_check(page)
    screenshot(page, "provider")

    page.get_by_role("link", name="LDDS-2023-07").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning disability community day services")
    axe_check(page)
    screenshot(page, "contract")

    page.get_by_role("link", name="Working days").click()
    page.get_by_role("group", name="Start date (the day of service or receipt)").get_by_label("Day").fill("18")
    page.get_by_role("group", name="Start date (the day of service or receipt)").get_by_label("Month").fill("12")
    page.get_by_role("group", name="Start date (the day of service or receipt)").get_by_label("Year").fill("2026")
    page.get_by_label("Number of working days").fill("10")
    page.get_by_role("button", name="Count working days").click()
    expect(page.get_by_role("heading", name="Due on Wednesday 6 January 2027")).to_be_visible()
    axe_check(page)
    screenshot(page, "working-days")

    assert console_errors == []


def test_lock_out_message_is_shown(page, live_server, demo, axe_check, screenshot):
    page.goto(f"{live_server}/sign-in")
    for _ in range(5):
        page.get_by_label("Email address").fill(demo["council_viewer"])
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Your account is locked")
    axe_check(page)
    screenshot(page, "locked")
