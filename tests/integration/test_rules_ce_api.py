"""Cheshire East's catalogue rules (shared/domain/rules.md 1.1) exercised through the API, one test per mechanism,
each naming the rules it pins in a `rules` marker (read by tools/rules_coverage.py)."""

from datetime import UTC, datetime

import pytest
import time_machine

from scheduler.tick import tick
from tests.integration import test_contract_rules_api
from tests.integration.test_returns_api import breaches, contract_id, set_due, submit_and_accept, template_kpis

NOW = "2026-12-18T14:00:00+00:00"
provider_manager_token = test_contract_rules_api.provider_manager_token  # a fixture: a token for a named provider
CE = "ECH-2024-01"


def results(api, contract, period_start):
    return {r["kpi"]: r for r in api.every("contract_manager", f"/api/v1/kpi-results?contract={contract}")
            if r["period_start"] == period_start}


def last_closed(api, contract, return_id):
    rows = api.every("contract_manager", f"/api/v1/returns?contract={contract}")
    return max((r for r in rows if r["return"] == return_id and r["period_end"] < NOW[:10]),
               key=lambda r: r["period_start"])


def by_subject(found):
    return {b["subject"]: b for b in found}


@pytest.mark.rules("CE-K02", "CE-K03", "CE-K04", "CE-K05", "CE-K06", "CE-K07", "CE-K08", "CE-K09", "CE-K10",
                   "CE-K11", "CE-C01", "CE-C03", "CE-11", "CE-12", "CE-25", "CE-27", "CE-43", "CE-60")
@time_machine.travel(NOW, tick=False)
def test_the_four_weekly_return_measures_each_kpi_against_the_seed_target(api):
    """Each domain KPI of the 4-weekly 'Monthly' return (CE-27, CE-11) has the seed's target: at target is met, below
    it is a Critical Performance Failure (CE-C01) proposing the Improvement Plan Process (CE-43); CE-K06 is not in
    the Framework table, so its miss is an improvement measure only (CE-12); one missed visit is critical (CE-C03)."""
    ce = contract_id(api, CE)
    row = last_closed(api, ce, "four-weekly")
    kpis = template_kpis(api, row["id"])
    assert kpis == ["CE-K02", "CE-K03", "CE-K04", "CE-K05", "CE-K06", "CE-K07", "CE-K08", "CE-K09", "CE-K10",
                    "CE-K11", "CE-C03"]
    at_target = {"CE-K02": 85, "CE-K03": 90, "CE-K04": 90, "CE-K05": 90, "CE-K06": 90, "CE-K07": 95, "CE-K08": 95,
                 "CE-K09": 95, "CE-K10": 95, "CE-K11": 40}
    figures = {k: [v, 100] for k, v in at_target.items()} | {"CE-C03": [0, None]}
    submit_and_accept(api, row["id"], figures)
    met = results(api, ce, row["period_start"])
    assert {k: met[k]["rag"] for k in at_target} == {k: ("green" if k != "CE-K11" else None) for k in at_target}
    assert met["CE-K11"]["target"] == "Monitor only"  # Well-Led has no figure (A2)
    assert met["CE-K06"]["target"] == "at least 90%" and met["CE-K08"]["target"] == "at least 95%"
    assert "85%" in met["CE-K03"]["target"] and "90%" in met["CE-K03"]["target"]  # A2: both targets shown
    assert breaches(api, ce, "critical-kpi-missed") == [] and breaches(api, ce, "non-delivery") == []

    below = {k: [v - 1, 100] for k, v in at_target.items() if k not in ("CE-K03", "CE-K04", "CE-K07", "CE-K11")}
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions",
        {"trigger": "correct", "figures": figures | below | {"CE-K03": [86, 100], "CE-C03": [1, None]}}, 200)
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions", {"trigger": "accept"}, 200)
    missed = results(api, ce, row["period_start"])
    assert {k: missed[k]["rag"] for k in below} == dict.fromkeys(below, "red")
    assert missed["CE-K03"]["rag"] == "amber"  # between the two targets: flagged, not a breach (A2)
    critical = by_subject(breaches(api, ce, "critical-kpi-missed"))
    assert sorted(critical) == ["CE-K02", "CE-K05", "CE-K08", "CE-K09", "CE-K10"]
    assert all(b["immediate"] and b["actions"] == ["case", "action-plan"] for b in critical.values())
    assert all("CE-C01" in b["cites"] and "CE-43" in b["cites"] for b in critical.values())
    (concern,) = breaches(api, ce, "kpi-missed")
    assert (concern["subject"], concern["actions"], concern["cites"]) == ("CE-K06", ["concern"], "CE-12")
    (non_delivery,) = breaches(api, ce, "non-delivery")
    assert non_delivery["immediate"] and non_delivery["actions"] == ["case"] and "CE-C03" in non_delivery["cites"]


