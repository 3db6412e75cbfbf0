"""Issue 17 on real Chromium, with axe on every page: the provider page shows the 10 newest happenings, and its
history pages back through every one, 50 at a time, from the last one shown."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in

INCIDENTS = 60


def _seed(app, demo) -> int:
    """60 incidents on Meadowbank, a day apart, the newest yesterday: its provider id."""
    from models import db
    from models.concern_store import record_incident
    from models.entities import Contract
    from tests.integration.portal_setup import user
    from web.clock import now_utc

    now = now_utc()
    with app.app_context():
        manager = user(demo["contract_manager"])
        meadowbank = db.session.query(Contract).filter_by(reference="ECH-2024-01").one().provider_id
        for n in range(INCIDENTS):
            record_incident(manager.viewer, manager, meadowbank, {
                "kind": "accident", "occurred_at": now - timedelta(days=n + 1),
                "description": f"A fall in the lounge, number {INCIDENTS - n}", "action_taken": "GP called"}, now)
        db.session.commit()
        return meadowbank


def _numbers(items) -> list[int]:
    """The incidents' numbers on a page of the timeline, in its order (the demo's own happenings left out)."""
    return [int(text.rsplit("number ", 1)[1].split()[0]) for text in items.all_inner_texts() if "number " in text]


def test_the_provider_history_pages_back_through_everything(app, page, live_server, demo, axe_check, screenshot,
                                                             console_errors):
    provider_id = _seed(app, demo)
    sign_in(page, live_server, demo["contract_manager"])
    page.goto(f"{live_server}/providers/{provider_id}")
    expect(page.locator("#picture + ol > li")).to_have_count(10)
    assert _numbers(page.locator("#picture + ol > li"))[:3] == [INCIDENTS, INCIDENTS - 1, INCIDENTS - 2]
    axe_check(page)

    page.get_by_role("link", name="Everything that has happened to Meadowbank").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Everything that has happened to Meadowbank")
    items = page.locator(".remedy-timeline > li")
    expect(items).to_have_count(50)
    first = _numbers(items)
    axe_check(page)
    screenshot(page, "provider-history")

    page.get_by_role("link", name="Older").click()
    expect(page.get_by_role("link", name="Back to the newest")).to_be_visible()
    second = _numbers(items)
    # Newest first across both pages, every incident once: the second page starts after the first page's last.
    assert first + second == list(range(INCIDENTS, 0, -1))
    axe_check(page)
    page.get_by_role("link", name="Back to the newest").click()
    assert _numbers(items) == first
    assert console_errors == []

    # A stale or mistyped place in the history: the newest page, and a banner that says what happened.
    page.goto(f"{live_server}/providers/{provider_id}/history?after=incident:999999")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("That place in the provider's history was not")
    assert _numbers(items) == first
    axe_check(page)
    screenshot(page, "provider-history-not-found")
    # The browser reports the page's own 404 status; nothing else went wrong on it.
    assert [e for e in console_errors if "status of 404" not in e] == []
