"""The provider portal end to end: a provider manager drafts a plan with two milestones and submits it; the contract
manager returns it with a comment; the provider fixes and resubmits; the council agrees and both sign; the provider
marks a milestone done with a PDF; the contract manager verifies it; the case timeline shows every step.
axe-core on every page; screenshots saved under tests/browser/screenshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill_date(page, legend: str, day):
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def add_row(page, axe_check, kpi: str, deadline):
    page.get_by_role("link", name="Add a row").click()
    page.get_by_label("KPI").fill(kpi)
    page.get_by_label("Current performance level and date").fill("71% in November 2026")
    page.get_by_label("Red").check()
    page.get_by_label("Issue or reason identified").fill("Rota gaps on Mondays")
    page.get_by_label("Action to be taken").fill("Recruit two support workers")
    page.get_by_label("Who will do it").fill("Registered manager")
    page.get_by_label("Expected outcome (SMART)").fill("95% attendance by the end of February 2027")
    fill_date(page, "Deadline", deadline)
    axe_check(page)
    page.get_by_role("button", name="Add the row").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


def add_milestone(page, title: str, due):
    page.get_by_role("link", name="Add a milestone").click()
    page.get_by_label("Milestone").fill(title)
    fill_date(page, "Due date", due)
    page.get_by_role("button", name="Add the milestone").click()
    expect(page.locator("li[id^=milestone-]", has_text=title)).to_be_visible()


def act(page, axe_check, button: str, comment: str | None = None, banner: str | None = None):
    """Open a step's form from the case page and confirm it; the banner says what happened."""
    page.get_by_role("link", name=button).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(button)
    if comment is not None:
        page.locator("textarea").first.fill(comment)
    axe_check(page)
    page.get_by_role("button", name=button).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(banner or ": CASE-")  # what happened


def test_provider_and_council_agree_a_plan_and_verify_evidence(browser, page, live_server, demo, app, axe_check,
                                                                screenshot, console_errors, tmp_path):
    from models import db
    from models.case_store import draft_notice, open_case
    from models.engine import fire
    from models.user_store import find_user_by_email
    from scheduler.tick import tick

    now = datetime.now(UTC)
    today = now.date()
    with app.app_context():
        tick(now)  # a running scheduler, so no warning banner
        manager = find_user_by_email(demo["contract_manager"])
        case = open_case(manager.viewer, manager, "LDDS-2023-07", "Attendance (KPI S3) red for two quarters", now)
        notice = draft_notice(manager.viewer, manager, case.id, "Attendance is 71% against 95%",
                              "A section 11.3 action plan", now)
        fire(manager.viewer, manager, "notice", notice.id, "issue",
                         {"served_on": today, "method": "hand"}, now, today)
        db.session.commit()
        case_url = f"{live_server}/cases/{case.id}"
    council = browser.new_context(viewport={"width": 1280, "height": 900})
    cm = council.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    evidence = tmp_path / "Recruitment evidence.pdf"
    evidence.write_bytes(PDF)

    # The provider manager signs in to a home page that puts what is due first.
    sign_in(page, live_server, demo["provider_manager"])
    expect(page.get_by_role("heading", name="What is due")).to_be_visible()
    expect(page.locator("#due ~ .remedy-scroll table").first).to_contain_text("Action plan agreed by both parties")
    axe_check(page)
    screenshot(page, "portal-home")
    page.get_by_role("link", name="Formal warning, case CASE-00001").click()
    page.get_by_role("link", name="Start an action plan (Appendix A)").click()
    axe_check(page)
    page.get_by_role("button", name="Start the action plan").click()
    add_row(page, axe_check, "S3 attendance", today + timedelta(days=60))
    add_milestone(page, "Two support workers recruited", today + timedelta(days=21))
    add_milestone(page, "Attendance back to 95%", today + timedelta(days=60))
    axe_check(page)
    screenshot(page, "portal-draft-plan")
    act(page, axe_check, "Submit the plan for agreement", banner="submitted to the council. What happens next")

    # The contract manager returns it with a comment, from the review queue.
    sign_in(cm, live_server, demo["contract_manager"])
    cm.get_by_role("navigation", name="Menu").get_by_role("link", name="Review").click()
    expect(cm.get_by_role("heading", level=1)).to_have_text("Review queue")
    axe_check(cm)
    screenshot(cm, "portal-review-queue")
    cm.get_by_role("link", name="Return with comments").click()
    cm.get_by_label("What needs to change").fill("Add a row for KPI S5, missed sessions.")
    axe_check(cm)
    cm.get_by_role("button", name="Return the plan for changes").click()
    expect(cm.locator(".govuk-notification-banner--success")).to_be_visible()

    # The provider sees the comment, fixes the plan and resubmits.
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Change and resubmit the returned plan (version 1)").click()
    expect(page.get_by_text("Council's comment: Add a row for KPI S5, missed sessions.")).to_be_visible()
    add_row(page, axe_check, "S5 missed sessions", today + timedelta(days=60))
    act(page, axe_check, "Submit the plan for agreement", banner="submitted to the council. What happens next")

    # The council agrees; the provider signs: both parties have signed (KT section 11.3).
    cm.goto(f"{live_server}/review")
    cm.get_by_role("link", name="Agree").first.click()
    cm.get_by_role("button", name="Agree the plan (council sign-off)").click()
    expect(cm.locator(".govuk-notification-banner--success")).to_be_visible()
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Sign off the agreed plan (version 1)").click()
    axe_check(page)
    page.get_by_role("button", name="Sign off the agreed plan (provider)").click()
    expect(page.get_by_text("Signed for the provider")).to_be_visible()

    # The provider marks a milestone done with a PDF as evidence.
    page.get_by_role("link", name="Report progress on milestone Two support workers recruited").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report progress on a milestone")
    page.get_by_label("Done").check()
    page.get_by_label("Commentary").fill("Both support workers started on Monday.")
    page.get_by_label("Evidence files (optional)").set_input_files(str(evidence))
    axe_check(page)
    screenshot(page, "portal-progress")
    page.get_by_role("button", name="Save progress").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Progress on the milestone")

    # The contract manager verifies the evidence.
    cm.goto(f"{live_server}/review")
    cm.get_by_role("link", name="Two support workers recruited").click()
    expect(cm.get_by_role("link", name="Recruitment_evidence.pdf")).to_be_visible()
    with cm.expect_download() as download:
        cm.get_by_role("link", name="Recruitment_evidence.pdf").click()
    assert download.value.path().read_bytes() == PDF
    cm.get_by_label("Yes: verify the evidence and the milestone").check()
    axe_check(cm)
    screenshot(cm, "portal-review-evidence")
    cm.get_by_role("button", name="Save the decision").click()
    expect(cm.locator(".govuk-notification-banner--success")).to_contain_text("Evidence verified")

    # The case's timeline shows every step.
    cm.goto(case_url)
    timeline = cm.locator(".remedy-timeline")
    for step in ("Plan started", "Plan row added", "Milestone added", "Plan submitted", "Plan returned",
                 "Plan agreed", "Plan signed off", "Milestone progress reported", "Evidence attached",
                 "Milestone done", "Evidence verified", "Milestone verified"):
        expect(timeline).to_contain_text(step)
    axe_check(cm)
    screenshot(cm, "portal-case-timeline")
    council.close()
    assert console_errors == []
