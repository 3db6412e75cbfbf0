"""The Kent and Cheshire East ladders end to end through the API, with explicit dates."""

import pytest
import time_machine

NOW = "2026-12-18T14:00:00+00:00"




def fire(api, role, collection, record_id, trigger, status=200, **data):
    return api(role, "POST", f"/api/v1/{collection}/{record_id}/transitions", {"trigger": trigger, **data}, status)


@pytest.mark.rules("KT-07", "KT-14", "KT-17", "KT-18", "KT-19")
@time_machine.travel(NOW, tick=False)
def test_kent_ladder_formal_warning_to_termination(api):
    case = api("contract_manager", "POST", "/api/v1/cases",
               {"contract": "LDDS-2023-07", "summary": "Attendance KPI S3 red for two quarters"}, 201)
    assert case["state"] == "concern" and case["reference"].startswith("CASE-")
    assert "escalate_to_notice" not in case["allowed_triggers"]  # a notice moves the case, not a button
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "S3 attendance 71% against 95%; repeated since Q2",
                  "required_action": "An action plan under section 11.3"}, 201)
    assert notice["title"] == "Formal warning" and notice["state"] == "draft"
    # A provider cannot issue it (403); an unknown trigger is refused (409); bad data is 422.
    fire(api, "provider_manager", "notices", notice["id"], "issue", 403, served_on="2026-12-18", method="hand")
    fire(api, "contract_manager", "notices", notice["id"], "serve", 409)
    bad = fire(api, "contract_manager", "notices", notice["id"], "issue", 422, served_on="2026-12-19",
               method="hand")
    assert "cannot be in the future" in bad["error"] and bad["field"] == "served_on"

    issued = fire(api, "contract_manager", "notices", notice["id"], "issue", served_on="2026-12-18", method="hand")
    assert issued["state"] == "issued"
    (deadline,) = issued["deadlines"]
    assert (deadline["kind"], deadline["rule"], deadline["due_on"], deadline["status"]) == (
        "plan_agreed", "KT-19", "2027-01-06", "running")
    assert deadline["due_at"] == "2027-01-06T23:59:59+00:00"
    assert any("Christmas Day" in line for line in deadline["explanation"])
    case = api("council_viewer", "GET", f"/api/v1/cases/{case['id']}", status=200)
    assert case["state"] == "notice"

    fire(api, "provider_manager", "notices", notice["id"], "acknowledge", received_on="2026-12-18")
    plan = api("provider_manager", "POST", f"/api/v1/cases/{case['id']}/action-plans", {"notice": notice["id"]}, 201)
    fire(api, "provider_manager", "action-plans", plan["id"], "submit", 409)  # no rows yet
    api("provider_manager", "POST", f"/api/v1/action-plans/{plan['id']}/rows", {
        "kpi": "S3", "current_performance": "71% (Q3 2026)", "rag": "red", "issue": "Transport cancellations",
        "action": "Second minibus contract", "owner": "Operations director",
        "expected_outcome": "Attendance at 90% by end of Q1 2027", "deadline": "2027-03-31"}, 201)
    milestone = api("provider_manager", "POST", f"/api/v1/action-plans/{plan['id']}/milestones",
                    {"title": "Minibus contract signed", "due_on": "2027-01-29"}, 201)
    fire(api, "provider_user", "action-plans", plan["id"], "submit", 403)  # provider users cannot submit
    fire(api, "provider_manager", "action-plans", plan["id"], "submit")
    assert api("provider_manager", "GET", f"/api/v1/notices/{notice['id']}")["state"] == "plan_submitted"
    fire(api, "contract_manager", "action-plans", plan["id"], "return_for_changes", comment="Add a review date")
    assert api("provider_manager", "GET", f"/api/v1/notices/{notice['id']}")["state"] == "plan_due"
    fire(api, "provider_manager", "action-plans", plan["id"], "submit")
    fire(api, "contract_manager", "action-plans", plan["id"], "agree")
    signed = fire(api, "provider_manager", "action-plans", plan["id"], "sign_off")
    assert signed["state"] == "in_progress" and signed["frozen"]["rows"][0]["kpi"] == "S3"
    case = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}")
    assert case["state"] == "action_plan"
    # KT-19 met by both parties signing; the agreed milestone is now a deadline of its own.
    assert {d["kind"]: d["status"] for d in case["deadlines"]} == {"plan_agreed": "met", "milestone_due": "running"}
    assert api("contract_manager", "GET", f"/api/v1/notices/{notice['id']}")["state"] == "closed"

    done = fire(api, "provider_user", "milestones", milestone["id"], "mark_done", evidence="Contract signed 20 January")
    assert [d["status"] for d in done["deadlines"]] == ["met"]
    assert done == api("provider_user", "GET", f"/api/v1/milestones/{milestone['id']}")  # answered as it was stored
    fire(api, "contract_manager", "milestones", milestone["id"], "verify")
    # Kent has no Default Notice (rules.md 2.1.1).
    refused = api("commissioning_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices", {}, 409)
    assert "no default notice step" in refused["error"]
    suspension = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/suspensions",
                     {"reason": "Continued failure to deliver on targets (KT-14)"}, 201)
    fire(api, "contract_manager", "suspensions", suspension["id"], "suspend", 403, scope="framework",
         starts_on="2026-12-18", reason="r", lift_conditions="c")
    fire(api, "commissioning_manager", "suspensions", suspension["id"], "suspend", scope="framework",
         starts_on="2026-12-18", reason="KT-14", lift_conditions="Attendance above 90% for a quarter")
    assert api("council_viewer", "GET", f"/api/v1/cases/{case['id']}")["state"] == "suspended"
    termination = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/terminations",
                      {"reason": "Red and the agreed action plan failed (KT-08)"}, 201)
    fire(api, "contract_manager", "terminations", termination["id"], "decide", 403)
    fire(api, "commissioning_manager", "terminations", termination["id"], "decide", decided_on="2026-12-18",
         effective_on="2027-03-31", grounds="Clause 48 (Termination on Default)",
         exit_plan="Transfer to lot 2 providers")
    final = api("council_viewer", "GET", f"/api/v1/cases/{case['id']}")
    assert final["state"] == "terminated" and final["closed_at"]
    events = [e["event"] for e in final["events"]]
    for expected in ("CASE_OPENED", "NOTICE_ISSUED", "CASE_NOTICE_STAGE", "PLAN_SUBMITTED", "PLAN_RETURNED",
                     "PLAN_AGREED", "PLAN_SIGNED_OFF", "MILESTONE_VERIFIED", "SUSPENSION_STARTED",
                     "TERMINATION_DECIDED", "CASE_TERMINATED"):
        assert expected in events


