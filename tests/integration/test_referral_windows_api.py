"""H&F referral windows by how soon the package starts, by grade and as Brokerage sets them, and the package's
extra-hours and 'no reply' rules, through the API (issue 15, item 2; rules.md HF-R02 to HF-R09, HF-54, HF-63).

Every window counts real hours in Europe/London from the moment the referral was received (a winter date, so GMT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.integration.test_duties import api  # noqa: F401  (the api fixture)
from tests.integration.test_financial_changes import check, contract_id

RECEIVED = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)  # a Tuesday in January: Europe/London is UTC


def _deadline(record: dict, kind: str) -> dict:
    return next(d for d in record["deadlines"] if d["kind"] == kind)


def _due_hours(record: dict, kind: str) -> float:
    due = datetime.fromisoformat(_deadline(record, kind)["due_at"]).astimezone(UTC)
    return (due - RECEIVED).total_seconds() / 3600


@pytest.mark.rules("HF-R02", "HF-R03", "HF-R04", "HF-R05", "HF-R06", "HF-R07", "HF-R08")
@pytest.mark.parametrize(("starts_in_hours", "grade", "rule", "hours", "grade_rule", "grade_hours"), [
    (12, "urgent", "HF-R02", 2, "HF-R06", 3),  # the package starts within 24 hours: answer within 2
    (48, "medium", "HF-R03", 24, "HF-R07", 24),  # within 3 days: 24 hours
    (120, "standard", "HF-R04", 48, "HF-R08", 48),  # within 7 days: 48 hours
    (400, "standard", "HF-R05", 72, "HF-R08", 48),  # later: 72 hours
])
def test_the_response_window_follows_how_soon_the_package_starts_and_the_grade_sets_the_start(
        app, api, starts_in_hours, grade, rule, hours, grade_rule, grade_hours):  # noqa: F811
    hf = contract_id(app, "HC-2024-05")
    starts_at = (RECEIVED + timedelta(hours=starts_in_hours)).strftime("%Y-%m-%dT%H:%M")
    with time_machine.travel(RECEIVED, tick=False):
        created = check(api("contract_manager").post("/referrals", {
            "contract_id": hf, "person": "SU-7001", "summary": "Two calls a day", "grade": grade,
            "received_at": "2027-01-12T09:00", "starts_at": starts_at}), "/referrals", "post", 201)
    assert (created["response_rule"], created["response_hours"]) == (rule, hours)
    assert (_deadline(created, "referral_response")["rule"], _due_hours(created, "referral_response")) == (rule, hours)
    assert (_deadline(created, "referral_started")["rule"], _due_hours(created, "referral_started")) == \
        (grade_rule, grade_hours)
    assert "real hours" in " ".join(_deadline(created, "referral_response")["explanation"])


@pytest.mark.rules("HF-R09")
def test_brokerage_may_set_its_own_response_time(app, api):  # noqa: F811
    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel(RECEIVED, tick=False):
        refused = manager.post("/referrals", {
            "contract_id": hf, "person": "SU-7002", "summary": "Night calls", "grade": "standard",
            "received_at": "2027-01-12T09:00", "starts_at": "2027-01-30T09:00", "response_hours": 0})
        assert refused.status_code == 422 and "whole number of hours from 1 to 168" in refused.get_json()["error"]
        created = check(manager.post("/referrals", {
            "contract_id": hf, "person": "SU-7002", "summary": "Night calls", "grade": "standard",
            "received_at": "2027-01-12T09:00", "starts_at": "2027-01-30T09:00", "response_hours": 6}),
            "/referrals", "post", 201)
    assert (created["response_rule"], created["response_hours"]) == ("HF-R09", 6)
    assert _due_hours(created, "referral_response") == 6


@pytest.mark.rules("HF-54", "HF-63")
def test_late_agreed_extra_hours_are_unpaid_and_a_no_reply_outcome_suspends_the_package(app, api):  # noqa: F811
    hf = contract_id(app, "HC-2024-05")
    manager = api("contract_manager")
    with time_machine.travel(RECEIVED, tick=False):
        package = check(manager.post("/packages", {
            "contract_id": hf, "person": "SU-7003", "summary": "Personal care, three calls a day",
            "referred_at": "2027-01-04T09:00", "started_on": "2027-01-05"}), "/packages", "post", 201)
        step = f"/packages/{package['id']}/transitions"
        # HF-54: agreed 23 hours after delivery is paid; 25 hours after is not.
        paid = check(manager.post(step, {"trigger": "record_extra_hours", "extra_hours": 2,
                                         "delivered_at": "2027-01-10T10:00", "agreed_at": "2027-01-11T09:00"}),
                     "/packages/{id}/transitions", "post", 200)
        assert paid["events"][-1]["data"]["unpaid"] is False
        unpaid = check(manager.post(step, {"trigger": "record_extra_hours", "extra_hours": 3,
                                           "delivered_at": "2027-01-10T10:00", "agreed_at": "2027-01-11T11:00"}),
                       "/packages/{id}/transitions", "post", 200)
        assert unpaid["events"][-1]["data"]["unpaid"] is True and unpaid["unpaid_extra_hours"] == 3
        # HF-63: the council passes back the outcome of a 'no reply' follow-up, and the package is suspended.
        refused = manager.post(step, {"trigger": "suspend_after_no_reply"})
        assert refused.status_code == 422 and "no reply" in refused.get_json()["error"]
        suspended = check(manager.post(step, {"trigger": "suspend_after_no_reply",
                                              "reason": "No reply at the door; the resident is safe with family"}),
                          "/packages/{id}/transitions", "post", 200)
        assert suspended["state"] == "suspended" and suspended["events"][-1]["event"] == "PACKAGE_SUSPENDED"
        resumed = check(manager.post(step, {"trigger": "resume", "reason": "Family visit ended; calls restart"}),
                        "/packages/{id}/transitions", "post", 200)
        assert resumed["state"] == "active"
        # The provider may not decide a 'no reply' outcome.
        provider = api("provider_manager").post(step, {"trigger": "suspend_after_no_reply", "reason": "x"})
        assert provider.status_code in (403, 404)
