"""Meeting cadences (issue 15, item 6) end to end through the API, the scheduler and the pages: Cheshire East's
quarterly meeting (CE-10) and Kent's quarterly provider forum and annual county-wide meeting (KT-13) planned from the
last meeting held, reminders to the people who should attend counted back past the Christmas bank holidays, the
breach that marks the meeting overdue on the contract and deadlines pages, the next meeting planned when one is
recorded, and another provider seeing none of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import assert_page
from tests.integration.test_financial_changes import check, contract_id

AUTUMN = "2026-09-29T10:00:00+00:00"


def sent(app, planned_id: int) -> list[tuple[str, str, str]]:
    """(kind of message, recipient's email, subject) of the e-mails queued about a planned meeting."""
    from models import db
    from models.entities import User
    from models.scheduling import OutboxMessage

    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.key, User.email, OutboxMessage.subject).join(
            User, User.id == OutboxMessage.user_id).where(
            OutboxMessage.channel == "email", OutboxMessage.link.like(f"%/planned-meetings/{planned_id}")
        ).order_by(OutboxMessage.id)).all()
    return [("breach" if subject.startswith("Overdue:") else "reminder", email, subject)
            for _key, email, subject in rows]


def reminder_days(app, deadline_id: int) -> dict[str, date]:
    from models import db
    from models.scheduling import Timer

    with app.app_context():
        return {f"{t.kind}-{t.threshold}": t.due_on for t in db.session.scalars(
            select(Timer).where(Timer.deadline_id == deadline_id))}


def record_minutes(api, contract: int, held_on: str, cadence: str | None = None) -> dict:
    body = {"contract_id": contract, "held_on": held_on, "attendees": "Both contract managers (KT-15)",
            "minutes": "Performance against the KPIs reviewed; no actions outstanding."}
    if cadence:
        body["cadence"] = cadence
    return check(api.post("/minutes", body), "/minutes", "post", 201)


class Api:
    def __init__(self, app, token):
        self.client, self.headers = app.test_client(), {"Authorization": f"Bearer {token}"}

    def get(self, url):
        return self.client.get(f"/api/v1{url}", headers=self.headers)

    def post(self, url, body):
        return self.client.post(f"/api/v1{url}", json=body, headers=self.headers)


@pytest.mark.rules("CE-10")
def test_cheshire_east_quarterly_meeting_reminds_past_christmas_then_is_overdue_until_one_is_held(
        app, api_token, login_as, demo):
    from scheduler.tick import tick

    cheshire = contract_id(app, "ECH-2024-01")
    manager = Api(app, api_token("contract_manager"))
    with time_machine.travel(AUTUMN, tick=False):
        meeting = record_minutes(manager, cheshire, "2026-09-29")
    assert meeting["cadence"] == "contract-monitoring"
    with time_machine.travel(AUTUMN, tick=False):
        (planned,) = check(manager.get("/planned-meetings"), "/planned-meetings", "get", 200)["items"]
    assert (planned["reference"], planned["state"], planned["rule"], planned["counted_from"], planned["due_on"]) == (
        "MTG-00001", "planned", "CE-10", "2026-09-29", "2026-12-29")
    (deadline,) = planned["deadlines"]
    assert (deadline["acts"], deadline["status"], deadline["due_on"]) == ("both", "running", "2026-12-29")
    assert "Quarterly contract monitoring meeting: every 3 months (CE-10)" in deadline["explanation"][0]
    # Reminders count back in working days, past Christmas Day and the Boxing Day substitute (28 December).
    assert reminder_days(app, deadline["id"]) == {
        "reminder-5": date(2026, 12, 18), "reminder-1": date(2026, 12, 24), "reminder-0": date(2026, 12, 29),
        "breach-0": date(2026, 12, 29)}

    with app.app_context():
        tick(datetime(2026, 12, 18, 9, 0, tzinfo=UTC))
    # Cheshire East's provider has no Remedy users in the demo: the contract manager is reminded.
    ((kind, email, subject),) = sent(app, planned["id"])
    assert (kind, email) == ("reminder", demo["contract_manager"])
    assert subject == ("Reminder: Contract meeting held: Quarterly contract monitoring meeting for MTG-00001 is due in "
                       "5 working days (Tuesday 29 December 2026)")

    with app.app_context():
        tick(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))  # the scheduler notices the next morning
    with time_machine.travel("2026-12-30T10:00:00+00:00", tick=False):
        overdue = check(manager.get(f"/planned-meetings/{planned['id']}"), "/planned-meetings/{id}", "get", 200)
        assert (overdue["state"], overdue["deadlines"][0]["status"]) == ("overdue", "breached")
        assert [e["event"] for e in overdue["events"]] == ["MEETING_PLANNED", "PLANNED_MEETING_OVERDUE"]
        assert ("breach", demo["contract_manager"], "Overdue: Contract meeting held: Quarterly contract monitoring "
                "meeting for MTG-00001 was due by the end of Tuesday 29 December 2026") in sent(app, planned["id"])
        browser = login_as("contract_manager")
        contract_page = assert_page(browser.get(f"/contracts/{cheshire}"), "Contract ECH-2024-01")
        assert "Overdue" in contract_page and "Quarterly contract monitoring meeting (CE-10)" in contract_page
        deadlines_page = browser.get("/deadlines?status=overdue").get_data(as_text=True)
        assert "Contract meeting held: Quarterly contract monitoring meeting" in deadlines_page

        held = record_minutes(manager, cheshire, "2026-12-30")
    with time_machine.travel("2026-12-30T10:00:00+00:00", tick=False):
        done = check(manager.get(f"/planned-meetings/{planned['id']}"), "/planned-meetings/{id}", "get", 200)
        assert (done["state"], done["meeting_id"], done["held_on"]) == ("held", held["id"], "2026-12-30")
        items = check(manager.get("/planned-meetings"), "/planned-meetings", "get", 200)["items"]
    nxt = next(i for i in items if i["state"] == "planned")
    assert (nxt["counted_from"], nxt["due_on"], nxt["deadlines"][0]["status"]) == ("2026-12-30", "2027-03-30",
                                                                                   "running")


