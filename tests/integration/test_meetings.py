"""Contract monitoring meetings: minutes sent, then approved, withheld or deemed approved (KT-16)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine

from tests.conftest import assert_page


def contract_id(app, reference: str) -> int:
    from sqlalchemy import select

    from models import db
    from models.entities import Contract

    # A short app context of its own: requests made inside an outer one would share Flask-Login's cached user.
    with app.app_context():
        return db.session.scalar(select(Contract.id).where(Contract.reference == reference))


def record(app, manager, reference="LDDS-2023-07") -> int:
    response = manager.post_form("/meetings/new", {"contract": str(contract_id(app, reference)),
                                                   "held_on": ["10", "12", "2026"],
                                                   "attendees": "Sam Contracts; Dana Manager",
                                                   "minutes": "1. Attendance: 71% against 95%."})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/meetings/(\d+)", response.headers["Location"]).group(1))


def test_minutes_sent_then_withheld_with_reasons(app, login_as):
    with time_machine.travel("2026-12-11T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        meeting_id = record(app, manager)
        url = f"/meetings/{meeting_id}"
        html = assert_page(manager.get(url), "Meeting of 10 December 2026")
        assert "Draft" in html
        manager.post_form(f"{url}/send", {"sent_on": ["11", "12", "2026"]}, page=url)
        html = manager.get(url).get_data(as_text=True)
        # KT-16 counts from receipt: emailed on Friday 11 December (no time given), received Monday 14 December.
        assert "Sent, awaiting reply" in html and "Wednesday 30 December 2026" in html and "KT-16" in html
        provider_user = login_as("provider_user")
        assert "Approve the minutes" not in provider_user.get(url).get_data(as_text=True)  # managers only
        provider = login_as("provider_manager")
        provider.post_form(f"{url}/withhold", {"reason": ""}, page=url)
        assert "Enter your reasons" in provider.get(url).get_data(as_text=True)
        provider.post_form(f"{url}/withhold", {"reason": "Item 1 misstates the attendance figure"}, page=url)
        html = provider.get(url).get_data(as_text=True)
        assert "Approval withheld" in html and "Item 1 misstates" in html


def test_minutes_api_and_deemed_approval_by_the_scheduler(app, login_as, api_token):
    from scheduler.tick import tick

    with time_machine.travel("2026-12-11T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        meeting_id = record(app, manager)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}
        body = client.post(f"/api/v1/minutes/{meeting_id}/transitions", json={"trigger": "send",
                           "sent_on": "2026-12-11"}, headers=headers).get_json()
        # Ten Business Days of receipt (KT-16), not of sending: received Monday 14 December, due 30 December.
        assert body["state"] == "sent" and body["deadlines"][0]["due_on"] == "2026-12-30"
        other = {"Authorization": f"Bearer {api_token('provider_user')}"}
        assert client.get(f"/api/v1/minutes/{meeting_id}", headers=other).status_code == 200
    with app.app_context():
        tick(datetime(2026, 12, 31, 9, 0, tzinfo=UTC))
        body = app.test_client().get(f"/api/v1/minutes/{meeting_id}", headers=headers).get_json()
    assert body["state"] == "deemed_approved"
    assert [e["event"] for e in body["events"]][-1] == "MINUTES_DEEMED_APPROVED"


def test_another_providers_meeting_is_not_found(app, login_as):
    with time_machine.travel("2026-12-11T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        meeting_id = record(app, manager, "HC-2024-05")
        provider = login_as("provider_manager")
        assert provider.get(f"/meetings/{meeting_id}").status_code == 404
        assert "HC-2024-05" not in provider.get("/meetings").get_data(as_text=True)
        assert provider.get("/meetings/new").status_code == 403
