"""Deadlines for people: the council's and the provider's views, pauses and extensions, notifications, the
scheduler's health, the warning banner and the calendar feed."""

from __future__ import annotations

import re

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import select

from tests.conftest import assert_page, statements_afresh

SERVED = "2026-12-18T14:00:00+00:00"


@pytest.fixture
def cases(app, api_token):
    """A Kent formal warning (due 6 January 2027) and an H&F warning notice (due 13 January 2027)."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}
    made = {}
    with time_machine.travel(SERVED, tick=False):
        for contract, extra in (("LDDS-2023-07", {}), ("HC-2024-05", {"plan_due_days": 15})):
            case = client.post("/api/v1/cases", json={"contract": contract, "summary": f"Concern {contract}"},
                               headers=headers).get_json()
            notice = client.post(f"/api/v1/cases/{case['id']}/notices",
                                 json={"findings": "f", "required_action": "a"}, headers=headers).get_json()
            issued = client.post(f"/api/v1/notices/{notice['id']}/transitions", headers=headers, json={
                "trigger": "issue", "served_on": "2026-12-18", "method": "hand", **extra}).get_json()
            made[contract] = issued["deadlines"][0]
    return made


def test_council_sees_every_deadline_and_the_provider_only_its_own(login_as, cases):
    with time_machine.travel("2027-01-04T10:00:00+00:00", tick=False):
        html = assert_page(login_as("contract_manager").get("/deadlines"), "Deadlines")
        assert "Wednesday 6 January 2027" in html and "Wednesday 13 January 2027" in html
        assert "2 working days left" in html and "KT-19" in html
        own = login_as("provider_user").get("/deadlines").get_data(as_text=True)
        assert "Wednesday 6 January 2027" in own and "Wednesday 13 January 2027" not in own
        other = cases["HC-2024-05"]["id"]
        assert login_as("provider_user").get(f"/deadlines/{other}").status_code == 404


def test_a_deadline_explains_itself_and_lists_its_reminders(login_as, cases):
    with time_machine.travel("2026-12-21T10:00:00+00:00", tick=False):
        html = assert_page(login_as("provider_manager").get(f"/deadlines/{cases['LDDS-2023-07']['id']}"),
                           "Action plan agreed by both parties")
    assert "Christmas Day" in html and "Reminder 5 working days before" in html and "Overdue check" in html
    assert "Pause the clock" not in html  # providers cannot pause


def test_pause_resume_and_extend_through_the_page(login_as, cases):
    # Each visit signs in at its own moment: a signed session cookie only lasts 8 hours.
    deadline_id = cases["LDDS-2023-07"]["id"]
    url = f"/deadlines/{deadline_id}"
    with time_machine.travel("2026-12-22T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        refused = manager.post_form(f"{url}/pause", {"reason": ""}, page=url)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "<title>Error: " in html and 'href="#reason"' in html
        assert re.search(r'href="#reason">\s*Enter why the clock is paused', html)
        refused = manager.post_form(f"{url}/extend", {"days": "", "reason": ""}, page=url)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "govuk-notification-banner" not in html
        assert 'href="#extend-days"' in html and 'href="#extend-reason"' in html
        assert 'id="extend-days-error"' in html
        manager.post_form(f"{url}/pause", {"reason": "Awaiting the council's decision on the plan"}, page=url)
        assert "Restart the clock" in manager.get(url).get_data(as_text=True)
    with time_machine.travel("2027-01-04T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        manager.post_form(f"{url}/resume", {}, page=url)
        html = manager.get(url).get_data(as_text=True)
        # 22, 23, 24, 29, 30, 31 December paused: 6 January + 6 working days = 14 January.
        assert "Thursday 14 January 2027" in html and "Paused from 22 December 2026 to 4 January 2027" in html
        manager.post_form(f"{url}/extend", {"days": "2", "reason": "Provider's manager on leave"}, page=url)
        html = manager.get(url).get_data(as_text=True)
        assert "Monday 18 January 2027" in html and "Extended by 2 working days" in html
        login_as("provider_manager").post_form(f"{url}/extend", {"days": "2", "reason": "x"}, page=url)
        assert "Monday 18 January 2027" in manager.get(url).get_data(as_text=True)  # unchanged: 403


def test_notifications_and_unread_count_after_a_tick(app, login_as, cases):
    from datetime import UTC, datetime

    from scheduler.tick import tick

    with app.app_context():
        tick(datetime(2026, 12, 29, 9, 0, tzinfo=UTC))
    with time_machine.travel("2026-12-29T10:00:00+00:00", tick=False):
        provider = login_as("provider_manager")
        assert "Notifications (1 unread)" in provider.get("/").get_data(as_text=True)
        html = assert_page(provider.get("/notifications"), "Notifications")
        assert "is due in 5 working days" in html
        provider.post_form("/notifications/read", {}, page="/notifications")
        assert "Notifications (1 unread)" not in provider.get("/").get_data(as_text=True)


def test_scheduler_banner_and_admin_health(app, login_as, cases):
    from datetime import UTC, datetime, timedelta

    from scheduler.tick import tick

    viewer = login_as("council_viewer")
    assert "The scheduler has never run" in viewer.get("/").get_data(as_text=True)
    assert "The scheduler" not in login_as("provider_user").get("/").get_data(as_text=True)
    with app.app_context():
        tick(datetime.now(UTC))
        from models.scheduler_store import last_tick

        finished = last_tick().finished_at
    assert "The scheduler" not in viewer.get("/").get_data(as_text=True)
    # Six and a half minutes after the tick finished, however long the page loads above took on a busy machine.
    with time_machine.travel(finished + timedelta(minutes=6, seconds=30), tick=False):
        assert "The scheduler last ran 6 minutes ago" in viewer.get("/").get_data(as_text=True)
    html = assert_page(login_as("admin").get("/admin/scheduler"), "Scheduler")
    assert "Timers due and not yet fired" in html
    # Read by a person: the tick's London date and time, and whole seconds since (not ISO text, not 39.292).
    from web.filters import govuk_datetime

    assert govuk_datetime(finished) in html and "T" + finished.strftime("%H:%M") not in html
    assert re.search(r"Time since the last tick\s*</dt>\s*<dd[^>]*>\s*\d+ seconds\s*</dd>", html), html
    assert_page(login_as("admin").get("/admin/sent-mail"), "Sent mail")


def test_health_api_reports_due_timers(app, cases):
    body = app.test_client().get("/api/v1/health").get_json()
    assert body["scheduler"]["due"] >= 0 and "last_tick_at" in body["scheduler"]


def test_calendar_feed_holds_only_the_users_deadlines_and_can_be_revoked(app, login_as, cases):
    provider = login_as("provider_manager")
    html = provider.post_form("/account/calendar-feed", {"action": "renew"}).get_data(as_text=True)
    url = re.search(r'id="feed-url">([^<]+)<', html).group(1)
    path = url.replace("http://localhost", "")
    with time_machine.travel("2026-12-21T10:00:00+00:00", tick=False):
        response = app.test_client().get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    feed = Calendar.from_ical(response.data)
    events = [c for c in feed.walk("VEVENT")]
    assert len(events) == 1 and str(events[0]["summary"]).startswith("Action plan agreed by both parties")
    assert events[0].decoded("dtstart").isoformat() == "2027-01-06"
    provider.post_form("/account/calendar-feed", {"action": "revoke"})
    assert app.test_client().get(path).status_code == 404


def test_the_list_reads_each_deadlines_pause_and_record_with_its_rows(app, login_as, api_token, cases):
    """/deadlines names each deadline's record (its case's reference, a complaint's own) and shows a paused clock as
    Paused from its own statement (models/deadline_store.listed_facts), asking nothing more per row or kind."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}
    kent = cases["LDDS-2023-07"]["id"]
    with time_machine.travel(SERVED, tick=False):
        provider = client.get("/api/v1/contracts", headers=headers).get_json()["items"][0]["provider"]["id"]
        complaint = client.post("/api/v1/complaints", headers=headers, json={
            "provider": provider, "received_at": SERVED, "channel": "email", "complainant_type": "family_member",
            "formal": True, "by_council": True, "summary": "Evening call not answered"}).get_json()
        client.post(f"/api/v1/complaints/{complaint['id']}/transitions", headers=headers,
                    json={"trigger": "pass_to_provider"})
    with time_machine.travel("2026-12-22T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        manager.post_form(f"/deadlines/{kent}/pause", {"reason": "Awaiting the council's decision"},
                          page=f"/deadlines/{kent}")
        manager.get("/deadlines")  # warm: calendars and counts
        with statements_afresh(app) as seen:  # what the worker keeps of the list forgotten: drawn afresh
            html = assert_page(manager.get("/deadlines"), "Deadlines")
    from models import db
    from models.cases import Case, Deadline

    with app.app_context():
        reference = db.session.scalar(select(Case.reference).join(Deadline, Deadline.case_id == Case.id)
                                      .where(Deadline.id == kent))
    row = re.search(rf'href="/deadlines/{kent}">.*?</tr>', html, re.S).group(0)
    assert "Paused" in row and reference in row
    assert complaint["reference"] in html
    reads = [s for s in seen if "deadline_pause" in s or "UNION" in s.upper()]
    assert len(reads) == 1 and "FROM deadline" in reads[0], reads  # the rows' own statement, nothing after it