@pytest.mark.rules("KT-13")
def test_kent_plans_its_forum_and_county_meeting_reminding_the_provider_and_another_provider_sees_nothing(
        app, api_token, demo):
    from models import db
    from models.entities import Contract
    from scheduler.tick import tick

    kent = contract_id(app, "LDDS-2023-07")
    with app.app_context():
        db.session.get(Contract, kent).monitoring_from = date(2026, 10, 1)  # brought into Remedy in October
        db.session.commit()
    manager = Api(app, api_token("contract_manager"))
    provider = Api(app, api_token("provider_manager"))
    with time_machine.travel("2026-10-05T10:00:00+00:00", tick=False):
        record_minutes(manager, kent, "2026-10-05", cadence="provider-forum")
        refused = manager.post("/minutes", {"contract_id": kent, "held_on": "2026-10-05", "attendees": "x",
                                            "minutes": "y", "cadence": "contract-monitoring"})
        assert refused.status_code == 422 and refused.get_json()["field"] == "cadence"
        assert "provider-forum (Quarterly provider forum)" in refused.get_json()["error"]
        made = check(manager.post("/planned-meetings", {"contract_id": kent}), "/planned-meetings", "post", 201)
        again = check(manager.post("/planned-meetings", {"contract_id": kent}), "/planned-meetings", "post", 201)
        forbidden = provider.post("/planned-meetings", {"contract_id": kent})
        assert forbidden.status_code == 403
        thurrock = manager.post("/planned-meetings", {"contract_id": contract_id(app, "SL-2025-02")})
        assert thurrock.status_code == 422 and "names no meeting cadence" in thurrock.get_json()["error"]
    (county,) = made["items"]
    assert again["items"] == []
    assert (county["cadence"], county["rule"], county["counted_from"], county["due_on"]) == (
        "county-contract-meeting", "KT-13", "2026-10-01", "2027-10-01")
    assert "when Remedy began monitoring the contract" in county["deadlines"][0]["explanation"][0]
    with time_machine.travel("2026-10-05T10:00:00+00:00", tick=False):
        items = check(provider.get("/planned-meetings"), "/planned-meetings", "get", 200)["items"]
    forum = next(i for i in items if i["cadence"] == "provider-forum")
    assert (forum["due_on"], forum["state"], forum["allowed_triggers"]) == ("2027-01-05", "planned", [])
    # Five working days before Tuesday 5 January 2027, skipping 1 January and the Christmas bank holidays.
    assert reminder_days(app, forum["deadlines"][0]["id"])["reminder-5"] == date(2026, 12, 24)

    with app.app_context():
        tick(datetime(2026, 12, 24, 9, 0, tzinfo=UTC))
    reminded = {email for kind, email, _subject in sent(app, forum["id"]) if kind == "reminder"}
    assert reminded == {demo["contract_manager"], demo["provider_manager"], demo["provider_user"]}

    with app.app_context():
        tick(datetime(2027, 1, 6, 9, 0, tzinfo=UTC))
    with time_machine.travel("2027-01-06T10:00:00+00:00", tick=False):
        late = check(provider.get(f"/planned-meetings/{forum['id']}"), "/planned-meetings/{id}", "get", 200)
        assert (late["state"], late["deadlines"][0]["status"]) == ("overdue", "breached")
        breached = {email for kind, email, _subject in sent(app, forum["id"]) if kind == "breach"}
        assert breached == {demo["contract_manager"], demo["provider_manager"], demo["provider_user"]}
        county_now = check(manager.get(f"/planned-meetings/{county['id']}"), "/planned-meetings/{id}", "get", 200)
        assert county_now["state"] == "planned"  # the annual meeting is not due until October

        cancelled = check(manager.post(f"/planned-meetings/{county['id']}/transitions",
                                       {"trigger": "cancel", "reason": "Framework ends in September 2027"}),
                          "/planned-meetings/{id}/transitions", "post", 200)
        assert (cancelled["state"], cancelled["deadlines"][0]["status"]) == ("cancelled", "cancelled")
        assert provider.post(f"/planned-meetings/{forum['id']}/transitions",
                             {"trigger": "cancel", "reason": "x"}).status_code == 403

    with app.app_context():
        from models.user_store import create_user, issue_token
        from workflows.access import Role

        other = db.session.scalar(select(Contract).where(Contract.reference == "HC-2024-05"))
        stranger_user = create_user(council_id=other.council_id, email="someone@riverside.example",
                                    name="Other Provider", role=Role.PROVIDER_MANAGER,
                                    password="a-long-enough-password-1", provider_reference="PRV-005")
        _row, token = issue_token(stranger_user, "tests", datetime.now(UTC))
        db.session.commit()
    stranger = Api(app, token)
    with time_machine.travel("2027-01-06T10:00:00+00:00", tick=False):
        assert stranger.get("/planned-meetings").get_json()["items"] == []
        assert stranger.get(f"/planned-meetings/{forum['id']}").status_code == 404
        assert stranger.post(f"/planned-meetings/{forum['id']}/transitions",
                             {"trigger": "cancel", "reason": "x"}).status_code == 404


