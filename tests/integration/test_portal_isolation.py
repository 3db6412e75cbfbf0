"""Provider isolation, walked over every route: signed in as provider A, nothing of provider B is ever visible,
listed or changeable (404), in pages, API collections, file downloads and the calendar feed; and provider staff
cannot reach the council's actions on their own records (403).

The walk reads app.url_map, so a route added later is walked too: give it an id below if it takes a new one.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.conftest import Browser, csrf_token
from tests.integration.portal_setup import (
    PDF,
    SERVED_AT,
    TODAY,
    add_provider_b_manager,
    case_with_notice,
    signed_plan,
    user,
)
from web.permissions import PUBLIC

NOW = "2027-01-11T10:00:00+00:00"
B_PDF = PDF + b"% provider B's own file\n"
B_SECRET = "Representation-of-provider-B-7f3a"
B_FILE = "Riverside_rota_evidence.pdf"
B_SHARED = "Shared-with-provider-B-only-4c2e"
B_INCIDENT = "Key-safe-incident-of-provider-B-9d1a"
B_FINANCE = "Overdraft-withdrawn-from-provider-B-2b8e"
B_DUTY = "CQC-rating-change-of-provider-B-5a1f"
B_REQUEST = "Spot-check-information-from-provider-B-8c3d"
B_REFERRAL = "Referral-for-provider-B-3e7c"
B_PACKAGE = "Package-of-provider-B-6b0d"
B_PERSON = "SU-of-provider-B-3e9f"
B_SOFT = "Soft-outcome-notes-of-provider-B-5e1a"

# Council-only pages a provider is refused by role before any record is read: 403 is as safe as 404 there.
COUNCIL_ONLY = {"admin.index", "admin.scheduler", "admin.sent_mail", "admin.users", "admin.retry_message",
                "calendar.closures", "calendar.remove", "cases.open_case_page", "meetings.new_meeting",
                "portal.review_queue", "providers.record_rating", "deadlines.extend", "deadlines.pause",
                "deadlines.resume", "meetings.act", "admin.rulebooks", "admin.rulebook",
                "safeguarding.local_practice_page", "admin.sign_out_everywhere"}
# Pages that are the person's own (no other provider's record can appear on them).
OWN_PAGES = {"account.tokens", "account.revoke", "deadlines.calendar_feed_settings", "notifications.mark_read",
             "account.password", "account.two_factor"}


@pytest.fixture
def world(app, demo):
    """Provider A (Brightwater, the demo's provider staff) and provider B (Riverside) with one of everything."""
    from models import db
    from models.case_store import consider_termination, draft_default_notice, propose_suspension
    from models.concern_store import raise_concern, record_complaint, record_incident, share_with_provider
    from models.document_store import store_document
    from models.financial_change_store import record_change
    from models.meeting_store import record_meeting
    from models.portal_store import Upload, make_representation, record_progress
    from models.provider_store import get_contract

    with app.app_context():
        b_email = add_provider_b_manager()
        b = user(b_email)
        manager = user("contract.manager@remedy.example")
        a_case, a_plan = signed_plan()
        b_case, b_plan = signed_plan(b_email, "HC-2024-05")
        b_open_case, b_notice = case_with_notice("HC-2024-05")
        make_representation(b.viewer, b, b_notice.id, B_SECRET, SERVED_AT, TODAY)
        later = SERVED_AT + timedelta(days=20)
        update = record_progress(b.viewer, b, b_plan.milestones[0].id, "done", "Both recruited",
                                 [Upload("Riverside rota evidence.pdf", B_PDF)], later, TODAY)
        a_update = record_progress(user("provider.manager@brightwater.example").viewer,
                                   user("provider.manager@brightwater.example"), a_plan.milestones[0].id, "done",
                                   "Done", [Upload("a.pdf", PDF)], later, TODAY)
        default = draft_default_notice(manager.viewer, manager, b_open_case.id, SERVED_AT)
        suspension = propose_suspension(manager.viewer, manager, b_open_case.id, "Missed visits", SERVED_AT)
        termination = consider_termination(manager.viewer, manager, b_open_case.id, "Repeated", SERVED_AT, TODAY)
        document = store_document(manager, "notice", b_notice, "riverside-letter.pdf", "application/pdf", PDF,
                                  SERVED_AT)
        complaint = record_complaint(b.viewer, b, b.provider_id, {
            "received_at": SERVED_AT, "channel": "phone", "complainant_type": "family_member", "formal": True,
            "summary": "Riverside carer late"}, SERVED_AT)
        meeting = record_meeting(manager.viewer, manager, "HC-2024-05", TODAY, "Riverside and the council",
                                 "Riverside minutes", TODAY, SERVED_AT)
        officer = user("safeguarding@remedy.example")
        concern = raise_concern(officer.viewer, officer, b.provider_id, "care_concern", "Riverside resident harmed",
                                TODAY, SERVED_AT)
        share_with_provider(officer.viewer, officer, concern.id, B_SHARED, SERVED_AT)
        incident = record_incident(b.viewer, b, b.provider_id, {
            "kind": "key_holding", "occurred_at": SERVED_AT, "description": B_INCIDENT,
            "action_taken": "Code changed"}, SERVED_AT)
        contract = get_contract(manager.viewer, "HC-2024-05")
        change = record_change(manager.viewer, manager, {"contract_id": contract.id, "occurred_on": TODAY,
                                                         "what_changed": B_FINANCE}, SERVED_AT)
        from models.notification_store import record_notification
        from models.request_store import record_request

        b_duty = record_notification(manager.viewer, manager, {
            "contract_id": contract.id, "duty": "cqc-change", "occurred_on": TODAY, "what_happened": B_DUTY},
            SERVED_AT)
        b_request = record_request(manager.viewer, manager, {
            "contract_id": contract.id, "request_type": "additional-monitoring-information", "asked_on": TODAY,
            "due_on": TODAY + timedelta(days=14), "what_asked": B_REQUEST}, SERVED_AT)
        from models.referral_store import record_package, record_referral, start_confirmations

        b_referral = record_referral(manager.viewer, manager, {
            "contract_id": contract.id, "person": "SU-B-1", "summary": B_REFERRAL, "received_at": SERVED_AT,
            "starts_at": SERVED_AT + timedelta(days=3), "grade": "standard"}, SERVED_AT)
        b_package = record_package(manager.viewer, manager, {
            "contract_id": contract.id, "person": "SU-B-2", "summary": B_PACKAGE, "referred_at": SERVED_AT,
            "started_on": TODAY}, SERVED_AT)
        b_capacity = start_confirmations(manager.viewer, manager, {"contract_id": contract.id}, SERVED_AT)
        from sqlalchemy import select

        from models.cases import Deadline
        from models.people import LeavingCare
        from models.people_store import record_person
        from workflows.leaving_care import LeavingCareState

        b_person = record_person(manager.viewer, manager, {"contract_id": contract.id, "reference": B_PERSON,
                                                           "role": "service_user"}, SERVED_AT)
        # No H&F rulebook keeps leaving-care records: provider B's is written directly, to be looked for.
        b_care = LeavingCare(council_id=contract.council_id, provider_id=b.provider_id, contract_id=contract.id,
                             person_id=b_person.id, reference="LC-B0001", state=LeavingCareState.REFERRED,
                             referred_on=TODAY, created_at=SERVED_AT, updated_at=SERVED_AT)
        db.session.add(b_care)
        db.session.flush()

        b_deadline = db.session.scalar(select(Deadline.id).where(Deadline.provider_id == b.provider_id))
        from models.planned_meeting import PlannedMeeting

        # Recording B's meeting planned its next one (HF-38, every six weeks).
        b_planned = db.session.scalar(select(PlannedMeeting.id).where(PlannedMeeting.provider_id == b.provider_id))
        assert b_planned is not None
        # A stay limit of one of B's people (TH-11 is Thurrock's; the row stands in for any per-person limit).
        from models.people import Person, PersonRole
        from models.stay_limit import StayLimit
        from workflows.stay_limit import StayState

        b_resident = Person(council_id=b.council_id, provider_id=b.provider_id, contract_id=contract.id,
                            reference="RIV-0001", role=PersonRole.SERVICE_USER, started_on=TODAY)
        db.session.add(b_resident)
        db.session.flush()
        b_stay = StayLimit(council_id=b.council_id, provider_id=b.provider_id, contract_id=contract.id,
                           person_id=b_resident.id, reference="STAY-00099", state=StayState.RUNNING,
                           limit="length-of-stay", rule="TH-11", started_on=TODAY, due_on=TODAY,
                           created_at=SERVED_AT, updated_at=SERVED_AT)
        db.session.add(b_stay)
        from models.soft_outcome import SoftOutcomeCheck
        from workflows.soft_outcome import CheckState

        b_check = SoftOutcomeCheck(council_id=b.council_id, provider_id=b.provider_id, contract_id=contract.id,
                                   person_id=b_resident.id, reference="SOC-00099", state=CheckState.DUE, rule="TH-21",
                                   counted_from=TODAY, due_on=TODAY, notes=B_SOFT, created_at=SERVED_AT,
                                   updated_at=SERVED_AT)
        db.session.add(b_check)
        db.session.flush()
        from models.monitoring import MonitoringReturn
        from models.return_store import ensure_schedule

        ensure_schedule(contract, TODAY, SERVED_AT)
        b_return = db.session.scalar(select(MonitoringReturn.id).where(MonitoringReturn.contract_id == contract.id)
                                     .order_by(MonitoringReturn.id).limit(1))
        assert b_return is not None
        db.session.commit()
        ids = {
            "case_id": b_case.id, "plan_id": b_plan.id, "milestone_id": b_plan.milestones[0].id,
            "notice_id": b_notice.id, "evidence_id": update.files[0].id, "deadline_id": b_deadline,
            "document_id": document.id, "provider_id": b.provider_id, "contract_id": contract.id,
            "key": contract.reference, "meeting_id": meeting.id, "complaint_id": complaint.id,
            "concern_id": concern.id, "incident_id": incident.id, "change_id": change.id,
            "notification_id": b_duty.id, "request_id": b_request.id, "referral_id": b_referral.id,
            "package_id": b_package.id, "confirmation_id": b_capacity.id, "person_id": b_person.id,
            "planned_id": b_planned,
            "stay_id": b_stay.id, "check_id": b_check.id,
            "step": "share",
            "return_row_id": b_return, "breach_id": 999999, "fmt": "csv", "kpi_id": "KPI-1",
            "book_id": "hammersmith-fulham-home-care",
            # Council-level records (no provider owns them): the pages are admin-only or the person's own.
            "closure_id": 1, "token_id": 1, "message_id": 1, "user_id": 1, "row_id": b_plan.rows[0].id,
            "record": {"cases": b_case.id, "notices": b_notice.id, "action-plans": b_plan.id,
                       "milestones": b_plan.milestones[0].id, "default-notices": default.id,
                       "suspensions": suspension.id, "terminations": termination.id,
                       "complaints": complaint.id, "safeguarding-concerns": concern.id, "minutes": meeting.id,
                       "returns": b_return, "breaches": 999999, "financial-changes": change.id,
                       "duty-notifications": b_duty.id, "requests": b_request.id, "referrals": b_referral.id,
                       "packages": b_package.id, "capacity-confirmations": b_capacity.id, "people": b_person.id,
                       "leaving-care": b_care.id, "planned-meetings": b_planned, "stay-limits": b_stay.id,
                       "soft-outcome-checks": b_check.id},
        }
        markers = [b_case.reference, b_open_case.reference, "Riverside", B_SECRET, B_FILE, B_SHARED, B_INCIDENT,
                   B_FINANCE, B_DUTY, B_REQUEST, B_REFERRAL, B_PACKAGE, B_PERSON, "LC-B0001", "RIV-0001", B_SOFT,
                   hashlib.sha256(B_PDF).hexdigest()[:12],
                   f"/evidence/{update.files[0].id}\"",
                   f"/cases/{b_case.id}\"", f"/cases/{b_open_case.id}\""]
        own = {"case_id": a_case.id, "plan_id": a_plan.id, "milestone_id": a_plan.milestones[0].id,
               "notice_id": a_plan.notice_id, "evidence_id": a_update.files[0].id}
        return {"b": ids, "markers": markers, "a": own, "b_email": b_email}


def _url(rule, ids: dict, collection: str | None = None, trigger: str | None = None) -> str:
    def value(match):
        converter, _, name = match.group(1).rpartition(":")
        if name == "collection":
            return collection
        if name == "trigger":
            return trigger
        if name == "record_id":  # /<collection>/<id>/..., a literal first segment (/notices/<id>/letter), or an
            # API collection (/api/v1/complaints/<id>)
            segments = rule.rule.split("/")
            return str(ids["record"][collection or (segments[3] if segments[1] == "api" else segments[1])])
        if name == "filename":
            return "remedy.css"
        if name == "row_id" and "/returns/" in rule.rule:  # a monitoring return's row, not an action plan's
            return str(ids["return_row_id"])
        if name not in ids:
            raise AssertionError(f"give the walk an id for <{name}> in {rule.rule}")
        return str(ids[name])

    return re.sub(r"<([^>]+)>", value, rule.rule)


def _variants(app, rule) -> list[str]:
    """Every address to try for a rule: one per collection (and a trigger of each) where the rule takes them."""
    from models.registry import CASE_COLLECTIONS

    if "trigger>" in rule.rule and "collection>" in rule.rule:
        return [(c, row.trigger) for c in re.findall(r'"([^"]+)"', rule.rule)
                for row in CASE_COLLECTIONS[c].workflow.TRANSITIONS]
    if "collection>" in rule.rule:
        return [(c, None) for c in re.findall(r'"([^"]+)"', rule.rule)] or [(c, None) for c in CASE_COLLECTIONS]
    if "trigger>" in rule.rule:  # a page's own triggers where it names them (/requests/<id>/answer), else one
        return [(None, t) for t in re.findall(r'"([^"]+)"', rule.rule)] or [(None, "approve")]
    return [(None, None)]


def _audit_count(app) -> int:
    from sqlalchemy import func, select

    from models import db
    from models.entities import AuditEvent

    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)))


