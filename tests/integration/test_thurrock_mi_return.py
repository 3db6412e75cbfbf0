"""Thurrock's quarterly Management Information return (TH-22, Appendix 2) with fields rather than free text: the
fifteen items as counts and texts from the rulebook, checked (every item, whole numbers, breakdowns that add up to
their totals) through the API and the return's page, kept with each submission and its audit event."""

from __future__ import annotations

import pytest
import time_machine

from tests.conftest import assert_page, csrf_token
from tests.integration.test_returns_api import contract_id, period

NOW = "2026-12-18T14:00:00+00:00"


def items(book_return) -> dict:
    """A complete, consistent set of the return's items: every count 0 except a few, every text filled in."""
    values = {ident: (0 if kind == "count" else "None") for ident, kind, _label in book_return.fields}
    values.update({"new-service-users": 2, "departures": 3, "moved-on-successfully": 2, "moved-on-rsl": 2,
                   "moved-on-unsuccessfully": 1, "unsuccessful-family-friends": 1, "complaints-received": 2,
                   "complaints-upheld": 1, "complaints-ongoing": 1,
                   "unsuccessful-reasons": "Tenancy breakdown after rent arrears; support continues",
                   "case-study": "A resident moved on to an RSL tenancy after budgeting support (no names)."})
    return values


def _spec():
    from pathlib import Path

    from workflows.rulebook import load_rulebooks

    book = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")["thurrock-supported-living"]
    return book.monitoring.return_spec("management-information")


@pytest.mark.rules("TH-22")
def test_the_management_information_return_takes_its_items_as_fields_through_the_api(api):
    spec = _spec()
    assert len(spec.fields) == 52 and spec.rule == "TH-22"
    with time_machine.travel(NOW, tick=False):
        th = contract_id(api, "SL-2025-02")
        row = period(api, th, "management-information", "2026-07-01")
        url = f"/api/v1/returns/{row['id']}/transitions"
        none = api("contract_manager", "POST", url, {"trigger": "submit", "figures": {}}, 422)
        assert none["field"] == "fields" and "has 52" in none["error"]
        good = items(spec)
        no_case_study = api("contract_manager", "POST", url, {"trigger": "submit", "figures": {},
                                                              "fields": {**good, "case-study": " "}}, 422)
        assert no_case_study["field"] == "case-study" and "15. Case study" in no_case_study["error"]
        negative = api("contract_manager", "POST", url, {"trigger": "submit", "figures": {},
                                                         "fields": {**good, "compliments": -1}}, 422)
        assert negative["field"] == "compliments" and "whole number, 0 or more" in negative["error"]
        wrong_total = api("contract_manager", "POST", url, {"trigger": "submit", "figures": {},
                                                            "fields": {**good, "complaints-ongoing": 0}}, 422)
        assert wrong_total["field"] == "complaints-received"
        assert "12. Complaints received (2) must equal the sum of its parts (1)" in wrong_total["error"]
        sent = api("contract_manager", "POST", url, {"trigger": "submit", "figures": {}, "fields": good}, 200)
    assert sent["state"] == "submitted" and sent["fields"] == good
    assert sent["events"][-1]["data"]["fields"]["moved-on-rsl"] == 2


def test_the_return_page_asks_for_each_item_and_shows_what_was_sent(app, api, login_as):
    from models import db
    from models.monitoring import MonitoringReturn

    spec = _spec()
    with time_machine.travel(NOW, tick=False):
        th = contract_id(api, "SL-2025-02")
        row = period(api, th, "management-information", "2026-07-01")
        with app.app_context():
            title = db.session.get(MonitoringReturn, row["id"]).name + ": " + db.session.get(
                MonitoringReturn, row["id"]).label
        browser = login_as("contract_manager")  # the council keys in a return sent another way
        page = assert_page(browser.get(f"/returns/{row['id']}"), title)
        assert "Enter the return" in page and "9. Successful: an RSL tenancy (general needs)" in page
        assert 'id="item-case-study"' in page and "Do not include names." in page
        form = {f"item-{ident}": str(value) for ident, value in items(spec).items()}
        bad = browser.client.post(f"/returns/{row['id']}/figures", data={
            **form, "item-departures": "4", "entry": "1", "csrf_token": csrf_token(page)})
        assert bad.status_code == 422
        assert "9. Departures from the service (4) must equal the sum of its parts (3)" in bad.get_data(as_text=True)
        assert 'value="4"' in bad.get_data(as_text=True)  # what was typed is kept
        done = browser.client.post(f"/returns/{row['id']}/figures", data={
            **form, "entry": "1", "csrf_token": csrf_token(page)}, follow_redirects=True)
        shown = assert_page(done, title)
    assert "Return submitted" in shown
    assert "A resident moved on to an RSL tenancy after budgeting support (no names)." in shown
