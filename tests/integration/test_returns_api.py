"""Monitoring returns and the breach engine end to end through the API, with explicit dates (issue 7)."""

import io

import pytest
import time_machine

NOW = "2026-12-18T14:00:00+00:00"




def contract_id(api, reference):
    return next(c["id"] for c in api("contract_manager", "GET", "/api/v1/contracts", status=200)["items"]
                if c["reference"] == reference)


def period(api, contract, return_id, start):
    rows = api.every("contract_manager", f"/api/v1/returns?contract={contract}")
    return next(r for r in rows if r["return"] == return_id and r["period_start"] == start)


def template_kpis(api, row_id):
    response = api("contract_manager", "GET", f"/api/v1/returns/{row_id}/template.csv", status=200)
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "period_start,kpi,name,numerator,denominator"
    return [line.split(",")[1] for line in lines[1:]]


def submit_and_accept(api, row_id, figures, submitted_on=None):
    data = {"trigger": "submit", "figures": figures}
    if submitted_on:
        data["submitted_on"] = submitted_on
    api("contract_manager", "POST", f"/api/v1/returns/{row_id}/transitions", data, 200)
    return api("contract_manager", "POST", f"/api/v1/returns/{row_id}/transitions", {"trigger": "accept"}, 200)


def set_due(api, contract, *return_ids, days=10, since="2024-01-01"):
    """A4: the seeds give no due date for these returns; the council sets one on the contract (as an admin)."""
    api("admin", "POST", f"/api/v1/contracts/{contract}/settings",
        {"key": "return_due", "value": {r: {"working_days": days, "from": since} for r in return_ids},
         "reason": "The council's timetable for returns"}, 200)


def breaches(api, contract, rule_id):
    return [b for b in api.every("contract_manager", f"/api/v1/breaches?contract={contract}")
            if b["rule_id"] == rule_id]


@pytest.mark.rules("HF-B04", "HF-43")
@time_machine.travel(NOW, tick=False)
def test_hf_two_consecutive_quarters_below_85_percent_proposes_a_default(api):
    hf = contract_id(api, "HC-2024-05")
    set_due(api, hf, "bcm-quarterly")
    q1 = period(api, hf, "bcm-quarterly", "2026-04-01")
    q2 = period(api, hf, "bcm-quarterly", "2026-07-01")
    assert (q1["period"], q1["due_on"]) == ("Q1 2026-27", "2026-07-14")  # 10 working days after 30 June
    kpis = template_kpis(api, q1["id"])
    assert "BCM 3" in kpis
    good = {k: [100, 100] for k in kpis}
    submit_and_accept(api, q1["id"], {**good, "BCM 3": [84, 100]})
    assert breaches(api, hf, "bcm-two-quarters") == []  # one quarter is not two
    assert [b["figures"][0] for b in breaches(api, hf, "bcm-missed")] == [
        "BCM 3 Q1 2026-27: 84% (Red) against at least 85%."]
    # Exactly at target is met: no run yet.
    accepted = submit_and_accept(api, q2["id"], {**good, "BCM 3": [85, 100]}, submitted_on="2026-10-14")
    assert accepted["state"] == "accepted" and accepted["late"] is False
    assert breaches(api, hf, "bcm-two-quarters") == []
    # The provider corrects Q2 to 80%: two consecutive quarters below 85% proposes a default (HF-B04).
    api("contract_manager", "POST", f"/api/v1/returns/{q2['id']}/transitions",
        {"trigger": "correct", "figures": {**good, "BCM 3": [80, 100]}}, 200)
    corrected = api("contract_manager", "POST", f"/api/v1/returns/{q2['id']}/transitions", {"trigger": "accept"}, 200)
    assert [s["current"] for s in corrected["submissions"]] == [True, False]  # the history is kept
    (breach,) = breaches(api, hf, "bcm-two-quarters")
    assert breach["status"] == "proposed" and breach["actions"] == ["default"]
    assert "Q1 2026-27: 84%" in " ".join(breach["figures"]) and "Q2 2026-27: 80%" in " ".join(breach["figures"])
    # Accepting again, or a scheduler sweep, records nothing twice.
    assert len(breaches(api, hf, "bcm-two-quarters")) == 1
    # A person confirms: a case opens and a Default Notice is drafted.
    confirmed = api("contract_manager", "POST", f"/api/v1/breaches/{breach['id']}/transitions",
                    {"trigger": "confirm"}, 200)
    assert confirmed["status"] == "confirmed" and confirmed["case_id"]
    assert [p["kind"] for p in confirmed["proposals"]] == ["default_notice"]
    case = api("contract_manager", "GET", f"/api/v1/cases/{confirmed['case_id']}", status=200)
    assert case["records"]["default_notice"][0]["state"] == "drafted"
    api("contract_manager", "POST", f"/api/v1/breaches/{breach['id']}/transitions", {"trigger": "confirm"}, 409)


