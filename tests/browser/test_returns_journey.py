"""A provider uploads a monitoring return and the contract manager accepts it and reads the heatmap, on real
Chromium, accessibly (issue 7)."""

import re

import time_machine
from playwright.sync_api import expect

from tests.browser.test_foundation_journey import sign_in

NOW = "2026-12-18T10:00:00+00:00"


@time_machine.travel(NOW)
def test_provider_uploads_a_return_and_the_manager_sees_the_heatmap(page, live_server, demo, axe_check,
                                                                    screenshot, console_errors):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, demo["provider_manager"])
    page.get_by_role("link", name="Returns").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring returns")
    axe_check(page)
    screenshot(page, "returns-provider")

    page.get_by_role("link", name=re.compile(r"Six-monthly.* for 1 Apr 2026 to 30 Sep 2026", re.I)).first.click()
    expect(page.get_by_role("heading", name="Submit the return")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the template (CSV)").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    kpis = [line.split(",")[1] for line in lines[1:]]
    rows = [lines[0]] + [f"2026-04-01,{k},,{70 if k == 'S3' else 95},100" for k in kpis]
    broken = list(rows)
    broken[2] = broken[2].replace(",95,", ",ninety,")
    page.get_by_label("Completed template (CSV or Excel)").set_input_files(
        files=[{"name": "return.csv", "mimeType": "text/csv", "buffer": "\n".join(broken).encode()}])
    page.get_by_role("button", name="Upload the return").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Row 3, column numerator: enter a number")
    axe_check(page)
    screenshot(page, "return-upload-errors")

    page.get_by_label("Completed template (CSV or Excel)").set_input_files(
        files=[{"name": "return.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}])
    page.get_by_role("button", name="Upload the return").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Return submitted for")
    axe_check(page)
    screenshot(page, "return-submitted")
    return_url = page.url

    page.context.clear_cookies()
    sign_in(page, live_server, demo["contract_manager"])
    page.goto(return_url)
    page.get_by_role("button", name="Accept the return").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Return accepted")
    page.get_by_role("link", name="Returns").first.click()
    page.get_by_role("link", name="Performance: scorecards and heatmaps").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Performance")
    heatmap = page.get_by_role("table", name="KPI by period for LDDS-2023-07")
    expect(heatmap.get_by_role("row", name=re.compile(r"^S3 trend"))).to_contain_text("70% Red")
    axe_check(page)
    screenshot(page, "performance-heatmap")

    heatmap.get_by_role("link", name=re.compile(r"^S3 trend")).click()
    expect(page.get_by_role("img", name=re.compile("S3 .*trend by period"))).to_be_visible()
    expect(page.get_by_role("table", name="The figures in the chart")).to_contain_text("70%")
    axe_check(page)
    screenshot(page, "kpi-trend")
    page.goto(f"{live_server}/breaches")
    expect(page.get_by_role("heading", level=1)).to_have_text("Breaches")
    expect(page.get_by_text("S3 missed in").first).to_be_visible()
    axe_check(page)
    screenshot(page, "breaches")
    # The page with upload errors is answered 422, as a form with errors is; anything else is a real problem.
    assert [e for e in console_errors if "status of 422" not in e] == []
