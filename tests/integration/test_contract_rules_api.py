"""Issue 14: the rules that acted against the seeds, each driven end to end through the JSON API and named after
its rule id. The seeds (shared/seeds) are the source of truth; each test cites the seed text it follows."""

import pytest
import time_machine

NOW = "2026-12-18T14:00:00+00:00"
ROLES = {"admin", "contract_manager", "commissioning_manager", "council_viewer", "safeguarding_officer",
         "provider_manager", "provider_user"}


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    tokens = {}

    def call(role, method, url, json=None, status=None, **kwargs):
        if role not in tokens:
            tokens[role] = api_token(role) if role in ROLES else role  # else: a token made by the test
        response = client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {tokens[role]}"},
                               **kwargs)
        body = response.get_json(silent=True)
        if status is not None:
            assert response.status_code == status, body
        return body if body is not None else response

    return call


@pytest.fixture
def provider_manager_token(app, api):
    """provider_manager_token(provider reference) -> a token for a new provider manager of that provider, usable
    as the api fixture's `role`."""
    from datetime import UTC, datetime

    from models import db
    from models.user_store import create_user, find_user_by_email, issue_token
    from workflows.access import Role

    def make(reference: str) -> str:
        with app.app_context():
            council_id = find_user_by_email("contract.manager@remedy.example").council_id
            user = create_user(council_id=council_id, email=f"manager@{reference.lower()}.example",
                               name="Provider manager", role=Role.PROVIDER_MANAGER,
                               password="remedy-demo-password", provider_reference=reference)
            db.session.flush()
            _row, plain = issue_token(user, "tests", datetime.now(UTC))
            db.session.commit()
        return plain

    return make


def fire(api, role, collection, record_id, trigger, status=200, **data):
    return api(role, "POST", f"/api/v1/{collection}/{record_id}/transitions", {"trigger": trigger, **data}, status)


def contract_id(api, reference):
    return next(c["id"] for c in api("contract_manager", "GET", "/api/v1/contracts", status=200)["items"]
                if c["reference"] == reference)


def ce_case(api, summary="Under-performance (CE section 3.4)"):
    return api("contract_manager", "POST", "/api/v1/cases", {"contract": "ECH-2024-01", "summary": summary}, 201)


def propose(api, case, ground, status=201):
    return api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/suspensions",
               {"reason": f"Suspension on the {ground} ground", "ground": ground}, status)


def confirm(api, suspension, scope, status=200):
    return fire(api, "commissioning_manager", "suspensions", suspension["id"], "suspend", status, scope=scope,
                scope_detail="Scheme B", starts_on="2026-12-18", reason="As proposed", lift_conditions="Audit passed")


def event(record, name):
    return next(e for e in record["events"] if e["event"] == name)


def serve_default(api, case, served_on="2026-12-18"):
    default = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices", {}, 201)
    return fire(api, "commissioning_manager", "default-notices", default["id"], "serve", served_on=served_on,
                method="hand", default_description="Missed visits (CE-C03)", remedial_action="A full rota",
                remedy_days=5)


# -- CE-34, CE-33, CE-38 -------------------------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_ce_34_clock_only_for_siap_failure(api):
    """CE-34: "If within a period of 10 Working Days from the date of the Service being suspended" follows CE-33's
    suspension for a failed SIAP only (seed 000 l.873-878). A referral embargo (CE-53, CE-54) and a suspension of the
    contract (CE-37) start no clause 26.1(b) clock."""
    case = ce_case(api)
    embargo = confirm(api, propose(api, case, "punctuality"), "referrals")
    assert embargo["state"] == "active" and embargo["ground"] == "punctuality"
    assert embargo["deadlines"] == []
    fire(api, "commissioning_manager", "suspensions", embargo["id"], "lift", reason="Punctuality restored")

    default_route = confirm(api, propose(api, case, "default-not-remedied"), "partial")
    assert default_route["deadlines"] == []
    fire(api, "commissioning_manager", "suspensions", default_route["id"], "lift", reason="Remedied")

    # An embargo is of referrals only: CE-53/CE-54 do not suspend the service.
    local = propose(api, case, "local-rating-inadequate")
    assert "Select the scope" in confirm(api, local, "full", status=422)["error"]
    fire(api, "commissioning_manager", "suspensions", local["id"], "cancel", reason="Rating reviewed")

    siap = confirm(api, propose(api, case, "siap-failed"), "full")
    (cure,) = siap["deadlines"]
    assert (cure["kind"], cure["rule"], cure["due_on"]) == ("suspension_cure", "CE-34", "2027-01-06")
    assert event(siap, "SUSPENSION_STARTED")["data"]["ground"] == "siap-failed"


