"""Duties to notify and requests with a due date (issue 15, item 1) end to end through the API and the pages: the
rulebook's periods past a bank holiday, the scheduler marking missing notice late and recording the breach event a
rolling-window rule can count, a request answered by its date, and another provider seeing none of it."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select, update

from tests.conftest import assert_page
from tests.integration.test_financial_changes import check, contract_id, timers

CHRISTMAS = "2026-12-28T10:00:00+00:00"  # Monday 28 December 2026: the Boxing Day substitute bank holiday


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


@pytest.fixture
def api(app, api_token):
    def client(role: str):
        headers = {"Authorization": f"Bearer {api_token(role)}"}
        test_client = app.test_client()

        class Api:
            def get(self, url):
                return test_client.get(f"/api/v1{url}", headers=headers)

            def post(self, url, body):
                return test_client.post(f"/api/v1{url}", json=body, headers=headers)

        return Api()

    return client


def occurrences(app, contract: int) -> list[tuple[str, date, str]]:
    from models import db
    from models.monitoring import MonitoringOccurrence

    with app.app_context():
        return [(o.kind, o.on, o.ref) for o in db.session.scalars(select(MonitoringOccurrence).where(
            MonitoringOccurrence.contract_id == contract).order_by(MonitoringOccurrence.id))]


@pytest.mark.rules("CE-05")
def test_an_immediate_duty_on_christmas_day_is_due_the_next_working_day_and_the_tick_marks_it_late(app, api):
    from models import db
    from models.cases import Deadline
    from scheduler.tick import tick

    cheshire = contract_id(app, "ECH-2024-01")
    manager = api("contract_manager")
    with time_machine.travel(CHRISTMAS, tick=False):
        refused = manager.post("/duty-notifications", {"contract_id": cheshire, "duty": "cqc-change",
                                                        "occurred_on": "2026-12-25", "what_happened": "x"})
        assert refused.status_code == 422 and refused.get_json()["field"] == "duty"  # an H&F duty, not Cheshire's
        created = check(manager.post("/duty-notifications", {
            "contract_id": cheshire, "duty": "service-interruption", "occurred_on": "2026-12-25",
            "what_happened": "Power cut at the scheme: alternative provision sought"}),
            "/duty-notifications", "post", 201)
    assert (created["reference"], created["state"], created["rule"], created["due_on"], created["late"]) == (
        "NTF-00001", "awaited", "CE-05", "2026-12-29", False)
    assert created["allowed_triggers"] == ["notify"]
    (deadline,) = created["deadlines"]
    assert (deadline["rule"], deadline["due_on"], deadline["status"]) == ("CE-05", "2026-12-29", "running")
    explained = " | ".join(deadline["explanation"])
    for expected in ("rules.md A52", "Fri 25 Dec 2026: Christmas Day, not counted",
                     "Mon 28 Dec 2026: Boxing Day (substitute day), not counted",
                     "Due by the end of Tuesday 29 December 2026"):
        assert expected in explained, expected
    planned = timers(app, deadline["id"])
    assert ("breach", "pending") in planned["kinds"] and planned["due"] == {date(2026, 12, 29)}

    with app.app_context():
        tick(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))  # the scheduler notices the next morning
        db.session.expire_all()
        assert db.session.get(Deadline, deadline["id"]).status == "breached"
    with time_machine.travel("2026-12-30T10:00:00+00:00", tick=False):
        late = check(manager.get(f"/duty-notifications/{created['id']}"), "/duty-notifications/{id}", "get", 200)
        assert (late["state"], late["late"]) == ("late", True)
        assert [e["event"] for e in late["events"]] == ["NOTIFICATION_RECORDED", "NOTIFICATION_LATE"]
        # A breach event the rolling-window rules can count: one of the rulebook's [monitoring] events.
        assert occurrences(app, cheshire) == [("late-notice", date(2026, 12, 29), "NTF-00001")]
        told = check(manager.post(f"/duty-notifications/{created['id']}/transitions", {
            "trigger": "notify", "notified_on": "2026-12-30", "how": "Email to the contract manager",
            "version": late["version"]}), "/duty-notifications/{id}/transitions", "post", 200)
    assert (told["state"], told["notified_on"], told["allowed_triggers"]) == ("notified_late", "2026-12-30", [])
    assert occurrences(app, cheshire) == [("late-notice", date(2026, 12, 29), "NTF-00001")]  # counted once


@pytest.mark.rules("CE-41", "CE-20")
def test_notice_given_after_the_deadline_before_the_tick_is_still_late(app, api):
    cheshire = contract_id(app, "ECH-2024-01")
    with time_machine.travel("2027-01-06T10:00:00+00:00", tick=False):
        created = check(api("contract_manager").post("/duty-notifications", {
            "contract_id": cheshire, "duty": "critical-indicator-breached", "occurred_on": "2027-01-04",
            "what_happened": "CE-C01 missed", "notified_on": "2027-01-05"}), "/duty-notifications", "post", 201)
    assert (created["state"], created["late"], created["due_on"]) == ("notified", True, "2027-01-04")
    assert created["deadlines"][0]["status"] == "breached"  # not met: the notice came a day late
    assert occurrences(app, cheshire) == [("late-notice", date(2027, 1, 4), "NTF-00001")]
    with time_machine.travel("2027-01-06T10:00:00+00:00", tick=False):
        on_time = api("contract_manager").post("/duty-notifications", {
            "contract_id": cheshire, "duty": "ecm-login-change", "occurred_on": "2027-01-05",
            "what_happened": "New ECM password", "notified_on": "2027-01-05"}).get_json()
    assert (on_time["state"], on_time["late"], on_time["deadlines"][0]["status"]) == ("notified", False, "met")
    assert len(occurrences(app, cheshire)) == 1


def test_a_ce46_request_answered_by_its_date_meets_its_deadline(app, api):
    cheshire = contract_id(app, "ECH-2024-01")
    manager = api("contract_manager")
    with time_machine.travel("2026-12-23T10:00:00+00:00", tick=False):
        created = check(manager.post("/requests", {
            "contract_id": cheshire, "request_type": "inspection-reports", "asked_on": "2026-12-23",
            "what_asked": "The CQC inspection report of November and its action plan"}), "/requests", "post", 201)
    # CE-46: 2 working days; Christmas Day, the weekend and the Boxing Day substitute are skipped.
    assert (created["reference"], created["state"], created["due_on"]) == ("REQ-00001", "open", "2026-12-29")
    assert created["allowed_triggers"] == ["answer", "withdraw"]
    assert "Fri 25 Dec 2026: Christmas Day, not counted" in created["deadlines"][0]["explanation"]
    with time_machine.travel("2026-12-29T15:00:00+00:00", tick=False):
        missing = manager.post(f"/requests/{created['id']}/transitions", {"trigger": "answer",
                                                                          "answered_on": "2026-12-29"})
        assert missing.status_code == 422 and missing.get_json()["field"] == "answer"
        stale = manager.post(f"/requests/{created['id']}/transitions", {
            "trigger": "answer", "answered_on": "2026-12-29", "answer": "x", "version": created["version"] + 1})
        assert stale.status_code == 409 and "Someone else changed this request" in stale.get_json()["error"]
        answered = check(manager.post(f"/requests/{created['id']}/transitions", {
            "trigger": "answer", "answered_on": "2026-12-29", "answer": "Report and action plan received by email",
            "version": created["version"]}), "/requests/{id}/transitions", "post", 200)
    assert (answered["state"], answered["late"], answered["answered_on"]) == ("answered", False, "2026-12-29")
    assert answered["deadlines"][0]["status"] == "met"
    assert ("breach", "pending") not in timers(app, answered["deadlines"][0]["id"])["kinds"]
    assert occurrences(app, cheshire) == []


def cheshire_request(app, manager) -> dict:
    """A CE-46 request for inspection reports asked on Wednesday 23 December 2026 (due Tuesday 29 December)."""
    with time_machine.travel("2026-12-23T10:00:00+00:00", tick=False):
        return manager.post("/requests", {
            "contract_id": contract_id(app, "ECH-2024-01"), "request_type": "inspection-reports",
            "asked_on": "2026-12-23", "what_asked": "The CQC inspection report of November"}).get_json()


def test_an_answer_given_as_the_scheduler_breaches_the_request_is_refused_and_says_why(app, api, monkeypatch):
    """The step read the request's running deadline; the scheduler breached it before the step wrote it met (here
    the tick's own UPDATE, run just then). The step is refused with a 409 that says a deadline changed, not the
    request, and nothing of it is kept."""
    import models.engine
    from models import db
    from models.cases import Deadline
    from models.engine import DEADLINE_CHANGED

    manager = api("contract_manager")
    created = cheshire_request(app, manager)
    real = models.engine.clock_spec

    def breached_meanwhile(kind, rulebook, deadline_kind):
        """Called for each running deadline the step read, before the step changes it."""
        db.session.execute(update(Deadline)
                           .where(Deadline.entity_type == "request", Deadline.entity_id == created["id"])
                           .values(status="breached", breached_at=Deadline.due_at, version_id=Deadline.version_id + 1),
            execution_options={"synchronize_session": False})
        return real(kind, rulebook, deadline_kind)

    monkeypatch.setattr(models.engine, "clock_spec", breached_meanwhile)
    with time_machine.travel("2026-12-29T15:00:00+00:00", tick=False):
        refused = manager.post(f"/requests/{created['id']}/transitions", {
            "trigger": "answer", "answered_on": "2026-12-29", "answer": "Report received",
            "version": created["version"]})
    assert refused.status_code == 409 and refused.get_json()["error"] == DEADLINE_CHANGED
    again = manager.get(f"/requests/{created['id']}").get_json()
    assert (again["state"], again["version"], again["deadlines"][0]["status"]) == ("open", created["version"],
                                                                                   "running")


def test_an_answer_sent_while_a_tick_breaches_the_request_never_fails_and_the_breach_stands(app, api):
    """A real tick and a real step at once: the tick has claimed the request's breach timer when the answer comes.
    On SQLite the answer reads the request, waits for the tick's write lock, and is refused because the breach
    made the request overdue meanwhile (had it read after the tick, it would be recorded late). On PostgreSQL the
    answer writes the deadline and waits for the timer the tick holds, while the tick waits for the deadline:
    PostgreSQL ends the deadlock by failing the answer, which waited first. Either way the person is told to try
    again (409), never a server error, and the breach stands."""
    import threading
    import time

    from sqlalchemy import event

    from models import db
    from models.cases import Deadline
    from models.engine import DEADLINE_CHANGED
    from scheduler.tick import tick

    manager = api("contract_manager")
    created = cheshire_request(app, manager)
    claimed, ticked = threading.Event(), []

    def hold_the_claim(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("UPDATE timer") and not claimed.is_set():
            claimed.set()
            time.sleep(0.5)  # the answer meanwhile reads the deadline, writes it and waits for the timer

    def the_scheduler() -> None:
        with app.app_context():
            ticked.append(tick(datetime(2026, 12, 30, 9, tzinfo=UTC)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hold_the_claim)
    scheduler = threading.Thread(target=the_scheduler)
    try:
        scheduler.start()
        assert claimed.wait(10)
        with time_machine.travel("2026-12-30T09:00:00+00:00", tick=False):
            answer = manager.post(f"/requests/{created['id']}/transitions", {
                "trigger": "answer", "answered_on": "2026-12-30", "answer": "Report received",
                "version": created["version"]})
        scheduler.join(20)
    finally:
        event.remove(engine, "before_cursor_execute", hold_the_claim)
    assert ticked and ticked[0]["failed"] == 0
    with app.app_context():
        deadline = db.session.scalars(select(Deadline).where(Deadline.entity_type == "request",
                                                             Deadline.entity_id == created["id"])).one()
        assert deadline.status == "breached"
    if answer.status_code == 409:
        # The breach also made the request overdue (CE-46), so the answer may find the request itself changed.
        assert answer.get_json()["error"] in (
            "Someone else was changing this record at the same moment: reload it and try again", DEADLINE_CHANGED,
            "Someone else changed this request while you were working on it: it is now overdue. Check what changed "
            "and try again."), answer.get_json()["error"]
        assert manager.get(f"/requests/{created['id']}").get_json()["state"] == "overdue"
    else:
        assert (answer.status_code, answer.get_json()["late"]) == (200, True)


@pytest.mark.rules("KT-12")
def test_the_provider_answers_a_kent_request_and_another_provider_sees_nothing(app, api):
    from scheduler.tick import tick

    kent, cheshire = contract_id(app, "LDDS-2023-07"), contract_id(app, "ECH-2024-01")
    manager, brightwater = api("contract_manager"), api("provider_manager")
    with time_machine.travel("2027-01-04T10:00:00+00:00", tick=False):
        no_date = manager.post("/requests", {"contract_id": kent, "request_type": "spot-check-information",
                                             "asked_on": "2027-01-04", "what_asked": "Attendance registers"})
        assert no_date.status_code == 422 and no_date.get_json()["field"] == "due_on"  # KT-12: the council sets it
        ours = check(manager.post("/requests", {
            "contract_id": kent, "request_type": "spot-check-information", "asked_on": "2027-01-04",
            "due_on": "2027-01-08", "what_asked": "Attendance registers for December"}), "/requests", "post", 201)
        theirs = manager.post("/requests", {"contract_id": cheshire, "request_type": "inspection-reports",
                                            "asked_on": "2027-01-04", "what_asked": "Inspection report"}).get_json()
        assert brightwater.post("/requests", {"contract_id": kent, "request_type": "spot-check-information",
                                              "asked_on": "2027-01-04", "due_on": "2027-01-08",
                                              "what_asked": "x"}).status_code == 403  # the council asks
        assert [r["id"] for r in brightwater.get("/requests").get_json()["items"]] == [ours["id"]]
        assert brightwater.get(f"/requests/{theirs['id']}").status_code == 404
        assert brightwater.post(f"/requests/{theirs['id']}/transitions", {
            "trigger": "answer", "answer": "x", "answered_on": "2027-01-04"}).status_code == 404
        assert brightwater.post(f"/requests/{ours['id']}/transitions", {
            "trigger": "withdraw", "reason": "x"}).status_code == 403
        no_duty = brightwater.post("/duty-notifications", {"contract_id": kent, "duty": "cqc-change",
                                                           "occurred_on": "2027-01-04", "what_happened": "x"})
        assert no_duty.status_code == 422 and "it lists none" in no_duty.get_json()["error"]
        listed = brightwater.get("/duty-notifications").get_json()
        assert (listed["items"], listed["total"]) == ([], 0)
    with app.app_context():
        tick(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    with time_machine.travel("2027-01-11T10:00:00+00:00", tick=False):
        overdue = brightwater.get(f"/requests/{ours['id']}").get_json()
        assert (overdue["state"], overdue["late"], overdue["allowed_triggers"]) == ("overdue", True, ["answer"])
        answered = check(brightwater.post(f"/requests/{ours['id']}/transitions", {
            "trigger": "answer", "answered_on": "2027-01-11", "answer": "Registers uploaded to the portal"}),
            "/requests/{id}/transitions", "post", 200)
        assert (answered["state"], answered["late"]) == ("answered", True)
    assert occurrences(app, kent) == [("late-answer", date(2027, 1, 8), "REQ-00001")]


def test_the_pages_offer_only_the_contracts_duties_and_explain_the_deadline(app, login_as):
    cheshire = contract_id(app, "ECH-2024-01")
    with time_machine.travel(CHRISTMAS, tick=False):
        manager = login_as("contract_manager")
        form = assert_page(manager.get("/duty-notifications/new"), "Record something the council must be told")
        assert "ECH-2024-01: The Service is interrupted" in form and "HC-2024-05: A change to the CQC" in form
        assert "SL-2025-02: Imminent insolvency" in form and "LDDS-2023-07:" not in form  # Kent lists no duties
        created = manager.post_form("/duty-notifications/new", {
            "duty": f"{cheshire}:service-interruption", "occurred_on": ["25", "12", "2026"],
            "what_happened": "Lift failure: residents moved"})
        assert created.status_code == 303, page_text(created)[:2000]
        url = created.headers["Location"]
        text = page_text(manager.get(url))
        for expected in ("Notification NTF-00001", "CE-05", "immediately (the same working day, A52)",
                         "Tuesday 29 December 2026", "How this was counted", "Record when the council was told"):
            assert expected in text, expected
        assert manager.post_form(f"{url}/notify", {"notified_on": ["28", "12", "2026"]}).status_code == 303
        assert "Notified" in page_text(manager.get(url))
        asked = manager.post_form("/requests/new", {
            "request_type": f"{cheshire}:inspection-reports", "asked_on": ["28", "12", "2026"],
            "what_asked": "The latest CQC report"})
        assert asked.status_code == 303, page_text(asked)[:2000]
        request_url = asked.headers["Location"]
        assert "Answer the request" in page_text(manager.get(request_url))
        assert manager.post_form(f"{request_url}/answer", {"answered_on": ["28", "12", "2026"],
                                                           "answer": "Sent"}).status_code == 303
        assert "Answered" in page_text(manager.get("/requests"))
        concerns = manager.get("/concerns").get_data(as_text=True)  # the menu's Concerns page gathers them
        assert 'href="/duty-notifications"' in concerns and 'href="/requests"' in concerns
        provider = login_as("provider_manager")
        assert provider.get(url).status_code == 404 and provider.get(request_url).status_code == 404
        assert provider.get("/requests/new").status_code == 403
