"""The returns and performance pages: the schedule both sides see, upload with row and column errors, accepting,
the heatmap with RAG in words, the trend chart with its table, CSV exports and the annual assessment."""

import csv
import io
import json
import re

import time_machine

from tests.conftest import assert_page, csrf_token

NOW = "2026-12-18T14:00:00+00:00"


def _return_id(app, reference, return_id, start):
    from datetime import date

    from sqlalchemy import select

    from models import db
    from models.entities import Contract
    from models.monitoring import MonitoringReturn

    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.reference == reference))
        return db.session.scalar(select(MonitoringReturn.id).where(
            MonitoringReturn.contract_id == contract.id, MonitoringReturn.return_id == return_id,
            MonitoringReturn.period_start == date.fromisoformat(start))), contract.id


def _upload(browser, row_id, text, name="return.csv"):
    page = browser.get(f"/returns/{row_id}").get_data(as_text=True)
    return browser.client.post(f"/returns/{row_id}/upload", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data")


@time_machine.travel(NOW, tick=False)
def test_provider_uploads_a_return_and_the_council_accepts_it_and_sees_the_heatmap(app, login_as):
    provider = login_as("provider_manager")
    html = assert_page(provider.get("/returns"), "Monitoring returns")
    assert "LDDS-2023-07" in html and "HC-2024-05" not in html  # only their own contract
    row_id, contract_id = _return_id(app, "LDDS-2023-07", "six-monthly", "2026-04-01")
    html = assert_page(provider.get(f"/returns/{row_id}"), "Provider Return (six-monthly")
    template = provider.get(f"/returns/{row_id}/template.csv").get_data(as_text=True).splitlines()
    kpis = [line.split(",")[1] for line in template[1:]]
    # One bad cell: nothing is imported and the error names the row and column.
    lines = [template[0]] + [f"2026-04-01,{k},,90,100" for k in kpis]
    bad = kpis[2]  # S3, higher is better: Red below 85%
    lines[3] = f"2026-04-01,{bad},,lots,100"
    html = assert_page(_upload(provider, row_id, "\n".join(lines)), "Provider Return (six-monthly", 422)
    assert "Row 4, column numerator: enter a number" in html and "govuk-error-summary" in html
    assert '<a href="#file">Row 4, column numerator: enter a number' in html  # the summary links to the field
    assert 'id="file-error"' in html and "govuk-file-upload--error" in html
    assert "Not yet" in provider.get(f"/returns/{row_id}").get_data(as_text=True)
    lines[3] = f"2026-04-01,{bad},,70,100"
    response = _upload(provider, row_id, "\n".join(lines))
    assert response.status_code == 303
    html = provider.get(f"/returns/{row_id}").get_data(as_text=True)
    # Kent sets no due date for its returns, so timeliness is never counted (A4).
    assert "Version 1, sent 18 December 2026 by CSV" in html and "(late)" not in html
    # A4: the Due row says it is not set, and the one line under it says why and what to do; not twice.
    # The provider reads who sets it: the council, on the contract.
    assert "Not set" in html and html.count("sets one on the contract") == 1
    assert "no due date set: the contract gives none (A4, KT-03" in html
    assert "the council sets one on the contract" in html
    manager = login_as("contract_manager")
    page = manager.get(f"/returns/{row_id}").get_data(as_text=True)
    assert "Accept the return" in page
    response = manager.client.post(f"/returns/{row_id}/decide", data={"csrf_token": csrf_token(page),
                                                                      "trigger": "accept"})
    assert response.status_code == 303
    html = assert_page(manager.get("/performance"), "Performance")
    assert "KPI by period for LDDS-2023-07" in html and "Red</strong>" in html and "70%" in html
    trend = assert_page(manager.get(f"/performance/{contract_id}/kpis/{bad}"), f"{bad} trend")
    assert "<svg" in trend and "The figures in the chart" in trend and "70%" in trend
    csv_text = manager.get("/performance?format=csv").get_data(as_text=True)
    assert csv_text.startswith("provider,contract,kpi,period") and f"LDDS-2023-07,{bad}" in csv_text
    assessment = json.loads(manager.get(f"/performance/{contract_id}/assessment?year=2026&format=json").data)
    rated = {k["kpi"]: k["rating"] for k in assessment["kpis"]}
    assert rated[bad] == "Inadequate" and assessment["year"] == 2026
    assert manager.get(f"/performance/{contract_id}/assessment?year=2026&format=csv").data.startswith(b"kpi,name")
    assert_page(manager.get(f"/performance/{contract_id}/assessment?year=2026"), "Annual KPI assessment")
    assert "returns, page 1 of" in manager.get("/returns").get_data(as_text=True)
    returns_csv = list(csv.reader(io.StringIO(manager.get("/returns?format=csv").get_data(as_text=True))))
    header = returns_csv[0]
    assert header[:5] == ["Reference", "Summary", "Provider", "Contract", "Status"]
    assert header[-4:] == ["Period ends", "Due", "Submitted on", "Late"]
    assert all(len(row) == len(header) for row in returns_csv) and len(returns_csv) > 1
    # Every period has its end; a period still running has no due date yet.
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[header.index("Period ends")]) for row in returns_csv[1:])
    assert all(re.fullmatch(r"(\d{4}-\d{2}-\d{2})?", row[header.index("Due")]) for row in returns_csv[1:])