@time_machine.travel(NOW, tick=False)
def test_a_correction_that_cures_a_breach_withdraws_it(api):
    hf = contract_id(api, "HC-2024-05")
    q1 = period(api, hf, "bcm-quarterly", "2026-04-01")
    q2 = period(api, hf, "bcm-quarterly", "2026-07-01")
    good = {k: [100, 100] for k in template_kpis(api, q1["id"])}
    submit_and_accept(api, q1["id"], {**good, "BCM 4": [50, 100]})
    submit_and_accept(api, q2["id"], {**good, "BCM 4": [50, 100]})
    (breach,) = breaches(api, hf, "bcm-two-quarters")
    api("contract_manager", "POST", f"/api/v1/returns/{q2['id']}/transitions",
        {"trigger": "correct", "figures": good}, 200)
    api("contract_manager", "POST", f"/api/v1/returns/{q2['id']}/transitions", {"trigger": "accept"}, 200)
    (withdrawn,) = breaches(api, hf, "bcm-two-quarters")
    assert withdrawn["id"] == breach["id"] and withdrawn["status"] == "withdrawn"


@pytest.mark.rules("TH-20")
@time_machine.travel(NOW, tick=False)
def test_thurrock_a_kpi_missed_in_q1_and_again_in_q2_proposes_termination(api):
    th = contract_id(api, "SL-2025-02")
    q1 = period(api, th, "hard-outcomes", "2026-04-01")
    q2 = period(api, th, "hard-outcomes", "2026-07-01")
    kpis = template_kpis(api, q1["id"])
    good = {k: [100, 100] for k in kpis}
    good["KPI 2"] = [1.5, None]  # average length of stay in years: a ceiling of 2 (TH KPI 2)
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "SL-2025-02", "summary": "KPI 1"}, 201)
    # KPI 1 is (b + c) / 8 x 100 (A33): 7 of 8 is 87.5% against 95%.
    submit_and_accept(api, q1["id"], {**good, "KPI 1": [7, 8]})
    assert breaches(api, th, "still-not-met") == []
    submit_and_accept(api, q2["id"], {**good, "KPI 1": [7, 8]})
    (breach,) = breaches(api, th, "still-not-met")
    assert breach["actions"] == ["termination"] and "TH-20" in breach["cites"]
    # The case is open, so termination is put to the authorised officer at once, as the scheduler would (A53).
    assert breach["case_id"] == case["id"] and breach["proposals"][0]["kind"] == "termination"
    record = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}", status=200)
    assert record["records"]["termination"][0]["state"] == "considered"
    # Q2 was keyed wrongly: the corrected figures meet KPI 1, so the breach and its proposal are withdrawn.
    api("contract_manager", "POST", f"/api/v1/returns/{q2['id']}/transitions",
        {"trigger": "correct", "figures": {**good, "KPI 1": [8, 8]}}, 200)
    api("contract_manager", "POST", f"/api/v1/returns/{q2['id']}/transitions", {"trigger": "accept"}, 200)
    (withdrawn,) = breaches(api, th, "still-not-met")
    assert withdrawn["status"] == "withdrawn"
    record = api("contract_manager", "GET", f"/api/v1/cases/{case['id']}", status=200)
    assert record["records"]["termination"][0]["state"] == "not_pursued"
    assert any(e["event"] == "PROPOSAL_WITHDRAWN" and "cured" in e["reason"] for e in record["events"])


@pytest.mark.rules("CE-47")
@time_machine.travel(NOW, tick=False)
def test_ce_three_consecutive_missed_returns_is_a_service_failure(app, api):
    from datetime import UTC, datetime

    from scheduler.tick import tick

    ce = contract_id(api, "ECH-2024-01")
    set_due(api, ce, "four-weekly", "quarterly")
    with app.app_context():
        first = tick(datetime(2026, 12, 18, 14, 0, tzinfo=UTC), deliver_messages=False)
        again = tick(datetime(2026, 12, 18, 14, 0, tzinfo=UTC), deliver_messages=False)
        next_day = tick(datetime(2026, 12, 19, 9, 0, tzinfo=UTC), deliver_messages=False)
    assert first["monitoring"]["breaches_found"] > 0 and again["monitoring"]["breaches_found"] == 0
    # The sweep runs on the first tick of each day; evaluating again the next day finds nothing new.
    assert again["monitoring"]["done_today"] and "done_today" not in next_day["monitoring"]
    assert next_day["monitoring"]["breaches_found"] == 0
    found = breaches(api, ce, "returns-three-periods")
    four_weekly = [b for b in found if b["subject"] == "four-weekly"]
    assert len(four_weekly) == 1  # one run since the contract started, however long it goes on
    assert four_weekly[0]["actions"] == ["case", "action-plan"] and "CE-47" in four_weekly[0]["cites"]


