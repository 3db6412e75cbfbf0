"""The one engine and the registry behind every record: who sees a restricted record's clocks, stale and malformed
versions for every kind, concurrent steps on the kinds beyond case records, the council's own region, and local
targets that move with the council's calendar while served deadlines stay frozen. On SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import db
from models.calendar_store import working_calendar
from models.cases import Deadline
from models.concern_store import raise_concern, record_complaint
from models.concerns import SafeguardingConcern
from models.entities import Council
from models.meeting_store import record_meeting
from models.scheduling import Meeting
from models.user_store import find_user_by_email
from tests.integration.test_concurrency import Move, race, winner_of
from workflows.clock import LONDON

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 18, 14, 0, tzinfo=UTC)
TODAY = date(2026, 12, 18)
STAGES = ("Safeguarding decision made", "Strategy meeting held", "Section 42 enquiry concluded")


def _concern_with_stages(app, demo) -> tuple[int, int]:
    """A restricted concern about the demo provider, raised today by the safeguarding officer and shared with
    nobody, moved into a section 42 enquiry so all three stage clocks have run (the pages show the next two weeks
    from the real today, so the concern is dated today); returns (concern id, provider id)."""
    from models.concern_store import apply_concern

    now = datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    with app.app_context():
        officer = find_user_by_email(demo["safeguarding_officer"])
        provider_id = find_user_by_email(demo["provider_manager"]).provider_id
        concern = raise_concern(officer.viewer, officer, provider_id, "care_concern", "Unexplained bruising",
                                today, now)
        apply_concern(officer.viewer, officer, concern.id, "triage", {"decision": "Section 42 enquiry"}, now)
        apply_concern(officer.viewer, officer, concern.id, "commence_enquiry", {"commenced_on": today}, now)
        db.session.commit()
        return concern.id, provider_id


def _ics(app, email: str) -> str:
    from models.calendar_feed_store import renew_feed_token

    with app.app_context():
        token = renew_feed_token(find_user_by_email(email), NOW)
        db.session.commit()
    return app.test_client().get(f"/calendar/{token}.ics").get_data(as_text=True)


def test_a_restricted_concern_reaches_no_provider_page_feed_or_api(app, demo, login_as, api_token):
    concern_id, provider_id = _concern_with_stages(app, demo)
    with app.app_context():
        ids = list(db.session.scalars(select(Deadline.id).where(Deadline.entity_type == "safeguarding_concern",
                                                                Deadline.entity_id == concern_id)))
    assert len(ids) == 3  # decision (met), strategy meeting and enquiry (running)

    for role in ("provider_manager", "provider_user"):
        browser = login_as(role)
        for page in ("/deadlines", "/", "/safeguarding"):
            html = browser.get(page).get_data(as_text=True)
            assert not any(stage in html for stage in STAGES), (role, page)
        for deadline_id in ids:
            assert browser.get(f"/deadlines/{deadline_id}").status_code == 404
        assert browser.get(f"/safeguarding/{concern_id}").status_code == 404
        assert not any(stage in _ics(app, demo[role]) for stage in STAGES)
        token = api_token(role)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get(f"/api/v1/safeguarding-concerns/{concern_id}", headers=headers).status_code == 404
        assert client.get("/api/v1/safeguarding-concerns", headers=headers).get_json()["items"] == []

    # Council staff not named on it know that it exists, never its stages; the officer sees them.
    viewer = login_as("council_viewer")
    assert not any(stage in viewer.get("/deadlines").get_data(as_text=True) for stage in STAGES)
    assert not any(stage in _ics(app, demo["council_viewer"]) for stage in STAGES)
    assert viewer.get(f"/deadlines/{ids[-1]}").status_code == 404
    officer = login_as("safeguarding_officer")
    assert "Strategy meeting held" in officer.get("/deadlines").get_data(as_text=True)
    assert officer.get(f"/deadlines/{ids[-1]}").status_code == 200
    assert "Section 42 enquiry concluded" in _ics(app, demo["safeguarding_officer"])


def test_an_officer_named_on_a_concern_sees_its_clocks(app, demo, login_as):
    from models.concern_store import name_officer

    concern_id, _ = _concern_with_stages(app, demo)
    with app.app_context():
        officer = find_user_by_email(demo["safeguarding_officer"])
        named = find_user_by_email(demo["council_viewer"])
        name_officer(officer.viewer, officer, concern_id, named.id, NOW)
        db.session.commit()
    assert "Strategy meeting held" in login_as("council_viewer").get("/deadlines").get_data(as_text=True)


def test_no_module_outside_the_engine_assigns_a_records_state():
    """Every state change goes through models/engine.py; a hand-set state anywhere else fails here."""
    offenders = []
    for folder in ("models", "web", "scheduler", "workflows"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() == "models/engine.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets = node.targets if isinstance(node, ast.Assign) else (
                    [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
                for target in targets:
                    for leaf in (target.elts if isinstance(target, ast.Tuple) else [target]):
                        if isinstance(leaf, ast.Attribute) and leaf.attr == "state" and not (
                                isinstance(leaf.value, ast.Name) and leaf.value.id in ("self", "model")):
                            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def _api(app, token):
    client = app.test_client()

    def call(method, url, json=None):
        response = client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()

    return call


def test_every_kind_refuses_a_stale_version_with_409_and_a_malformed_one_with_400(app, demo, api_token):
    concern_id, _ = _concern_with_stages(app, demo)
    with app.app_context():
        manager = find_user_by_email(demo["contract_manager"])
        meeting = record_meeting(manager.viewer, manager, "LDDS-2023-07", TODAY, "Both contract managers",
                                 "Minutes of the quarterly review", TODAY, NOW)
        provider_id = find_user_by_email(demo["provider_manager"]).provider_id
        complaint = record_complaint(manager.viewer, manager, provider_id, {
            "received_at": NOW, "channel": "phone", "complainant_type": "family_member", "formal": True,
            "by_council": True, "summary": "Evening call missed"}, NOW)
        db.session.commit()
        meeting_id, complaint_id = meeting.id, complaint.id
    manager = _api(app, api_token("contract_manager"))
    officer = _api(app, api_token("safeguarding_officer"))
    cases = [
        (manager, f"/api/v1/minutes/{meeting_id}/transitions", {"trigger": "send", "sent_on": TODAY.isoformat()}),
        (manager, f"/api/v1/complaints/{complaint_id}/transitions", {"trigger": "pass_to_provider"}),
        (officer, f"/api/v1/safeguarding-concerns/{concern_id}/transitions",
         {"trigger": "conclude", "outcome": "substantiated", "summary": "Bruising explained by a fall"}),
    ]
    for call, url, body in cases:
        status, answer = call("POST", url, {**body, "version": "abc"})
        assert status == 400 and "version" in answer["error"], (url, answer)
        status, answer = call("POST", url, {**body, "version": 999})
        assert status == 409 and answer["error"].startswith("Someone else changed this"), (url, answer)


def test_a_case_record_form_with_a_malformed_version_is_refused_not_applied(app, demo, login_as):
    from models.case_store import open_case
    from models.cases import Case

    with app.app_context():
        manager = find_user_by_email(demo["contract_manager"])
        case_id = open_case(manager.viewer, manager, "HC-2024-05", "Missed calls", NOW).id
        db.session.commit()
    browser = login_as("contract_manager")
    response = browser.post_form(f"/cases/{case_id}/withdraw", {"reason": "Opened in error", "version": "abc"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Case, case_id).state.value == "concern"


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled"])
def test_two_officers_deciding_one_concern_at_once_exactly_one_wins(app, demo, overlap):
    for attempt in range(4):
        with app.app_context():
            officer = find_user_by_email(demo["safeguarding_officer"])
            provider_id = find_user_by_email(demo["provider_manager"]).provider_id
            concern = raise_concern(officer.viewer, officer, provider_id, "first_account", f"Race {attempt}",
                                    TODAY, NOW)
            db.session.commit()
            concern_id, version = concern.id, (None if overlap else concern.version_id)
        moves = (Move(demo["safeguarding_officer"], "safeguarding_concern", concern_id, "triage",
                      {"decision": "Enquiry"}, version),
                 Move(demo["admin"], "safeguarding_concern", concern_id, "triage", {"decision": "No enquiry"},
                      version))
        winner_of(race(app, *moves, overlap=overlap), moves)
        with app.app_context():
            row = db.session.get(SafeguardingConcern, concern_id)
            assert row.state.value == "triaged" and row.version_id == 2


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled"])
def test_two_managers_sending_one_set_of_minutes_at_once_exactly_one_wins(app, demo, overlap):
    from models.audit_store import events_for

    for attempt in range(4):
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            meeting = record_meeting(manager.viewer, manager, "LDDS-2023-07", TODAY, "Both managers",
                                     f"Minutes {attempt}", TODAY, NOW)
            db.session.commit()
            meeting_id, council_id = meeting.id, meeting.council_id
            version = None if overlap else meeting.version_id
        moves = (Move(demo["contract_manager"], "meeting", meeting_id, "send", {"sent_on": TODAY}, version),
                 Move(demo["commissioning_manager"], "meeting", meeting_id, "send", {"sent_on": TODAY}, version))
        winner_of(race(app, *moves, overlap=overlap), moves)
        with app.app_context():
            assert db.session.get(Meeting, meeting_id).state.value == "sent"
            events = [e.event for e in events_for(council_id, "meeting", meeting_id)]
            assert events.count("MINUTES_SENT") == 1
            assert len(list(db.session.scalars(select(Deadline).where(Deadline.entity_type == "meeting",
                                                                      Deadline.entity_id == meeting_id)))) == 1


def test_a_scottish_councils_concern_counts_scotlands_bank_holidays(app, demo):
    """Records under no contract run on the council's region: in Scotland 2 January is a bank holiday (in 2027
    it falls on a Saturday, so Monday 4 January is the substitute), in England it is not."""
    with app.app_context():
        officer = find_user_by_email(demo["safeguarding_officer"])
        provider_id = find_user_by_email(demo["provider_manager"]).provider_id
        raised, at = date(2026, 12, 31), datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
        england = raise_concern(officer.viewer, officer, provider_id, "care_concern", "England", raised, at)
        db.session.get(Council, officer.council_id).region = "scotland"
        scotland = raise_concern(officer.viewer, officer, provider_id, "care_concern", "Scotland", raised, at)
        due = {c.id: db.session.scalar(select(Deadline).where(Deadline.entity_type == "safeguarding_concern",
                                                              Deadline.entity_id == c.id))
               for c in (england, scotland)}
        assert (due[england.id].due_on, due[england.id].region) == (date(2027, 1, 4), "england-and-wales")
        assert (due[scotland.id].due_on, due[scotland.id].region) == (date(2027, 1, 5), "scotland")
        db.session.rollback()


def test_a_closure_day_moves_local_targets_and_never_a_served_deadline(app, demo):
    """Contractual deadlines are frozen once served; the council's own safeguarding targets are re-planned when it
    adds a non-working day, and the preview counts them."""
    from models.calendar_store import add_closure
    from models.case_store import draft_notice, open_case
    from models.deadline_store import calendar_change_impact, replan_after_calendar_change
    from models.engine import fire
    from models.entities import ClosureKind

    concern_id, _ = _concern_with_stages(app, demo)
    now = datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    with app.app_context():
        manager = find_user_by_email(demo["contract_manager"])
        case = open_case(manager.viewer, manager, "LDDS-2023-07", "Attendance below target", now)
        notice = draft_notice(manager.viewer, manager, case.id, "Attendance 71%", "A plan", now)
        fire(manager.viewer, manager, "notice", notice.id, "issue", {"served_on": today, "method": "hand"}, now,
             today)
        db.session.commit()
        served = db.session.scalar(select(Deadline).where(Deadline.entity_type == "notice",
                                                          Deadline.entity_id == notice.id))
        target = db.session.scalar(select(Deadline).where(Deadline.entity_type == "safeguarding_concern",
                                                          Deadline.entity_id == concern_id,
                                                          Deadline.kind == "strategy_meeting"))
        assert served.frozen and not target.frozen
        served_due, target_due = served.due_on, target.due_on
        calendar = working_calendar(manager.council_id, "england-and-wales")
        closed = calendar.add_working_days(today, 2)  # inside both periods, after any deemed receipt
        impact = calendar_change_impact(manager.council_id, "england-and-wales", {closed: "Council closure"}, now)
        assert impact["targets"] >= 1 and impact["served"] >= 1
        add_closure(db.session.get(Council, manager.council_id), manager, closed, "england-and-wales",
                    ClosureKind.COUNCIL_CLOSURE, "Council closure", now)
        replan_after_calendar_change(manager.council_id, "england-and-wales", now)
        db.session.commit()
        assert db.session.get(Deadline, served.id).due_on == served_due
        assert db.session.get(Deadline, target.id).due_on == calendar_for_after(manager.council_id, today)
        assert db.session.get(Deadline, target.id).due_on > target_due


def calendar_for_after(council_id: int, start: date) -> date:
    """Five working days after `start` on the council's calendar as it is now (with the closure)."""
    return working_calendar(council_id, "england-and-wales").add_working_days(start, 5)


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled"])
def test_two_managers_passing_one_complaint_on_at_once_exactly_one_wins(app, demo, overlap):
    from models.concerns import Complaint

    for attempt in range(4):
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            provider_id = find_user_by_email(demo["provider_manager"]).provider_id
            complaint = record_complaint(manager.viewer, manager, provider_id, {
                "received_at": NOW, "channel": "phone", "complainant_type": "family_member", "formal": True,
                "by_council": True, "summary": f"Race {attempt}"}, NOW)
            db.session.commit()
            complaint_id, version = complaint.id, (None if overlap else complaint.version_id)
        moves = (Move(demo["contract_manager"], "complaint", complaint_id, "pass_to_provider", {}, version),
                 Move(demo["commissioning_manager"], "complaint", complaint_id, "pass_to_provider", {}, version))
        winner_of(race(app, *moves, overlap=overlap), moves)
        with app.app_context():
            row = db.session.get(Complaint, complaint_id)
            assert row.state.value == "with_provider" and row.version_id == 2


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled"])
def test_the_provider_and_the_council_reporting_one_incident_at_once_exactly_one_wins(app, demo, overlap):
    from models.concern_store import record_incident
    from models.concerns import Incident

    for attempt in range(4):
        with app.app_context():
            provider = find_user_by_email(demo["provider_manager"])
            incident = record_incident(provider.viewer, provider, provider.provider_id, {
                "kind": "key_holding", "occurred_at": NOW, "description": f"Key safe left open {attempt}",
                "action_taken": "Code changed"}, NOW)
            db.session.commit()
            incident_id, version = incident.id, (None if overlap else incident.version_id)
        moves = (Move(demo["provider_manager"], "incident", incident_id, "report", {}, version),
                 Move(demo["contract_manager"], "incident", incident_id, "report", {}, version))
        winner_of(race(app, *moves, overlap=overlap), moves)
        with app.app_context():
            row = db.session.get(Incident, incident_id)
            assert row.state.value == "reported" and row.version_id == 2
            met = db.session.scalars(select(Deadline.status).where(Deadline.entity_type == "incident",
                                                                   Deadline.entity_id == incident_id,
                                                                   Deadline.kind == "key_incident_reported"))
            assert list(met) == ["met"]


def test_a_restricted_concerns_reminders_and_breaches_reach_only_the_safeguarding_team(app, demo):
    """The notifier reads the registry too: a concern's stage clocks remind and report breaches to safeguarding
    officers, never to the provider's people or to council staff who only know the concern exists."""
    from models.scheduling import OutboxMessage
    from models.user_store import find_user_by_email as person
    from scheduler.tick import tick

    concern_id, _provider_id = _concern_with_stages(app, demo)
    with app.app_context():
        due = db.session.scalar(select(Deadline.due_at).where(Deadline.entity_type == "safeguarding_concern",
                                                              Deadline.entity_id == concern_id,
                                                              Deadline.kind == "enquiry_concluded"))
        tick(due + timedelta(days=1), deliver_messages=False)  # every reminder and the breach are due by then
        sent_to = {m.user_id for m in db.session.scalars(select(OutboxMessage))}
        assert sent_to, "the stage clocks sent nothing at all"
        assert sent_to == {person(demo["safeguarding_officer"]).id}
        for role in ("provider_manager", "provider_user", "council_viewer", "contract_manager"):
            assert person(demo[role]).id not in sent_to