@time_machine.travel(NOW, tick=False)
def test_ce_33_siap_failure_suspension_needs_no_live_notice(api, provider_manager_token):
    """CE-33 (A14): a suspension because the SIAP was not produced, not implemented or is overdue needs no
    precondition, so it stays available after the SIAP was signed off and its Improvement Notice closed."""
    case = ce_case(api)
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "Punctuality 81%", "required_action": "A SIAP"}, 201)
    fire(api, "contract_manager", "notices", notice["id"], "issue", served_on="2026-12-18", method="hand",
         plan_due_days=10)
    meadowbank = provider_manager_token("PRV-001")
    plan = api(meadowbank, "POST", f"/api/v1/cases/{case['id']}/action-plans", {"notice": notice["id"]}, 201)
    api(meadowbank, "POST", f"/api/v1/action-plans/{plan['id']}/rows", {
        "kpi": "CE-K02", "current_performance": "81%", "rag": "red", "issue": "Rota gaps", "action": "Recruit",
        "owner": "Registered manager", "expected_outcome": "85%", "deadline": "2027-03-31"}, 201)
    fire(api, meadowbank, "action-plans", plan["id"], "submit")
    fire(api, "contract_manager", "action-plans", plan["id"], "agree")
    fire(api, meadowbank, "action-plans", plan["id"], "sign_off")  # CE's SIAP agreed and signed: the notice closes
    assert api("contract_manager", "GET", f"/api/v1/notices/{notice['id']}")["state"] == "closed"
    serious = propose(api, case, "serious-default", status=409)
    assert "only while an improvement notice is live" in serious["error"]
    suspension = propose(api, case, "siap-failed")
    proposed = event(suspension, "SUSPENSION_PROPOSED")["data"]
    assert proposed["ground"] == "siap-failed" and "needs no precondition (A14)" in proposed["condition"]
    assert confirm(api, suspension, "full")["state"] == "active"


@time_machine.travel(NOW, tick=False)
def test_ce_38_serious_default_needs_a_live_notice_default_or_enquiry_when_proposed_and_confirmed(api):
    """CE-38: "Initiate partial or full suspension of the contract whereby an active informal Improvement Notice or
    formal Default Notice is in place or the Provider[s] is under Large Scale Safeguarding Enquiry (LSE)" (seed 000
    l.905-906, A14). Checked on proposing and again on confirming, saying which condition held."""
    case = ce_case(api)
    refused = propose(api, case, "serious-default", status=409)
    assert "only while an improvement notice is live, a default notice is in force or the provider is under a " \
           "Large Scale Enquiry" in refused["error"]
    default = serve_default(api, case)
    suspension = propose(api, case, "serious-default")
    assert event(suspension, "SUSPENSION_PROPOSED")["data"]["condition"] == (
        "CE-38 precondition met: a default notice is in force")
    # The default is remedied before the authorised officer decides: the ground has gone.
    fire(api, "contract_manager", "default-notices", default["id"], "confirm_remedied", reason="Rota restored")
    assert "none is the case now" in confirm(api, suspension, "full", status=409)["error"]
    # Any ground must be one the contract lists.
    assert "Select the ground" in propose(api, case, "no-such-ground", status=422)["error"]
    assert "Select the ground" in api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/suspensions",
                                      {"reason": "No ground given"}, 422)["error"]


