"""Issue 14, item 3: targets that change over time (KT-04, CW-25, A62, TH-18), end to end through the JSON API.

An administrator changes a KPI's target from a date, with a reason on the audit trail; a period starting from that
date is judged against it, an earlier one keeps the target in force when it started, and a breach already recorded
is never withdrawn or rewritten by a target change (seed 001 l.822: changes to target service levels by Change
Control; seed 002 l.540: annual targets reviewed in quarter 4 "for the forthcoming financial year")."""

from dataclasses import replace
from datetime import UTC, date, datetime

import time_machine

NOW = "2026-12-18T14:00:00+00:00"
LATER = "2027-04-20T10:00:00+00:00"  # Q3 (October to December) and Q4 (January to March) 2026-27 have closed
REASON = "Agreed at the Q3 performance review under Change Control (KT-04): 80% from January"




def contract_id(api, reference):
    return next(c["id"] for c in api("contract_manager", "GET", "/api/v1/contracts", status=200)["items"]
                if c["reference"] == reference)


def period(api, contract, return_id, start):
    rows = api.every("contract_manager", f"/api/v1/returns?contract={contract}")
    return next(r for r in rows if r["return"] == return_id and r["period_start"] == start)


def figures(api, row_id, **given):
    """Every KPI of the return's template at 100 of 100, except those given (KPI id with spaces as underscores)."""
    response = api("contract_manager", "GET", f"/api/v1/returns/{row_id}/template.csv", status=200)
    kpis = [line.split(",")[1] for line in response.get_data(as_text=True).splitlines()[1:]]
    return {k: given.get(k.replace(" ", "_"), [100, 100]) for k in kpis}


def submit_and_accept(api, row_id, values):
    api("contract_manager", "POST", f"/api/v1/returns/{row_id}/transitions", {"trigger": "submit", "figures": values},
        200)
    return api("contract_manager", "POST", f"/api/v1/returns/{row_id}/transitions", {"trigger": "accept"}, 200)


def breaches(api, contract, rule_id):
    return [b for b in api.every("contract_manager", f"/api/v1/breaches?contract={contract}")
            if b["rule_id"] == rule_id]


def settings_url(contract):
    return f"/api/v1/contracts/{contract}/settings"


def results(api, contract, kpi_id):
    return {r["period_start"]: r for r in api.every("contract_manager", f"/api/v1/kpi-results?contract={contract}")
            if r["kpi"] == kpi_id}