@time_machine.travel(NOW, tick=False)
def test_a_provider_cannot_see_another_providers_return_or_decide_its_own(app, login_as):
    provider = login_as("provider_manager")
    provider.get("/returns")
    other_id, other_contract = _return_id(app, "HC-2024-05", "bcm-quarterly", "2026-04-01")
    assert provider.get(f"/returns/{other_id}").status_code == 404
    assert provider.get(f"/returns/{other_id}/template.csv").status_code == 404
    assert provider.get(f"/performance/{other_contract}/assessment").status_code == 404
    own_id, _ = _return_id(app, "LDDS-2023-07", "six-monthly", "2026-04-01")
    page = provider.get(f"/returns/{own_id}").get_data(as_text=True)
    assert "Accept the return" not in page


@time_machine.travel(NOW, tick=False)
def test_a_contract_manager_confirms_a_breach_and_the_case_opens(app, login_as):
    from datetime import UTC, date, datetime

    from models import db
    from models.contract_settings_store import change_setting
    from models.user_store import find_user_by_email
    from scheduler.tick import tick

    with app.app_context():
        # A4: the council sets the due dates the seed does not give; only then can returns be late (CE-47).
        admin = find_user_by_email("admin@remedy.example")
        change_setting(admin.viewer, admin, "ECH-2024-01", "return_due",
                       {"four-weekly": {"working_days": 10, "from": "2024-04-01"}}, "Council timetable",
                       date(2026, 12, 18), datetime(2026, 12, 18, 14, tzinfo=UTC))
        db.session.commit()
        tick(datetime(2026, 12, 18, 14, tzinfo=UTC), deliver_messages=False)
    provider = login_as("provider_manager")
    html = assert_page(provider.get("/breaches"), "Breaches")
    assert "HC-2024-05" not in html
    assert "/decide" not in html  # no confirm or dismiss buttons for the provider
    manager = login_as("contract_manager")
    html = assert_page(manager.get("/breaches"), "Breaches")
    assert "CE-47" in html and "Proposed: case, action plan." in html
    breach_id = int(re.search(r'/breaches/(\d+)/decide', html).group(1))
    response = manager.client.post(f"/breaches/{breach_id}/decide", data={"csrf_token": csrf_token(html),
                                                                          "trigger": "dismiss", "reason": ""})
    assert response.status_code == 303
    assert "Enter why no action is needed" in manager.get("/breaches").get_data(as_text=True)
    response = manager.client.post(f"/breaches/{breach_id}/decide", data={"csrf_token": csrf_token(html),
                                                                          "trigger": "confirm"})
    assert response.status_code == 303 and "/cases/" in response.headers["Location"]
    case = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "Breach confirmed" in case
    # The page shows each breach's own columns from its row: the confirmed one links to its case, with its figures.
    html = manager.get("/breaches?show=all").get_data(as_text=True)
    confirmed = html.split(f"Figures<span class=\"govuk-visually-hidden\"> for breach {breach_id}</span>")[1]
    confirmed = confirmed.split("</tr>")[0]
    assert "<li>" in confirmed and "Confirmed" in confirmed
    assert f'Case<span class="govuk-visually-hidden"> for breach {breach_id}</span>' in confirmed
    # The CSV adds the same columns: its proposed actions, figures, case and whether with immediate effect.
    breaches_csv = list(csv.reader(io.StringIO(manager.get("/breaches?format=csv").get_data(as_text=True))))
    header = breaches_csv[0]
    assert header[:5] == ["Reference", "Summary", "Provider", "Contract", "Status"]
    assert header[-4:] == ["Proposed actions", "Figures", "Case", "Immediate effect"]
    assert all(len(row) == len(header) for row in breaches_csv)
    assert any("case" in row[header.index("Proposed actions")] and row[header.index("Figures")]
               for row in breaches_csv[1:]), breaches_csv
    # A provider cannot decide, even by posting the form.
    page = provider.get("/breaches").get_data(as_text=True)
    response = provider.client.post(f"/breaches/{breach_id}/decide", data={"csrf_token": csrf_token(page),
                                                                           "trigger": "confirm"})
    assert response.status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_provider_submits_by_form_and_corrects_it(app, login_as):
    provider = login_as("provider_manager")
    provider.get("/returns")
    row_id, _ = _return_id(app, "LDDS-2023-07", "six-monthly", "2025-10-01")
    page = assert_page(provider.get(f"/returns/{row_id}"), "Provider Return (six-monthly")
    fields = sorted(set(re.findall(r'name="([xy]-\d+)"', page)))
    data = {name: "90" if name.startswith("x") else "100" for name in fields}
    data.update({"entry": "1", "csrf_token": csrf_token(page), "x-1": "a lot"})
    html = assert_page(provider.client.post(f"/returns/{row_id}/figures", data=data), "Provider Return", 422)
    assert "enter a number, for example 42 or 97.5" in html and 'value="a lot"' in html
    data["x-1"] = "88"
    assert provider.client.post(f"/returns/{row_id}/figures", data=data).status_code == 303
    html = provider.get(f"/returns/{row_id}").get_data(as_text=True)
    assert "by FORM" in html and "Submit corrected figures" in html and 'value="88"' in html
    data["x-1"] = "89"
    assert provider.client.post(f"/returns/{row_id}/figures", data=data).status_code == 303
    html = provider.get(f"/returns/{row_id}").get_data(as_text=True)
    assert "Earlier figures (version 1, replaced)" in html and 'value="89"' in html


