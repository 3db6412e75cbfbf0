"""Per-person stay limits (issue 15, item 5) end to end through the API, the scheduler and the pages: Thurrock's
two-year length of stay (TH-11) from the day a resident moved in, reminded past the Christmas bank holidays, marked
overstayed by the scheduler with a breach notice, then agreed longer by the care practitioner; the one-year move-on
priority (TH-12) from its award; a contract without limits refused; another provider seeing none of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import assert_page
from tests.integration.test_financial_changes import check, contract_id
from tests.integration.test_meeting_cadences import Api, reminder_days


def person(app, contract_ref: str, reference: str, started_on: date | None) -> int:
    from models import db
    from models.entities import Contract
    from models.people import Person, PersonRole

    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == contract_ref))
        row = Person(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                     reference=reference, role=PersonRole.RESIDENT, started_on=started_on)
        db.session.add(row)
        db.session.commit()
        return row.id


def mails(app, stay_id: int) -> list[tuple[str, str]]:
    from models import db
    from models.entities import User
    from models.scheduling import OutboxMessage

    with app.app_context():
        return [(subject.split(":")[0], email) for subject, email in db.session.execute(
            select(OutboxMessage.subject, User.email).join(User, User.id == OutboxMessage.user_id).where(
                OutboxMessage.channel == "email", OutboxMessage.link.like(f"%/stay-limits/{stay_id}"))
            .order_by(OutboxMessage.id))]


@pytest.mark.rules("TH-11")
def test_thurrock_length_of_stay_reminds_then_flags_the_overstay_until_the_practitioner_agrees(
        app, api_token, login_as, demo):
    from scheduler.tick import tick

    resident = person(app, "SL-2025-02", "TH-R-0007", date(2024, 12, 29))
    manager = Api(app, api_token("contract_manager"))
    with time_machine.travel("2026-12-01T10:00:00+00:00", tick=False):
        stay = check(manager.post("/stay-limits", {"person_id": resident, "limit": "length-of-stay"}),
                     "/stay-limits", "post", 201)
        again = manager.post("/stay-limits", {"person_id": resident, "limit": "length-of-stay"})
        assert again.status_code == 422 and "already has a length of stay running" in again.get_json()["error"]
        unknown = manager.post("/stay-limits", {"person_id": resident, "limit": "six-weeks"})
        assert unknown.status_code == 422
        assert "length-of-stay (TH-11), move-on-priority (TH-12)" in unknown.get_json()["error"]
    assert (stay["reference"], stay["rule"], stay["started_on"], stay["due_on"], stay["person"]) == (
        "STAY-00001", "TH-11", "2024-12-29", "2026-12-29", "TH-R-0007")
    (deadline,) = stay["deadlines"]
    assert "Length of stay: 2 years from the day the person moved in, 29 December 2024 (TH-11)" in \
        deadline["explanation"][0]
    assert reminder_days(app, deadline["id"])["reminder-5"] == date(2026, 12, 18)  # past 25 and 28 December

    with app.app_context():
        tick(datetime(2026, 12, 18, 9, 0, tzinfo=UTC))
        tick(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))
    assert mails(app, stay["id"]) == [("Reminder", demo["contract_manager"]), ("Overdue", demo["contract_manager"])]
    with time_machine.travel("2026-12-30T10:00:00+00:00", tick=False):
        overstayed = check(manager.get(f"/stay-limits/{stay['id']}"), "/stay-limits/{id}", "get", 200)
        assert (overstayed["state"], overstayed["deadlines"][0]["status"]) == ("overstayed", "breached")
        assert overstayed["allowed_triggers"] == ["end", "agree"]
        browser = login_as("contract_manager")
        page = assert_page(browser.get(f"/stay-limits/{stay['id']}"), "Stay limit STAY-00001")
        assert "Overstayed: the limit passed on Tuesday 29 December 2026" in page and "Do not include names" in page
        listed = assert_page(browser.get("/stay-limits"), "Stay limits")
        assert "TH-R-0007" in listed and "Overstayed" in listed
        missing = manager.post(f"/stay-limits/{stay['id']}/transitions", {"trigger": "agree"})
        assert missing.status_code == 422 and missing.get_json()["field"] == "reason"
        agreed = check(manager.post(f"/stay-limits/{stay['id']}/transitions", {
            "trigger": "agree", "reason": "Care practitioner agreed six more months: move-on flat offered for June"}),
            "/stay-limits/{id}/transitions", "post", 200)
    assert agreed["state"] == "agreed" and agreed["allowed_triggers"] == []
    assert [e["event"] for e in agreed["events"]] == ["STAY_STARTED", "STAY_OVERSTAYED", "STAY_AGREED"]


@pytest.mark.rules("TH-12")
def test_the_move_on_priority_runs_a_year_from_its_award_and_other_contracts_and_providers_see_nothing(
        app, api_token, demo):
    from models import db
    from models.entities import Contract
    from models.user_store import create_user, issue_token
    from workflows.access import Role

    resident = person(app, "SL-2025-02", "TH-R-0011", date(2025, 6, 2))
    kent_person = person(app, "LDDS-2023-07", "KT-SU-0001", date(2025, 1, 6))
    manager = Api(app, api_token("contract_manager"))
    with time_machine.travel("2026-12-01T10:00:00+00:00", tick=False):
        no_date = manager.post("/stay-limits", {"person_id": resident, "limit": "move-on-priority"})
        assert no_date.status_code == 422 and no_date.get_json()["field"] == "started_on"
        priority = check(manager.post("/stay-limits", {"person_id": resident, "limit": "move-on-priority",
                                                       "started_on": "2026-02-28"}), "/stay-limits", "post", 201)
        assert (priority["rule"], priority["due_on"]) == ("TH-12", "2027-02-28")
        refused = manager.post(f"/stay-limits/{priority['id']}/transitions", {"trigger": "agree", "reason": "x"})
        assert refused.status_code == 422 and "only the length of stay can (TH-11)" in refused.get_json()["error"]
        kent = manager.post("/stay-limits", {"person_id": kent_person, "limit": "length-of-stay"})
        assert kent.status_code == 422 and "(it lists none)" in kent.get_json()["error"]
        brightwater = Api(app, api_token("provider_manager"))  # Kent's provider: not Thurrock's
        listed = brightwater.get("/stay-limits").get_json()
        assert (listed["items"], listed["total"]) == ([], 0)
        assert brightwater.get(f"/stay-limits/{priority['id']}").status_code == 404
        assert brightwater.post(f"/stay-limits/{priority['id']}/transitions",
                                {"trigger": "end", "ended_on": "2026-12-01"}).status_code == 404
        assert brightwater.post("/stay-limits", {"person_id": resident, "limit": "length-of-stay"}).status_code == 403
        with app.app_context():
            council_id = db.session.get(Contract, contract_id(app, "SL-2025-02")).council_id
            thameside = create_user(council_id=council_id, email="manager@thameside.example",
                                    name="Thameside Manager", role=Role.PROVIDER_MANAGER,
                                    password="a-long-enough-password-1", provider_reference="PRV-004")
            _row, token = issue_token(thameside, "tests", datetime.now(UTC))
            db.session.commit()
        own = Api(app, token)
        ended = check(own.post(f"/stay-limits/{priority['id']}/transitions",
                               {"trigger": "end", "ended_on": "2026-11-30"}), "/stay-limits/{id}/transitions",
                      "post", 200)
    assert (ended["state"], ended["ended_on"], ended["deadlines"][0]["status"]) == ("ended", "2026-11-30", "met")