@pytest.mark.rules("CE-K01", "CE-13", "CE-28")
@time_machine.travel(NOW, tick=False)
def test_outcome_reviews_are_a_quarterly_share_of_a_quarter_of_service_users(api):
    """CE-K01 (A11): reviews x of y Service Users per quarter (CE-28, CE-13) score x / (y * 25%), target 95%."""
    ce = contract_id(api, CE)
    row = last_closed(api, ce, "quarterly")
    assert template_kpis(api, row["id"]) == ["CE-K01"]
    submit_and_accept(api, row["id"], {"CE-K01": [24, 100]})
    result = results(api, ce, row["period_start"])["CE-K01"]
    assert (result["value"], result["rag"], result["target"]) == (96.0, "green", "at least 95%")
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions",
        {"trigger": "correct", "figures": {"CE-K01": [23, 100]}}, 200)
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions", {"trigger": "accept"}, 200)
    result = results(api, ce, row["period_start"])["CE-K01"]
    assert (result["value"], result["rag"]) == (92.0, "red")
    assert [b["subject"] for b in breaches(api, ce, "critical-kpi-missed")] == ["CE-K01"]


@pytest.mark.rules("CE-16", "CE-18", "CE-29", "CE-04")
@time_machine.travel(NOW, tick=False)
def test_the_annual_return_and_the_survey_are_due_by_30_april(app, api):
    """CE-29 and CE-18: the Annual Monitoring Return and the survey results (CE-16, each calendar year) are due by
    30 April; missing them is a Service failure dealt with by contractual action (CE-04)."""
    ce = contract_id(api, CE)
    rows = api.every("contract_manager", f"/api/v1/returns?contract={ce}")
    survey = next(r for r in rows if r["return"] == "survey" and r["period_start"] == "2025-01-01")
    annual = next(r for r in rows if r["return"] == "annual" and r["period_start"] == "2025-04-01")
    assert (survey["due_on"], annual["due_on"]) == ("2026-04-30", "2026-04-30")
    assert breaches(api, ce, "annual-return-late") == []
    with app.app_context():
        tick(datetime(2026, 12, 18, 14, tzinfo=UTC), deliver_messages=False)  # the day's first sweep evaluates
    late = by_subject(breaches(api, ce, "annual-return-late"))
    assert set(late) == {"survey", "annual"}
    assert all(b["actions"] == ["case"] and "CE-18" in b["cites"] and "CE-29" in b["cites"] for b in late.values())


@pytest.mark.rules("CE-K14", "CE-K15", "CE-30", "CE-26")
@time_machine.travel(NOW, tick=False)
def test_a_queried_return_lowers_accuracy_and_inaccurate_data_is_a_service_failure(api):
    """CE-K15 (accuracy) is the share of returns the council accepts without a query, computed by Remedy, never asked
    of the provider (CE-K14 neither; CE-26: the council's template); below 95% it is a Service Failure (CE-30)."""
    ce = contract_id(api, CE)
    set_due(api, ce, "four-weekly", "quarterly")
    rows = api.every("contract_manager", f"/api/v1/returns?contract={ce}")
    closed = sorted((r for r in rows if r["return"] == "four-weekly" and r["period_end"] < NOW[:10]),
                    key=lambda r: r["period_start"])
    row, before = closed[-1], closed[-2]
    kpis = template_kpis(api, row["id"])
    assert "CE-K14" not in kpis and "CE-K15" not in kpis
    good = {k: [100, 100] for k in kpis} | {"CE-C03": [0, None]}
    # Last period's return falls due in this one: it is queried once before it is accepted.
    api("contract_manager", "POST", f"/api/v1/returns/{before['id']}/transitions",
        {"trigger": "submit", "figures": good, "submitted_on": before["due_on"]}, 200)
    api("contract_manager", "POST", f"/api/v1/returns/{before['id']}/transitions",
        {"trigger": "query", "reason": "The visit counts do not match the ECM extract"}, 200)
    submit_and_accept(api, before["id"], good, submitted_on=before["due_on"])
    submit_and_accept(api, row["id"], good, submitted_on=min(row["due_on"] or NOW[:10], NOW[:10]))
    assert results(api, ce, row["period_start"])["CE-K14"]["value"] == 100  # each return due in it came on time
    accuracy = results(api, ce, row["period_start"])["CE-K15"]
    assert accuracy["value"] < 95 and accuracy["rag"] == "red" and accuracy["target"] == "at least 95%"
    (inaccurate,) = breaches(api, ce, "inaccurate-data")
    assert inaccurate["subject"] == "CE-K15" and "CE-30" in inaccurate["cites"]