def test_a_contract_manager_records_care_plan_delays_on_a_page(app, login_as):
    """CE-C04 counts care-plan delays over 7 days: recorded on the contract's events page, each re-evaluates the
    rules; providers cannot reach the page."""
    from sqlalchemy import select

    from models import db
    from models.entities import Contract

    with time_machine.travel("2026-12-18T14:00:00+00:00", tick=False):
        with app.app_context():
            ce = db.session.scalar(select(Contract.id).where(Contract.reference == "ECH-2024-01"))
        manager = login_as("contract_manager")
        url = f"/contracts/{ce}/monitoring-events"
        page = assert_page(manager.get(url), "Events the breach rules count")
        assert "A local quality rating" in page
        assert 'href="' + url + '"' in manager.get(f"/contracts/{ce}").get_data(as_text=True)
        blank = manager.post_form(url, {"kind": "default"})
        assert blank.status_code == 422 and "Enter the date it happened" in blank.get_data(as_text=True)
        future = manager.post_form(url, {"kind": "default", "on": ["19", "12", "2026"]})
        assert future.status_code == 422 and "cannot be in the future" in future.get_data(as_text=True)
        assert manager.post_form(url, {"kind": "default", "on": ["1", "12", "2026"],
                                       "ref": "Recorded before Remedy"}).status_code == 303
        assert "Recorded before Remedy" in manager.get(url).get_data(as_text=True)
        assert login_as("provider_manager").get(url).status_code == 404  # not their contract
