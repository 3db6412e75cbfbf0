"""Complaints, safeguarding concerns and incidents in the store: clocks, hand-off, and who sees what."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models import db
from models.cases import Deadline
from models.concern_store import (
    apply_complaint,
    get_concern,
    list_concerns,
    name_officer,
    raise_concern,
    record_complaint,
    record_incident,
    report_incident,
    request_investigation,
    share_with_provider,
)
from models.user_store import find_user_by_email
from scheduler.tick import tick
from workflows.clock import LONDON
from workflows.complaint import RESPONSE_CHECKLIST
from workflows.errors import NotFound

NOW = datetime(2026, 12, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(app, demo):
    with app.app_context():
        yield {role: find_user_by_email(email) for role, email in demo.items()}


def deadlines(entity_type, entity_id):
    return {d.kind: d for d in db.session.scalars(select(Deadline).where(
        Deadline.entity_type == entity_type, Deadline.entity_id == entity_id))}


def hf_manager():
    """A provider manager of the Hammersmith & Fulham home care provider: HF-74 and HF-78 are that contract's."""
    from models.user_store import find_user_by_email
    from tests.integration.portal_setup import add_provider_b_manager

    return find_user_by_email(add_provider_b_manager())


def test_a_formal_complaint_to_the_provider_from_receipt_to_outcome(people):
    provider = hf_manager()
    complaint = record_complaint(provider.viewer, provider, provider.provider_id, {
        "received_at": datetime(2026, 12, 24, 16, 30, tzinfo=LONDON), "channel": "phone",
        "complainant_type": "family_member", "formal": True, "summary": "Carer did not arrive on Christmas Eve"},
        NOW)
    db.session.commit()
    clocks = deadlines("complaint", complaint.id)
    assert clocks["complaint_reported"].due_on == date(2026, 12, 29)  # HF-74
    assert clocks["complaint_draft"].due_on == date(2027, 1, 12)  # 10 working days from receipt
    apply_complaint(provider.viewer, provider, complaint.id, "report_to_council", {}, NOW)
    apply_complaint(provider.viewer, provider, complaint.id, "submit_draft", {"draft": "Dear Mrs A..."}, NOW)
    manager = people["contract_manager"]
    apply_complaint(manager.viewer, manager, complaint.id, "return_draft", {"comment": "Add the remedy"}, NOW)
    apply_complaint(provider.viewer, provider, complaint.id, "submit_draft", {"draft": "Dear Mrs A... remedy"}, NOW)
    apply_complaint(manager.viewer, manager, complaint.id, "approve_draft", {}, NOW)
    apply_complaint(provider.viewer, provider, complaint.id, "send_response",
                    {"checklist": list(RESPONSE_CHECKLIST)}, NOW)
    apply_complaint(manager.viewer, manager, complaint.id, "close",
                    {"outcome": "upheld", "lessons": "Christmas rota checked a week ahead"}, NOW)
    db.session.commit()
    assert complaint.state.value == "closed" and complaint.resolved_on == date(2026, 12, 30)
    assert {k: d.status for k, d in deadlines("complaint", complaint.id).items()} == {
        "complaint_reported": "met", "complaint_draft": "met"}


def test_a_late_report_is_breached_and_the_provider_reminded(people):
    provider = hf_manager()
    complaint = record_complaint(provider.viewer, provider, provider.provider_id, {
        "received_at": datetime(2026, 12, 18, 16, 30, tzinfo=LONDON), "channel": "email",
        "complainant_type": "service_user", "formal": True, "summary": "Late visits"}, NOW)
    db.session.commit()
    tick(datetime(2026, 12, 22, 9, 0, tzinfo=UTC))
    db.session.expire_all()
    assert deadlines("complaint", complaint.id)["complaint_reported"].status == "breached"


def test_a_complaint_raising_safeguarding_is_passed_on_and_linked(people):
    provider = people["provider_user"]
    complaint = record_complaint(provider.viewer, provider, provider.provider_id, {
        "received_at": datetime(2026, 12, 29, 10, 0, tzinfo=LONDON), "channel": "phone",
        "complainant_type": "family_member", "formal": True, "summary": "Bruising noticed after a visit",
        "raises_safeguarding": True}, NOW)
    db.session.commit()
    officer = people["safeguarding_officer"]
    (view,) = list_concerns(officer.viewer)
    assert complaint.safeguarding_concern_id == view.concern.id and view.level == "full"
    assert "Bruising" in view.details