def test_the_pages_plan_the_next_meetings_record_one_for_a_cadence_and_explain_the_date(app, login_as):
    hf = contract_id(app, "HC-2024-05")
    kent = contract_id(app, "LDDS-2023-07")
    with time_machine.travel("2026-11-17T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        page = assert_page(manager.get("/meetings"), "Contract monitoring meetings")
        assert "No meetings planned." in page and "Plan the next meetings" in page
        done = manager.post_form("/planned-meetings/plan", {"contract": str(hf)}, page="/meetings",
                                 follow_redirects=True)
        listed = assert_page(done, "Contract monitoring meetings")
        assert "Planned 1 meeting: Contract monitoring meeting by" in listed  # from the contract's start (HF-38)
        assert "Overdue" not in listed  # the tick has not run: it is planned, its date long gone
        recorded = manager.post_form("/meetings/new", {
            "contract": str(kent), "cadence": "provider-forum", "held_on": ["17", "11", "2026"],
            "attendees": "Both contract managers", "minutes": "Forum held"},
            follow_redirects=True)
        assert recorded.status_code == 200, recorded.get_data(as_text=True)[:500]
        wrong = manager.post_form("/meetings/new", {
            "contract": str(hf), "cadence": "provider-forum", "held_on": ["17", "11", "2026"],
            "attendees": "Both contract managers", "minutes": "Forum held"})
        assert wrong.status_code == 422 and "Select which meeting this was" in wrong.get_data(as_text=True)
        contract_page = assert_page(manager.get(f"/contracts/{kent}"), "Contract LDDS-2023-07")
        assert "Quarterly provider forum (KT-13)" in contract_page and "Wednesday 17 February 2027" in contract_page
        from models import db
        from models.planned_meeting import PlannedMeeting

        with app.app_context():
            forum = db.session.scalar(select(PlannedMeeting.id).where(PlannedMeeting.contract_id == kent))
        shown = assert_page(manager.get(f"/planned-meetings/{forum}"), "Quarterly provider forum MTG-00002")
        assert "Counted from the last meeting held, on 17 November 2026" in manager.get(
            f"/deadlines/{_deadline_of(app, forum)}").get_data(as_text=True)
        assert "Cancel the planned meeting" in shown
        provider = login_as("provider_manager")
        mine = assert_page(provider.get(f"/planned-meetings/{forum}"), "Quarterly provider forum MTG-00002")
        assert "Cancel the planned meeting" not in mine


def _deadline_of(app, planned_id: int) -> int:
    from models import db
    from models.cases import Deadline

    with app.app_context():
        return db.session.scalar(select(Deadline.id).where(Deadline.entity_type == "planned_meeting",
                                                           Deadline.entity_id == planned_id))


@pytest.mark.rules("HF-38", "CW-13")
def test_hammersmith_and_cornwall_plan_their_meetings_six_weekly_and_quarterly_from_the_last_one_held(
        app, api_token, demo):
    """H&F meets every six weeks (HF-38) and Cornwall every quarter (CW-13): the next meeting is due one cadence
    after the last one held, a date (not working days), planned through the API."""
    manager = Api(app, api_token("contract_manager"))
    hf, cornwall = contract_id(app, "HC-2024-05"), contract_id(app, "LC-2024-03")
    with time_machine.travel("2027-01-11T10:00:00+00:00", tick=False):
        record_minutes(manager, hf, "2027-01-11", cadence="contract-monitoring")
        record_minutes(manager, cornwall, "2027-01-11", cadence="contract-monitoring")
        check(manager.post("/planned-meetings", {"contract_id": hf}), "/planned-meetings", "post", 201)
        check(manager.post("/planned-meetings", {"contract_id": cornwall}), "/planned-meetings", "post", 201)
        items = check(manager.get("/planned-meetings"), "/planned-meetings", "get", 200)["items"]
    due = {(i["rule"], i["state"]): i["due_on"] for i in items if i["contract_id"] in (hf, cornwall)}
    assert due[("HF-38", "planned")] == "2027-02-22"  # six weeks after Monday 11 January
    assert due[("CW-13", "planned")] == "2027-04-11"  # three calendar months after
