"""Issue 14: the rules that acted against the seeds, each driven end to end through the JSON API and named after
its rule id. The seeds (shared/seeds) are the source of truth; each test cites the seed text it follows."""

import pytest
import time_machine

NOW = "2026-12-18T14:00:00+00:00"
ROLES = {"admin", "contract_manager", "commissioning_manager", "council_viewer", "safeguarding_officer",
         "provider_manager", "provider_user"}




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
    (serious,) = [b for b in api.every("contract_manager", f"/api/v1/breaches?contract={ce}")
                  if b["rule_id"] == "serious-default"]
    assert serious["case_id"] == case["id"] and serious["proposals"] == []
    record = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}")
    assert record["records"]["suspension"] == []
    assert any(e["event"] == "BREACH_PROPOSAL_REFUSED" and "only while" in e["reason"] for e in record["events"])


# -- Kent's ladder: KT-17, then KT-19, then KT-14 / KT-08 -----------------------------------------------------------

def kent_two_red_periods(api):
    """S3 Red in two consecutive six-monthly periods (A20: continuous failure), accepted through the API."""
    kt = contract_id(api, "LDDS-2023-07")
    rows = api.every("contract_manager", f"/api/v1/returns?contract={kt}")
    for start in ("2025-10-01", "2026-04-01"):
        row = next(r for r in rows if r["return"] == "six-monthly" and r["period_start"] == start)
        kpis = [line.split(",")[1] for line in api("contract_manager", "GET", f"/api/v1/returns/{row['id']}/"
                                                   "template.csv").get_data(as_text=True).splitlines()[1:]]
        # S1 is lower-is-better and S2 a complement (A17): these figures are Green for both.
        figures = {k: [99, 100] for k in kpis} | {"S1": [5, 100], "S2": [1, 100], "S3": [70, 100]}
        fire(api, "contract_manager", "returns", row["id"], "submit", figures=figures)
        fire(api, "contract_manager", "returns", row["id"], "accept")
    found = [b for b in api.every("contract_manager", f"/api/v1/breaches?contract={kt}")
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
    rows = api.every("provider_manager", f"/api/v1/returns?contract={kt}")
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


# -- A4: dates the seeds do not give; HF-47 -------------------------------------------------------------------------

def returns_of(api, contract, return_id):
    rows = api.every("contract_manager", f"/api/v1/returns?contract={contract}")
    return sorted((r for r in rows if r["return"] == return_id), key=lambda r: r["period_start"])


@time_machine.travel(NOW, tick=False)
def test_a4_return_due_dates_the_seeds_do_not_give_are_council_settings_with_no_default(app, api):
    """A4: Cheshire East's 4-weekly and quarterly returns and H&F's monthly template and BCM return have no due date
    in the seeds. Until a council sets one on the contract: no due date, no lateness, nothing proposed, and the
    return says "no due date set: the contract gives none". A setting applies from its date, never to the past."""
    from datetime import UTC, datetime

    from scheduler.tick import tick

    ce, hf = contract_id(api, "ECH-2024-01"), contract_id(api, "HC-2024-05")
    for contract, return_id in ((ce, "four-weekly"), (ce, "quarterly"), (hf, "monthly-template"),
                                (hf, "bcm-quarterly")):
        rows = returns_of(api, contract, return_id)
        assert rows and all(r["due_on"] is None for r in rows)
        record = api("contract_manager", "GET", f"/api/v1/returns/{rows[0]['id']}")
        assert record["deadlines"] == []
        assert record["due_explanation"][0].startswith("no due date set: the contract gives none")
    with app.app_context():
        tick(datetime(2026, 12, 18, 14, tzinfo=UTC), deliver_messages=False)
    found = api("contract_manager", "GET", "/api/v1/breaches", status=200)["items"]
    assert [b for b in found if b["rule_id"] in ("returns-three-periods", "monthly-return-missing")] == []
    settings = api("contract_manager", "GET", f"/api/v1/contracts/{ce}/settings", status=200)
    sources = {(i["key"], i["item"]): i["source"] for i in settings["items"]}
    assert sources[("return_due", "four-weekly")] == "not set"
    assert sources[("return_due", "annual")].startswith("the contract")  # 30 April is in the seed (CE-29)
    # Only an administrator sets it, with a reason; a date the contract gives cannot be overridden.
    body = {"key": "return_due", "value": {"four-weekly": {"working_days": 10, "from": "2026-12-01"}},
            "reason": "Agreed at the contract meeting"}
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/settings", body, 403)
    assert "already gives the due date" in api("admin", "POST", f"/api/v1/contracts/{ce}/settings", {
        "key": "return_due", "value": {"annual": {"working_days": 5}}, "reason": "r"}, 422)["error"]
    assert api("admin", "POST", f"/api/v1/contracts/{ce}/settings", {**body, "reason": ""}, 422)["field"] == "reason"
    changed = api("admin", "POST", f"/api/v1/contracts/{ce}/settings", body, 200)
    assert {(i["key"], i["item"]): i["source"] for i in changed["items"]}[("return_due", "four-weekly")] == (
        "council setting")
    rows = returns_of(api, ce, "four-weekly")
    assert all(r["due_on"] is None for r in rows if r["period_end"] < "2026-12-01")  # the past stays undated
    dated = [r for r in rows if r["period_end"] >= "2026-12-01"]
    assert dated and all(r["due_on"] for r in dated)
    explained = api("contract_manager", "GET", f"/api/v1/returns/{dated[0]['id']}")
    assert "council setting on the contract" in explained["deadlines"][0]["explanation"][0]
    contract = api("contract_manager", "GET", f"/api/v1/contracts/{ce}", status=200)
    assert contract["id"] == ce


@time_machine.travel(NOW, tick=False)
def test_hf_47_one_late_return_never_proposes_a_default_notice(app, api):
    """HF-47: failing the monitoring requirements "may be grounds for the issue of a Default Notice" (seed 004
    l.3172-3174): a discretion. With a due date the council set, one late monthly return is raised as a concern; no
    Default Notice is proposed, before or after a person confirms it."""
    hf = contract_id(api, "HC-2024-05")
    api("admin", "POST", f"/api/v1/contracts/{hf}/settings", {
        "key": "return_due", "value": {"monthly-template": {"working_days": 10, "from": "2026-10-01"}},
        "reason": "Commissioning officers' timetable (HF-38)"}, 200)
    october = next(r for r in returns_of(api, hf, "monthly-template") if r["period_start"] == "2026-10-01")
    assert october["due_on"] == "2026-11-13"
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": "Returns"}, 201)
    kpis = [line.split(",")[1] for line in api("contract_manager", "GET", f"/api/v1/returns/{october['id']}/"
                                               "template.csv").get_data(as_text=True).splitlines()[1:]]
    fire(api, "contract_manager", "returns", october["id"], "submit", submitted_on="2026-11-20",
         figures={k: [95, 100] for k in kpis})
    fire(api, "contract_manager", "returns", october["id"], "accept")
    (late,) = [b for b in api.every("contract_manager", f"/api/v1/breaches?contract={hf}")
               if b["rule_id"] == "monthly-return-missing" and b["status"] == "proposed"]
    assert late["actions"] == ["concern"] and late["case_id"] == case["id"] and late["proposals"] == []
    confirmed = api("contract_manager", "POST", f"/api/v1/breaches/{late['id']}/transitions",
                    {"trigger": "confirm"}, 200)
    assert confirmed["proposals"] == []
    assert api("contract_manager", "GET", f"/api/v1/cases/{case['id']}")["records"]["default_notice"] == []


# -- deemed receipt; KT-16 stays Kent's -----------------------------------------------------------------------------

def kent_notice(api):
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "S3",
                                                             "second_case_reason": "S3 apart from the open case"}, 201)
    return api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
               {"findings": "S3 at 70%", "required_action": "An action plan (KT-19)"}, 201)