@pytest.mark.rules("CE-35", "CE-36", "CE-37", "CE-40", "CE-45")
@time_machine.travel(NOW, tick=False)
def test_cheshire_east_ladder_notice_default_suspension_reinstatement(api):
    case = api("contract_manager", "POST", "/api/v1/cases",
               {"contract": "ECH-2024-01", "summary": "Punctuality below 95% (CE-K02)"}, 201)
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "Punctuality 81%", "required_action": "A SIAP in the council's format"}, 201)
    assert notice["title"] == "Improvement Notice"
    missing = fire(api, "contract_manager", "notices", notice["id"], "issue", 422, served_on="2026-12-18",
                   method="email")
    assert missing["field"] == "plan_due_days"
    issued = fire(api, "contract_manager", "notices", notice["id"], "issue", served_on="2026-12-17",
                  method="email", plan_due_days=10)
    assert issued["received_on"] == "2026-12-18"
    assert issued["deadlines"][0]["due_on"] == "2027-01-06" and issued["deadlines"][0]["rule"] == "CE-45"

    default = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices", {}, 201)
    serve = {"served_on": "2026-12-18", "method": "hand", "default_description": "Missed visits (CE-C03)",
             "remedial_action": "Restore a full rota", "remedy_days": 5}
    fire(api, "contract_manager", "default-notices", default["id"], "serve", 403, **serve)
    served = fire(api, "commissioning_manager", "default-notices", default["id"], "serve", **serve)
    assert served["number"] == 1 and served["deadlines"][0]["due_on"] == "2026-12-29"
    served_event = next(e for e in served["events"] if e["event"] == "DEFAULT_SERVED")
    assert served_event["data"]["defaults_in_6_months"] == 1
    assert served["events"][-1]["event"] == "LETTER_STORED"  # the served letter, kept with its SHA-256
    assert api("council_viewer", "GET", f"/api/v1/cases/{case['id']}")["state"] == "default"

    second = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices", {}, 201)
    served2 = fire(api, "commissioning_manager", "default-notices", second["id"], "serve", **serve)
    served2_event = next(e for e in served2["events"] if e["event"] == "DEFAULT_SERVED")
    assert served2["number"] == 2 and served2_event["data"]["defaults_in_6_months"] == 2  # CE-38

    suspension = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/suspensions",
                     {"reason": "Default not remedied (CE-37)", "ground": "default-not-remedied"}, 201)
    bad = fire(api, "commissioning_manager", "suspensions", suspension["id"], "suspend", 422, scope="framework",
               starts_on="2026-12-18", reason="r", lift_conditions="c")
    assert "Select the scope" in bad["error"]
    active = fire(api, "commissioning_manager", "suspensions", suspension["id"], "suspend", scope="partial",
                  scope_detail="Scheme B only", starts_on="2026-12-18", reason="CE-37",
                  lift_conditions="Missed visits at zero for four weeks")
    # A suspension of the contract under CE-37 starts no clause 26.1(b) clock: that is CE-33's alone (CE-34).
    assert active["deadlines"] == [] and active["ground"] == "default-not-remedied"
    fire(api, "commissioning_manager", "suspensions", suspension["id"], "begin_reinstatement", phases=[
        {"starts_on": "2027-01-11", "ends_on": "2027-01-31", "scope": "Existing residents", "conditions": "Audit"},
        {"starts_on": "2027-02-01", "scope": "New referrals", "conditions": "Punctuality 95%"}])
    case_now = api("council_viewer", "GET", f"/api/v1/cases/{case['id']}")
    assert case_now["state"] == "reinstating"
    assert "suspension_cure" not in {d["kind"] for d in case_now["deadlines"]}
    fire(api, "commissioning_manager", "suspensions", suspension["id"], "lift", reason="Phases complete")
    resolved = fire(api, "contract_manager", "cases", case["id"], "resolve", reason="Standards restored")
    assert resolved["state"] == "resolved"
    assert all(d["status"] != "running" for d in resolved["deadlines"])


