"""A Thurrock resident's annual soft-outcome check (issue 15, item 5: TH-S01 to TH-S09, TH-21) end to end: planned a
year after moving in, reminded past the Christmas bank holidays, marked overdue by the scheduler with a breach
notice, recorded with one rating per outcome on the scale the rulebook gives (which plans the next), the provider
seeing its resident's ratings but not the form, and another provider seeing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from tests.conftest import assert_page
from tests.integration.test_financial_changes import check
from tests.integration.test_meeting_cadences import Api, reminder_days
from tests.integration.test_stay_limits import person

RATINGS = {"TH-S01": "evidenced", "TH-S02": "partly_evidenced", "TH-S03": "evidenced", "TH-S04": "excellent",
           "TH-S05": "evidenced", "TH-S06": "not_evidenced", "TH-S07": "evidenced", "TH-S08": "evidenced",
           "TH-S09": "excellent"}


@pytest.mark.rules("TH-S01")
def test_thurrock_soft_outcome_check_is_due_a_year_after_moving_in_and_overdue_until_recorded(
        app, api_token, login_as, demo):
    from scheduler.tick import tick

    resident = person(app, "SL-2025-02", "TH-R-0021", date(2025, 12, 29))
    kent_person = person(app, "LDDS-2023-07", "KT-SU-0002", date(2025, 1, 6))
    manager = Api(app, api_token("contract_manager"))
    with time_machine.travel("2026-12-01T10:00:00+00:00", tick=False):
        planned = check(manager.post("/soft-outcome-checks", {"person_id": resident}), "/soft-outcome-checks",
                        "post", 201)
        twice = manager.post("/soft-outcome-checks", {"person_id": resident})
        assert twice.status_code == 422 and "already has a check planned" in twice.get_json()["error"]
        kent = manager.post("/soft-outcome-checks", {"person_id": kent_person})
        assert kent.status_code == 422 and "sets no soft outcomes" in kent.get_json()["error"]
        assert Api(app, api_token("provider_manager")).post("/soft-outcome-checks",
                                                            {"person_id": resident}).status_code == 403
    assert (planned["reference"], planned["rule"], planned["counted_from"], planned["due_on"]) == (
        "SOC-00001", "TH-21", "2025-12-29", "2026-12-29")
    (deadline,) = planned["deadlines"]
    assert deadline["acts"] == "council"
    assert "checked every 12 months (TH-21): counted from the day the resident moved in" in deadline["explanation"][0]
    assert reminder_days(app, deadline["id"])["reminder-5"] == date(2026, 12, 18)  # past 25 and 28 December

    with app.app_context():
        tick(datetime(2026, 12, 18, 9, 0, tzinfo=UTC))
        tick(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))
    with time_machine.travel("2026-12-30T10:00:00+00:00", tick=False):
        overdue = check(manager.get(f"/soft-outcome-checks/{planned['id']}"), "/soft-outcome-checks/{id}", "get",
                        200)
        assert (overdue["state"], overdue["deadlines"][0]["status"]) == ("overdue", "breached")
        partial = manager.post(f"/soft-outcome-checks/{planned['id']}/transitions", {
            "trigger": "record", "checked_on": "2026-12-30", "ratings": {**RATINGS, "TH-S06": "fine"}})
        assert partial.status_code == 422 and partial.get_json()["field"] == "rating-TH-S06"
        assert "Select a rating for TH-S06 Assistive Technology" in partial.get_json()["error"]
        recorded = check(manager.post(f"/soft-outcome-checks/{planned['id']}/transitions", {
            "trigger": "record", "checked_on": "2026-12-30", "ratings": RATINGS,
            "notes": "Debt agreement in place; no assistive technology assessment on file"}),
            "/soft-outcome-checks/{id}/transitions", "post", 200)
        # Recorded late: the deadline stays breached (it is not met after the event).
        assert (recorded["state"], recorded["ratings"], recorded["deadlines"][0]["status"]) == (
            "recorded", RATINGS, "breached")
        items = check(manager.get("/soft-outcome-checks"), "/soft-outcome-checks", "get", 200)["items"]
        (following,) = [i for i in items if i["state"] == "due"]
        assert (following["counted_from"], following["due_on"]) == ("2026-12-30", "2027-12-30")

        browser = login_as("contract_manager")
        page = assert_page(browser.get(f"/soft-outcome-checks/{planned['id']}"), "Soft-outcome check SOC-00001")
        assert "TH-S04 Tenancy Sustainment / Resettlement" in page and "Excellent" in page
        form = assert_page(browser.get(f"/soft-outcome-checks/{following['id']}"), "Soft-outcome check SOC-00002")
        assert "Do not include names" in form and "Select a rating" in form
        brightwater = Api(app, api_token("provider_manager"))  # Kent's provider
        listed = brightwater.get("/soft-outcome-checks").get_json()
        assert (listed["items"], listed["total"]) == ([], 0)
        assert brightwater.get(f"/soft-outcome-checks/{planned['id']}").status_code == 404
    assert mails_for(app, planned["id"]) == [("Reminder", demo["contract_manager"]),
                                             ("Overdue", demo["contract_manager"])]


def mails_for(app, check_id: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from models import db
    from models.entities import User
    from models.scheduling import OutboxMessage

    with app.app_context():
        return [(subject.split(":")[0], email) for subject, email in db.session.execute(
            select(OutboxMessage.subject, User.email).join(User, User.id == OutboxMessage.user_id).where(
                OutboxMessage.channel == "email", OutboxMessage.link.like(f"%/soft-outcome-checks/{check_id}"))
            .order_by(OutboxMessage.id))]