@time_machine.travel(NOW, tick=False)
def test_deemed_receipt_follows_the_standard_notices_clause_unless_the_council_sets_it(api):
    """No seed says when a notice is received: the standard public-sector clause is the default council setting.
    Email in working hours (09:00-17:00 on a working day) is received that day, later at 09:00 the next working day;
    recorded delivery on the second working day after posting. KT-19's clock counts from that receipt and its
    explanation shows the rule used."""
    in_hours = fire(api, "contract_manager", "notices", kent_notice(api)["id"], "issue", served_on="2026-12-17",
                    method="email", served_at="2026-12-17T16:30:00+00:00")
    assert in_hours["received_on"] == "2026-12-17"
    first = in_hours["deadlines"][0]["explanation"][0]
    assert "within working hours" in first and "standard public-sector notices clause" in first
    late = fire(api, "contract_manager", "notices", kent_notice(api)["id"], "issue", served_on="2026-12-17",
                method="email", served_at="2026-12-17T17:30:00+00:00")
    assert late["received_on"] == "2026-12-18"
    assert "outside working hours" in late["deadlines"][0]["explanation"][0]
    posted = fire(api, "contract_manager", "notices", kent_notice(api)["id"], "issue", served_on="2026-12-17",
                  method="post")
    assert posted["received_on"] == "2026-12-21"  # Thursday: Friday 18th is day 1, Monday 21st day 2
    assert "second working day after posting" in posted["deadlines"][0]["explanation"][0]
    wrong_day = fire(api, "contract_manager", "notices", kent_notice(api)["id"], "issue", 422,
                     served_on="2026-12-17", method="email", served_at="2026-12-16T10:00:00+00:00")
    assert wrong_day["field"] == "served_at"
    kt = contract_id(api, "LDDS-2023-07")
    settings = api("contract_manager", "GET", f"/api/v1/contracts/{kt}/settings")
    (receipt,) = [i for i in settings["items"] if i["key"] == "deemed_receipt"]
    assert receipt["source"].startswith("council setting (the standard default")
    api("admin", "POST", f"/api/v1/contracts/{kt}/settings", {
        "key": "deemed_receipt", "value": {"hand": 0, "email": 0, "post": 3}, "reason": "Kent's notices practice"},
        200)
    own = fire(api, "contract_manager", "notices", kent_notice(api)["id"], "issue", served_on="2026-12-17",
               method="post")
    assert own["received_on"] == "2026-12-22"
    assert "the council's setting on the contract" in own["deadlines"][0]["explanation"][0]