@time_machine.travel(NOW, tick=False)
def test_kt_04_an_admin_changes_a_target_from_a_date_and_past_periods_keep_theirs(app, api):
    hf = contract_id(api, "HC-2024-05")
    q1 = period(api, hf, "bcm-quarterly", "2026-04-01")
    q2 = period(api, hf, "bcm-quarterly", "2026-07-01")
    submit_and_accept(api, q1["id"], figures(api, q1["id"], BCM_3=[84, 100]))
    submit_and_accept(api, q2["id"], figures(api, q2["id"]))  # Q2 met: no run from Q1
    (q1_breach,) = breaches(api, hf, "bcm-missed")
    assert q1_breach["figures"] == ["BCM 3 Q1 2026-27: 84% (Red) against at least 85%."]

    body = {"key": "kpi_targets", "value": {"BCM 3": [{"from": "2027-01-01", "target": 80}]}, "reason": REASON}
    api("contract_manager", "POST", settings_url(hf), body, 403)  # only an administrator
    assert api("admin", "POST", settings_url(hf), {**body, "reason": " "}, 422)["field"] == "reason"
    # A change reaching back over periods already started is refused: they keep the target that applied then.
    past = api("admin", "POST", settings_url(hf), {**body, "value": {"BCM 3": [{"from": "2026-04-01", "target": 80}]}},
               422)
    assert past["field"] == "from" and "has already applied" in past["error"]
    assert "a percentage target must be from 0 to 100" in api("admin", "POST", settings_url(hf), {
        **body, "value": {"BCM 3": [{"from": "2027-01-01", "target": 800}]}}, 422)["error"]
    changed = api("admin", "POST", settings_url(hf), body, 200)
    (row,) = [i for i in changed["items"] if i["key"] == "kpi_targets"]
    assert (row["item"], row["source"]) == ("BCM 3", "council setting")
    assert row["value"] == "at least 85%; from 1 January 2027: at least 80% (council setting)"
    # The audit trail has the change, who made it and why.
    (change,) = [e for e in api("contract_manager", "GET", settings_url(hf), status=200)["changes"]
                 if e["data"]["key"] == "kpi_targets"]
    assert change["event"] == "CONTRACT_SETTING_CHANGED" and change["reason"] == REASON
    assert (change["data"]["before"], change["data"]["after"]) == (None, body["value"])

    with time_machine.travel(LATER, tick=False):
        q3 = period(api, hf, "bcm-quarterly", "2026-10-01")
        q4 = period(api, hf, "bcm-quarterly", "2027-01-01")
        submit_and_accept(api, q3["id"], figures(api, q3["id"], BCM_3=[82, 100]))
        submit_and_accept(api, q4["id"], figures(api, q4["id"], BCM_3=[82, 100]))
        by_period = results(api, hf, "BCM 3")
        # Q3 started before 1 January: 82% misses 85%. Q4 started on it: 82% meets the new 80%.
        assert (by_period["2026-10-01"]["rag"], by_period["2026-10-01"]["target"]) == ("red", "at least 85%")
        assert (by_period["2027-01-01"]["rag"], by_period["2027-01-01"]["target"]) == (
            "green", "at least 80% (from 1 January 2027, council setting)")
        assert by_period["2026-04-01"]["target"] == "at least 85%"
        missed = breaches(api, hf, "bcm-missed")
        assert sorted(b["figures"][0] for b in missed) == [
            "BCM 3 Q1 2026-27: 84% (Red) against at least 85%.", "BCM 3 Q3 2026-27: 82% (Red) against at least 85%."]
        assert breaches(api, hf, "bcm-two-quarters") == []  # Q4 met the target in force: no second quarter
        # The Q1 breach recorded before the change is as it was.
        (kept,) = [b for b in missed if b["id"] == q1_breach["id"]]
        assert {k: kept[k] for k in ("status", "figures", "summary", "occurred_on")} == {
            k: q1_breach[k] for k in ("status", "figures", "summary", "occurred_on")}


@time_machine.travel(NOW, tick=False)
def test_a_re_evaluation_after_a_target_change_never_rewrites_a_past_breach(app, api, monkeypatch):
    from scheduler.tick import tick
    from workflows.monitoring import TargetVersion

    hf = contract_id(api, "HC-2024-05")
    q1 = period(api, hf, "bcm-quarterly", "2026-04-01")
    q2 = period(api, hf, "bcm-quarterly", "2026-07-01")
    submit_and_accept(api, q1["id"], figures(api, q1["id"], BCM_3=[84, 100]))
    submit_and_accept(api, q2["id"], figures(api, q2["id"], BCM_3=[83, 100]))
    before = {b["id"]: b for rule in ("bcm-missed", "bcm-two-quarters") for b in breaches(api, hf, rule)}
    assert len(before) == 3 and all(b["status"] == "proposed" for b in before.values())
    # Suppose the rulebook were edited so BCM 3's 80% reached back to 1 April 2026 (the council's setting cannot:
    # see the test above). Judged afresh, both quarters would now meet it.
    books = app.extensions["rulebooks"]
    book = books["hammersmith-fulham-home-care"]
    kpis = tuple(replace(k, versions=(TargetVersion(on=date(2026, 4, 1), target=80.0),)) if k.id == "BCM 3" else k
                 for k in book.monitoring.kpis)
    monkeypatch.setitem(books, book.id, replace(book, monitoring=replace(book.monitoring, kpis=kpis)))
    with app.app_context():
        swept = tick(datetime(2026, 12, 19, 9, 0, tzinfo=UTC), deliver_messages=False)
    assert swept["monitoring"]["breaches_withdrawn"] == 0
    after = {b["id"]: b for rule in ("bcm-missed", "bcm-two-quarters") for b in breaches(api, hf, rule)}
    fields = ("status", "figures", "summary", "occurred_on", "version")  # not withdrawn, not even touched
    assert {i: {f: b[f] for f in fields} for i, b in after.items()} == {
        i: {f: b[f] for f in fields} for i, b in before.items()}
    # The periods keep the judgement made when their figures were accepted.
    assert {s: (r["rag"], r["target"]) for s, r in results(api, hf, "BCM 3").items()} == {
        "2026-04-01": ("red", "at least 85%"), "2026-07-01": ("red", "at least 85%")}