@time_machine.travel(NOW, tick=False)
def test_ce_38_a_rule_finding_a_serious_default_still_needs_the_precondition(api):
    """CE-38 via the breach engine: two defaults recorded in six months are a serious default, but with no notice,
    default notice or LSE live the suspension is not proposed, and the breach's trail says why (A14)."""
    ce = contract_id(api, "ECH-2024-01")
    case = ce_case(api, "Defaults")
    for on in ("2026-05-02", "2026-11-01"):
        api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
            {"kind": "default", "on": on, "ref": f"DN {on}"}, 201)
    (serious,) = [b for b in api("contract_manager", "GET", f"/api/v1/breaches?contract={ce}")["items"]
                  if b["rule_id"] == "serious-default"]
    assert serious["case_id"] == case["id"] and serious["proposals"] == []
    record = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}")
    assert record["records"]["suspension"] == []
    assert any(e["event"] == "BREACH_PROPOSAL_REFUSED" and "only while" in e["reason"] for e in record["events"])


# -- Kent's ladder: KT-17, then KT-19, then KT-14 / KT-08 -----------------------------------------------------------

def kent_two_red_periods(api):
    """S3 Red in two consecutive six-monthly periods (A20: continuous failure), accepted through the API."""
    kt = contract_id(api, "LDDS-2023-07")
    rows = api("contract_manager", "GET", f"/api/v1/returns?contract={kt}", status=200)["items"]
    for start in ("2025-10-01", "2026-04-01"):
        row = next(r for r in rows if r["return"] == "six-monthly" and r["period_start"] == start)
        kpis = [line.split(",")[1] for line in api("contract_manager", "GET", f"/api/v1/returns/{row['id']}/"
                                                   "template.csv").get_data(as_text=True).splitlines()[1:]]
        # S1 is lower-is-better and S2 a complement (A17): these figures are Green for both.
        figures = {k: [99, 100] for k in kpis} | {"S1": [5, 100], "S2": [1, 100], "S3": [70, 100]}
        fire(api, "contract_manager", "returns", row["id"], "submit", figures=figures)
        fire(api, "contract_manager", "returns", row["id"], "accept")
    found = [b for b in api("contract_manager", "GET", f"/api/v1/breaches?contract={kt}")["items"]
             if b["rule_id"] == "continued-red"]
    (breach,) = found
    return kt, breach


def escalations(api, case_id):
    record = api("contract_manager", "GET", f"/api/v1/cases/{case_id}", status=200)
    return record["records"]["suspension"], record["records"]["termination"], record


@time_machine.travel(NOW, tick=False)
def test_kt_08_two_red_periods_without_a_case_propose_only_a_formal_warning(api):
    """KT-17 first: "a formal warning will be issued" (seed 001 section 11.1). Two Red periods and a confirmed breach
    draft the warning; suspension from the framework (KT-14) and termination (KT-08, "any of the agreed action plans
    have failed") are not proposed."""
    _kt, breach = kent_two_red_periods(api)
    assert breach["status"] == "proposed" and breach["case_id"] is None and breach["proposals"] == []
    confirmed = api("contract_manager", "POST", f"/api/v1/breaches/{breach['id']}/transitions",
                    {"trigger": "confirm"}, 200)
    assert [p["kind"] for p in confirmed["proposals"]] == ["notice"]
    suspensions, terminations, record = escalations(api, confirmed["case_id"])
    assert suspensions == [] and terminations == []
    assert record["records"]["notice"][0]["state"] == "draft"  # the formal warning, for a person to issue
    assert any(e["event"] == "BREACH_ESCALATION_WAITS" and "a formal warning has been served (KT-17)" in e["reason"]
               for e in record["events"])