@time_machine.travel("2026-12-11T10:00:00+00:00", tick=False)
def test_kt_16_minutes_are_deemed_approved_only_on_kents_contracts(app, api):
    """KT-16 ("within ten Business Days of receipt ... deemed to have agreed", seed 001 l.899) is Kent's: another
    contract's minutes are sent with no clock and never deemed approved; Kent's clock counts from receipt."""
    from datetime import UTC, date, datetime

    from models import db
    from models.meeting_store import record_meeting
    from models.user_store import find_user_by_email
    from scheduler.tick import tick

    with app.app_context():
        manager = find_user_by_email("contract.manager@remedy.example")
        ids = {ref: record_meeting(manager.viewer, manager, ref, date(2026, 12, 10), "Both contract managers",
                                   "1. Punctuality", date(2026, 12, 11), datetime(2026, 12, 11, 10, tzinfo=UTC)).id
               for ref in ("ECH-2024-01", "LDDS-2023-07")}
        db.session.commit()
    ce = api("contract_manager", "POST", f"/api/v1/minutes/{ids['ECH-2024-01']}/transitions",
             {"trigger": "send", "sent_on": "2026-12-11"}, 200)
    assert ce["state"] == "sent" and ce["deadlines"] == []
    kent = api("contract_manager", "POST", f"/api/v1/minutes/{ids['LDDS-2023-07']}/transitions",
               {"trigger": "send", "sent_on": "2026-12-11", "method": "hand"}, 200)
    (clock,) = kent["deadlines"]
    assert (clock["rule"], clock["due_on"]) == ("KT-16", "2026-12-29")  # by hand: received the day it was sent
    with app.app_context():
        tick(datetime(2027, 2, 1, 9, tzinfo=UTC), deliver_messages=False)
    assert api("contract_manager", "GET", f"/api/v1/minutes/{ids['ECH-2024-01']}")["state"] == "sent"
    assert api("contract_manager", "GET", f"/api/v1/minutes/{ids['LDDS-2023-07']}")["state"] == "deemed_approved"