@time_machine.travel(NOW, tick=False)
def test_a_late_submission_is_recorded_late(api):
    hf = contract_id(api, "HC-2024-05")
    set_due(api, hf, "bcm-quarterly")
    q1 = period(api, hf, "bcm-quarterly", "2026-04-01")
    good = {k: [100, 100] for k in template_kpis(api, q1["id"])}
    late = submit_and_accept(api, q1["id"], good, submitted_on="2026-07-15")
    assert late["late"] is True and late["submitted_on"] == "2026-07-15"


@time_machine.travel(NOW, tick=False)
def test_an_upload_with_errors_imports_nothing_and_names_row_and_column(app, api):
    from models import db
    from models.monitoring import ReturnSubmission

    hf = contract_id(api, "HC-2024-05")
    q1 = period(api, hf, "bcm-quarterly", "2026-04-01")
    kpis = template_kpis(api, q1["id"])
    lines = ["period_start,kpi,name,numerator,denominator"]
    lines += [f"2026-04-01,{k},,90,100" for k in kpis]
    lines[3] = f"2026-04-01,{kpis[2]},,ninety,100"
    lines.append("2026-04-01,BCM 99,,1,2")
    response = api("provider_manager", "POST", f"/api/v1/returns/{q1['id']}/upload", status=404,
                   data={"file": (io.BytesIO("\n".join(lines).encode()), "r.csv")},
                   content_type="multipart/form-data")
    body = api("contract_manager", "POST", f"/api/v1/returns/{q1['id']}/upload", status=422,
               data={"file": (io.BytesIO("\n".join(lines).encode()), "r.csv")}, content_type="multipart/form-data")
    assert {"row": 4, "column": "numerator", "message": "enter a number, for example 42 or 97.5"} in body["errors"]
    assert any(e["row"] == len(lines) and e["column"] == "kpi" for e in body["errors"])
    with app.app_context():
        assert db.session.query(ReturnSubmission).count() == 0
    assert api("contract_manager", "GET", f"/api/v1/returns/{q1['id']}", status=200)["state"] == "due"
    assert response is not None


@time_machine.travel(NOW, tick=False)
def test_the_provider_uploads_an_xlsx_return_from_the_template(api):
    from openpyxl import Workbook, load_workbook

    kt = contract_id(api, "LDDS-2023-07")
    rows = api.every("provider_manager", f"/api/v1/returns?contract={kt}")
    row = next(r for r in rows if r["return"] == "six-monthly" and r["period_end"] < "2026-12-18")
    template = api("provider_manager", "GET", f"/api/v1/returns/{row['id']}/template.xlsx", status=200)
    sheet = load_workbook(io.BytesIO(template.get_data())).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["period_start", "kpi", "name", "numerator", "denominator"]
    filled = Workbook()
    out_sheet = filled.active
    out_sheet.append(values[0])
    for r in values[1:]:
        out_sheet.append([r[0], r[1], r[2], 95, 100])
    out = io.BytesIO()
    filled.save(out)
    body = api("provider_manager", "POST", f"/api/v1/returns/{row['id']}/upload", status=200,
               data={"file": (io.BytesIO(out.getvalue()), "return.xlsx")}, content_type="multipart/form-data")
    (imported,) = body["imported"]
    assert imported["state"] == "submitted" and imported["submissions"][0]["source"] == "xlsx"
    # The provider cannot accept its own return; another provider's return is not there at all.
    api("provider_manager", "POST", f"/api/v1/returns/{row['id']}/transitions", {"trigger": "accept"}, 403)
    hf = contract_id(api, "HC-2024-05")
    other = period(api, hf, "bcm-quarterly", "2026-04-01")
    api("provider_manager", "GET", f"/api/v1/returns/{other['id']}", status=404)
    assert all(r["contract_id"] == kt for r in api("provider_manager", "GET", "/api/v1/returns", status=200)["items"])


