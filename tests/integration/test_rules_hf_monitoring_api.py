"""Hammersmith & Fulham's Business Critical Measures and key measures (shared/domain/rules.md 1.5.1) exercised
through the API: the seed's targets, what a miss proposes, the events the council records (CQC rating, capacity
not confirmed, an unfair refusal), and the duties to notify and the request in the rulebook. Referrals and packages
are not here. Each test names the rules it pins in a
`rules` marker (read by tools/rules_coverage.py)."""

import pytest
import time_machine

from tests.integration.test_returns_api import breaches, contract_id, template_kpis

NOW = "2026-12-18T14:00:00+00:00"
HF = "HC-2024-05"
# BCM: the seed's target (section 8.9 and the 5.27 table); each is met at it and missed one point below.
BCMS = {"BCM 3": 85, "BCM 4": 90, "BCM 5 (6 weeks)": 85, "BCM 5 (8 weeks)": 95, "BCM 6 (95 days)": 85,
        "BCM 6 (4 months)": 95, "BCM 7": 85, "BCM 8": 85, "BCM 9": 85, "BCM 10 (Requirement 1)": 95,
        "BCM 10 (Requirement 2)": 100}


def row_for(api, contract, return_id, start):
    rows = api.every("contract_manager", f"/api/v1/returns?contract={contract}")
    return next(r for r in rows if r["return"] == return_id and r["period_start"] == start)


def results(api, contract, start):
    return {r["kpi"]: r for r in api.every("contract_manager", f"/api/v1/kpi-results?contract={contract}")
            if r["period_start"] == start}


def send(api, row, figures, trigger):
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions",
        {"trigger": trigger, "figures": figures}, 200)
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions", {"trigger": "accept"}, 200)


def proposed(api, contract):
    breaches = api.every("contract_manager", f"/api/v1/breaches?contract={contract}")
    return {(b["rule_id"], b["subject"]): b["actions"] for b in breaches if b["status"] == "proposed"}


@pytest.mark.rules("HF-B04", "HF-B05", "HF-B06", "HF-B07", "HF-B08", "HF-B09", "HF-B10", "HF-B11", "HF-40", "HF-19",
                   "HF-24", "HF-25", "HF-36")
@time_machine.travel(NOW, tick=False)
def test_each_bcm_has_the_seeds_target_and_a_miss_asks_for_an_action_plan(api):
    """BCM 3 to 10 at target are met. One point below, BCM 3, 4, 7 and 8 (HF-B04, B05, B08, B09) each ask for an
    action plan (HF-40); BCM 5 and 6 are two tiers read together (HF-B06, HF-B07, A44); BCM 10's two requirements
    together (HF-B11, A46); BCM 9, family and friends (HF-B10), has no consequence beyond a concern (A45). BCM 3 is
    visits at times that meet needs (HF-19), BCM 5 and 6 the reviews' percentages (HF-24, HF-25), BCM 8 the workers'
    survey (HF-36)."""
    hf = contract_id(api, HF)
    row = row_for(api, hf, "bcm-quarterly", "2026-07-01")
    assert template_kpis(api, row["id"]) == list(BCMS)
    send(api, row, {k: [t, 100] for k, t in BCMS.items()}, "submit")
    met = results(api, hf, row["period_start"])
    assert {k: (met[k]["rag"], met[k]["target"]) for k in BCMS} == {
        k: ("green", f"at least {t}%") for k, t in BCMS.items()}
    assert proposed(api, hf) == {}

    send(api, row, {k: [t - 1, 100] for k, t in BCMS.items()}, "correct")
    assert {k: r["rag"] for k, r in results(api, hf, row["period_start"]).items() if k in BCMS} == dict.fromkeys(
        BCMS, "red")
    assert proposed(api, hf) == {
        ("bcm-missed", "BCM 3"): ["action-plan"], ("bcm-missed", "BCM 4"): ["action-plan"],
        ("bcm-missed", "BCM 7"): ["action-plan"], ("bcm-missed", "BCM 8"): ["action-plan"],
        ("new-resident-reviews-missed", "BCM 5 (6 weeks) + BCM 5 (8 weeks)"): ["action-plan"],
        ("three-monthly-reviews-missed", "BCM 6 (95 days) + BCM 6 (4 months)"): ["action-plan"],
        ("consistency-missed", "BCM 10 (Requirement 1) + BCM 10 (Requirement 2)"): ["action-plan"],
        ("family-satisfaction-missed", "BCM 9"): ["concern"]}

    # A44: missing either tier misses the measure: only the 8-week tier below is still a miss.
    send(api, row, {k: [t, 100] for k, t in BCMS.items()} | {"BCM 5 (8 weeks)": [94, 100]}, "correct")
    assert proposed(api, hf) == {("new-resident-reviews-missed", "BCM 5 (6 weeks) + BCM 5 (8 weeks)"): [
        "action-plan"]}