@pytest.mark.rules("CE-C04")
@time_machine.travel(NOW, tick=False)
def test_two_care_plan_delays_in_three_months_are_a_critical_failure(api):
    """CE-C04 (A9): a Care Plan delay of more than 7 days more than once in any 3 months is critical."""
    ce = contract_id(api, CE)
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "care-plan-delay", "on": "2026-08-03", "ref": "Care Plan for SU-14"}, 201)
    assert breaches(api, ce, "care-plan-delays") == []
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "care-plan-delay", "on": "2026-10-30", "ref": "Care Plan for SU-22"}, 201)
    (delays,) = breaches(api, ce, "care-plan-delays")
    assert "CE-C04" in delays["cites"] and delays["immediate"]


@pytest.mark.rules("CE-K12", "CE-C02", "CE-52", "CE-K13", "CE-53")
@time_machine.travel(NOW, tick=False)
def test_an_inadequate_cqc_or_local_rating_proposes_a_default_at_once(api):
    """CE-K12/CE-C02/CE-52: a CQC 'inadequate' is a default plus suspension with immediate effect; CE-K13/CE-53: a
    Local Quality Rating of Inadequate is a default plus a referral embargo. Both are found when recorded."""
    ce = contract_id(api, CE)
    provider = api("contract_manager", "GET", f"/api/v1/contracts/{ce}", status=200)["provider"]["id"]
    assert breaches(api, ce, "local-rating-inadequate") == []
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "rating:local", "on": "2026-12-17", "value": "inadequate"}, 201)
    (local,) = breaches(api, ce, "local-rating-inadequate")
    assert local["actions"] == ["default", "embargo"] and "CE-53" in local["cites"]
    api("contract_manager", "POST", f"/api/v1/providers/{provider}/cqc-ratings",
        {"rating": "inadequate", "rated_on": "2026-12-17"}, 201)
    (cqc,) = breaches(api, ce, "cqc-inadequate")
    assert cqc["actions"] == ["default", "suspension"] and cqc["immediate"] and "CE-52" in cqc["cites"]


COUNCIL_SET = {"quality-assurance-summary": "CE-03", "financial-records": "CE-07", "extra-outcome-review": "CE-15",
               "insight-issues": "CE-19", "spot-check-issues": "CE-50", "policies-assurance": "CE-01",
               "outcome-review-results": "CE-14", "survey-results": "CE-17", "low-level-concern": "CE-31",
               "visit-records": "CE-49", "outcomes-framework": "CE-55", "social-value-cba": "CE-56"}


@pytest.mark.rules("CE-03", "CE-07", "CE-15", "CE-19", "CE-50", "CE-01", "CE-14", "CE-17", "CE-31", "CE-49",
                   "CE-55", "CE-56")
def test_each_council_request_takes_the_date_the_council_sets_and_a_late_answer_is_counted(app, api):
    """CE-03, CE-07, CE-15, CE-19, CE-50 and the loosely timed duties (CE-01, CE-14, CE-17, CE-31, CE-49, CE-55,
    CE-56) are requests whose date the council gives when it asks; an answer after it is a late answer."""
    ce = contract_id(api, CE)
    made = {}
    with time_machine.travel("2027-01-04T10:00:00+00:00", tick=False):
        for kind, rule in COUNCIL_SET.items():
            no_date = api("contract_manager", "POST", "/api/v1/requests", {
                "contract_id": ce, "request_type": kind, "asked_on": "2027-01-04", "what_asked": "x"}, 422)
            assert no_date["field"] == "due_on", kind
            made[kind] = api("contract_manager", "POST", "/api/v1/requests", {
                "contract_id": ce, "request_type": kind, "asked_on": "2027-01-04", "due_on": "2027-01-08",
                "what_asked": f"As the contract says ({rule})"}, 201)
    assert {k: (r["rule"], r["due_on"], r["state"]) for k, r in made.items()} == {
        k: (rule, "2027-01-08", "open") for k, rule in COUNCIL_SET.items()}
    with app.app_context():
        tick(datetime(2027, 1, 11, 9, 0, tzinfo=UTC), deliver_messages=False)
    with time_machine.travel("2027-01-11T10:00:00+00:00", tick=False):
        concern = api("contract_manager", "GET", f"/api/v1/requests/{made['low-level-concern']['id']}", status=200)
        assert (concern["state"], concern["late"]) == ("overdue", True)
        answered = api("contract_manager", "POST", f"/api/v1/requests/{concern['id']}/transitions", {
            "trigger": "answer", "answered_on": "2027-01-11", "answer": "Resolved with the resident and the council"},
            200)
    assert (answered["state"], answered["late"]) == ("answered", True)


