"""Cheshire East's rules not covered by test_rules_ce_api.py (shared/domain/rules.md 1.1), exercised through the API.
Each test names the rules it pins in a `rules` marker (read by tools/rules_coverage.py)."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.integration.test_returns_api import contract_id
from workflows.complaint import RESPONSE_CHECKLIST

CE = "ECH-2024-01"


def step(api, complaint, trigger, **data):
    return api("contract_manager", "POST", f"/api/v1/complaints/{complaint['id']}/transitions",
               {"trigger": trigger, **data}, 200)


@pytest.mark.rules("CE-59")
@time_machine.travel("2026-12-18T14:00:00+00:00", tick=False)
def test_each_complaint_says_whether_it_was_resolved_within_28_days(api):
    """CE-59: the monthly return reports complaints resolved or not within 28 days of receipt. Both complaints are
    closed on 18 December: the one received 28 days before was resolved within 28 days, the one received 29 days
    before was not; an open complaint has no answer yet."""
    provider = api("contract_manager", "GET", f"/api/v1/contracts/{contract_id(api, CE)}", status=200)["provider"]
    made = {}
    for received in ("2026-11-20", "2026-11-19", "2026-12-17"):
        made[received] = api("contract_manager", "POST", "/api/v1/complaints", {
            "provider": provider["id"], "received_at": f"{received}T10:00:00+00:00", "channel": "email",
            "complainant_type": "family_member", "formal": True, "by_council": True,
            "summary": "Evening call not answered"}, 201)
    for received in ("2026-11-20", "2026-11-19"):
        complaint = made[received]
        step(api, complaint, "pass_to_provider")
        step(api, complaint, "submit_draft", draft="Dear Mr B, the call was missed because...")
        step(api, complaint, "approve_draft")
        step(api, complaint, "send_response", checklist=list(RESPONSE_CHECKLIST))
        step(api, complaint, "close", outcome="partially_upheld", lessons="Call bell checks at handover")
    seen = {c["reference"]: c for c in api("contract_manager", "GET", "/api/v1/complaints", status=200)["items"]}
    assert {received: (seen[c["reference"]]["resolved_on"], seen[c["reference"]]["resolved_within_28_days"])
            for received, c in made.items()} == {"2026-11-20": ("2026-12-18", True),
                                                  "2026-11-19": ("2026-12-18", False), "2026-12-17": (None, None)}


@pytest.mark.rules("CE-57")
@time_machine.travel("2026-12-18T14:00:00+00:00", tick=False)
def test_the_provider_submits_a_first_account_and_a_care_concern_to_the_council(app, api):
    """CE-57: the provider submits First Account and Care Concern alerts; each reaches the council's safeguarding
    officer in full, with its triage decision clock running, while the provider does not see them back. A kind the
    seed does not name is refused."""
    from models import db
    from models.user_store import create_user, find_user_by_email, issue_token
    from workflows.access import Role

    with app.app_context():
        council_id = find_user_by_email("contract.manager@remedy.example").council_id
        user = create_user(council_id=council_id, email="manager@meadowbank.example", name="Scheme Manager",
                           role=Role.PROVIDER_MANAGER, password="remedy-demo-password", provider_reference="PRV-001")
        db.session.flush()
        provider = user.provider_id
        _row, token = issue_token(user, "tests", datetime.now(UTC))
        db.session.commit()
    for kind, details in (("first_account", "Resident says money was taken from her flat"),
                          ("care_concern", "Medication not given at two evening calls")):
        assert api(token, "POST", "/api/v1/safeguarding-concerns", {
            "type": kind, "details": details, "raised_on": "2026-12-18"}, 201) == {"status": "raised"}
    wrong = api(token, "POST", "/api/v1/safeguarding-concerns", {
        "type": "rumour", "details": "x", "raised_on": "2026-12-18"}, 422)
    assert wrong["error"] == "Select First Account or Care Concern"
    seen = api("safeguarding_officer", "GET", f"/api/v1/safeguarding-concerns?provider={provider}",
               status=200)["items"]
    assert sorted((c["type"], c["state"], c["visibility"]) for c in seen) == [
        ("care_concern", "raised", "full"), ("first_account", "raised", "full")]
    assert all(d["status"] == "running" for c in seen for d in c["deadlines"]) and all(c["deadlines"] for c in seen)
    assert api(token, "GET", "/api/v1/safeguarding-concerns", status=200)["items"] == []


@pytest.mark.rules("CE-21", "CE-22", "CE-23")
@time_machine.travel("2026-12-18T14:00:00+00:00", tick=False)
def test_the_ecm_rules_are_counts_that_must_be_nil_every_four_weeks(api):
    """CE-22 (a reason for every visit more than 15 minutes off its plan, or not made), CE-23 (the monitoring system
    updated every working day) and CE-21 (manual uploads every week when ECM is not possible) are counted from the
    provider's ECM each four weeks: none is met, any one is missed."""
    from tests.integration.test_returns_api import template_kpis
    from tests.integration.test_rules_hf_monitoring_api import results, row_for

    ce = contract_id(api, CE)
    rows = [r for r in api.every("contract_manager", f"/api/v1/returns?contract={ce}")
            if r["return"] == "ecm-4-weekly" and r["period_end"] < "2026-12-18"]
    row = row_for(api, ce, "ecm-4-weekly", max(r["period_start"] for r in rows))
    counted = ["Variances without a reason", "Days without an ECM update", "Manual uploads missed"]
    assert template_kpis(api, row["id"]) == counted
    for figures, rag in (([0, 0, 0], "green"), ([2, 1, 1], "red")):
        api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions", {
            "trigger": "submit" if rag == "green" else "correct",
            "figures": {k: [n, None] for k, n in zip(counted, figures, strict=True)}}, 200)
        api("contract_manager", "POST", f"/api/v1/returns/{row['id']}/transitions", {"trigger": "accept"}, 200)
        seen = results(api, ce, row["period_start"])
        assert {k: (seen[k]["rag"], seen[k]["target"]) for k in counted} == dict.fromkeys(counted, (rag, "at most 0"))
