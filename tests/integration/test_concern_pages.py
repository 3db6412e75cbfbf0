"""Complaints, safeguarding concerns and incidents through the web pages, with the clocks and who sees what."""

from __future__ import annotations

import html
import re

import time_machine
from sqlalchemy import select

from tests.conftest import Browser, assert_page

NOW = "2026-12-22T10:00:00+00:00"  # a Tuesday before Christmas


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def provider_id(app, reference="PRV-002") -> int:
    from models import db
    from models.entities import Provider

    with app.app_context():
        return db.session.scalar(select(Provider.id).where(Provider.reference == reference))


def created_id(response, collection: str) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return int(re.fullmatch(rf"/{collection}/(\d+)", response.headers["Location"]).group(1))


def hf_provider_manager(app) -> Browser:
    """A provider manager of the Hammersmith & Fulham home care provider (HF-74 and HF-78 are that contract's)."""
    from models import db
    from tests.integration.portal_setup import add_provider_b_manager

    with app.app_context():
        email = add_provider_b_manager()
        db.session.commit()
    browser = Browser(app.test_client())
    assert browser.sign_in(email).status_code == 303
    return browser


def test_a_formal_complaint_from_receipt_to_outcome_through_the_pages(app, login_as):
    with time_machine.travel(NOW, tick=False):
        provider = hf_provider_manager(app)
        manager = login_as("contract_manager")
        form = assert_page(provider.get("/complaints/new"), "Record a complaint")
        assert 'name="provider_id"' not in form  # a provider records its own complaints
        blank = provider.post_form("/complaints/new", {})
        assert blank.status_code == 422
        assert "Select whether it is a formal complaint" in blank.get_data(as_text=True)
        late = provider.post_form("/complaints/new", {
            "formal": "yes", "received_on": ["23", "12", "2026"], "received_time": "16:30", "channel": "phone",
            "complainant_type": "family_member", "summary": "Carer did not arrive"})
        assert late.status_code == 422 and "cannot be in the future" in late.get_data(as_text=True)
        bad_time = provider.post_form("/complaints/new", {
            "formal": "yes", "received_on": ["21", "12", "2026"], "received_time": "4.30pm", "channel": "phone",
            "complainant_type": "family_member", "summary": "Carer did not arrive"})
        assert "using the 24-hour clock, like 14:30" in bad_time.get_data(as_text=True)
        complaint_id = created_id(provider.post_form("/complaints/new", {
            "formal": "yes", "received_on": ["21", "12", "2026"], "received_time": "16:30", "channel": "phone",
            "complainant_type": "family_member", "summary": "Carer did not arrive on Sunday evening"}),
            "complaints")
        text = page_text(provider.get(f"/complaints/{complaint_id}"))
        # HF-74 both readings, the stricter (24 hours) enforced (A41); ten working days over Christmas for the draft.
        assert "Complaint reported to the council's complaints manager" in text
        assert "Enforced (A41, the stricter reading): 24 hours after receipt, 16:30 on Tuesday 22 December 2026" \
            in text
        assert "Read as one working day: the end of Tuesday 22 December 2026" in text
        assert "Draft response to the complaints manager" in text and "Thursday 7 January 2027" in text
        assert "Resolved within 28 days (CE-59) Not yet resolved" in text

        assert provider.post_form(f"/complaints/{complaint_id}/report_to_council", {}).status_code == 303
        empty = provider.post_form(f"/complaints/{complaint_id}/submit_draft", {"draft": ""})
        assert empty.status_code == 422 and "Enter the draft response" in empty.get_data(as_text=True)
        assert provider.post_form(f"/complaints/{complaint_id}/submit_draft",
                                  {"draft": "We are sorry. The rota failed on Sunday."}).status_code == 303
        assert provider.get(f"/complaints/{complaint_id}/approve_draft").status_code == 403  # the council reviews
        assert manager.post_form(f"/complaints/{complaint_id}/return_draft",
                                 {"comment": "Say what should have happened"}).status_code == 303
        assert "Say what should have happened" in page_text(provider.get(f"/complaints/{complaint_id}"))
        assert provider.post_form(f"/complaints/{complaint_id}/submit_draft",
                                  {"draft": "We are sorry. A carer should have come at 6pm."}).status_code == 303
        assert manager.post_form(f"/complaints/{complaint_id}/approve_draft", {}).status_code == 303
        partly = provider.post_form(f"/complaints/{complaint_id}/send_response",
                                    {"checklist": ["what_happened", "finding"]})
        assert partly.status_code == 422
        assert "right to go to the Local Government and Social Care Ombudsman" in partly.get_data(as_text=True)
        every = ["what_happened", "what_should_have_happened", "finding", "remedy", "ombudsman_rights"]
        assert provider.post_form(f"/complaints/{complaint_id}/send_response", {"checklist": every}).status_code == 303
        assert manager.post_form(f"/complaints/{complaint_id}/close",
                                 {"outcome": "upheld", "lessons": "Sunday rota checked weekly"}).status_code == 303
        text = page_text(manager.get(f"/complaints/{complaint_id}"))
        assert "Upheld" in text and "Resolved within 28 days (CE-59) Yes" in text
        for step in ("Complaint received", "Complaint reported", "Complaint draft returned",
                     "Complaint draft approved", "Complaint response sent", "Complaint closed"):
            assert step in text, step
        listing = page_text(manager.get("/complaints"))
        assert "Closed" in listing and "Riverside Home Care" in listing
        picture = page_text(manager.get(f"/providers/{provider_id(app, 'PRV-005')}"))
        assert "Complaints resolved within 28 days (CE-59, KT S3) 1 of 1 (100.0%)" in picture