@time_machine.travel(NOW, tick=False)
def test_kt_19_two_red_periods_on_a_case_wait_for_a_warning_and_a_failed_plan(api, provider_manager_token):
    """On an open case the engine proposes suspensions and terminations at once, so the order matters most here:
    nothing until a formal warning was served (KT-17) and an agreed action plan (KT-19) failed; then KT-14's
    suspension from the framework and KT-08's termination are put to the authorised officer."""
    case = api("contract_manager", "POST", "/api/v1/cases",
               {"contract": "LDDS-2023-07", "summary": "Attendance S3"}, 201)
    _kt, breach = kent_two_red_periods(api)
    assert breach["case_id"] == case["id"] and breach["proposals"] == []
    suspensions, terminations, _record = escalations(api, case["id"])
    assert suspensions == [] and terminations == []
    # The warning is served and a plan agreed by both parties, then it fails.
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "S3 at 70% for two periods", "required_action": "An action plan (KT-19)"}, 201)
    fire(api, "contract_manager", "notices", notice["id"], "issue", served_on="2026-12-18", method="hand")
    plan = api("provider_manager", "POST", f"/api/v1/cases/{case['id']}/action-plans", {"notice": notice["id"]}, 201)
    api("provider_manager", "POST", f"/api/v1/action-plans/{plan['id']}/rows", {
        "kpi": "S3", "current_performance": "70%", "rag": "red", "issue": "Transport", "action": "Second minibus",
        "owner": "Operations director", "expected_outcome": "90%", "deadline": "2027-03-31"}, 201)
    fire(api, "provider_manager", "action-plans", plan["id"], "submit")
    fire(api, "contract_manager", "action-plans", plan["id"], "agree")
    fire(api, "provider_manager", "action-plans", plan["id"], "sign_off")
    suspensions, terminations, _record = escalations(api, case["id"])
    assert suspensions == [] and terminations == []  # a warning alone is not enough
    fire(api, "contract_manager", "action-plans", plan["id"], "fail", reason="Milestones missed")
    # Now a person confirming the continuous failure puts KT-14 and KT-08 to the authorised officer (no second
    # warning: one has been served).
    confirmed = api("contract_manager", "POST", f"/api/v1/breaches/{breach['id']}/transitions",
                    {"trigger": "confirm"}, 200)
    assert sorted(p["kind"] for p in confirmed["proposals"]) == ["suspension", "termination"]
    suspensions, terminations, _record = escalations(api, case["id"])
    assert [s["state"] for s in suspensions] == ["proposed"] and [t["state"] for t in terminations] == ["considered"]


@time_machine.travel(NOW, tick=False)
def test_kt_k06_kent_denominators_are_everyone_accessing_or_leaving_the_service(app, api):
    """KT-K06 (S4c), KT-K11 (I1), KT-K18 (E4), KT-K19 (A1), KT-K20 (A2): y is "total no. of individuals accessing
    (or leaving) the service" (seed 001 l.171, 406, 577, 716, 733), not the survey respondents or the leavers into
    employment. The template the provider downloads says so."""
    import csv
    import io

    kt = contract_id(api, "LDDS-2023-07")
    rows = api("provider_manager", "GET", f"/api/v1/returns?contract={kt}", status=200)["items"]
    names = {}
    for return_id in ("six-monthly", "annual"):
        row = next(r for r in rows if r["return"] == return_id)
        text = api("provider_manager", "GET", f"/api/v1/returns/{row['id']}/template.csv").get_data(as_text=True)
        names |= {line[1]: line[2] for line in list(csv.reader(io.StringIO(text)))[1:]}
    assert {"S4c", "I1"} <= set(names)
    # E4, A1 and A2 belong to lots 3 and 4; the demo provider holds lots 1a and 2a, so they are read from the rulebook.
    for kpi_id in ("E4", "A1", "A2"):
        kpi = app.extensions["rulebooks"]["kent-ld-day-services"].monitoring.kpi(kpi_id)
        names[kpi_id] = f"{kpi.name} (numerator: {kpi.numerator}; denominator: {kpi.denominator})"
    for kpi, everyone in (("S4c", "All individuals accessing the service"),
                          ("I1", "All individuals accessing the promoting independence service"),
                          ("E4", "All individuals leaving the employment service"),
                          ("A1", "All individuals accessing the additional support service"),
                          ("A2", "All individuals accessing the additional support service")):
        assert f"denominator: {everyone} in the period" in names[kpi], names[kpi]
        assert "surveyed" not in names[kpi].split("denominator:")[1].split("(not only")[0]
