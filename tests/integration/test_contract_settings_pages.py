"""Issue 14, item 4: the contract's council settings page (/contracts/<id>/settings). Each setting shows its value
and its source ("the contract, seed line N", "council setting" or "not set"); administrators set or clear one with a
reason (A4 due dates, deemed receipt, local complaint clocks), audited through change_setting; contract managers see
it but cannot change it; providers never see it."""

import re

import time_machine
from sqlalchemy import select

from tests.conftest import assert_page, csrf_token

NOW = "2026-12-18T14:00:00+00:00"


def contract_id(app, reference: str) -> int:
    from models import db
    from models.entities import Contract

    with app.app_context():
        return db.session.scalar(select(Contract.id).where(Contract.reference == reference))


def row_of(html: str, name: str) -> str:
    """The summary-list row whose key is that setting's name."""
    match = re.search(rf"<dt[^>]*>\s*{re.escape(name)}\s*</dt>(.*?)</div>", html, re.S)
    assert match, f"no row {name!r}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@time_machine.travel(NOW, tick=False)
def test_admin_sets_a_due_date_with_a_reason(app, login_as):
    """A4 (CE-27, CE-47): Cheshire East's 4-weekly return has no due date in the seed; an administrator sets one, it
    shows as a council setting, and the change is on the contract's audit trail with its reason."""
    ce = contract_id(app, "ECH-2024-01")
    admin = login_as("admin")
    url = f"/contracts/{ce}/settings"
    html = assert_page(admin.get(url), "Council settings on contract ECH-2024-01")
    assert "No due date set Source: not set" in row_of(html, "Monthly Monitoring Return (4-weekly): due date")
    # CE-29: the annual return's date is the contract's own, citing the seed line it comes from.
    assert "the contract, seed line 812" in row_of(html, "Annual Monitoring Return: due date")
    assert "Council settings on this contract" in admin.get(f"/contracts/{ce}").get_data(as_text=True)

    missing = admin.post_form(url, {"setting": "return_due:four-weekly", "action": "set", "working_days": "10"})
    problem = assert_page(missing, "Council settings on contract ECH-2024-01", 422)
    assert "govuk-error-summary" in problem and "Enter why the setting is changed" in problem
    no_days = admin.post_form(url, {"setting": "return_due:four-weekly", "action": "set", "reason": "Agreed"})
    assert "Enter the number of working days after the period ends" in assert_page(
        no_days, "Council settings on contract ECH-2024-01", 422)

    saved = admin.post_form(url, {"setting": "return_due:four-weekly", "action": "set", "working_days": "10",
                                  "due_from": ["1", "4", "2026"], "reason": "Agreed at the review meeting"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(url)  # POST-redirect-GET
    html = admin.get(url).get_data(as_text=True)
    row = row_of(html, "Monthly Monitoring Return (4-weekly): due date")
    assert "10 working days after the period ends" in row and "Source: council setting" in row

    from models.audit_store import events_for
    from models.entities import Contract

    with app.app_context():
        from models import db

        contract = db.session.get(Contract, ce)
        assert contract.settings["return_due"]["four-weekly"] == {"working_days": 10, "from": "2026-04-01"}
        changed = [e for e in events_for(contract.council_id, "contract", ce)
                   if e.event == "CONTRACT_SETTING_CHANGED"]
        assert len(changed) == 1 and changed[0].reason == "Agreed at the review meeting"

    cleared = admin.post_form(url, {"setting": "return_due:four-weekly", "action": "clear", "reason": "Withdrawn"})
    assert cleared.status_code == 303
    assert "not set" in row_of(admin.get(url).get_data(as_text=True), "Monthly Monitoring Return (4-weekly): due date")


@time_machine.travel(NOW, tick=False)
def test_deemed_receipt_and_local_complaint_clocks(app, login_as):
    """Deemed receipt: the standard notices clause until a council sets its own; HF-74 and HF-78 are H&F's own
    complaint clocks (cited by seed line, not settable), while Kent's are a council's local setting."""
    admin = login_as("admin")
    hf = contract_id(app, "HC-2024-05")
    html = admin.get(f"/contracts/{hf}/settings").get_data(as_text=True)
    assert "the contract, seed lines 3848, 3849, 3878" in row_of(html, "Complaint clocks")
    assert 'value="complaint_clocks"' not in html  # H&F's own clocks cannot be replaced

    kt = contract_id(app, "LDDS-2023-07")
    url = f"/contracts/{kt}/settings"
    assert "council setting (the standard default" in row_of(admin.get(url).get_data(as_text=True),
                                                             "Deemed receipt of a notice")
    incomplete = admin.post_form(url, {"setting": "deemed_receipt", "action": "set", "receipt_hand": "0",
                                       "receipt_email": "1", "reason": "Local practice"})
    assert "Enter the working days to deemed receipt by post" in assert_page(
        incomplete, "Council settings on contract LDDS-2023-07", 422)
    assert admin.post_form(url, {"setting": "deemed_receipt", "action": "set", "receipt_hand": "0",
                                 "receipt_email": "1", "receipt_post": "2", "reason": "Local practice"}
                           ).status_code == 303
    assert admin.post_form(url, {"setting": "complaint_clocks", "action": "set", "report_working_days": "2",
                                 "reason": "Council complaints policy"}).status_code == 303
    html = admin.get(url).get_data(as_text=True)
    assert "hand 0 working days, email 1 working day, post 2 working days Source: council setting" in row_of(
        html, "Deemed receipt of a notice")
    assert "report working days 2 Source: council setting" in row_of(html, "Complaint clocks")


def test_a_contract_manager_sees_the_settings_but_cannot_change_them(app, login_as):
    """Only Permission.MANAGE_CONTRACT_SETTINGS (administrators) changes a setting, as in the API."""
    ce = contract_id(app, "ECH-2024-01")
    manager = login_as("contract_manager")
    html = assert_page(manager.get(f"/contracts/{ce}/settings"), "Council settings on contract ECH-2024-01")
    assert "Change a setting" not in html and "not set" in html
    token = csrf_token(html)  # the sign-out form's token: the session's own
    refused = manager.client.post(f"/contracts/{ce}/settings", data={
        "csrf_token": token, "setting": "return_due:four-weekly", "action": "set", "working_days": "10",
        "reason": "Trying"})
    assert refused.status_code == 403
    with app.app_context():
        from models import db
        from models.entities import Contract

        assert db.session.get(Contract, ce).settings is None or "return_due" not in db.session.get(
            Contract, ce).settings


def test_a_provider_gets_404(app, login_as):
    """Council settings are the council's: a provider's own contract's settings page is not there for them."""
    ce = contract_id(app, "ECH-2024-01")
    assert login_as("provider_manager").get(f"/contracts/{ce}/settings").status_code == 404
    assert login_as("provider_user").get(f"/contracts/{ce}/settings").status_code == 404