# -- A19: rounding is Kent's ----------------------------------------------------------------------------------------

def results_for(api, contract, period_start):
    return {r["kpi"]: r for r in api.every("contract_manager", f"/api/v1/kpi-results?contract={contract}")
            if r["period_start"] == period_start}


@time_machine.travel(NOW, tick=False)
def test_a19_rounding_to_one_decimal_applies_to_kent_only(api):
    """A19 reads Kent's overlapping bands to one decimal place; no other seed says so. 84.96% is Amber on Kent's S3
    (85.0 after rounding) but misses Cheshire East's 85% punctuality target (CE-K02), a Critical Performance
    Failure."""
    kt, ce = contract_id(api, "LDDS-2023-07"), contract_id(api, "ECH-2024-01")
    kt_row = next(r for r in returns_of(api, kt, "six-monthly") if r["period_start"] == "2026-04-01")
    ce_row = [r for r in returns_of(api, ce, "four-weekly") if r["period_end"] < "2026-12-18"][-1]
    for row, kpi in ((kt_row, "S3"), (ce_row, "CE-K02")):
        kpis = [line.split(",")[1] for line in api("contract_manager", "GET", f"/api/v1/returns/{row['id']}/"
                                                   "template.csv").get_data(as_text=True).splitlines()[1:]]
        figures = {k: [99, 100] for k in kpis} | {"S1": [5, 100], "S2": [1, 100], "CE-C03": [0, None],
                                                   kpi: [8496, 10000]}
        fire(api, "contract_manager", "returns", row["id"], "submit", figures={k: figures[k] for k in kpis})
        fire(api, "contract_manager", "returns", row["id"], "accept")
    assert results_for(api, kt, "2026-04-01")["S3"]["rag"] == "amber"
    assert results_for(api, ce, ce_row["period_start"])["CE-K02"]["rag"] == "red"
    critical = [b for b in api.every("contract_manager", f"/api/v1/breaches?contract={ce}")
                if b["rule_id"] == "critical-kpi-missed"]
    assert any("CE-K02" in b["subject"] for b in critical)


# -- immediate events -----------------------------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_ce_52_cqc_inadequate_is_evaluated_when_recorded(api):
    """CE-52: "Will result in the service being placed in default and a partial or complete suspension of the
    contract. Immediate effect". The rating rule runs as the rating is recorded, with no scheduler tick; on an open
    case the suspension is proposed on CE-52's ground, which needs no precondition (A14)."""
    ce = contract_id(api, "ECH-2024-01")
    provider = api("contract_manager", "GET", f"/api/v1/contracts/{ce}")["provider"]["id"]
    case = ce_case(api, "Quality")
    api("provider_manager", "POST", f"/api/v1/providers/{provider}/cqc-ratings",
        {"rating": "inadequate", "rated_on": "2026-12-17"}, 404)  # not the Kent-seed provider's
    api("council_viewer", "POST", f"/api/v1/providers/{provider}/cqc-ratings",
        {"rating": "inadequate", "rated_on": "2026-12-17"}, 403)
    api("contract_manager", "POST", f"/api/v1/providers/{provider}/cqc-ratings",
        {"rating": "inadequate", "rated_on": "2026-12-17"}, 201)
    (breach,) = [b for b in api.every("contract_manager", f"/api/v1/breaches?contract={ce}")
                 if b["rule_id"] == "cqc-inadequate"]
    assert breach["immediate"] is True and breach["case_id"] == case["id"]
    (suspension,) = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}")["records"]["suspension"]
    assert suspension["state"] == "proposed"
    assert api("contract_manager", "GET", f"/api/v1/suspensions/{suspension['id']}")["ground"] == "cqc-inadequate"


# -- HF-74 and HF-78 stay in their contract; HF-74's stricter reading ------------------------------------------------

COMPLAINT = {"channel": "email", "complainant_type": "service_user", "formal": True, "summary": "Visit cut short"}