@pytest.mark.parametrize("role", ["provider_manager", "provider_user"])
def test_every_page_and_form_hides_provider_b(app, login_as, world, role):
    before = _audit_count(app)
    problems = []
    with time_machine.travel(NOW, tick=False):  # (signed in inside: a session lasts 8 hours)
        client = login_as(role)
        token = csrf_token(client.get("/").get_data(as_text=True))
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            if view.remedy_permission == PUBLIC or rule.rule.startswith("/api/"):
                continue
            for collection, trigger in _variants(app, rule):
                url = _url(rule, world["b"], collection, trigger)
                takes_id = "<" in rule.rule and rule.endpoint not in OWN_PAGES
                allowed = {404} | ({403} if rule.endpoint in COUNCIL_ONLY else set())
                methods = {"GET"} if rule.endpoint in OWN_PAGES else rule.methods & {"GET", "POST"}
                for method in sorted(methods):  # (posting to their own account pages would revoke or rotate things)
                    if method == "GET":
                        response = client.get(url)
                    else:
                        response = client.client.post(url, data={"csrf_token": token, "reason": "x",
                                                                 "text": "x", "commentary": "x",
                                                                 "status": "done", "decision": "verify"})
                    body = response.get_data(as_text=True)
                    if takes_id and response.status_code not in allowed:
                        problems.append(f"{method} {url} ({rule.endpoint}): {response.status_code}")
                    elif not takes_id and response.status_code in (200, 422, 409):
                        leaked = [m for m in world["markers"] if m in body]
                        if leaked:
                            problems.append(f"{method} {url} ({rule.endpoint}) shows {leaked}")
    assert not problems, "\n".join(problems)
    assert _audit_count(app) == before, "a refused request changed something"