@time_machine.travel(NOW, tick=False)
def test_a_return_still_to_come_has_a_deadline_the_scheduler_reminds_and_a_submission_meets(app, api):
    hf = contract_id(api, "HC-2024-05")
    set_due(api, hf, "monthly-template")
    november = period(api, hf, "monthly-template", "2026-11-01")
    record = api("contract_manager", "GET", f"/api/v1/returns/{november['id']}", status=200)
    assert record["due_on"] == "2026-12-14"  # already past on 18 December: no deadline, the late rules apply
    december = period(api, hf, "monthly-template", "2026-12-01")
    assert december["due_on"] == "2027-01-15"  # 10 working days after 31 December, past New Year's Day
    from sqlalchemy import select

    from models import db
    from models.cases import Deadline
    from models.scheduling import Timer

    with app.app_context():
        deadline = db.session.scalar(select(Deadline).where(Deadline.entity_type == "return",
                                                            Deadline.entity_id == december["id"]))
        assert (deadline.kind, deadline.rule, deadline.acts, deadline.status) == (
            "return_due", "HF-39", "provider", "running")
        kinds = sorted(t.kind for t in db.session.scalars(select(Timer).where(Timer.deadline_id == deadline.id)))
        assert "reminder" in kinds and "breach" in kinds
        assert db.session.scalar(select(Deadline.id).where(Deadline.entity_type == "return",
                                                           Deadline.entity_id == november["id"])) is None


@pytest.mark.rules("CE-38")
@time_machine.travel(NOW, tick=False)
def test_ce_two_defaults_in_six_months_propose_a_suspension(app, api):
    ce = contract_id(api, "ECH-2024-01")
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "ECH-2024-01", "summary": "Defaults"}, 201)
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "default", "on": "2026-05-02", "ref": "DN-1"}, 201)
    assert breaches(api, ce, "serious-default") == []
    # 2 May to 1 November is within six months (the window ends on the second default): a serious default (CE-38).
    # The boundary (1 May is outside) is tested in tests/unit/test_breach.py.
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "default", "on": "2026-11-01", "ref": "DN-2"}, 201)
    (serious,) = breaches(api, ce, "serious-default")
    # A14: CE-38's suspension needs a live notice, a default notice in force or an LSE; recorded events alone are not
    # one, so nothing is proposed (tests/integration/test_contract_rules_api.py::test_ce_38_*).
    assert serious["actions"] == ["suspension"] and serious["proposals"] == []
    assert serious["case_id"] == case["id"]
    api("provider_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "default", "on": "2026-11-02"}, 404)
    kt = contract_id(api, "LDDS-2023-07")
    api("provider_manager", "POST", f"/api/v1/contracts/{kt}/monitoring-events",
        {"kind": "default", "on": "2026-11-02"}, 403)
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "tea-break", "on": "2026-11-02"}, 422)


@time_machine.travel(NOW, tick=False)
def test_ce_cqc_inadequate_is_a_default_and_suspension_with_immediate_effect(app, api):
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from models import db
    from models.entities import Contract, CqcRatingValue, User
    from models.provider_store import record_cqc_rating
    from scheduler.tick import tick

    ce = contract_id(api, "ECH-2024-01")
    now = datetime(2026, 12, 18, 14, tzinfo=UTC)
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.email == "contract.manager@remedy.example"))
        provider_id = db.session.get(Contract, ce).provider_id
        record_cqc_rating(manager.viewer, manager, provider_id, CqcRatingValue.INADEQUATE, date(2026, 12, 17), None,
                          date(2026, 12, 18), now)
        db.session.commit()
        tick(now, deliver_messages=False)
    (breach,) = breaches(api, ce, "cqc-inadequate")
    assert breach["actions"] == ["default", "suspension"] and breach["immediate"] is True
    assert "Inadequate" in breach["summary"] or "inadequate" in breach["summary"]
    assert breaches(api, ce, "local-rating-inadequate") == []