@time_machine.travel(NOW, tick=False)
def test_cornwall_cases_can_only_be_monitored(api):
    case = api("contract_manager", "POST", "/api/v1/cases",
               {"contract": "LC-2024-03", "summary": "KPI 1.6 below target"}, 201)
    assert case["allowed_triggers"] == ["resolve", "withdraw"]
    assert "no" in api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                       {"findings": "f", "required_action": "a"}, 409)["error"]


@pytest.mark.rules("TH-14", "TH-19")
@time_machine.travel(NOW, tick=False)
def test_thurrock_requires_a_plan_directly_then_termination(api):
    case = api("contract_manager", "POST", "/api/v1/cases",
               {"contract": "SL-2025-02", "summary": "KPI 1 throughput below target"}, 201)
    assert api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/action-plans", {}, 422)["field"] == (
        "due_days")
    plan = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/action-plans", {"due_days": 10}, 201)
    assert plan["due_on"] == "2027-01-06" and plan["deadlines"][0]["rule"] == "TH-19"
    assert api("council_viewer", "GET", f"/api/v1/cases/{case['id']}")["state"] == "action_plan"
    api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/terminations",
        {"reason": "KPI 1 still not met at the next Reporting Period (TH-20)"}, 201)
    assert api("council_viewer", "GET", f"/api/v1/cases/{case['id']}")["state"] == "termination_considered"


