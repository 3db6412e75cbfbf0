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
