"""Cornwall's per-young-person clocks end to end through the API (issue 15, item 4): CW-14 counted past Christmas and
New Year with the England bank holidays, its reminders and the breach the scheduler records when no adviser is
allocated, then CW-16 and CW-10 recurring from the allocation, the CW-08 caseload per adviser with over-cap flagged,
and nothing escalating (Cornwall has no sanction rung, A26)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from tests.integration.test_financial_changes import check, contract_id
from tests.integration.test_people import provider_user, token_for, young_person


def _timers(app, deadline_id: int) -> list[tuple[str, date, str]]:
    from models import db
    from models.scheduling import Timer

    with app.app_context():
        return sorted((t.kind, t.due_on, t.status) for t in db.session.scalars(
            select(Timer).where(Timer.deadline_id == deadline_id)))


def _messages(app, adviser_email: str) -> list[str]:
    from models import db
    from models.scheduling import OutboxMessage

    with app.app_context():
        return [m.subject for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == adviser_email).order_by(OutboxMessage.id))]


def _tick(app, when: datetime) -> dict:
    from scheduler.tick import tick

    with app.app_context():
        return tick(when, deliver_messages=False)


@pytest.mark.rules("CW-14", "CW-16", "CW-10")
def test_cornwall_clocks_run_past_the_bank_holidays_with_reminders_and_a_breach(app, api):
    from models import db
    from models.audit_store import AuditEvent
    from models.cases import Case

    cornwall = contract_id(app, "LC-2024-03")
    adviser = provider_user(app, "PRV-003", "pa.lee@harbour.example")
    harbour = token_for(app, provider_user(app, "PRV-003", "allocations@harbour.example", "provider_manager"))
    with time_machine.travel("2026-12-23T10:00:00+00:00", tick=False):
        late_referral = young_person(api, cornwall, reference="YP-CW01", born_in="2009-01")
        early_referral = young_person(api, cornwall, reference="YP-CW02", born_in="2011-06")
        refused = api("contract_manager", "POST", "/api/v1/leaving-care",
                      {"person_id": late_referral["id"], "referred_on": "2026-12-24"}, status=422)
        assert refused["field"] == "referred_on" and "future" in refused["error"]
        one = check(app.test_client().post("/api/v1/leaving-care", json={
            "person_id": late_referral["id"], "referred_on": "2026-12-23"},
            headers={"Authorization": f"Bearer {harbour}"}), "/leaving-care", "post", 201)
        two = api("contract_manager", "POST", "/api/v1/leaving-care",
                  {"person_id": early_referral["id"], "referred_on": "2026-12-23"}, status=201)
        twice = api("contract_manager", "POST", "/api/v1/leaving-care",
                    {"person_id": early_referral["id"], "referred_on": "2026-12-23"}, status=422)
        assert "already has an open leaving-care record" in twice["error"]

    # CW-14, referral after 15 years 9 months (1 October 2024): 7 working days from Wednesday 23 December.
    assert (one["reference"], one["state"], one["person"], one["allowed_triggers"]) == (
        "LC-00001", "referred", "YP-CW01", ["allocate"])
    (allocation,) = one["deadlines"]
    assert (allocation["rule"], allocation["kind"], allocation["due_on"]) == ("CW-14", "pa_allocation", "2027-01-06")
    explained = " | ".join(allocation["explanation"])
    for expected in ("after the young person reached 15 years and 9 months (1 October 2024)",
                     "Fri 25 Dec 2026: Christmas Day, not counted",
                     "Mon 28 Dec 2026: Boxing Day (substitute day), not counted",
                     "Fri 1 Jan 2027: New Year's Day, not counted", "Due by the end of Wednesday 6 January 2027"):
        assert expected in explained, (expected, explained)
    # CW-14 before that age: by 15 years 9 months (born June 2011: 1 March 2027).
    (by_age,) = two["deadlines"]
    assert by_age["due_on"] == "2027-03-01" and "reaches 15 years and 9 months" in by_age["explanation"][0]

    assert _timers(app, allocation["id"]) == [
        ("breach", date(2027, 1, 6), "pending"), ("reminder", date(2026, 12, 29), "pending"),
        ("reminder", date(2027, 1, 5), "pending"), ("reminder", date(2027, 1, 6), "pending")]
    for day in (date(2026, 12, 29), date(2027, 1, 5), date(2027, 1, 6)):  # the scheduler each morning
        _tick(app, datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))
    reminders = [s for s in _messages(app, "pa.lee@harbour.example") if "LC-00001" in s]
    assert len(reminders) == 3, reminders  # 5 and 1 working days before, and on the day
    _tick(app, datetime(2027, 1, 7, 9, 0, tzinfo=UTC))  # no adviser by the end of 6 January: a breach
    assert _timers(app, allocation["id"]) == [
        ("breach", date(2027, 1, 6), "fired"), ("reminder", date(2026, 12, 29), "fired"),
        ("reminder", date(2027, 1, 5), "fired"), ("reminder", date(2027, 1, 6), "fired")]
    with app.app_context():
        breaches = db.session.scalars(select(AuditEvent).where(
            AuditEvent.event == "DEADLINE_BREACHED", AuditEvent.entity_id == allocation["id"])).all()
        assert len(breaches) == 1 and breaches[0].reason == (
            "Personal adviser allocated (CW-14) not done by the end of 6 January 2027")
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0  # no sanction rung: nothing opens

    with time_machine.travel("2027-01-07T11:00:00+00:00", tick=False):
        breached = api("contract_manager", "GET", f"/api/v1/leaving-care/{one['id']}", status=200)
        assert breached["deadlines"][0]["status"] == "breached"
        stranger = provider_user(app, "PRV-002", "not.harbour@brightwater.example")
        wrong = api("contract_manager", "POST", f"/api/v1/leaving-care/{one['id']}/transitions", {
            "trigger": "allocate", "adviser_id": stranger, "allocated_on": "2027-01-07"}, status=422)
        assert wrong["field"] == "adviser_id" and "works for the provider" in wrong["error"]
        allocated = check(app.test_client().post(f"/api/v1/leaving-care/{one['id']}/transitions", json={
            "trigger": "allocate", "adviser_id": adviser, "allocated_on": "2027-01-07",
            "version": breached["version"]}, headers={"Authorization": f"Bearer {harbour}"}),
            "/leaving-care/{id}/transitions", "post", 200)
    clocks = {d["kind"]: d for d in allocated["deadlines"]}
    assert {k: (d["rule"], d["due_on"], d["status"]) for k, d in clocks.items()} == {
        "pa_allocation": ("CW-14", "2027-01-06", "breached"),  # allocated a day late: the breach stands
        "pathway_review": ("CW-16", "2027-07-07", "running"),  # within 6 months of allocation (A30)
        "pa_contact": ("CW-10", "2027-03-07", "running")}  # every two months (A27)
    assert allocated["allowed_triggers"] == ["record_review", "record_contact"]  # close is the council's

    with time_machine.travel("2027-02-10T11:00:00+00:00", tick=False):
        met = api("provider_user", "GET", f"/api/v1/leaving-care/{one['id']}", status=404)  # Kent's staff: not theirs
        assert met["error"].startswith("There is no leaving-care record")
        early = api("contract_manager", "POST", f"/api/v1/leaving-care/{one['id']}/transitions", {
            "trigger": "record_contact", "contacted_on": "2027-01-05"}, status=422)
        assert "before the allocation" in early["error"]
        contacted = api(harbour, "POST", f"/api/v1/leaving-care/{one['id']}/transitions", {
            "trigger": "record_contact", "contacted_on": "2027-02-10", "note": "Met at the drop-in, no names"},
            status=200)
    contacts = sorted((d["due_on"], d["status"]) for d in contacted["deadlines"] if d["kind"] == "pa_contact")
    assert contacts == [("2027-03-07", "met"), ("2027-04-10", "running")]
    assert [e["event"] for e in contacted["events"]] == ["YOUNG_PERSON_REFERRED", "PA_ALLOCATED",
                                                         "PA_CONTACT_RECORDED"]
    assert api("provider_user", "GET", "/api/v1/leaving-care", status=200)["items"] == []
    loads = api("contract_manager", "GET", "/api/v1/leaving-care/caseloads", status=200)["items"]
    assert [(c["adviser"], c["young_people"], c["cap"], c["over_cap"]) for c in loads] == [
        ("Pa Lee", 1, 30, False)]


def test_an_adviser_over_the_cw08_cap_is_flagged(app, demo):
    from models import db
    from models.entities import User
    from models.people_store import caseloads, record_person, refer_young_person, step_leaving_care
    from models.provider_store import get_contract
    from models.user_store import find_user_by_email

    adviser = provider_user(app, "PRV-003", "busy.pa@harbour.example")
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    with app.app_context():
        manager = find_user_by_email("contract.manager@remedy.example")
        contract = get_contract(manager.viewer, "LC-2024-03")
        for n in range(31):
            person = record_person(manager.viewer, manager, {"contract_id": contract.id, "reference": f"YP-{n:03d}",
                                                             "role": "young_person", "born_in": "2009-05"}, now)
            record = refer_young_person(manager.viewer, manager, {"person_id": person.id,
                                                                  "referred_on": "2026-11-30"}, now)
            step_leaving_care(manager.viewer, manager, record.id, "allocate",
                              {"adviser_id": adviser, "allocated_on": "2026-12-01"}, now)
        db.session.commit()
        (row,) = caseloads(manager.viewer)
        assert (row["adviser"], row["young_people"], row["lower"], row["cap"], row["over_cap"]) == (
            "Busy Pa", 31, 25, 30, True)
        assert db.session.get(User, adviser).name == "Busy Pa"


def test_cornwall_agrees_an_improvement_plan_and_nothing_escalates_from_it(app, api):
    """A26: a manual case and an agreed improvement plan; when it fails, no default, suspension or termination is
    proposed, because Cornwall's rulebook has no such rung."""
    from models import db
    from models.cases import DefaultNotice, Suspension, Termination

    with time_machine.travel("2026-12-21T10:00:00+00:00", tick=False):
        case = api("contract_manager", "POST", "/api/v1/cases",
                   {"contract": "LC-2024-03", "summary": "Pathway plan reviews late (KPI 1.6, CW-16)"}, status=201)
        plan = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/action-plans", {}, status=201)
        assert plan["state"] == "draft"
        moved = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}", status=200)
        assert moved["state"] == "action_plan" and moved["allowed_triggers"] == ["resolve", "withdraw"]
        api("contract_manager", "POST", f"/api/v1/action-plans/{plan['id']}/rows", {
            "kpi": "KPI 1.6", "current_performance": "71% (Q2 2026/27)", "rag": "red",
            "issue": "Reviews slipping past 6 months", "action": "Review diary per adviser",
            "owner": "Service manager", "expected_outcome": "95% reviewed within 6 months",
            "deadline": "2027-03-31"}, status=201)
        for trigger in ("submit", "agree"):
            api("contract_manager", "POST", f"/api/v1/action-plans/{plan['id']}/transitions",
                {"trigger": trigger}, status=200)
        failed = api("contract_manager", "POST", f"/api/v1/action-plans/{plan['id']}/transitions",
                     {"trigger": "fail", "reason": "No improvement by the quarterly meeting"}, status=200)
        assert failed["state"] == "failed"
        after = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}", status=200)
        assert after["state"] == "action_plan" and after["allowed_triggers"] == ["resolve", "withdraw"]
        refused = api("commissioning_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices",
                      {"default_description": "d", "remedial_action": "r"}, status=409)
        assert "has no default notice step" in refused["error"]
    with app.app_context():
        for model in (DefaultNotice, Suspension, Termination):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