@pytest.mark.parametrize("role", ["provider_manager", "provider_user"])
def test_every_api_route_hides_provider_b(app, api_token, world, role):
    from models.registry import CASE_COLLECTIONS

    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(role)}"}
    before = _audit_count(app)
    problems = []
    ids = {**world["b"], "case_id": world["b"]["record"]["cases"]}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or app.view_functions[rule.endpoint].remedy_permission == PUBLIC:
            continue
        collections = list(CASE_COLLECTIONS) + ["complaints"] if "<collection>" in rule.rule else [None]
        for collection in collections:
            local = dict(ids)
            if collection:
                local["record"] = {**ids["record"], "complaints": ids["complaint_id"]}
            url = _url(rule, local, collection)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method, headers=headers,
                                       json={"trigger": "agree", "summary": "x", "contract": ids["contract_id"]}
                                       if method == "POST" else None,
                                       query_string={"start": "2027-01-04", "days": "3", "end": "2027-01-08",
                                                     "a": "2027-01-04", "b": "2027-01-08"})
                body = response.get_data(as_text=True)
                takes_id = "<" in rule.rule
                if takes_id and response.status_code != 404:
                    problems.append(f"{method} {url}: {response.status_code} {body[:120]}")
                elif not takes_id and response.status_code < 300:
                    leaked = [m for m in world["markers"] + [f'"id": {ids["case_id"]},'] if m in body]
                    if leaked:
                        problems.append(f"{method} {url} lists {leaked}")
    assert not problems, "\n".join(problems)
    assert _audit_count(app) == before


