"""A contract manager plans and records a Thurrock resident's soft-outcome check (TH-S01 to TH-S09) and reads the
stay limits and the next meetings, on real Chromium, accessibly (issue 15, items 5 and 6)."""

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_foundation_journey import sign_in


def _resident(app) -> None:
    from models import db
    from models.entities import Contract
    from models.people import Person, PersonRole

    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == "SL-2025-02"))
        db.session.add(Person(council_id=contract.council_id, provider_id=contract.provider_id,
                              contract_id=contract.id, reference="TH-R-0042", role=PersonRole.RESIDENT,
                              started_on=date(2025, 10, 1)))
        db.session.commit()


def test_a_soft_outcome_check_is_planned_and_recorded(page, live_server, app, demo, axe_check, screenshot):
    _resident(app)
    sign_in(page, live_server, demo["contract_manager"])
    page.goto(f"{live_server}/soft-outcome-checks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Soft-outcome checks")
    axe_check(page)
    page.get_by_role("button", name="Plan the next check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Soft-outcome check SOC-00001")
    axe_check(page)
    for n in range(1, 10):
        page.get_by_label(f"TH-S0{n}").select_option("evidenced" if n != 6 else "partly_evidenced")
    page.get_by_label("Notes (optional)").fill("Travel training started; assistive technology not yet assessed")
    screenshot(page, "soft-outcome-check-form")
    page.get_by_role("button", name="Record the check").click()
    expect(page.get_by_text("Soft-outcome check recorded: the next one is planned")).to_be_visible()
    expect(page.get_by_role("cell", name="Partly evidenced")).to_be_visible()
    axe_check(page)
    screenshot(page, "soft-outcome-check-recorded")

    page.goto(f"{live_server}/stay-limits")
    page.get_by_label("Limit").select_option("length-of-stay")
    page.get_by_role("button", name="Start the limit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stay limit STAY-00001")
    expect(page.get_by_role("definition").filter(has_text="Friday 1 October 2027")).to_be_visible()
    axe_check(page)
    screenshot(page, "stay-limit")

    page.goto(f"{live_server}/meetings")
    page.get_by_label("Contract").select_option(label="ECH-2024-01: Meadowbank Extra Care Ltd")
    page.get_by_role("button", name="Plan the next meetings").click()
    expect(page.get_by_text("Planned 1 meeting: Quarterly contract monitoring meeting by")).to_be_visible()
    axe_check(page)
    screenshot(page, "planned-meetings")