def test_the_sql_rule_of_who_sees_a_concern_agrees_with_the_rule_for_one_concern(people):
    """models/registry.py concern_visible_where (lists, the dashboard and every deadline query) checks a named person
    by their name on the row at hand (issue 17); within the council it must pick out exactly the concerns
    concern_visible_to lets each person see."""
    from models.concerns import SafeguardingConcern
    from models.registry import concern_visible_to, concern_visible_where, scoped

    officer = people["safeguarding_officer"]
    provider_id = people["provider_manager"].provider_id
    raised = [raise_concern(officer.viewer, officer, provider_id, "first_account", f"Concern {n}",
                            date(2026, 12, 29), NOW) for n in range(4)]
    db.session.commit()
    manager = people["contract_manager"]
    for concern in raised[1:3]:
        name_officer(officer.viewer, officer, concern.id, manager.id, NOW)
    db.session.commit()
    every = list(db.session.scalars(select(SafeguardingConcern)))

    def by_sql(viewer) -> set[int]:
        return set(db.session.scalars(scoped(SafeguardingConcern, viewer).with_only_columns(SafeguardingConcern.id)
                                      .where(concern_visible_where(viewer, SafeguardingConcern.id))))

    for person in people.values():
        assert by_sql(person.viewer) == {c.id for c in every if concern_visible_to(person.viewer, c)}, person.role
    assert by_sql(manager.viewer) == {raised[1].id, raised[2].id}
    assert by_sql(officer.viewer) == {c.id for c in raised}


def test_a_list_row_of_a_concern_the_person_may_not_read_keeps_only_that_it_exists(people):
    """models/list_store.py reads whether a row is the person's to read once a row and drops what it hides in _row:
    an unnamed contract manager's page and CSV rows say the concern exists (reference, provider, "Restricted") and
    nothing of its details, stage or clocks; once named, the same rows read whole."""
    from models.list_store import Query, csv_rows, list_rows
    from web.safeguarding import CONCERNS

    officer = people["safeguarding_officer"]
    provider_id = people["provider_manager"].provider_id
    concern = raise_concern(officer.viewer, officer, provider_id, "first_account", "Alleged theft by a named carer",
                            date(2026, 12, 29), NOW)
    db.session.commit()
    manager = people["contract_manager"]
    for read in (lambda: list_rows(CONCERNS, manager.viewer, Query(), NOW)[0], lambda: csv_rows(
            CONCERNS, manager.viewer, Query(), NOW)):
        (row,) = read()
        assert (row.reference, row.full, row.stage, row.state, row.summary) == (concern.reference, False,
                                                                                 "Restricted", "", "")
        assert (row.next_due, row.waiting_on, row.overdue) == (None, "", False)
        assert all(value is None for value in row.extra.values())
    name_officer(officer.viewer, officer, concern.id, manager.id, NOW)
    db.session.commit()
    (row,) = list_rows(CONCERNS, manager.viewer, Query(), NOW)[0]
    assert row.full and row.summary.startswith("Alleged theft") and row.stage != "Restricted"
    assert row.next_due is not None


def test_safeguarding_visibility(people):
    officer = people["safeguarding_officer"]
    provider_id = people["provider_manager"].provider_id
    concern = raise_concern(officer.viewer, officer, provider_id, "first_account",
                            "Allegation of financial abuse by a named carer", date(2026, 12, 29), NOW)
    db.session.commit()
    manager, viewer = people["contract_manager"], people["council_viewer"]
    # A contract manager who is not named sees only that a concern exists.
    view = get_concern(manager.viewer, concern.id)
    assert view.level == "exists" and view.details is None
    name_officer(officer.viewer, officer, concern.id, manager.id, NOW)
    db.session.commit()
    assert get_concern(manager.viewer, concern.id).details.startswith("Allegation")
    assert get_concern(viewer.viewer, concern.id).details is None
    # A provider sees nothing until something is shared, then only that.
    provider = people["provider_manager"]
    with pytest.raises(NotFound):
        get_concern(provider.viewer, concern.id)
    assert list_concerns(provider.viewer) == []
    share_with_provider(officer.viewer, officer, concern.id, "Please suspend the named carer from visits", NOW)
    db.session.commit()
    shared = get_concern(provider.viewer, concern.id)
    assert shared.level == "shared" and shared.details == "Please suspend the named carer from visits"
    assert "financial abuse" not in (shared.details or "")
    # The decision clock's reminders go to safeguarding officers only.
    tick(datetime(2026, 12, 31, 9, 0, tzinfo=UTC))
    from models.scheduling import OutboxMessage

    recipients = {m.user_id for m in db.session.scalars(select(OutboxMessage))}
    assert recipients == {officer.id}


