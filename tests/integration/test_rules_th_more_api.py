"""Thurrock's supported accommodation rules beyond the hard outcomes (shared/domain/rules.md 1.4), exercised through
the API. Each test names the rules it pins in a `rules` marker (read by tools/rules_coverage.py)."""

import pytest
import time_machine

from tests.integration.test_returns_api import contract_id

THURROCK = "SL-2025-02"


@pytest.mark.rules("TH-13")
@time_machine.travel("2027-01-04T10:00:00+00:00", tick=False)
def test_extra_monitoring_information_is_due_by_the_date_the_team_sets(api):
    """TH-13: among its monitoring methods the Contracts and Compliance Team asks for extra monitoring information;
    the seed gives no period, so the team sets the date when it asks and a request without one is refused."""
    th = contract_id(api, THURROCK)
    no_date = api("contract_manager", "POST", "/api/v1/requests", {
        "contract_id": th, "request_type": "extra-monitoring-information", "asked_on": "2027-01-04",
        "what_asked": "Move-on outcomes for the last quarter"}, 422)
    assert no_date["field"] == "due_on"
    asked = api("contract_manager", "POST", "/api/v1/requests", {
        "contract_id": th, "request_type": "extra-monitoring-information", "asked_on": "2027-01-04",
        "due_on": "2027-01-15", "what_asked": "Move-on outcomes for the last quarter"}, 201)
    assert (asked["rule"], asked["due_on"], asked["state"]) == ("TH-13", "2027-01-15", "open")
    assert any("The council set the date" in line for line in asked["deadlines"][0]["explanation"])


@pytest.mark.rules("TH-15")
@time_machine.travel("2026-12-18T14:00:00+00:00", tick=False)
def test_financial_due_diligence_is_a_return_once_a_financial_year(api):
    """TH-15: the Council carries out due diligence on the provider's financial standing at least annually: the
    provider's financial information is a return due once a financial year, accepted when the check is done."""
    from tests.integration.test_rules_hf_monitoring_api import row_for, send

    th = contract_id(api, THURROCK)
    row = row_for(api, th, "financial-due-diligence", "2025-04-01")
    assert (row["name"], row["period"], row["period_end"], row["state"]) == (
        "Financial information for the Council's annual due diligence", "Financial year 2025-26", "2026-03-31", "due")
    send(api, row, {}, "submit")
    assert row_for(api, th, "financial-due-diligence", "2025-04-01")["state"] == "accepted"


@pytest.mark.rules("TH-25", "TH-04", "TH-07", "TH-10", "TH-06")
@time_machine.travel("2026-12-18T14:00:00+00:00", tick=False)
def test_every_service_user_has_both_plans_from_the_start_and_reviews_and_refusals_are_monitored(api):
    """TH-25: every Service User has a Person-Centred Plan and a move-on plan from the start, so one without is a
    miss; TH-04 (joint support reviews 'at regular intervals') and TH-07 (refusals reported to the
    Project Panel, which monitors them for fair access), TH-10 (progress reviews by ASC and the Provider,
    'regularly') and TH-06 (referrals assessed, preferably jointly with the Allocated Social Worker) have no figure:
    shown, never judged, nothing proposed."""
    from tests.integration.test_returns_api import template_kpis
    from tests.integration.test_rules_hf_monitoring_api import proposed, results, row_for, send

    th = contract_id(api, THURROCK)
    row = row_for(api, th, "service-users", "2026-07-01")
    monitored = {"Joint support reviews": [3, 8], "Applicants refused": [2, None], "Progress reviews": [5, 8],
                 "Joint assessments": [1, 2]}
    assert template_kpis(api, row["id"]) == ["Plans from the start", *monitored]
    send(api, row, {"Plans from the start": [0, None]} | monitored, "submit")
    shown = results(api, th, "2026-07-01")
    assert (shown["Plans from the start"]["rag"], shown["Plans from the start"]["target"]) == ("green", "at most 0")
    assert {k: (shown[k]["rag"], shown[k]["target"]) for k in monitored} == dict.fromkeys(
        monitored, (None, "Monitor only"))
    assert (shown["Applicants refused"]["value"], shown["Progress reviews"]["value"]) == (2.0, 62.5)
    send(api, row, {"Plans from the start": [1, None]} | monitored, "correct")
    assert results(api, th, "2026-07-01")["Plans from the start"]["rag"] == "red"
    assert not any(subject in monitored for _rule, subject in proposed(api, th))
