"""H&F referrals and packages of care (issue 15, item 2) end to end through the API: the hour clocks in real hours
across both clock changes (the last Sundays of March and October 2027 in Europe/London) and past a bank holiday
(Good Friday), the reminders and breaches the scheduler fires, the breach events the contract's rules count, a
refusal with its reason, a package suspended after 48 hours in hospital, and another provider seeing none of it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from tests.integration.test_duties import api, occurrences  # noqa: F401  (the api fixture)
from tests.integration.test_financial_changes import check, contract_id, timers

GOOD_FRIDAY = "2027-03-26T10:00:00+00:00"  # a bank holiday, two days before the clocks go forward (28 March)


def _tick(app, when: datetime) -> dict:
    from models import db
    from scheduler.tick import tick

    with app.app_context():
        counts = tick(when, deliver_messages=False)
        db.session.expire_all()
        return counts


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _deadline(record: dict, kind: str) -> dict:
    return next(d for d in record["deadlines"] if d["kind"] == kind)


@pytest.mark.rules("HF-R01", "HF-R04", "HF-R07", "HF-16", "HF-05")
def test_a_referral_on_good_friday_counts_real_hours_across_the_spring_clock_change(app, api):  # noqa: F811
    from models import db
    from models.scheduling import OutboxMessage

    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel(GOOD_FRIDAY, tick=False):
        refused = manager.post("/referrals", {"contract_id": contract_id(app, "ECH-2024-01"), "person": "SU-0412",
                                              "summary": "x", "starts_at": "2027-04-02T10:00"})
        assert refused.status_code == 422 and "no referral or package windows" in refused.get_json()["error"]
        created = check(manager.post("/referrals", {
            "contract_id": hf, "person": "SU-0412", "summary": "Morning and evening calls after a fall",
            "received_at": "2027-03-26T10:00", "starts_at": "2027-04-02T10:00", "grade": "medium"}),
            "/referrals", "post", 201)
    assert (created["reference"], created["state"], created["person"]) == ("REF-00001", "received", "SU-0412")
    # Starting 167 real hours after it arrived (the clocks go forward in between): HF-R04, 48 hours to answer.
    assert (created["response_rule"], created["response_hours"]) == ("HF-R04", 48)
    ack, response, start = (_deadline(created, k) for k in
                            ("referral_acknowledged", "referral_response", "referral_started"))
    # The acknowledgement is due on the bank holiday itself: hours count every day.
    assert (ack["rule"], _at(ack["due_at"])) == ("HF-R01", _at("2027-03-26T12:00:00+00:00"))
    # 48 real hours from 10:00 GMT on Friday is 11:00 BST on Sunday (wall-clock arithmetic would say 10:00).
    assert (response["rule"], _at(response["due_at"])) == ("HF-R04", _at("2027-03-28T11:00:00+01:00"))
    assert (start["rule"], _at(start["due_at"])) == ("HF-R07", _at("2027-03-27T10:00:00+00:00"))
    explained = " | ".join(response["explanation"])
    assert "Counted in real hours" in explained and "clock changes all count" in explained
    assert "Due by 11:00 on Sunday 28 March 2027" in explained

    with time_machine.travel("2027-03-26T11:00:00+00:00", tick=False):
        acknowledged = check(manager.post(f"/referrals/{created['id']}/transitions", {
            "trigger": "acknowledge", "version": created["version"]}), "/referrals/{id}/transitions", "post", 200)
    assert acknowledged["state"] == "acknowledged"
    assert _deadline(acknowledged, "referral_acknowledged")["status"] == "met"
    assert acknowledged["allowed_triggers"] == ["accept", "decline", "withdraw"]

    # Saturday 10:00 GMT: the 24-hour implementation window runs out; the scheduler records it.
    _tick(app, datetime(2027, 3, 27, 10, 0, 1, tzinfo=UTC))
    # Sunday 09:59 BST: nothing yet; 10:00 BST: the reminder an hour before, by the hour (a clock of real hours);
    # 11:00 BST: the response window runs out.
    _tick(app, datetime(2027, 3, 28, 8, 59, tzinfo=UTC))
    assert ("reminder", "pending") in timers(app, response["id"])["kinds"]
    _tick(app, datetime(2027, 3, 28, 9, 0, 30, tzinfo=UTC))
    planned = timers(app, response["id"])
    assert ("reminder", "fired") in planned["kinds"] and ("breach", "pending") in planned["kinds"]
    with app.app_context():
        reminded = db.session.scalars(select(OutboxMessage.subject)).all()
        assert any("REF-00001" in subject for subject in reminded), reminded  # (Riverside's staff have no e-mail)
    _tick(app, datetime(2027, 3, 28, 9, 59, tzinfo=UTC))
    assert ("breach", "pending") in timers(app, response["id"])["kinds"]  # 10:59 BST: not yet
    _tick(app, datetime(2027, 3, 28, 10, 0, 1, tzinfo=UTC))
    with time_machine.travel("2027-03-28T12:00:00+01:00", tick=False):
        late = check(manager.get(f"/referrals/{created['id']}"), "/referrals/{id}", "get", 200)
    assert (late["state"], late["late"]) == ("acknowledged", True)
    assert _deadline(late, "referral_response")["status"] == "breached"
    assert [e["event"] for e in late["events"]] == ["REFERRAL_RECEIVED", "REFERRAL_ACKNOWLEDGED", "REFERRAL_LATE",
                                                    "REFERRAL_LATE"]
    assert occurrences(app, hf) == [("late-referral-response", date(2027, 3, 27), "REF-00001"),
                                    ("late-referral-response", date(2027, 3, 28), "REF-00001")]

    # Another provider's staff cannot see it, in the list or by id.
    provider = api("provider_manager")
    assert provider.get(f"/referrals/{created['id']}").status_code == 404
    assert provider.get("/referrals").get_json()["items"] == []

    # Declined the next day, within the capacity the provider confirmed: BCM 2.2 counts it (HF-16, HF-05: only
    # capacity that would stop a safe service is a fair refusal).
    with time_machine.travel("2027-03-29T09:00:00+01:00", tick=False):
        problem = manager.post(f"/referrals/{created['id']}/transitions", {"trigger": "decline",
                                                                           "refusal_reason": "no_capacity"})
        assert problem.status_code == 422 and problem.get_json()["field"] == "within_capacity"
        declined = check(manager.post(f"/referrals/{created['id']}/transitions", {
            "trigger": "decline", "refusal_reason": "no_capacity", "within_capacity": True}),
            "/referrals/{id}/transitions", "post", 200)
    assert (declined["state"], declined["refusal_reason"], declined["within_capacity"]) == (
        "declined", "no_capacity", True)
    assert declined["allowed_triggers"] == []
    assert {d["kind"]: d["status"] for d in declined["deadlines"]} == {
        "referral_acknowledged": "met", "referral_response": "breached", "referral_started": "breached"}


@pytest.mark.rules("HF-R02", "HF-R07", "HF-18", "HF-30", "HF-24")
def test_an_answer_after_its_window_is_late_and_a_start_makes_a_package(app, api):  # noqa: F811
    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel("2027-01-11T09:00:00+00:00", tick=False):
        created = check(manager.post("/referrals", {
            "contract_id": hf, "person": "SU-0413", "summary": "Discharge home with a double-up call",
            "starts_at": "2027-01-11T20:00", "hospital_discharge": True}), "/referrals", "post", 201)
        assert (created["grade"], created["response_rule"], created["response_hours"]) == ("medium", "HF-R02", 2)
        too_slow = manager.post("/referrals", {"contract_id": hf, "person": "SU-0414", "summary": "x",
                                               "starts_at": "2027-01-12T20:00", "hospital_discharge": True,
                                               "grade": "standard"})
        assert too_slow.status_code == 422 and "HF-R07" in too_slow.get_json()["error"]
    with time_machine.travel("2027-01-11T12:00:00+00:00", tick=False):
        accepted = check(manager.post(f"/referrals/{created['id']}/transitions", {
            "trigger": "accept", "decided_at": "2027-01-11T11:30"}), "/referrals/{id}/transitions", "post", 200)
    # Accepted 2 hours 30 minutes after it arrived: both the acknowledgement and the answer were late.
    assert accepted["late"] and {d["kind"]: d["status"] for d in accepted["deadlines"]} == {
        "referral_acknowledged": "breached", "referral_response": "breached", "referral_started": "running"}
    assert [k for k, _on, _ref in occurrences(app, hf)] == ["late-referral-response"] * 2
    with time_machine.travel("2027-01-11T20:00:00+00:00", tick=False):
        started = check(manager.post(f"/referrals/{created['id']}/transitions", {"trigger": "start"}),
                        "/referrals/{id}/transitions", "post", 200)
        assert _deadline(started, "referral_started")["status"] == "met"
        (package,) = check(manager.get("/packages"), "/packages", "get", 200)["items"]
    assert (package["reference"], package["person"], package["referral_id"], package["started_on"]) == (
        "POC-00001", "SU-0413", created["id"], "2027-01-11")
    due = {d["kind"]: (d["rule"], d["due_on"]) for d in package["deadlines"]}
    assert due == {"package_plan": ("HF-18", "2027-01-18"), "package_key_worker": ("HF-30", "2027-01-25"),
                   "package_review_1": ("HF-24", "2027-02-22"), "package_review_2": ("HF-B06", "2027-03-08")}


@pytest.mark.rules("HF-64", "HF-53", "HF-24", "HF-25")
def test_a_hospital_stay_over_48_hours_across_the_autumn_clock_change_suspends_the_package(app, api):  # noqa: F811
    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel("2027-10-29T12:00:00+01:00", tick=False):
        package = check(manager.post("/packages", {
            "contract_id": hf, "person": "SU-0500", "summary": "Four calls a day",
            "referred_at": "2027-08-02T09:00", "started_on": "2027-08-04"}), "/packages", "post", 201)
        reviewed = check(manager.post(f"/packages/{package['id']}/transitions", {
            "trigger": "review", "reviewed_on": "2027-09-20"}), "/packages/{id}/transitions", "post", 200)
    # The first review on day 47: the 6-week tier (HF-24) missed, the 8-week tier (HF-B06) met.
    tiers = {(d["rule"], d["status"]) for d in reviewed["deadlines"] if d["kind"].startswith("package_review")}
    assert {("HF-24", "breached"), ("HF-B06", "met"), ("HF-25", "running"), ("HF-B07", "running")} <= tiers
    assert {d["rule"]: d["due_on"] for d in reviewed["deadlines"] if d["status"] == "running"
            and d["kind"].startswith("package_review")} == {"HF-25": "2027-12-24", "HF-B07": "2028-01-20"}
    with time_machine.travel("2027-10-30T12:00:00+01:00", tick=False):
        admitted = check(manager.post(f"/packages/{package['id']}/transitions", {
            "trigger": "admit_to_hospital"}), "/packages/{id}/transitions", "post", 200)
    hospital = _deadline(admitted, "package_hospital")
    # 48 real hours from 12:00 BST on Saturday, over the night the clocks go back, is 11:00 GMT on Monday.
    assert (hospital["rule"], _at(hospital["due_at"])) == ("HF-64", _at("2027-11-01T11:00:00+00:00"))
    assert admitted["state"] == "in_hospital"
    _tick(app, datetime(2027, 11, 1, 10, 59, tzinfo=UTC))
    with time_machine.travel("2027-11-01T10:59:30+00:00", tick=False):
        assert manager.get(f"/packages/{package['id']}").get_json()["state"] == "in_hospital"
    _tick(app, datetime(2027, 11, 1, 11, 0, 1, tzinfo=UTC))
    with time_machine.travel("2027-11-01T12:00:00+00:00", tick=False):
        suspended = check(manager.get(f"/packages/{package['id']}"), "/packages/{id}", "get", 200)
        assert suspended["state"] == "suspended"
        assert suspended["events"][-1]["event"] == "PACKAGE_SUSPENDED"
        assert "HF-64" in (suspended["events"][-1]["reason"] or "")
        home = check(manager.post(f"/packages/{package['id']}/transitions", {"trigger": "return_home"}),
                     "/packages/{id}/transitions", "post", 200)
        assert home["state"] == "active"
        # HF-53: a manual entry at 09:30 on Sunday for a 10:00 visit on Saturday looks 23.5 hours late on the clock
        # face, but the clocks went back in between: 24.5 real hours, so the visit is not paid.
        entry = check(manager.post(f"/packages/{package['id']}/transitions", {
            "trigger": "record_manual_entry", "visit_at": "2027-10-30T10:00", "entered_at": "2027-10-31T09:30"}),
            "/packages/{id}/transitions", "post", 200)
    assert entry["unpaid_visits"] == 1
    assert (entry["events"][-1]["data"]["unpaid"], entry["events"][-1]["data"]["hours_after"]) == (True, 24.5)
    assert api("provider_manager").get(f"/packages/{package['id']}").status_code == 404


def test_the_pages_send_a_referral_decline_it_with_a_reason_and_show_each_clock_explained(app, login_as):
    from tests.conftest import assert_page
    from tests.integration.test_duties import page_text

    hf = contract_id(app, "HC-2024-05")
    with time_machine.travel("2027-03-26T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        form = assert_page(manager.get("/referrals/new"), "Send a referral")
        assert "HC-2024-05: Riverside Home Care Ltd" in form and "ECH-2024-01" not in form  # H&F only
        assert "Do not include names" in form
        missing = manager.post_form("/referrals/new", {"contract_id": str(hf), "person": "SU-0412",
                                                       "summary": "Calls after a fall", "grade": "urgent"})
        text = assert_page(missing, "Send a referral", 422)
        assert "There is a problem" in text and "Enter when the package is to start" in text
        created = manager.post_form("/referrals/new", {
            "contract_id": str(hf), "person": "SU-0412", "summary": "Calls after a fall", "grade": "urgent",
            "starts_on": ["27", "3", "2027"], "starts_time": "09:00"})
        assert created.status_code == 303, page_text(created)[:2000]
        url = created.headers["Location"]
        text = page_text(manager.get(url))
        for expected in ("Referral REF-00001", "SU-0412", "HF-R01", "HF-R02", "HF-R06", "3 hour - urgent",
                         "Counted in real hours", "Decline the referral"):
            assert expected in text, expected
        refused = manager.post_form(f"{url}/decline", {"refusal_reason": "other", "within_capacity": "no"})
        assert "Explain the reason for declining" in assert_page(refused, "Decline the referral", 422)
        assert manager.post_form(f"{url}/decline", {"refusal_reason": "no_skills",
                                                    "within_capacity": "no"}).status_code == 303
        text = page_text(manager.get(url))
        assert "No staff with the skills the package needs; outside confirmed capacity" in text
        listed = page_text(manager.get("/referrals?show=all"))
        assert "REF-00001" in listed and "Calls after a fall" in listed
        package = manager.post_form("/packages/new", {"contract_id": str(hf), "person": "SU-0412",
                                                      "summary": "Two calls a day", "started_on": ["26", "3", "2027"]})
        assert package.status_code == 303, page_text(package)[:2000]
        text = page_text(manager.get(package.headers["Location"]))
        assert "Package POC-00001" in text and "HF-30" in text and "Record a hospital admission" in text
        assert 'href="/referrals"' in manager.get("/concerns").get_data(as_text=True)
        provider = login_as("provider_manager")
        assert provider.get(url).status_code == 404 and provider.get("/referrals/new").status_code == 403
        assert "REF-00001" not in page_text(provider.get("/referrals?show=all"))


def test_the_tuesday_capacity_confirmation_awaits_each_week_and_a_missed_one_is_a_breach_event(app, api):  # noqa: F811
    from models import db
    from models.monitoring import BreachRecord

    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel("2027-01-04T09:00:00+00:00", tick=False):
        first = check(manager.post("/capacity-confirmations", {"contract_id": hf}), "/capacity-confirmations",
                      "post", 201)
        again = manager.post("/capacity-confirmations", {"contract_id": hf})
        assert again.status_code == 422 and "already awaited" in again.get_json()["error"]
    assert (first["reference"], first["state"], first["due_on"]) == ("CAP-00001", "awaited", "2027-01-05")
    (deadline,) = first["deadlines"]
    assert deadline["rule"] == "HF-B02" and "Written confirmation every Tuesday" in deadline["explanation"][0]
    with time_machine.travel("2027-01-05T16:00:00+00:00", tick=False):
        confirmed = check(manager.post(f"/capacity-confirmations/{first['id']}/transitions", {
            "trigger": "confirm", "available_hours": 120, "available_from": "2027-01-12"}),
            "/capacity-confirmations/{id}/transitions", "post", 200)
        assert (confirmed["state"], confirmed["late"], confirmed["short_notice"]) == ("confirmed", False, False)
        weeks = check(manager.get("/capacity-confirmations"), "/capacity-confirmations", "get", 200)["items"]
    assert [(w["due_on"], w["state"]) for w in weeks] == [("2027-01-12", "awaited"), ("2027-01-05", "confirmed")]
    assert occurrences(app, hf) == []
    _tick(app, datetime(2027, 1, 13, 0, 0, 1, tzinfo=UTC))  # nothing by the end of Tuesday 12 January
    with time_machine.travel("2027-01-13T09:00:00+00:00", tick=False):
        weeks = check(manager.get("/capacity-confirmations"), "/capacity-confirmations", "get", 200)["items"]
        assert [(w["due_on"], w["state"]) for w in weeks][:2] == [("2027-01-19", "awaited"), ("2027-01-12", "missed")]
        # Confirmed the next morning, with hours from only three days later: late, and under a week's notice.
        short = check(manager.post(f"/capacity-confirmations/{weeks[1]['id']}/transitions", {
            "trigger": "confirm", "available_hours": 40, "available_from": "2027-01-16"}),
            "/capacity-confirmations/{id}/transitions", "post", 200)
    assert (short["state"], short["short_notice"]) == ("confirmed_late", True)
    assert occurrences(app, hf) == [("missed-capacity-confirmation", date(2027, 1, 12), "CAP-00002")] * 2
    with app.app_context():  # the contract's rolling rule counts them: a warning notice and no new packages
        rules = {b.rule_id for b in db.session.scalars(select(BreachRecord).where(BreachRecord.contract_id == hf))}
    assert "capacity-not-confirmed" in rules
    assert api("provider_manager").get(f"/capacity-confirmations/{first['id']}").status_code == 404


def test_the_capacity_pages_await_a_week_and_record_its_confirmation(app, login_as):
    from tests.conftest import assert_page
    from tests.integration.test_duties import page_text

    hf = contract_id(app, "HC-2024-05")
    with time_machine.travel("2027-01-05T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        assert_page(manager.get("/capacity-confirmations/new"), "Await weekly capacity confirmations")
        started = manager.post_form("/capacity-confirmations/new", {"contract_id": str(hf)})
        assert started.status_code == 303, page_text(started)[:2000]
        url = started.headers["Location"]
        assert "Tuesday 5 January 2027" in page_text(manager.get(url))
        problem = manager.post_form(f"{url}/confirm", {"available_from": ["12", "1", "2027"]})
        assert "Enter the hours available" in assert_page(problem, "Record the capacity confirmation", 422)
        assert manager.post_form(f"{url}/confirm", {"available_hours": "80",
                                                    "available_from": ["12", "1", "2027"]}).status_code == 303
        assert "Confirmed" in page_text(manager.get(url))
        listed = page_text(manager.get("/capacity-confirmations?show=all"))
        assert "CAP-00001" in listed and "CAP-00002" in listed and "Week of Tuesday 12 January 2027" in listed
        assert login_as("provider_manager").get(url).status_code == 404


def test_remedy_computes_the_review_tiers_and_flags_a_provider_figure_that_differs(app, api, login_as):  # noqa: F811
    from models import db
    from models.entities import Contract
    from models.monitoring import KpiResult, MonitoringReturn
    from tests.integration.test_duties import page_text
    from workflows.returns import ReturnState

    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel("2027-02-20T12:00:00+00:00", tick=False):
        package = check(manager.post("/packages", {"contract_id": hf, "person": "SU-0600", "summary": "Calls",
                                                   "referred_at": "2027-01-01T09:00", "started_on": "2027-01-04"}),
                        "/packages", "post", 201)
        check(manager.post(f"/packages/{package['id']}/transitions", {"trigger": "review",
                                                                      "reviewed_on": "2027-02-20"}),
              "/packages/{id}/transitions", "post", 200)
    with app.app_context():  # the provider says every new resident was reviewed within 6 weeks this quarter
        contract = db.session.get(Contract, hf)
        row = MonitoringReturn(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=hf,
                               return_id="bcm-quarterly", name="BCMs", rule="HF-39", period_start=date(2027, 1, 1),
                               period_end=date(2027, 3, 31), label="Q4 2026/27", state=ReturnState.ACCEPTED)
        db.session.add(row)
        db.session.flush()
        for kpi, value in (("BCM 5 (6 weeks)", 100.0), ("BCM 5 (8 weeks)", 100.0)):
            db.session.add(KpiResult(council_id=contract.council_id, provider_id=contract.provider_id,
                                     contract_id=hf, return_row_id=row.id, kpi_id=kpi, period_start=date(2027, 1, 1),
                                     period_end=date(2027, 3, 31), label="Q4 2026/27", numerator=12, denominator=12,
                                     value=value, target="85"))
        db.session.commit()
    with time_machine.travel("2027-03-20T12:00:00+00:00", tick=False):
        body = check(manager.get(f"/contracts/{hf}/computed-kpis"), "/contracts/{key}/computed-kpis", "get", 200)
        page = page_text(login_as("contract_manager").get(f"/contracts/{hf}"))
    assert (body["from"], body["to"]) == ("2027-01-01", "2027-03-31")
    kpis = {k["id"]: k for k in body["items"]}
    # Started 4 January, first reviewed on day 47: outside 6 weeks (due 15 February), inside 8 (due 1 March).
    assert (kpis["BCM 5 (6 weeks)"]["value"], kpis["BCM 5 (6 weeks)"]["reported"],
            kpis["BCM 5 (6 weeks)"]["differs"]) == (0.0, 100.0, True)
    assert (kpis["BCM 5 (8 weeks)"]["value"], kpis["BCM 5 (8 weeks)"]["differs"]) == (100.0, False)
    assert kpis["BCM 6 (95 days)"]["value"] is None  # the next review is not yet due
    assert kpis["BCM 2.2"]["value"] == 0
    assert "Measures Remedy computes from the records" in page and "Differs" in page and "Agrees" in page
    kent = api("provider_manager").get(f"/contracts/{hf}/computed-kpis")
    assert kent.status_code == 404
    cheshire = manager.get(f"/contracts/{contract_id(app, 'ECH-2024-01')}/computed-kpis")
    assert cheshire.status_code == 422 and "no referral or package windows" in cheshire.get_json()["error"]


@pytest.mark.rules("HF-25")
def test_each_review_cycle_missed_is_one_breach_event(app, api):  # noqa: F811
    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel("2027-02-10T12:00:00+00:00", tick=False):
        package = check(manager.post("/packages", {"contract_id": hf, "person": "SU-0700", "summary": "Calls",
                                                   "referred_at": "2027-01-01T09:00", "started_on": "2027-01-04"}),
                        "/packages", "post", 201)
        for trigger, field in (("agree_plan", "agreed_on"), ("allocate_key_worker", "allocated_on"),
                               ("review", "reviewed_on")):
            manager.post(f"/packages/{package['id']}/transitions", {"trigger": trigger, field: "2027-02-10"})
    assert [k for k, _on, _ref in occurrences(app, hf)] == ["late-package-step"] * 2  # the plan and key worker
    _tick(app, datetime(2027, 5, 17, 12, 0, tzinfo=UTC))  # 95 days after 10 February: HF-25 missed
    with time_machine.travel("2027-05-20T12:00:00+01:00", tick=False):
        check(manager.post(f"/packages/{package['id']}/transitions", {"trigger": "review",
                                                                      "reviewed_on": "2027-05-20"}),
              "/packages/{id}/transitions", "post", 200)
    _tick(app, datetime(2027, 8, 25, 12, 0, tzinfo=UTC))  # 95 days after 20 May: the next cycle's HF-25 missed
    with time_machine.travel("2027-08-25T13:00:00+01:00", tick=False):
        now = check(manager.get(f"/packages/{package['id']}"), "/packages/{id}", "get", 200)
    tiers = sorted((d["rule"], d["due_on"], d["status"]) for d in now["deadlines"] if d["rule"] in ("HF-25", "HF-B07"))
    assert tiers == [("HF-25", "2027-05-16", "breached"), ("HF-25", "2027-08-23", "breached"),
                     ("HF-B07", "2027-06-10", "met"), ("HF-B07", "2027-09-20", "running")]
    assert [(on.isoformat(), ref) for _k, on, ref in occurrences(app, hf)][2:] == [
        ("2027-05-16", "POC-00001"), ("2027-08-23", "POC-00001")]
