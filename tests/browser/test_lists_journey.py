"""Issue 16 on real Chromium, with axe on every page: the safeguarding and returns lists (the shared list: search,
filters, pages of 25) and, at 390 px, every table scrolls inside its own region while the page itself does not."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in


def _seed(app, demo) -> None:
    """Three safeguarding concerns on Meadowbank, and a case on Brightwater's contract."""
    from models import db
    from models.case_store import open_case
    from models.concern_store import raise_concern
    from models.entities import Contract
    from tests.integration.portal_setup import user
    from web.clock import now_utc

    now = now_utc()
    with app.app_context():
        officer = user(demo["safeguarding_officer"])
        meadowbank = db.session.query(Contract).filter_by(reference="ECH-2024-01").one()
        for n in range(3):
            raise_concern(officer.viewer, officer, meadowbank.provider_id, "care_concern",
                          f"Bruising noticed on a tenant's arm, visit {n}", date.today(), now)
        manager = user(demo["contract_manager"])
        open_case(manager.viewer, manager, "LDDS-2023-07", "Attendance red for two quarters", now)
        db.session.commit()


def _fits(page, width: int = 390) -> None:
    """The page is no wider than the screen: wide tables scroll inside their region instead."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide at {width} px"


def test_safeguarding_list_searches_and_scrolls_inside_its_region_at_390px(app, page, live_server, demo, axe_check,
                                                                             screenshot, console_errors):
    _seed(app, demo)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, demo["safeguarding_officer"])
    page.goto(f"{live_server}/safeguarding")
    expect(page.locator("#list-count")).to_contain_text("3 safeguarding concerns")
    page.get_by_label("Search safeguarding concerns").fill("visit 1")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#list-count")).to_contain_text("1 safeguarding concern")
    expect(page.locator("tbody tr")).to_have_count(1)
    axe_check(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Clear search and filters").click()
    expect(page.locator("#list-count")).to_contain_text("3 safeguarding concerns")
    region = page.get_by_role("region", name="Safeguarding concerns (scrolls sideways)")
    expect(region).to_be_visible()
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: nothing to scroll"
    _fits(page)
    axe_check(page)
    screenshot(page, "safeguarding-list-390")
    assert not console_errors, console_errors


def test_returns_list_filters_and_every_table_fits_a_phone(app, page, live_server, demo, axe_check, screenshot,
                                                             console_errors):
    _seed(app, demo)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, demo["contract_manager"])
    page.goto(f"{live_server}/returns")
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring returns")
    expect(page.get_by_text("Not due yet: the council sets the date").first).to_be_visible()
    page.get_by_label("Contract", exact=True).select_option(label="ECH-2024-01: Meadowbank Extra Care Ltd")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr").first).to_contain_text("ECH-2024-01")
    region = page.get_by_role("region", name="Returns (scrolls sideways)")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: nothing to scroll"
    _fits(page)
    axe_check(page)
    screenshot(page, "returns-list-390")
    # Every other page with a table, at the same width.
    for path in ("/", "/cases", "/cases/1", "/providers", "/deadlines", "/breaches", "/duty-notifications",
                 "/requests", "/meetings", "/performance"):
        page.goto(f"{live_server}{path}")
        _fits(page)
        axe_check(page)
    assert not console_errors, console_errors


def test_an_empty_complaint_form_reports_every_field_and_its_date_link_reaches_the_day_box(
        app, page, live_server, demo, axe_check, screenshot, console_errors):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, demo["contract_manager"])
    page.goto(f"{live_server}/complaints/new")
    page.get_by_role("button", name="Record the complaint").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a")).to_have_count(8)
    expect(page.locator(".govuk-error-message")).to_have_count(8)
    axe_check(page)
    screenshot(page, "complaint-empty-submit")
    summary.get_by_role("link", name="Enter the date it was received").click()
    expect(page.locator("#received_on-day")).to_be_focused()
    unexpected = [e for e in console_errors if "status of 422" not in e]  # the page itself answers 422
    assert not unexpected, unexpected