@time_machine.travel(NOW, tick=False)
def test_provider_tokens_see_only_their_own_cases(api):
    own = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "Own"}, 201)
    other = api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": "Other"}, 201)
    listed = api("provider_user", "GET", "/api/v1/cases")
    assert [c["id"] for c in listed["items"]] == [own["id"]] and listed["total"] == 1
    api("provider_user", "GET", f"/api/v1/cases/{other['id']}", status=404)
    fire(api, "provider_manager", "cases", other["id"], "resolve", 404, reason="x")
    api("provider_manager", "POST", f"/api/v1/cases/{other['id']}/action-plans", {}, 404)
    api("provider_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "x"}, 403)


@time_machine.travel(NOW, tick=False)
def test_stale_version_is_a_409_that_says_what_changed(api):
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": "s"}, 201)
    fire(api, "contract_manager", "cases", case["id"], "withdraw", reason="Raised in error")
    stale = fire(api, "contract_manager", "cases", case["id"], "resolve", 409, reason="x", version=case["version"])
    assert "Someone else changed this case" in stale["error"] and "withdrawn" in stale["error"]


@time_machine.travel(NOW, tick=False)
def test_case_list_filters_and_pages(api):
    for n in range(3):  # a second open case on a contract says why (ux #7)
        api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": f"s{n}",
                                                          "second_case_reason": "another lot" if n else None}, 201)
    api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "k"}, 201)
    page = api("council_viewer", "GET", "/api/v1/cases?per_page=2&page=2")
    assert page["total"] == 4 and len(page["items"]) == 2
    assert api("council_viewer", "GET", "/api/v1/cases?state=resolved")["total"] == 0
    assert api("council_viewer", "GET", "/api/v1/cases?overdue=false")["total"] == 4
    assert "state must be one of" in api("council_viewer", "GET", "/api/v1/cases?state=nope", status=422)["error"]


@time_machine.travel(NOW, tick=False)
def test_case_responses_match_the_openapi_document(api):
    import jsonschema

    from web.openapi import openapi_document

    spec = openapi_document()

    def valid(body, path, method, status):
        schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
        jsonschema.validate(body, {**schema, "components": spec["components"]},
                            cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())

    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "s"}, 201)
    valid(case, "/cases", "post", 201)
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "f", "required_action": "a"}, 201)
    valid(notice, "/cases/{id}/notices", "post", 201)
    issued = fire(api, "contract_manager", "notices", notice["id"], "issue", served_on="2026-12-18", method="hand")
    valid(issued, "/{collection}/{id}/transitions", "post", 200)
    valid(fire(api, "contract_manager", "notices", notice["id"], "issue", 409), "/{collection}/{id}/transitions",
          "post", 409)
    valid(api("council_viewer", "GET", f"/api/v1/cases/{case['id']}", status=200), "/{collection}/{id}", "get", 200)
    valid(api("council_viewer", "GET", "/api/v1/cases", status=200), "/cases", "get", 200)


@time_machine.travel(NOW, tick=False)
def test_only_plan_writers_change_a_draft_plan(api):
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "s"}, 201)
    plan = api("provider_manager", "POST", f"/api/v1/cases/{case['id']}/action-plans", {}, 201)
    for role in ("council_viewer", "safeguarding_officer"):
        api(role, "POST", f"/api/v1/action-plans/{plan['id']}/milestones", {"title": "t", "due_on": "2027-01-29"},
            403)
    api("provider_user", "POST", f"/api/v1/action-plans/{plan['id']}/milestones",
        {"title": "Rota reviewed", "due_on": "2027-01-29"}, 201)


@time_machine.travel(NOW, tick=False)
def test_a_closed_cases_records_stay_as_they_were(api):
    """A notice drafted before the case was withdrawn cannot be issued afterwards, and offers no next steps."""
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "Opened early"},
               201)
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "S3 attendance 71% against 95%", "required_action": "An action plan"}, 201)
    fire(api, "commissioning_manager", "cases", case["id"], "withdraw", reason="Opened against the wrong contract")
    refused = fire(api, "contract_manager", "notices", notice["id"], "issue", 409, served_on="2026-12-18",
                   method="hand")
    assert "is closed (withdrawn)" in refused["error"]
    notice = api("contract_manager", "GET", f"/api/v1/notices/{notice['id']}", status=200)
    assert (notice["state"], notice["allowed_triggers"], notice["deadlines"]) == ("draft", [], [])
