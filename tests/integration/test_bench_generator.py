"""bench/data.py, the benchmarks' one data generator, run at a tiny size on the test database (SQLite, or PostgreSQL
when DATABASE_URL names one), so a schema change cannot break the benchmarks unseen: the rows are there, a case
opened through the store afterwards takes the next reference, a scheduler tick fires the due deadlines, and the
pages render on the data."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.data import MANAGER, generate, scheduler_data
from models import db
from models.cases import Case, Deadline, Notice
from models.entities import AuditEvent
from models.scheduling import OutboxMessage, Timer
from scheduler.tick import tick
from tests.conftest import DEMO_PASSWORD, Browser
from web.clock import today_london


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_workflow_data_at_a_tiny_size_serves_the_pages_and_a_tick(app):
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        made = generate(app, 60, 600, now, today_london())
        assert _count(Case) == 60 + 0  # the demo opens no case unless asked
        assert _count(AuditEvent) >= made["event_rows"] == 600  # and the demo's own events
        assert _count(Deadline) == made["rows"]["deadline"] > 0
        assert _count(Timer) == made["rows"]["timer"] > 0
        assert sum(len(ids) for ids in made["pools"].values()) == 60
        references = set(db.session.scalars(select(Case.reference)))
        assert len(references) == 60 and all(r.startswith("CASE-") for r in references)

        # The store's next case takes the next number, not one the generator gave.
        from models.case_store import open_case
        from models.entities import Contract
        from models.user_store import find_user_by_email

        manager = find_user_by_email(MANAGER)
        contract = db.session.scalar(select(Contract).order_by(Contract.id))
        case = open_case(manager.viewer, manager, contract.id, "After the bench data", now)
        db.session.commit()
        assert case.reference not in references
        # Beside the cases: complaints, safeguarding concerns and breaches for their lists; a complaint recorded
        # through the store afterwards takes the next reference too.
        from models.concern_store import record_complaint
        from models.concerns import Complaint, SafeguardingConcern
        from models.monitoring import BreachRecord

        assert (_count(Complaint), _count(SafeguardingConcern), _count(BreachRecord)) == (3, 1, 2)
        from models.concerns import ConcernOfficer

        named = db.session.scalars(select(ConcernOfficer)).all()  # one concern in ten names its contract's manager
        assert [(o.user_id, o.concern_id) for o in named] == [
            (manager.id, db.session.scalar(select(SafeguardingConcern.id)))]
        given = set(db.session.scalars(select(Complaint.reference)))
        complaint = record_complaint(manager.viewer, manager, contract.provider_id, {
            "received_at": now, "channel": "phone", "complainant_type": "family_member", "formal": True,
            "summary": "After the bench data"}, now)
        db.session.commit()
        assert complaint.reference not in given

        counts = tick(now + timedelta(days=60), deliver_messages=False)
        assert counts["failed"] == 0 and counts["fired"] > 0

    browser = Browser(app.test_client())
    assert browser.sign_in(MANAGER, DEMO_PASSWORD).status_code == 303
    for url in ("/", "/cases", "/cases?state=notice&overdue=yes", f"/cases/{made['shown_case']}", "/deadlines",
                "/complaints", "/safeguarding", "/breaches"):
        assert browser.get(url).status_code == 200, url
    assert "bench concern 1" in browser.get("/safeguarding?show=all").get_data(as_text=True)  # named: seen in full


def test_scheduler_data_at_a_tiny_size_fires_every_due_deadline(app):
    now = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
    with app.app_context():
        made = scheduler_data(app, 30, 120, 40, now)
        assert _count(Case) == 30 and _count(Notice) == 30
        assert _count(Deadline) == 120 and _count(Timer) == 120
        assert made["due"] == 40
        counts = tick(now, deliver_messages=False)
        assert counts["fired"] == 40 and counts["failed"] == 0
        assert _count(Deadline, Deadline.status == "breached") == 40
        assert _count(Case, Case.overdue.is_(True)) == 30
        assert _count(OutboxMessage) > 0
        assert tick(now, deliver_messages=False)["fired"] == 0  # fired once


def test_returns_data_at_a_tiny_size_is_swept_and_records_breaches(app, tmp_path):
    from bench.data import returns_data, returns_rulebooks
    from models.monitoring import BreachRecord, KpiResult, MonitoringReturn
    from models.return_store import close_periods
    from workflows.returns import ReturnState
    from workflows.rulebook import load_rulebooks

    returns_rulebooks(tmp_path)
    app.extensions["rulebooks"] = load_rulebooks(tmp_path)
    today = datetime(2026, 12, 18, tzinfo=UTC).date()
    with app.app_context():
        made = returns_data(app, 2, 6, today)
        assert made["contracts"] == 2 and made["accepted"] > 0
        assert _count(KpiResult) == made["kpi_results"] == made["accepted"] * made["kpis"]
        assert _count(MonitoringReturn, MonitoringReturn.state == ReturnState.ACCEPTED) == made["accepted"]
        # The same seed gives the same results on every database (they are drawn in the periods' id order): the
        # same values for the same periods, and so the same breaches. CI runs this on SQLite and on PostgreSQL, so
        # both must give these figures; a change to the generator's draws changes them here, from a run on each.
        from models.entities import Contract

        drawn = db.session.execute(select(Contract.reference, KpiResult.kpi_id, KpiResult.period_start, KpiResult.value)
                                   .join(Contract, Contract.id == KpiResult.contract_id)).all()
        digest = hashlib.sha256(repr(sorted(tuple(map(str, row)) for row in drawn)).encode()).hexdigest()[:16]
        counts = close_periods(today, datetime(2026, 12, 18, 6, tzinfo=UTC))
        db.session.commit()
        assert (digest, counts["breaches_found"]) == ("0936d3191ff9f184", 17)
        assert counts["breaches_found"] == _count(BreachRecord) > 0
        # Recorded in bulk, each breach still has its BREACH_FOUND event, as new_record writes it.
        found = {e.entity_id: e for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity_type == "breach", AuditEvent.event == "BREACH_FOUND"))}
        for row in db.session.scalars(select(BreachRecord)):
            event = found[row.id]
            assert (event.council_id, event.case_id, event.to_state, event.actor_label) == \
                (row.council_id, row.case_id, row.status, "Remedy (automatic)")
            assert event.data == {"rule": row.rule_id, "cites": row.cites, "figures": row.figures}
            assert row.version_id == 1 and row.proposals == []
        assert len(found) == counts["breaches_found"]
        # Periods the sweep opens carry how their due date was worked out; the next day's sweep finds nothing new.
        assert all(r.due_explanation for r in db.session.scalars(select(MonitoringReturn)))
        again = close_periods(today + timedelta(days=1), datetime(2026, 12, 19, 6, tzinfo=UTC))
        assert again["breaches_found"] == again["breaches_withdrawn"] == 0
