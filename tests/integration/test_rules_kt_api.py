"""Kent's catalogue rules (shared/domain/rules.md 1.2) exercised through the API: every KPI's RAG bands as the seed
gives them, on a contract holding every lot, the Amber and Red consequences, year one, and the council's requests.
Each test names the rules it pins in a `rules` marker (read by tools/rules_coverage.py)."""

from datetime import date

import pytest
import time_machine

from tests.integration.test_returns_api import breaches, contract_id, template_kpis

NOW = "2026-12-18T14:00:00+00:00"
KENT = "LDDS-2023-07"
HIGHER_85_95 = "Red <85%, Amber 85-95%, Green >95%"
HIGHER_85_99 = "Red <85%, Amber 85-99%, Green 100%"
LOWER_10_25 = "Red >25%, Amber 10-25%, Green <10%"
# KPI: (the seed's bands as the API states them, a Red, an Amber and a Green value): seed 001's KPI tables.
BANDS = {
    "S1": (LOWER_10_25, 26, 25, 9), "S2": (HIGHER_85_95, 84, 85, 96), "S3": (HIGHER_85_95, 84, 95, 96),
    "S4a": ("Red <75%, Amber 75-95%, Green >95%", 74, 75, 96),
    "S4b": ("Red <65%, Amber 65-85%, Green >85%", 64, 85, 86),
    "S4c": (HIGHER_85_99, 84, 99, 100), "S5": (HIGHER_85_99, 84, 85, 100), "S6": (HIGHER_85_99, 84, 99, 100),
    "W1": (HIGHER_85_95, 84, 85, 96), "W2": ("Red <65%, Amber 65-95%, Green >95%", 64, 65, 96),
    "I1": ("Red <75%, Amber 75-95%, Green >95%", 74, 95, 96), "I2": (HIGHER_85_95, 84, 85, 96),
    "I3": ("Red <75%, Amber 75-95%, Green >95%", 74, 75, 96), "I4": (LOWER_10_25, 26, 10, 9),
    "E1": (HIGHER_85_99, 84, 99, 100), "E2": (LOWER_10_25, 30, 10, 5), "E3": (HIGHER_85_95, 84, 95, 96),
    "E4": ("Red <65%, Amber 65-75%, Green >75%", 64, 75, 76), "A1": (HIGHER_85_95, 84, 85, 96),
    "A2": (HIGHER_85_95, 80, 90, 100), "T1": ("Red <95%, Amber 95-99%, Green 100%", 94, 99, 100),
}
INFO = ["INFO W1", "INFO W2", "INFO W3", "INFO I1", "INFO I2", "INFO I3", "INFO E1", "INFO E2", "INFO A1", "INFO A2",
        "INFO A3a", "INFO A3b", "INFO A3c", "INFO A4", "INFO T1", "INFO T2"]
PERIODS = {"annual": "2025-10-01", "six-monthly": "2026-04-01", "quarterly": "2026-07-01"}


def every_lot(app, start_on=None):
    """The demo's Kent provider holds lots 1a and 2a; these tests need a contract holding every lot."""
    from sqlalchemy import select

    from models import db
    from models.entities import Contract

    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == KENT))
        contract.lots = ["1a", "1b", "2a", "2b", "3", "4", "Transport"]
        if start_on:
            contract.start_on = start_on
        db.session.commit()
        return contract.id


def kent_periods(api, kt):
    rows = api.every("contract_manager", f"/api/v1/returns?contract={kt}")
    return {r["return"]: r for r in rows if PERIODS.get(r["return"]) == r["period_start"]}


def figures(kpis, band):
    """Each KPI at its value for the band (0 Red, 1 Amber, 2 Green); S2 is (y - x) / y (A17); INFO rows at 50%."""
    out = {}
    for kpi in kpis:
        value = BANDS[kpi][1 + band] if kpi in BANDS else 50
        out[kpi] = [100 - value, 100] if kpi == "S2" else [value, 100]
    return out


def send(api, row, kpis, band, first=False):
    trigger = "submit" if first else "correct"
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions",
        {"trigger": trigger, "figures": figures(kpis, band)}, 200)
    api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions", {"trigger": "accept"}, 200)


def rags(api, kt):
    starts = set(PERIODS.values())
    return {r["kpi"]: r for r in api.every("contract_manager", f"/api/v1/kpi-results?contract={kt}")
            if r["period_start"] in starts}


def proposed(api, kt, rule_id):
    return sorted(b["subject"] for b in breaches(api, kt, rule_id) if b["status"] == "proposed")


@pytest.mark.rules("KT-K01", "KT-K02", "KT-K03", "KT-K04", "KT-K05", "KT-K06", "KT-K07", "KT-K08", "KT-K09",
                   "KT-K10", "KT-K11", "KT-K12", "KT-K13", "KT-K14", "KT-K15", "KT-K16", "KT-K17", "KT-K18",
                   "KT-K19", "KT-K20", "KT-K21", "KT-I01", "KT-I04", "KT-I07", "KT-I09", "KT-I15", "KT-22",
                   "KT-03", "KT-06", "KT-07")