def test_a_stale_complaint_page_is_refused_and_told_what_changed(app, login_as):
    with time_machine.travel(NOW, tick=False):
        manager = login_as("contract_manager")
        complaint_id = created_id(manager.post_form("/complaints/new", {
            "provider_id": str(provider_id(app)), "by_council": "yes", "formal": "yes",
            "received_on": ["21", "12", "2026"], "received_time": "09:15", "channel": "email",
            "complainant_type": "advocate", "summary": "Medication missed twice"}), "complaints")
        page = manager.get(f"/complaints/{complaint_id}/pass_to_provider").get_data(as_text=True)
        assert manager.post_form(f"/complaints/{complaint_id}/pass_to_provider", {}).status_code == 303
        from tests.conftest import csrf_token

        stale = manager.client.post(f"/complaints/{complaint_id}/pass_to_provider",
                                    data={"csrf_token": csrf_token(page), "version": "1"})
        assert stale.status_code == 409


def test_a_complaint_raising_safeguarding_is_linked_and_restricted(app, login_as):
    with time_machine.travel(NOW, tick=False):
        provider = login_as("provider_manager")
        complaint_id = created_id(provider.post_form("/complaints/new", {
            "formal": "yes", "received_on": ["21", "12", "2026"], "received_time": "11:00", "channel": "letter",
            "complainant_type": "family_member", "summary": "Bruising on my mother's arm",
            "raises_safeguarding": ["yes"]}), "complaints")
        assert "Passed to the council's safeguarding team (HF-76)" in page_text(
            provider.get(f"/complaints/{complaint_id}"))
        officer = login_as("safeguarding_officer")
        text = page_text(officer.get(f"/complaints/{complaint_id}"))
        match = re.search(r'href="/safeguarding/(\d+)"', officer.get(f"/complaints/{complaint_id}")
                          .get_data(as_text=True))
        assert match and "passed to safeguarding when it was received (HF-76)" in text
        concern_url = f"/safeguarding/{match.group(1)}"
        assert "Bruising on my mother" in page_text(officer.get(concern_url))
        manager_view = page_text(login_as("contract_manager").get(concern_url))
        assert "Its details are restricted" in manager_view and "Bruising" not in manager_view
        assert provider.get(concern_url).status_code == 404  # nothing shared with the provider yet


