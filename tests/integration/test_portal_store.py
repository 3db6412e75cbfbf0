"""The portal's store: plan versions, milestone progress with evidence files, the council's review of evidence and
a notice's representations, all scoped to the provider and audited in the same transaction."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import pytest

from tests.integration.portal_setup import (
    PDF,
    PNG,
    SERVED_AT,
    TODAY,
    add_provider_b_manager,
    case_with_notice,
    signed_plan,
    user,
)

MANAGER = "contract.manager@remedy.example"
PROVIDER = "provider.manager@brightwater.example"
PROVIDER_USER = "provider.user@brightwater.example"


def events(case_id):
    from models.audit_store import events_for_case

    return [e.event for e in events_for_case(user(MANAGER).council_id, case_id)]


def test_a_change_after_agreement_is_a_new_version_agreed_again_with_the_history_kept(app, demo):
    from models import db
    from models.case_queries import deadlines_for
    from models.case_store import add_milestone
    from models.engine import fire
    from models.portal_store import Upload, milestones_awaiting_review, plan_versions, record_progress, revise_plan
    from workflows.action_plan import PlanState
    from workflows.machine import TransitionNotAllowed

    with app.app_context():
        case, first = signed_plan()
        provider, manager = user(PROVIDER), user(MANAGER)
        assert first.state is PlanState.IN_PROGRESS and first.frozen["rows"][0]["kpi"] == "S3 attendance"
        later = SERVED_AT + timedelta(days=3)
        record_progress(provider.viewer, provider, first.milestones[0].id, "done", "Done", [Upload("a.pdf", PDF)],
                        later, TODAY)
        assert [m.id for m in milestones_awaiting_review(manager.viewer)] == [first.milestones[0].id]
        second = revise_plan(provider.viewer, provider, first.id, later)
        assert (second.plan_version, second.state, second.previous_id) == (2, PlanState.DRAFT, first.id)
        assert [r.kpi for r in second.rows] == ["S3 attendance"] and len(second.milestones) == 2
        with pytest.raises(TransitionNotAllowed, match="already been started"):
            revise_plan(provider.viewer, provider, first.id, later)
        # The agreed version stays in force, frozen, until both parties sign the next one.
        add_milestone(provider.viewer, provider, second.id, "Rota reviewed weekly", date(2027, 1, 29), later)
        db.session.expire(second, ["milestones"])
        fire(provider.viewer, provider, "action_plan", second.id, "submit", {}, later, TODAY)
        assert first.state is PlanState.IN_PROGRESS
        fire(manager.viewer, manager, "action_plan", second.id, "agree", {}, later, TODAY)
        fire(provider.viewer, provider, "action_plan", second.id, "sign_off", {}, later, TODAY)
        assert first.state is PlanState.SUPERSEDED and second.state is PlanState.IN_PROGRESS
        assert milestones_awaiting_review(manager.viewer) == []  # the old version's milestones are history
        assert first.frozen["plan_version"] == 1 and second.frozen["plan_version"] == 2
        assert len(second.frozen["milestones"]) == 3
        assert [p.plan_version for p in plan_versions(provider.viewer, first)] == [1, 2]
        running = {(d.entity_id, d.status) for d in deadlines_for(case.council_id, case_id=case.id)
                   if d.entity_type == "milestone"}
        assert {status for mid, status in running if mid in {m.id for m in first.milestones}} == {"met", "superseded"}
        assert {status for mid, status in running if mid in {m.id for m in second.milestones}} == {"running"}
        assert "PLAN_VERSION_STARTED" in events(case.id) and "PLAN_SUPERSEDED" in events(case.id)
        with pytest.raises(TransitionNotAllowed, match="Only an agreed plan"):
            revise_plan(provider.viewer, provider, first.id, later)


def test_two_party_sign_off(app, demo):
    from models.engine import allowed_triggers, fire
    from workflows.machine import TransitionNotAllowed

    with app.app_context():
        case, plan = signed_plan()
        assert plan.council_signed_by_id == user(MANAGER).id and plan.provider_signed_by_id == user(PROVIDER).id
        assert plan.council_signed_at and plan.provider_signed_at
        # A provider user drafts but neither submits nor signs.
        staff = user(PROVIDER_USER)
        assert allowed_triggers(staff.viewer, "action_plan", plan, SERVED_AT, TODAY) == []
        with pytest.raises(TransitionNotAllowed) as refused:
            fire(staff.viewer, staff, "action_plan", plan.id, "complete", {}, SERVED_AT, TODAY)
        assert refused.value.forbidden


def test_progress_with_evidence_then_council_review(app, demo, tmp_path):
    from models import db
    from models.case_queries import deadlines_for
    from models.portal_store import Upload, evidence_path, get_evidence, record_progress, review_evidence
    from workflows.errors import ValidationProblem
    from workflows.milestone import MilestoneState

    with app.app_context():
        case, plan = signed_plan()
        first = plan.milestones[0]
        staff, manager = user(PROVIDER_USER), user(MANAGER)
        now = SERVED_AT + timedelta(days=5)
        update = record_progress(staff.viewer, staff, first.id, "in_progress", "Interviews booked", [], now, TODAY)
        assert first.state is MilestoneState.IN_PROGRESS and update.status == "in_progress"
        with pytest.raises(ValidationProblem, match="Attach evidence"):
            record_progress(staff.viewer, staff, first.id, "done", "Both started", [], now, TODAY)
        update = record_progress(staff.viewer, staff, first.id, "done", "Both started on 4 January",
                                 [Upload("../contracts/Offer letters.pdf", PDF)], now, TODAY)
        db.session.commit()
        assert first.state is MilestoneState.DONE
        # Only this milestone's deadline is met: the other one still runs, so its reminders still go out.
        statuses = {d.entity_id: d.status for d in deadlines_for(case.council_id, case_id=case.id)
                    if d.entity_type == "milestone"}
        assert statuses == {first.id: "met", plan.milestones[1].id: "running"}
        [evidence] = update.files
        assert evidence.filename == "Offer_letters.pdf" and evidence.media_type == "application/pdf"
        assert evidence.sha256 == hashlib.sha256(PDF).hexdigest() and evidence.size == len(PDF)
        stored = evidence_path(evidence)
        assert stored.read_bytes() == PDF and stored.parent == tmp_path / "evidence"
        assert evidence.storage_name not in ("Offer_letters.pdf",) and len(evidence.storage_name) == 40
        with pytest.raises(ValidationProblem, match="Enter why"):
            review_evidence(manager.viewer, manager, first.id, "reject", " ", now, TODAY)
        review_evidence(manager.viewer, manager, first.id, "reject", "The letters are unsigned", now, TODAY)
        db.session.commit()
        assert first.state is MilestoneState.IN_PROGRESS
        assert get_evidence(staff.viewer, evidence.id).review == "rejected"
        assert evidence.review_reason == "The letters are unsigned"
        with pytest.raises(ValidationProblem, match="Attach evidence"):  # rejected evidence does not count
            record_progress(staff.viewer, staff, first.id, "done", "Again", [], now, TODAY)
        record_progress(staff.viewer, staff, first.id, "done", "Signed letters", [Upload("signed.png", PNG)],
                        now, TODAY)
        review_evidence(manager.viewer, manager, first.id, "verify", "", now, TODAY)
        db.session.commit()
        assert first.state is MilestoneState.VERIFIED
        trail = events(case.id)
        for name in ("MILESTONE_PROGRESS_REPORTED", "EVIDENCE_ATTACHED", "MILESTONE_DONE", "EVIDENCE_REJECTED",
                     "MILESTONE_EVIDENCE_REJECTED", "EVIDENCE_VERIFIED", "MILESTONE_VERIFIED"):
            assert name in trail, name


def test_a_refused_or_failed_upload_leaves_nothing_behind(app, demo, tmp_path):
    from models import db
    from models.portal import EvidenceFile
    from models.portal_store import Upload, record_progress
    from workflows.errors import ValidationProblem

    with app.app_context():
        _case, plan = signed_plan()
        db.session.commit()
        staff = user(PROVIDER_USER)
        milestone_id = plan.milestones[0].id
        with pytest.raises(ValidationProblem, match="must be a PDF"):
            record_progress(staff.viewer, staff, milestone_id, "done", "Done",
                            [Upload("ok.pdf", PDF), Upload("rota.exe", b"MZ\x90\x00")], SERVED_AT, TODAY)
        db.session.rollback()
        # A good file is written, then something later fails and the transaction rolls back: the file goes too.
        record_progress(staff.viewer, staff, milestone_id, "in_progress", "Started", [Upload("a.pdf", PDF)],
                        SERVED_AT, TODAY)
        assert len(list((tmp_path / "evidence").iterdir())) == 1
        db.session.rollback()
        assert list((tmp_path / "evidence").iterdir()) == []
        assert db.session.query(EvidenceFile).count() == 0


def test_providers_see_only_their_own_evidence(app, demo):
    from models import db
    from models.portal_store import Upload, evidence_for, get_evidence, record_progress
    from workflows.errors import NotFound

    with app.app_context():
        other = add_provider_b_manager()
        _case, plan = signed_plan(other, "HC-2024-05")
        provider_b = user(other)
        update = record_progress(provider_b.viewer, provider_b, plan.milestones[0].id, "done", "Done",
                                 [Upload("b.pdf", PDF)], SERVED_AT, TODAY)
        db.session.commit()
        evidence_id = update.files[0].id
        mine = user(PROVIDER).viewer
        with pytest.raises(NotFound):
            get_evidence(mine, evidence_id)
        assert evidence_for(mine, [plan.milestones[0].id]) == {plan.milestones[0].id: []}
        assert get_evidence(user(MANAGER).viewer, evidence_id).id == evidence_id
        with pytest.raises(NotFound):
            record_progress(mine, user(PROVIDER), plan.milestones[1].id, "in_progress", "x", [], SERVED_AT, TODAY)


def test_representations_within_the_notice_window(app, demo):
    from models.portal_store import make_representation, representation_window, representations_for
    from workflows.machine import TransitionNotAllowed

    with app.app_context():
        case, notice = case_with_notice()
        provider = user(PROVIDER)
        window = representation_window(provider.viewer, notice)
        assert window is not None and window > TODAY
        made = make_representation(provider.viewer, provider, notice.id, "The figure counts closed days",
                                   SERVED_AT, TODAY)
        assert representations_for(provider.viewer, [notice.id])[notice.id] == [made]
        late = window + timedelta(days=1)
        with pytest.raises(TransitionNotAllowed, match="window for representations closed"):
            make_representation(provider.viewer, provider, notice.id, "Late",
                                datetime.combine(late, SERVED_AT.timetz()), late)
        manager = user(MANAGER)
        with pytest.raises(TransitionNotAllowed) as refused:
            make_representation(manager.viewer, manager, notice.id, "x", SERVED_AT, TODAY)
        assert refused.value.forbidden
        assert "NOTICE_REPRESENTATIONS_MADE" in events(case.id)


def posted_notice():
    """A Kent formal warning on a new case, served by post today: deemed received later (the notices clause)."""
    from models.case_store import draft_notice, open_case
    from models.engine import fire

    manager = user(MANAGER)
    case = open_case(manager.viewer, manager, "LDDS-2023-07", "Attendance", SERVED_AT)
    notice = draft_notice(manager.viewer, manager, case.id, "Findings", "A plan", SERVED_AT)
    fire(manager.viewer, manager, "notice", notice.id, "issue", {"served_on": TODAY, "method": "post"}, SERVED_AT,
         TODAY)
    assert notice.received_on > TODAY  # by post: deemed received later
    return case, notice


def test_acknowledging_a_notice_moves_the_plan_clock_to_the_real_receipt(app, demo):
    from models.case_queries import deadlines_for
    from models.engine import fire
    from workflows.notice import NoticeState

    with app.app_context():
        case, notice = posted_notice()
        provider = user(PROVIDER)
        fire(provider.viewer, provider, "notice", notice.id, "acknowledge", {"received_on": TODAY}, SERVED_AT, TODAY)
        assert notice.state is NoticeState.PLAN_DUE and notice.received_on == TODAY
        running = [d for d in deadlines_for(case.council_id, case_id=case.id) if d.status == "running"]
        assert [d.start_on for d in running] == [TODAY]


def test_a_notice_acknowledged_after_its_deemed_day_stays_received_on_it(app, demo):
    """Acknowledged after its deemed day: the notice is treated as received on the deemed day. Its clock and its
    record keep that day, and the audit trail keeps the day the provider gave."""
    from sqlalchemy import select

    from models import db
    from models.case_queries import deadlines_for
    from models.engine import fire
    from models.entities import AuditEvent
    from workflows.notice import NoticeState

    with app.app_context():
        case, notice = posted_notice()
        deemed, provider = notice.received_on, user(PROVIDER)
        (running,) = [d for d in deadlines_for(case.council_id, case_id=case.id) if d.status == "running"]
        later = deemed + timedelta(days=3)
        fire(provider.viewer, provider, "notice", notice.id, "acknowledge", {"received_on": later},
             SERVED_AT + timedelta(days=7), later)
        assert notice.state is NoticeState.PLAN_DUE and notice.received_on == deemed
        (still,) = [d for d in deadlines_for(case.council_id, case_id=case.id) if d.status == "running"]
        assert (still.id, still.start_on, still.due_on) == (running.id, running.start_on, running.due_on)
        received = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "notice",
                                                              AuditEvent.entity_id == notice.id,
                                                              AuditEvent.event == "NOTICE_RECEIVED"))
        assert (received.data["received_on"], received.data["acknowledged_on"]) == (deemed.isoformat(),
                                                                                     later.isoformat())


def test_verifying_a_milestone_by_its_own_step_reviews_its_files_too(app, demo):
    from models.engine import fire
    from models.portal_store import Upload, evidence_for, record_progress

    with app.app_context():
        _case, plan = signed_plan()
        staff, manager = user(PROVIDER_USER), user(MANAGER)
        milestone = plan.milestones[0]
        record_progress(staff.viewer, staff, milestone.id, "done", "Done", [Upload("a.pdf", PDF)], SERVED_AT, TODAY)
        fire(manager.viewer, manager, "milestone", milestone.id, "verify", {}, SERVED_AT, TODAY)
        [evidence] = evidence_for(staff.viewer, [milestone.id])[milestone.id]
        assert evidence.review == "verified" and evidence.reviewed_by_id == manager.id


def test_a_case_timeline_as_shown_is_the_whole_events_without_their_data(app, demo):
    """models/audit_store.events_for_case(shown=True), the case page's and the history page's timeline: the same
    events in the same order (all, or the newest), each with what the page shows and no `data`."""
    from models.audit_store import ShownEvent, events_for_case

    with app.app_context():
        case, _plan = signed_plan()
        council_id = user(MANAGER).council_id
        whole = events_for_case(council_id, case.id)
        assert len(whole) > 4
        for newest in (None, 3, 1000):
            shown = events_for_case(council_id, case.id, newest, shown=True)
            expected = whole if newest is None else whole[-newest:]
            assert shown == [ShownEvent(*(getattr(e, name) for name in ShownEvent._fields)) for e in expected]
            assert all(not hasattr(e, "data") for e in shown)