@time_machine.travel(NOW, tick=False)
def test_hf_74_report_within_24_hours_the_stricter_reading(api, provider_manager_token):
    """HF-74: "reported to the Complaints Business Manager within one working day (24 hours)" (seed 004 l.3846).
    A41: the stricter reading is enforced: 16:30 on Friday plus 24 hours falls on Saturday, so it is due at 16:30 on
    Monday, not at the end of Monday; both readings are shown."""
    riverside = provider_manager_token("PRV-005")
    made = api(riverside, "POST", "/api/v1/complaints", {**COMPLAINT, "received_at": "2026-12-11T16:30:00+00:00"}, 201)
    clocks = {d["kind"]: d for d in made["deadlines"]}
    report = clocks["complaint_reported"]
    assert (report["rule"], report["due_on"], report["due_at"]) == ("HF-74", "2026-12-14", "2026-12-14T16:30:00+00:00")
    assert any(line.startswith("Enforced (A41, the stricter reading)") for line in report["explanation"])
    assert any("Read as one working day: the end of Monday 14 December 2026" in line for line in report["explanation"])
    assert (clocks["complaint_draft"]["rule"], clocks["complaint_draft"]["due_on"]) == ("HF-74", "2026-12-29")


@time_machine.travel(NOW, tick=False)
def test_hf_78_complaint_clocks_apply_only_where_the_contract_has_them(api):
    """HF-74 and HF-78 are Hammersmith & Fulham's: a complaint to the Kent-seed provider starts no clock until the
    council sets its own local clocks on the contract, which are labelled as the council's setting; a complaint the
    council passes on to the H&F provider starts HF-78's 10 working days (seed 004 section 15.13)."""
    kent = api("provider_manager", "POST", "/api/v1/complaints",
               {**COMPLAINT, "received_at": "2026-12-17T10:00:00+00:00"}, 201)
    assert kent["deadlines"] == []
    kt = contract_id(api, "LDDS-2023-07")
    api("admin", "POST", f"/api/v1/contracts/{kt}/settings", {
        "key": "complaint_clocks", "value": {"report_working_days": 2, "draft_working_days": 15},
        "reason": "The council's own complaints procedure"}, 200)
    hf = contract_id(api, "HC-2024-05")
    assert "gives its own complaint clocks" in api("admin", "POST", f"/api/v1/contracts/{hf}/settings", {
        "key": "complaint_clocks", "value": {"report_working_days": 2}, "reason": "r"}, 422)["error"]
    local = api("provider_manager", "POST", "/api/v1/complaints",
                {**COMPLAINT, "received_at": "2026-12-17T10:00:00+00:00"}, 201)
    clocks = {d["kind"]: d for d in local["deadlines"]}
    assert clocks["complaint_reported"]["rule"] == "Local setting"
    assert "council's local setting" in clocks["complaint_reported"]["label"]
    assert clocks["complaint_reported"]["due_on"] == "2026-12-21"
    sources = {i["key"]: i["source"] for i in api("contract_manager", "GET", f"/api/v1/contracts/{kt}/settings")[
        "items"]}
    assert sources["complaint_clocks"] == "council setting"
    assert api("contract_manager", "GET", f"/api/v1/contracts/{hf}/settings")["items"][-1]["source"] == (
        "the contract, seed lines 3848, 3849, 3878 (HF-74, HF-78, seed 004)")
    provider = api("contract_manager", "GET", f"/api/v1/contracts/{hf}")["provider"]["id"]
    council = api("contract_manager", "POST", "/api/v1/complaints", {
        **COMPLAINT, "provider": provider, "by_council": True, "received_at": "2026-12-17T10:00:00+00:00"}, 201)
    assert council["deadlines"] == []  # the council acknowledges it first (HF-78)
    passed = api("contract_manager", "POST", f"/api/v1/complaints/{council['id']}/transitions",
                 {"trigger": "pass_to_provider"}, 200)
    (draft,) = passed["deadlines"]
    assert (draft["rule"], draft["due_on"]) == ("HF-78", "2027-01-06")