@time_machine.travel(NOW, tick=False)
def test_every_kpi_has_the_seeds_bands_and_amber_asks_for_reasons_red_for_an_action_plan(app, api):
    """All 21 KPIs of seed 001 (S1 to T1) on their returns and frequencies, each with its RAG bands and direction,
    at a value in each band; the 16 INFO indicators (KT-I01 to I16, INFO A4 is KT-22) are monitor only. Amber asks
    the provider for reasons (KT-07, a concern); Red asks for an Appendix A action plan (KT-03); I4 is never
    escalated (A18)."""
    kt = every_lot(app)
    periods = kent_periods(api, kt)
    kpis = {name: template_kpis(api, row["id"]) for name, row in periods.items()}
    assert kpis["annual"] == ["S4a", "S4b", "S4c", "S5", "S6", "W1", "E4"]
    assert kpis["quarterly"] == ["E3", "T1"]
    assert set(kpis["six-monthly"]) == (set(BANDS) - set(kpis["annual"]) - set(kpis["quarterly"])) | set(INFO)

    for band, rag in enumerate(("red", "amber", "green")):
        for name, row in periods.items():
            send(api, row, kpis[name], band, first=band == 0)
        results = rags(api, kt)
        assert {k: results[k]["rag"] for k in BANDS} == dict.fromkeys(BANDS, rag)
        if rag == "red":
            assert {k: results[k]["target"] for k in BANDS} == {k: b[0] for k, b in BANDS.items()}
            assert {k: (results[k]["rag"], results[k]["target"]) for k in INFO} == dict.fromkeys(
                INFO, (None, "Monitor only"))
            red = breaches(api, kt, "red")
            assert sorted(b["subject"] for b in red) == sorted(set(BANDS) - {"I4"})  # A18: I4 is never escalated
            assert all(b["actions"] == ["action-plan"] and "KT-03" in b["cites"] and not b["advisory"] for b in red)
        if rag == "amber":
            amber = breaches(api, kt, "amber")
            assert proposed(api, kt, "amber") == sorted(set(BANDS) - {"I4"})
            assert all(b["actions"] == ["concern"] and "KT-07" in b["cites"] for b in amber)
            assert proposed(api, kt, "red") == []  # the corrected figures cured every Red
    assert proposed(api, kt, "red") == proposed(api, kt, "amber") == []  # Green: no action


@pytest.mark.rules("KT-10")
@time_machine.travel(NOW, tick=False)
def test_red_in_the_first_contract_year_is_advisory_only(app, api):
    """KT-10 (A23): year-one targets are indicative: a Red in the first contract year is shown, marked advisory, and
    proposes nothing (a year later the same Red asks for an action plan: the first test)."""
    kt = every_lot(app, start_on=date(2025, 10, 1))
    row = kent_periods(api, kt)["six-monthly"]  # April to September 2026: the contract's first year
    kpis = template_kpis(api, row["id"])
    send(api, row, kpis, 0, first=True)
    red = breaches(api, kt, "red")
    assert red and all(b["advisory"] and b["proposals"] == [] for b in red)
    assert rags(api, kt)["S3"]["rag"] == "red"  # still shown Red: only the escalation waits


@pytest.mark.rules("KT-20", "KT-21")
def test_the_council_asks_for_information_and_an_iso27001_audit_by_a_date_it_sets(app, api):
    """KT-21 (information on reasonable request) and KT-20 (an ISO27001 audit of the information security management
    system) name no period: the council sets the date when it asks, and an answer after it is late."""
    from datetime import UTC, datetime

    from scheduler.tick import tick

    kt = contract_id(api, KENT)
    with time_machine.travel("2027-01-04T10:00:00+00:00", tick=False):
        made = {kind: api("contract_manager", "POST", "/api/v1/requests", {
            "contract_id": kt, "request_type": kind, "asked_on": "2027-01-04", "due_on": "2027-01-08",
            "what_asked": "As the contract says"}, 201) for kind in ("information-and-reports", "iso27001-audit")}
        assert api("contract_manager", "POST", "/api/v1/requests", {
            "contract_id": kt, "request_type": "iso27001-audit", "asked_on": "2027-01-04",
            "what_asked": "x"}, 422)["field"] == "due_on"
    assert {k: (r["rule"], r["due_on"]) for k, r in made.items()} == {
        "information-and-reports": ("KT-21", "2027-01-08"), "iso27001-audit": ("KT-20", "2027-01-08")}
    with time_machine.travel("2027-01-06T10:00:00+00:00", tick=False):
        on_time = api("provider_manager", "POST", f"/api/v1/requests/{made['information-and-reports']['id']}/"
                      "transitions", {"trigger": "answer", "answered_on": "2027-01-06",
                                      "answer": "Attendance and incident reports sent"}, 200)
    assert (on_time["state"], on_time["late"]) == ("answered", False)
    with app.app_context():
        tick(datetime(2027, 1, 11, 9, 0, tzinfo=UTC), deliver_messages=False)
    with time_machine.travel("2027-01-11T10:00:00+00:00", tick=False):
        audit = api("provider_manager", "GET", f"/api/v1/requests/{made['iso27001-audit']['id']}", status=200)
    assert (audit["state"], audit["late"]) == ("overdue", True)