def test_the_calendar_feed_and_evidence_files_hide_provider_b(app, login_as, world):
    from models import db
    from models.calendar_feed_store import renew_feed_token

    with app.app_context():
        token = renew_feed_token(user("provider.manager@brightwater.example"), datetime.now(UTC))
        db.session.commit()
    feed = app.test_client().get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and "Milestone" in feed.get_data(as_text=True)
    assert not [m for m in world["markers"] if m in feed.get_data(as_text=True)]
    client = login_as("provider_user")
    assert client.get(f"/evidence/{world['a']['evidence_id']}").status_code == 200
    assert client.get(f"/evidence/{world['b']['evidence_id']}").status_code == 404
    # Provider B's own people get their file; the council does too.
    other = Browser(app.test_client())
    assert other.sign_in(world["b_email"]).status_code == 303
    assert other.get(f"/evidence/{world['b']['evidence_id']}").data == B_PDF
    assert other.get(f"/evidence/{world['a']['evidence_id']}").status_code == 404
    assert login_as("contract_manager").get(f"/evidence/{world['b']['evidence_id']}").data == B_PDF


@pytest.mark.parametrize("role", ["provider_manager", "provider_user"])
def test_provider_staff_cannot_reach_council_actions_on_their_own_records(app, login_as, world, role):
    from models.registry import CASE_COLLECTIONS
    from workflows.access import Role

    own = world["a"]
    records = {"cases": own["case_id"], "notices": own["notice_id"], "action-plans": own["plan_id"],
               "milestones": own["milestone_id"]}
    before = _audit_count(app)
    problems = []
    with time_machine.travel(NOW, tick=False):
        client = login_as(role)
        for collection, record_id in records.items():
            for row in CASE_COLLECTIONS[collection].workflow.TRANSITIONS:
                if Role(role) in row.roles or row.via or row.rung:
                    continue  # theirs to do, or reached only through another step
                url = f"/{collection}/{record_id}/{row.trigger}"
                for response in (client.get(url), client.post_form(url, {"reason": "x", "comment": "x"})):
                    if response.status_code != 403:
                        problems.append(f"{url}: {response.status_code}")
        council_pages = ["/review", f"/milestones/{own['milestone_id']}/review", "/cases/new",
                         f"/cases/{own['case_id']}/notices/new", f"/cases/{own['case_id']}/suspensions/new",
                         f"/cases/{own['case_id']}/terminations/new", "/admin/", "/admin/users", "/meetings/new"]
        for url in council_pages:
            if client.get(url).status_code != 403:
                problems.append(f"{url}: {client.get(url).status_code}")
    assert not problems, "\n".join(problems)
    assert _audit_count(app) == before
