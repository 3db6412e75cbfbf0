"""ux #7: opening a second case on a contract that already has an open one warns, links to the open case and needs
a reason, which goes on the audit trail; the API refuses with 409 unless second_case_reason is given."""

from __future__ import annotations

import re

import time_machine
from sqlalchemy import select

from tests.conftest import csrf_token

NOW = "2026-12-21T10:00:00+00:00"


def _contract(app, reference: str) -> int:
    from models import db
    from models.entities import Contract

    with app.app_context():
        return db.session.scalar(select(Contract.id).where(Contract.reference == reference))


def _opened_events(app) -> list[dict]:
    from models import db
    from models.entities import AuditEvent

    with app.app_context():
        return [e.data for e in db.session.scalars(select(AuditEvent).where(AuditEvent.event == "CASE_OPENED")
                                                   .order_by(AuditEvent.id))]


def test_a_second_case_on_a_contract_warns_and_needs_a_reason(app, login_as):
    contract = _contract(app, "HC-2024-05")
    with time_machine.travel(NOW, tick=False):
        manager = login_as("contract_manager")
        first = manager.post_form("/cases/new", {"contract": str(contract), "summary": "Missed visits"})
        assert first.status_code == 303
        first_url = first.headers["Location"]
        warned = manager.get(f"/cases/new?contract={contract}").get_data(as_text=True)
        assert "HC-2024-05 already has an open case," in warned and f'href="{first_url}"' in warned
        refused = manager.post_form("/cases/new", {"contract": str(contract), "summary": "Late calls"})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422
        text = re.sub(r"<[^>]+>", "", html)
        assert "HC-2024-05 already has an open case, CASE-00001, at Concern." in text
        assert 'href="#second_reason"' in html and 'id="second_reason-error"' in html
        assert 'value="Late calls"' in html or ">Late calls</textarea>" in html  # what was typed is kept
        opened = manager.client.post("/cases/new", data={
            "csrf_token": csrf_token(html), "contract": str(contract), "summary": "Late calls",
            "second_reason": "A separate lot: the night service"})
        assert opened.status_code == 303
    events = _opened_events(app)
    assert events[-1] == {"second_case_reason": "A separate lot: the night service", "open_case": "CASE-00001"}
    assert len(events) == 2


def test_the_api_refuses_a_second_open_case_without_a_reason(app, api):
    with time_machine.travel(NOW, tick=False):
        api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": "Missed visits"},
            status=201)
        refused = api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": "Late"},
                      status=409)
        assert refused["error"].startswith("HC-2024-05 already has an open case, CASE-00001, at Concern.")
        second = api("contract_manager", "POST", "/api/v1/cases", {
            "contract": "HC-2024-05", "summary": "Late", "second_case_reason": "Night service"}, status=201)
        assert second["reference"] == "CASE-00002"
        # Another contract is not affected.
        api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "Attendance"},
            status=201)
