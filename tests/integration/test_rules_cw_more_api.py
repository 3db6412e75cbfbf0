"""Cornwall's leaving care rules beyond the KPIs (shared/domain/rules.md 1.3), exercised through the API. Each test
names the rules it pins in a `rules` marker (read by tools/rules_coverage.py)."""

import pytest
import time_machine

from tests.integration.test_returns_api import contract_id

CORNWALL = "LC-2024-03"


@pytest.mark.rules("CW-02")
def test_a_service_request_needs_a_response_the_same_working_day(api):
    """CW-02: in core operational hours a service request gets a same-day response: due by the end of the working
    day it is made, or of the next working day when it comes in on a weekend (Saturday 9 January 2027: Monday the
    11th). Another contract's rulebook offers no such request."""
    cw = contract_id(api, CORNWALL)
    with time_machine.travel("2027-01-06T09:30:00+00:00", tick=False):  # a Wednesday
        weekday = api("contract_manager", "POST", "/api/v1/requests", {
            "contract_id": cw, "request_type": "service-request", "asked_on": "2027-01-06",
            "what_asked": "Support for a care leaver whose tenancy ends on Friday"}, 201)
        kent = api("contract_manager", "POST", "/api/v1/requests", {
            "contract_id": contract_id(api, "LDDS-2023-07"), "request_type": "service-request",
            "asked_on": "2027-01-06", "what_asked": "x"}, 422)
    assert (weekday["rule"], weekday["due_on"], weekday["state"]) == ("CW-02", "2027-01-06", "open")
    assert kent["field"] == "request_type"
    with time_machine.travel("2027-01-09T11:00:00+00:00", tick=False):  # a Saturday
        weekend = api("contract_manager", "POST", "/api/v1/requests", {
            "contract_id": cw, "request_type": "service-request", "asked_on": "2027-01-09",
            "what_asked": "A young person asks for help with a bond"}, 201)
    assert weekend["due_on"] == "2027-01-11"
    assert any("A52" in line for line in weekend["deadlines"][0]["explanation"])
    with time_machine.travel("2027-01-06T16:00:00+00:00", tick=False):
        answered = api("contract_manager", "POST", f"/api/v1/requests/{weekday['id']}/transitions", {
            "trigger": "answer", "answered_on": "2027-01-06", "answer": "PA visited; emergency accommodation found"},
            200)
    assert (answered["state"], answered["late"], answered["deadlines"][0]["status"]) == ("answered", False, "met")


@pytest.mark.rules("CW-04", "CW-19", "CW-17", "CW-21")
@time_machine.travel("2026-12-18T14:00:00+00:00", tick=False)
def test_safer_recruitment_and_emergency_payments_each_quarter_and_the_annual_compliance_check(api):
    """CW-04: every starter DBS checked and with references sought first, so one starter without is a miss;
    CW-19: the provider's manager authorises emergency payments up to £30 only, so any above is a miss; CW-17: the
    PA attends every Child in Care review until the 18th birthday unless excused in advance. CW-21: the
    annual check of all contract compliance requirements is a return once a financial year."""
    from tests.integration.test_returns_api import template_kpis
    from tests.integration.test_rules_hf_monitoring_api import results, row_for, send

    cw = contract_id(api, CORNWALL)
    row = row_for(api, cw, "safer-recruitment", "2026-07-01")
    kpis = ["Safer recruitment", "Emergency payments over £30", "CiC reviews attended"]
    assert template_kpis(api, row["id"]) == kpis
    send(api, row, dict.fromkeys(kpis, [0, None]), "submit")
    met = results(api, cw, "2026-07-01")
    assert {k: (met[k]["rag"], met[k]["target"]) for k in kpis} == dict.fromkeys(kpis, ("green", "at most 0"))
    send(api, row, dict.fromkeys(kpis, [1, None]), "correct")
    missed = results(api, cw, "2026-07-01")
    assert {k: missed[k]["rag"] for k in kpis} == dict.fromkeys(kpis, "red")

    check = row_for(api, cw, "compliance-check", "2025-04-01")
    assert (check["name"], check["period"], check["state"]) == (
        "Annual check of all contract compliance requirements", "Financial year 2025-26", "due")
    send(api, check, {}, "submit")
    assert row_for(api, cw, "compliance-check", "2025-04-01")["state"] == "accepted"