@pytest.mark.rules("CE-32", "CE-45")
@time_machine.travel(NOW, tick=False)
def test_the_council_adds_an_action_to_the_siap_it_then_agrees(api, provider_manager_token):
    """CE-32: the Service Improvement Action Plan is agreed with the Council, which may add actions; CE-45: it is due
    within the time the Improvement Notice sets, and agreeing and signing it meets that deadline."""
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": CE, "summary": "Punctuality (CE-K02)"}, 201)
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "Punctuality 81%", "required_action": "A SIAP"}, 201)
    issued = api("contract_manager", "POST", f"/api/v1/notices/{notice['id']}/transitions",
                 {"trigger": "issue", "served_on": "2026-12-18", "method": "hand", "plan_due_days": 5}, 200)
    assert [(d["rule"], d["due_on"]) for d in issued["deadlines"]] == [("CE-45", "2026-12-29")]
    meadowbank = provider_manager_token("PRV-001")
    plan = api(meadowbank, "POST", f"/api/v1/cases/{case['id']}/action-plans", {"notice": notice["id"]}, 201)
    row = {"current_performance": "81%", "rag": "red", "owner": "Registered manager", "expected_outcome": "85%",
           "deadline": "2027-03-31"}
    api(meadowbank, "POST", f"/api/v1/action-plans/{plan['id']}/rows",
        {**row, "kpi": "CE-K02", "issue": "Rota gaps", "action": "Recruit two carers"}, 201)
    api("council_viewer", "POST", f"/api/v1/action-plans/{plan['id']}/rows",
        {**row, "kpi": "CE-K02", "issue": "Travel time", "action": "x"}, 403)
    api("contract_manager", "POST", f"/api/v1/action-plans/{plan['id']}/rows",
        {**row, "kpi": "CE-K02", "issue": "Travel time not rostered", "action": "Roster travel time"}, 201)
    for who, trigger in ((meadowbank, "submit"), ("contract_manager", "agree"), (meadowbank, "sign_off")):
        signed = api(who, "POST", f"/api/v1/action-plans/{plan['id']}/transitions", {"trigger": trigger}, 200)
    assert [r["action"] for r in signed["frozen"]["rows"]] == ["Recruit two carers", "Roster travel time"]
    notice_now = api("contract_manager", "GET", f"/api/v1/notices/{notice['id']}", status=200)
    assert notice_now["state"] == "closed" and [d["status"] for d in notice_now["deadlines"]] == ["met"]


@pytest.mark.rules("CE-58")
@time_machine.travel(NOW, tick=False)
def test_a_safeguarding_concern_moves_through_the_states_the_monthly_return_reports(api):
    """CE-58: the monthly return reports First Accounts and Care Concerns raised, enquiries and their outcomes; a
    concern on the Cheshire East provider moves raised, triaged, enquiry, concluded with an outcome."""
    provider = api("contract_manager", "GET", f"/api/v1/contracts/{contract_id(api, CE)}", status=200)["provider"]
    raised = api("safeguarding_officer", "POST", "/api/v1/safeguarding-concerns", {
        "provider": provider["id"], "type": "care_concern", "details": "Medication missed twice",
        "raised_on": "2026-12-14"}, 201)
    assert raised["state"] == "raised"
    states = []
    for step in ({"trigger": "triage", "decision": "Enquiry needed"},
                 {"trigger": "commence_enquiry", "commenced_on": "2026-12-15"},
                 {"trigger": "conclude", "outcome": "partially_substantiated", "summary": "Rota gap on two days"}):
        states.append(api("safeguarding_officer", "POST", f"/api/v1/safeguarding-concerns/{raised['id']}/transitions",
                          step, 200)["state"])
    assert states == ["triaged", "enquiry", "concluded"]
    concluded = api("safeguarding_officer", "GET", f"/api/v1/safeguarding-concerns/{raised['id']}", status=200)
    assert concluded["outcome"] == "partially_substantiated"