def test_safeguarding_visibility_and_steps_through_the_pages(app, login_as):
    with time_machine.travel(NOW, tick=False):
        officer = login_as("safeguarding_officer")
        manager = login_as("contract_manager")
        provider = login_as("provider_user")
        concern_id = created_id(officer.post_form("/safeguarding/new", {
            "provider_id": str(provider_id(app)), "kind": "first_account", "raised_on": ["21", "12", "2026"],
            "details": "Allegation against a named carer"}), "safeguarding")
        url = f"/safeguarding/{concern_id}"
        text = page_text(officer.get(url))
        assert "Allegation against a named carer" in text and "Safeguarding decision made (local practice)" in text
        assert "Tuesday 22 December 2026" in text  # decision by the end of the next working day
        listing = page_text(manager.get("/safeguarding"))
        assert "Details restricted" in listing and "Allegation" not in listing
        assert "Allegation" not in page_text(manager.get(url))
        assert manager.get(f"{url}/triage").status_code == 403
        assert provider.get(url).status_code == 404

        assert officer.post_form(f"{url}/triage", {"decision": "Section 42 criteria met"}).status_code == 303
        assert officer.post_form(f"{url}/commence_enquiry",
                                 {"commenced_on": ["22", "12", "2026"]}).status_code == 303
        text = page_text(officer.get(url))
        assert "Strategy meeting held (local practice)" in text and "Thursday 31 December 2026" in text
        assert "Section 42 enquiry concluded (local practice)" in text and "Friday 22 January 2027" in text
        assert officer.post_form(f"{url}/meeting", {
            "kind": "strategy_meeting", "held_on": ["22", "12", "2026"], "attendees": "Jo Safeguarding, CQC",
            "actions": "Carer suspended pending enquiry"}).status_code == 303
        form = officer.get(f"{url}/investigation").get_data(as_text=True)
        assert "Please carry out an internal investigation" in form  # the council's template
        assert officer.post_form(f"{url}/investigation", {
            "requested_on": ["22", "12", "2026"],
            "request": "Please investigate the allegation of 21 December and report by 8 January."}).status_code == 303
        wrong = officer.post_form(f"{url}/notifications", {"dbs_council_told_on": ["22", "12", "2026"]})
        assert wrong.status_code == 422 and "Enter the date of the DBS referral" in wrong.get_data(as_text=True)
        assert officer.post_form(f"{url}/notifications", {
            "regulator_informed_on": ["21", "12", "2026"], "dbs_referral_on": ["22", "12", "2026"],
            "dbs_council_told_on": ["22", "12", "2026"]}).status_code == 303
        text = page_text(officer.get(url))
        assert "Strategy meeting, 22 December 2026" in text and "Carer suspended pending enquiry" in text
        assert "Referred 22 December 2026, council told 22 December 2026" in text

        # The provider now sees the investigation request, and only that.
        shared = page_text(provider.get(url))
        assert "Please investigate the allegation of 21 December" in shared and "named carer" not in shared
        # A named officer sees the details; the naming is on the audit trail.
        from models import db
        from models.entities import User

        with app.app_context():
            manager_id = db.session.scalar(select(User.id).where(User.email == "contract.manager@remedy.example"))
        assert officer.post_form(f"{url}/officer", {"user": str(manager_id)}).status_code == 303
        assert "Allegation against a named carer" in page_text(manager.get(url))
        assert officer.post_form(f"{url}/conclude", {"outcome": "partially_substantiated",
                                                     "summary": "Late visits confirmed"}).status_code == 303
        text = page_text(officer.get(url))
        assert "Partially substantiated: Late visits confirmed" in text
        for step in ("Concern raised", "Concern triaged", "Enquiry commenced", "Strategy meeting held",
                     "Provider investigation requested", "Concern officer named", "Enquiry concluded"):
            assert step in text, step


def test_a_key_holding_incident_through_the_pages(app, login_as):
    with time_machine.travel(NOW, tick=False):
        provider = login_as("provider_manager")
        incident_id = created_id(provider.post_form("/incidents/new", {
            "kind": "key_holding", "occurred_on": ["21", "12", "2026"], "occurred_time": "19:45",
            "description": "Key-safe code given to the wrong visitor", "action_taken": "Code changed at 20:10"}),
            "incidents")
        text = page_text(provider.get(f"/incidents/{incident_id}"))
        assert "Key-holding incident reported to the council" in text and "HF-69" in text
        unticked = provider.post_form(f"/incidents/{incident_id}/report", {"written_report": ""})
        assert unticked.status_code == 422
        assert provider.post_form(f"/incidents/{incident_id}/report",
                                  {"reported": ["yes"], "written_report": "Full report attached"}).status_code == 303
        text = page_text(login_as("contract_manager").get(f"/incidents/{incident_id}"))
        assert "Full report attached" in text and "Incident reported" in text


def test_one_picture_per_provider_shows_what_each_person_may_know(app, login_as):
    from datetime import UTC, date, datetime

    from models import db
    from models.concern_store import raise_concern, record_incident
    from models.entities import User
    from workflows.access import Role

    with time_machine.travel(NOW, tick=False):
        manager = login_as("contract_manager")
        provider = login_as("provider_manager")
        pid = provider_id(app)
        created_id(manager.post_form("/complaints/new", {
            "provider_id": str(pid), "by_council": "yes", "formal": "yes", "received_on": ["21", "12", "2026"],
            "received_time": "09:15", "channel": "email", "complainant_type": "advocate",
            "summary": "Medication missed twice"}), "complaints")
        with app.app_context():
            officer = db.session.scalar(select(User).where(User.role == Role.SAFEGUARDING_OFFICER))
            now = datetime(2026, 12, 22, 10, tzinfo=UTC)
            raise_concern(officer.viewer, officer, pid, "care_concern", "Neglect alleged at the Elm Road house",
                          date(2026, 10, 5), now)
            record_incident(officer.viewer, officer, pid, {
                "kind": "accident", "occurred_at": datetime(2026, 12, 20, 9, tzinfo=UTC),
                "description": "A fall in the lounge", "action_taken": "GP called"}, now)
            db.session.commit()
        url = f"/providers/{pid}"
        text = page_text(manager.get(url))
        assert "The last year, quarter by quarter" in text and "Oct to Dec 2026" in text and "Jan to Mar 2026" in text
        assert re.search(r"Complaints 1 0 0 0", text) and re.search(r"Safeguarding concerns 1 0 0 0", text)
        assert "Complaint CMP-00001 received" in text and "Incident INC-00001" in text
        assert "Complaints resolved within 28 days (CE-59, KT S3) None resolved" in text
        # Not named on the concern: the picture shows that one exists, never what it says.
        assert "Safeguarding concern SG-00001 raised" in text and "Details restricted to the safeguarding team" in text
        assert "Elm Road" not in text
        officer_view = page_text(login_as("safeguarding_officer").get(url))
        assert "Neglect alleged at the Elm Road house" in officer_view
        assert "Start a Large Scale Enquiry" in officer_view and "Start a Large Scale Enquiry" not in text
        # The provider sees its own complaints and incidents, and no concern that was not shared with it.
        own = page_text(provider.get(url))
        assert "Complaint CMP-00001 received" in own and "SG-00001" not in own


