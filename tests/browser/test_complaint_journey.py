"""A formal complaint from receipt to response: the provider records and reports it, drafts the response; the
council's complaints manager returns the draft, then approves it; the provider sends it with the HF-75 checklist;
the council records the outcome. axe-core on every page; screenshots under tests/browser/screenshots."""

from datetime import UTC, datetime

from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in
from web.clock import LONDON


def fill_date(page, legend: str, day) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def step(page, link: str, axe_check) -> None:
    page.get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link)
    axe_check(page)


def test_a_formal_complaint_from_receipt_to_response(page, live_server, demo, app, axe_check, screenshot,
                                                      console_errors):
    from models import db
    from scheduler.tick import tick
    from tests.integration.portal_setup import add_provider_b_manager

    with app.app_context():
        tick(datetime.now(UTC))  # a running scheduler, so no warning banner
        riverside = add_provider_b_manager()  # HF-74 and HF-78 are the H&F home care contract's clocks
        db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 900})
    council = page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server, riverside)
    sign_in(council, live_server, demo["contract_manager"])
    with app.app_context():
        from models.user_store import find_user_by_email

        provider_page = f"{live_server}/providers/{find_user_by_email(riverside).provider_id}"
    # The contract manager looks at the provider's page before the complaint comes in: the server keeps what it drew
    # (web/providers._picture) until something on it changes.
    council.goto(provider_page)
    complaints_now = council.locator("tr", has=council.get_by_role("rowheader", name="Complaints", exact=True)) \
        .locator("td").first
    expect(complaints_now).to_have_text("0")

    # The provider records the complaint it received this morning.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Concerns").click()
    page.get_by_role("link", name="Complaints").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complaints")
    axe_check(page)
    page.get_by_role("link", name="Record a complaint").click()
    page.get_by_role("button", name="Record the complaint").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select whether it is a formal complaint")
    axe_check(page)
    screenshot(page, "complaint-errors")
    page.get_by_role("group", name="Is it a formal complaint?").get_by_label("Yes").check()
    fill_date(page, "Date it was received", datetime.now(UTC).astimezone(LONDON).date())
    page.get_by_label("Time it was received").fill("00:00")
    page.get_by_label("Phone").check()
    page.get_by_label("Who complained?").select_option(label="A family member or carer")
    page.get_by_label("What is the complaint about?").fill("The carer did not come on Sunday evening.")
    axe_check(page)
    page.get_by_role("button", name="Record the complaint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complaint CMP-00001")
    expect(page.get_by_text("Enforced (A41, the stricter reading)")).to_be_attached()
    page.get_by_text("How this was counted").first.click()
    expect(page.locator("details").first).to_contain_text("Read as one working day: the end of")
    axe_check(page)
    screenshot(page, "complaint-received")
    # On the contract manager's next view of the provider's page it is there, and counted in this quarter.
    council.goto(provider_page)
    expect(council.get_by_role("link", name="Complaint CMP-00001 received")).to_be_visible()
    expect(complaints_now).to_have_text("1")

    step(page, "Report the complaint to the council's complaints manager", axe_check)
    page.get_by_role("button", name="Report the complaint to the council's complaints manager").click()
    step(page, "Submit the draft response", axe_check)
    page.get_by_label("Draft response").fill("We are sorry. The rota failed on Sunday.")
    page.get_by_role("button", name="Submit the draft response").click()

    # The council's complaints manager asks for more, then approves.
    council.goto(f"{live_server}/complaints")
    council.get_by_role("link", name="CMP-00001").click()
    step(council, "Return the draft for changes", axe_check)
    council.get_by_label("What needs to change in the draft").fill("Say what should have happened, and the remedy.")
    council.get_by_role("button", name="Return the draft for changes").click()
    banner = council.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Complaint draft returned: CMP-00001")

    page.reload()
    expect(page.locator(".govuk-inset-text").last).to_contain_text("Say what should have happened, and the remedy.")
    step(page, "Submit the draft response", axe_check)
    page.get_by_label("Draft response").fill("We are sorry. A carer should have come at 6pm; we have refunded the "
                                            "visit. You may go to the Local Government and Social Care Ombudsman.")
    page.get_by_role("button", name="Submit the draft response").click()
    council.reload()
    step(council, "Approve the draft response", axe_check)
    council.get_by_role("button", name="Approve the draft response").click()

    # The provider sends it, confirming the HF-75 checklist.
    page.reload()
    step(page, "Record that the response was sent", axe_check)
    page.get_by_label("It says what happened").check()
    page.get_by_role("button", name="Record that the response was sent").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm the response covers everything HF-75")
    axe_check(page)
    for label in ("It says what should have happened", "It gives the finding", "It sets out the remedy",
                  "It tells the complainant of their right to go to the Local Government and Social Care Ombudsman"):
        page.get_by_label(label).check()
    screenshot(page, "complaint-checklist")
    page.get_by_role("button", name="Record that the response was sent").click()

    council.reload()
    step(council, "Record the outcome and close", axe_check)
    council.get_by_label("Partially upheld").check()
    council.get_by_label("Lessons learnt and the actions agreed").fill("Sunday rota checked every Friday.")
    council.get_by_role("button", name="Record the outcome and close").click()
    expect(council.get_by_text("Resolved within 28 days (CE-59)")).to_be_visible()
    expect(council.locator(".govuk-summary-list")).to_contain_text("Partially upheld")
    for event in ("Complaint received", "Complaint reported", "Complaint draft returned", "Complaint draft approved",
                  "Complaint response sent", "Complaint closed"):
        expect(council.get_by_text(event, exact=True)).to_be_visible()
    axe_check(council)
    screenshot(council, "complaint-closed")
    # The provider's one picture counts it, and the timeline links back to it.
    council.get_by_role("link", name="Riverside Home Care Ltd").click()
    expect(council.get_by_role("heading", name="The last year, quarter by quarter")).to_be_visible()
    expect(council.get_by_role("link", name="Complaint CMP-00001 received")).to_be_visible()
    axe_check(council)
    screenshot(council, "provider-picture")
    # The two forms sent back with their errors answer 422, which Chromium logs; nothing else may be logged.
    assert [e for e in console_errors if "status of 422" not in e] == []