@time_machine.travel(NOW, tick=False)
def test_ce_timeliness_and_accuracy_are_computed_by_remedy_not_asked_of_the_provider(api):
    ce = contract_id(api, "ECH-2024-01")
    set_due(api, ce, "four-weekly", "quarterly")
    rows = api.every("contract_manager", f"/api/v1/returns?contract={ce}")
    closed = sorted((r for r in rows if r["return"] == "four-weekly" and r["period_end"] < "2026-12-18"),
                    key=lambda r: r["period_start"])
    target, before = closed[-1], closed[-2]
    due_inside = [r for r in rows if r["due_on"] and target["period_start"] <= r["due_on"] <= target["period_end"]]
    assert before["id"] in [r["id"] for r in due_inside]  # last period's return falls due in this one
    kpis = template_kpis(api, target["id"])
    assert "CE-K14" not in kpis and "CE-K15" not in kpis and "CE-K02" in kpis
    good = {k: [100, 100] for k in kpis}
    good["CE-C03"] = [0, None]
    # Last period's return on its due date and accepted without a query; anything else due stays missing.
    submit_and_accept(api, before["id"], good, submitted_on=before["due_on"])
    submit_and_accept(api, target["id"], good, submitted_on=target["due_on"] if target["due_on"] < "2026-12-18"
                      else "2026-12-18")
    results = {r["kpi"]: r for r in api.every("contract_manager", f"/api/v1/kpi-results?contract={ce}")
            if r["period_start"] == target["period_start"]}
    assert results["CE-K14"]["value"] == pytest.approx(100 / len(due_inside))
    assert results["CE-K15"]["value"] == 100


@time_machine.travel(NOW, tick=False)
def test_ce38_counts_default_notices_served_on_the_contract(app, api):
    """Serving a default notice is a default for CE-38's rolling window: two in six months is a serious default
    the breach engine finds without anyone also recording them as monitoring events (and counts each once)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from models import db
    from models.entities import Contract
    from models.return_store import evaluate_contract

    ce = contract_id(api, "ECH-2024-01")
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "ECH-2024-01", "summary": "Defaults"}, 201)
    serve = {"method": "hand", "default_description": "Missed visits (CE-C03)", "remedial_action": "A full rota",
             "remedy_days": 5}
    def serve_default(served_on):
        default = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices", {}, 201)
        api("commissioning_manager", "POST", f"/api/v1/default-notices/{default['id']}/transitions",
            {"trigger": "serve", "served_on": served_on, **serve}, 200)

    def evaluate():
        with app.app_context():
            contract = db.session.scalar(select(Contract).where(Contract.reference == "ECH-2024-01"))
            evaluate_contract(contract, date(2026, 12, 18), datetime(2026, 12, 18, 14, tzinfo=UTC))
            db.session.commit()

    serve_default("2026-07-01")
    # The same notice also recorded by hand as a monitoring event: still one default, so no serious default.
    api("contract_manager", "POST", f"/api/v1/contracts/{ce}/monitoring-events",
        {"kind": "default", "on": "2026-07-01", "ref": "Default notice 1"}, 201)
    evaluate()
    assert breaches(api, ce, "serious-default") == []
    serve_default("2026-12-18")
    evaluate()
    (serious,) = breaches(api, ce, "serious-default")
    assert serious["case_id"] == case["id"] and serious["proposals"][0]["kind"] == "suspension"


@time_machine.travel(NOW, tick=False)
def test_kent_a_red_kpi_asks_for_an_action_plan_and_a_second_red_period_a_formal_warning(api):
    """KT-03/A20: a Red KPI needs an Appendix A action plan; KT-17 (A20's reading): Red in two consecutive periods
    is continuous failure, for which a formal warning is proposed."""
    kt = contract_id(api, "LDDS-2023-07")
    first = period(api, kt, "six-monthly", "2026-04-01")
    kpis = template_kpis(api, first["id"])
    assert "S3" in kpis
    submit_and_accept(api, first["id"], {k: [90, 100] for k in kpis} | {"S3": [70, 100]})
    reds = breaches(api, kt, "red")
    assert reds and all(b["actions"] == ["action-plan"] for b in reds)
    assert any("S3" in " ".join(b["figures"]) for b in reds)
    assert breaches(api, kt, "continued-red") == []  # one period is not continuous failure


@time_machine.travel(NOW, tick=False)
def test_cornwall_a_kpi_below_target_is_raised_as_a_concern_only(api):
    """CW-24/A26: Cornwall's specification sets no sanction; a KPI below target is raised at the quarterly
    monitoring meeting, so the only proposal is a concern (its cases never reach a sanction, A26)."""
    cw = contract_id(api, "LC-2024-03")
    q1 = period(api, cw, "quarterly", "2026-04-01")
    kpis = template_kpis(api, q1["id"])
    submit_and_accept(api, q1["id"], {k: [10, 100] for k in kpis})
    below = breaches(api, cw, "below-target")
    assert below and {tuple(b["actions"]) for b in below} == {("concern",)}