def test_a_large_scale_enquiry_opens_cheshire_easts_suspension_route(app, login_as):
    from models import db
    from models.entities import Contract

    with time_machine.travel(NOW, tick=False):
        officer = login_as("safeguarding_officer")
        with app.app_context():
            pid = db.session.scalar(select(Contract.provider_id).where(Contract.reference == "ECH-2024-01"))
        start = f"/providers/{pid}/large-scale-enquiry/start"
        assert login_as("contract_manager").get(start).status_code == 403
        future = officer.post_form(start, {"starts_on": ["1", "1", "2027"]})
        assert future.status_code == 422 and "cannot be in the future" in future.get_data(as_text=True)
        assert officer.post_form(start, {"starts_on": ["21", "12", "2026"]}).status_code == 303
        text = page_text(officer.get(f"/providers/{pid}"))
        assert "Under a Large Scale Enquiry since 21 December 2026, led by Jo Safeguarding" in text
        assert "the council may suspend the service (CE-38) and extra monitoring applies (CE-51)" in text
        end = f"/providers/{pid}/large-scale-enquiry/end"
        early = officer.post_form(end, {"ends_on": ["20", "12", "2026"]})
        assert early.status_code == 422 and "cannot end before it started" in early.get_data(as_text=True)
        assert officer.post_form(end, {"ends_on": ["22", "12", "2026"]}).status_code == 303
        text = page_text(officer.get(f"/providers/{pid}"))
        assert "From 21 December 2026 to 22 December 2026" in text and "Under a Large Scale Enquiry" not in text


def test_the_councils_safeguarding_timescales_are_its_own(app, login_as, demo, second_worker):
    from tests.conftest import Browser

    with time_machine.travel(NOW, tick=False):
        # Another worker keeps the timescales it read (models/council_store.py) until the council changes them.
        elsewhere = Browser(second_worker.test_client())
        elsewhere.sign_in(demo["contract_manager"])
        assert "a triage decision within 1 working day" in page_text(elsewhere.get("/safeguarding"))
        officer = login_as("safeguarding_officer")
        assert login_as("contract_manager").get("/safeguarding/local-practice").status_code == 403
        form = officer.get("/safeguarding/local-practice").get_data(as_text=True)
        assert 'value="1"' in form and 'value="20"' in form  # the defaults
        wrong = officer.post_form("/safeguarding/local-practice", {
            "decision_working_days": "2", "strategy_meeting_working_days": "30", "enquiry_working_days": "25"})
        assert wrong.status_code == 422 and "within the time to conclude" in wrong.get_data(as_text=True)
        assert officer.post_form("/safeguarding/local-practice", {
            "decision_working_days": "2", "strategy_meeting_working_days": "3",
            "enquiry_working_days": "25"}).status_code == 303
        assert "a triage decision within 2 working days" in page_text(officer.get("/safeguarding"))
        assert "a triage decision within 2 working days" in page_text(elsewhere.get("/safeguarding"))
        concern_id = created_id(officer.post_form("/safeguarding/new", {
            "provider_id": str(provider_id(app)), "kind": "care_concern", "raised_on": ["22", "12", "2026"],
            "details": "Unexplained bruising"}), "safeguarding")
        # Two working days after Tuesday 22 December: Wednesday 23, Thursday 24.
        assert "Thursday 24 December 2026" in page_text(officer.get(f"/safeguarding/{concern_id}"))
        assert officer.post_form(f"/safeguarding/{concern_id}/triage", {"decision": "Enquiry"}).status_code == 303
        assert officer.post_form(f"/safeguarding/{concern_id}/commence_enquiry",
                                 {"commenced_on": ["22", "12", "2026"]}).status_code == 303
        text = page_text(officer.get(f"/safeguarding/{concern_id}"))
        assert "Tuesday 29 December 2026" in text  # 3 working days: 23, 24, then 29 after Christmas