@pytest.mark.rules("HF-M01", "HF-M02", "HF-M03", "HF-M04", "HF-M05", "HF-M06", "HF-32", "HF-39")
@time_machine.travel(NOW, tick=False)
def test_the_key_measures_of_the_monthly_template(api):
    """The monthly template (HF-39): e-monitoring at 90% (HF-M01) and urgent starts at 100% (HF-M03) are targets
    whose miss is a concern; worker e-monitoring (HF-M02), time-critical visits (HF-M04) and double-up arrivals
    (HF-M05) are monitored only; ASC-WDS records (HF-M06, HF-32) are kept for 90% of staff, once a financial
    year."""
    hf = contract_id(api, HF)
    month = row_for(api, hf, "monthly-template", "2026-11-01")
    kpis = template_kpis(api, month["id"])
    assert kpis == ["BCM 2.1", "BCM 2.2", "E-monitoring", "Worker e-monitoring", "Urgent starts",
                    "Time-critical visits", "Double-up arrivals"]
    send(api, month, {k: [100, 100] for k in kpis} | {"E-monitoring": [90, 100]}, "submit")
    met = results(api, hf, "2026-11-01")
    assert (met["E-monitoring"]["rag"], met["E-monitoring"]["target"]) == ("green", "at least 90%")
    assert (met["Urgent starts"]["rag"], met["Urgent starts"]["target"]) == ("green", "at least 100%")
    for monitored in ("Worker e-monitoring", "Time-critical visits", "Double-up arrivals", "BCM 2.1", "BCM 2.2"):
        assert (met[monitored]["rag"], met[monitored]["target"]) == (None, "Monitor only"), monitored
    assert proposed(api, hf) == {}
    send(api, month, {k: [100, 100] for k in kpis} | {"E-monitoring": [89, 100], "Urgent starts": [19, 20]},
         "correct")
    assert proposed(api, hf) == {("key-measures-missed", "E-monitoring"): ["concern"],
                                 ("key-measures-missed", "Urgent starts"): ["concern"]}

    year = row_for(api, hf, "asc-wds", "2025-04-01")
    assert template_kpis(api, year["id"]) == ["ASC-WDS records"]
    send(api, year, {"ASC-WDS records": [89, 100]}, "submit")
    asc = results(api, hf, "2025-04-01")["ASC-WDS records"]
    assert (asc["rag"], asc["target"]) == ("red", "at least 90%")


@pytest.mark.rules("HF-B01", "HF-B02", "HF-B03", "HF-13", "HF-06", "HF-16")
@time_machine.travel(NOW, tick=False)
def test_a_rating_below_good_a_missed_capacity_confirmation_and_an_unfair_refusal(api):
    """HF-B01/HF-13 (A39): a CQC rating below Good asks for an action plan and stops new business; HF-B02/HF-06: a
    missed weekly capacity confirmation brings a warning notice and no new packages; HF-B03/HF-16: an unfair refusal
    within capacity, a warning notice. The council records each; the rule proposes at once."""
    hf = contract_id(api, HF)
    provider = api("contract_manager", "GET", f"/api/v1/contracts/{hf}", status=200)["provider"]["id"]
    api("contract_manager", "POST", f"/api/v1/providers/{provider}/cqc-ratings",
        {"rating": "requires_improvement", "rated_on": "2026-12-17"}, 201)
    (below_good,) = breaches(api, hf, "cqc-below-good")
    assert below_good["actions"] == ["action-plan", "embargo"] and "HF-B01" in below_good["cites"]
    assert breaches(api, hf, "capacity-not-confirmed") == [] and breaches(api, hf, "unfair-refusal") == []
    for kind in ("missed-capacity-confirmation", "unfair-refusal"):
        api("contract_manager", "POST", f"/api/v1/contracts/{hf}/monitoring-events",
            {"kind": kind, "on": "2026-12-15", "ref": "Week of 14 December"}, 201)
    (capacity,) = breaches(api, hf, "capacity-not-confirmed")
    (refusal,) = breaches(api, hf, "unfair-refusal")
    assert capacity["actions"] == ["notice", "embargo"] and "HF-B02" in capacity["cites"]
    assert refusal["actions"] == ["notice"] and "HF-B03" in refusal["cites"]


DUTIES = {"cqc-change": "HF-14", "staff-safeguarding-concern": "HF-57", "financial-health-change": "HF-84",
          "resident-at-risk": "HF-86"}


@pytest.mark.rules("HF-14", "HF-57", "HF-84", "HF-86", "HF-45")
def test_the_immediate_duties_and_the_council_set_request(api):
    """HF-14, HF-57, HF-84 and HF-86 are told 'immediately', read as the same working day (A52): on a Saturday, by
    Monday; HF-45, additional monitoring information, has a response time agreed when the council asks."""
    hf = contract_id(api, HF)
    with time_machine.travel("2027-01-09T10:00:00+00:00", tick=False):  # a Saturday
        made = {duty: api("contract_manager", "POST", "/api/v1/duty-notifications", {
            "contract_id": hf, "duty": duty, "occurred_on": "2027-01-09", "what_happened": "As the contract says"},
            201) for duty in DUTIES}
        asked = api("contract_manager", "POST", "/api/v1/requests", {
            "contract_id": hf, "request_type": "additional-monitoring-information", "asked_on": "2027-01-08",
            "due_on": "2027-01-15", "what_asked": "Visit logs for the time-critical visits in December"}, 201)
    assert {d: (n["rule"], n["due_on"], n["state"]) for d, n in made.items()} == {
        d: (rule, "2027-01-11", "awaited") for d, rule in DUTIES.items()}
    assert (asked["rule"], asked["due_on"], asked["state"]) == ("HF-45", "2027-01-15", "open")