def test_key_holding_incident_clocks(people):
    provider = people["provider_manager"]
    incident = record_incident(provider.viewer, provider, provider.provider_id, {
        "kind": "lost_keys", "occurred_at": datetime(2026, 12, 24, 18, 0, tzinfo=LONDON),
        "description": "Keys to a resident's home lost", "action_taken": "Locks changed"}, NOW)
    db.session.commit()
    clocks = deadlines("incident", incident.id)
    assert clocks["key_incident_reported"].due_at == datetime(2026, 12, 25, 18, 0, tzinfo=LONDON)
    assert clocks["key_incident_written"].due_on == date(2026, 12, 27)
    report_incident(provider.viewer, provider, incident.id, "Written report ...", NOW)
    db.session.commit()
    assert {d.status for d in deadlines("incident", incident.id).values()} == {"met"}


def test_the_api_never_shows_restricted_details(app, demo, api_token):
    client = app.test_client()

    def call(role, method, url, json=None):
        return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {api_token(role)}"})

    with app.app_context():
        provider_id = find_user_by_email(demo["provider_manager"]).provider_id
    raised = call("safeguarding_officer", "POST", "/api/v1/safeguarding-concerns", {
        "provider": provider_id, "type": "first_account", "details": "Named carer: alleged theft",
        "raised_on": "2026-11-20"})
    assert raised.status_code == 201, raised.get_json()
    concern_id = raised.get_json()["id"]
    officer = call("safeguarding_officer", "GET", f"/api/v1/safeguarding-concerns/{concern_id}").get_json()
    assert officer["details"] == "Named carer: alleged theft" and "triage" in officer["allowed_triggers"]
    manager = call("contract_manager", "GET", f"/api/v1/safeguarding-concerns/{concern_id}").get_json()
    assert manager["visibility"] == "exists" and manager["details"] is None and manager["events"] == []
    assert "alleged theft" not in str(call("contract_manager", "GET", "/api/v1/safeguarding-concerns").get_json())
    assert call("provider_manager", "GET", f"/api/v1/safeguarding-concerns/{concern_id}").status_code == 404
    assert call("provider_user", "GET", "/api/v1/safeguarding-concerns").get_json()["items"] == []
    assert call("contract_manager", "POST", f"/api/v1/safeguarding-concerns/{concern_id}/transitions",
                {"trigger": "triage", "decision": "x"}).status_code in (403, 409)
    # Asked to investigate, the provider sees the request through the API, and still not the details.
    for step in ({"trigger": "triage", "decision": "Enquiry"}, {"trigger": "commence_enquiry",
                                                                 "commenced_on": "2026-11-20"}):
        assert call("safeguarding_officer", "POST", f"/api/v1/safeguarding-concerns/{concern_id}/transitions",
                    step).status_code == 200
    with app.app_context():
        officer_user = find_user_by_email(demo["safeguarding_officer"])
        request_investigation(officer_user.viewer, officer_user, concern_id, {
            "requested_on": "2026-11-20", "request": "Please investigate the missing money"}, NOW)
        db.session.commit()
    seen = call("provider_manager", "GET", f"/api/v1/safeguarding-concerns/{concern_id}").get_json()
    assert seen["visibility"] == "shared" and seen["details"] is None
    assert seen["investigation_request"] == "Please investigate the missing money"
    assert "alleged theft" not in str(call("provider_user", "GET", "/api/v1/safeguarding-concerns").get_json())
    # A provider's own complaint through the API: the Kent-seed provider's contract has no complaint clocks (HF-74
    # and HF-78 are Hammersmith & Fulham's; this used to start them for every contract).
    made = call("provider_manager", "POST", "/api/v1/complaints", {
        "received_at": "2026-11-20T10:00:00+00:00", "channel": "email", "complainant_type": "service_user",
        "formal": True, "summary": "Visit cut short"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["deadlines"] == []
    assert call("provider_user", "GET", "/api/v1/complaints").get_json()["items"][0]["reference"].startswith("CMP-")
