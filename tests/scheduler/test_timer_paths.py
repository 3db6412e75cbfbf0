"""The scheduler's fast path (fire_batch) and full path (fire_timer) decide alike and write the same things."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models import db
from models.cases import Case, Deadline
from models.concern_store import record_complaint
from models.scheduling import OutboxMessage, Timer
from models.timer_store import claim_due_rows, fire_batch, fire_timer
from models.user_store import find_user_by_email
from tests.integration.portal_setup import add_provider_b_manager
from tests.scheduler.test_tick import at, kent_warning
from workflows.clock import LONDON


@pytest.fixture
def people(app, demo):
    with app.app_context():
        yield {role: find_user_by_email(email) for role, email in demo.items()}


def _snapshot():
    """What a tick wrote: timers, deadlines, cases marked overdue and the outbox."""
    timers = {t.id: (t.status, t.note) for t in db.session.scalars(select(Timer).where(Timer.status != "pending"))}
    deadlines = {d.id: (d.status, d.breached_at) for d in db.session.scalars(select(Deadline))}
    overdue = set(db.session.scalars(select(Case.id).where(Case.overdue.is_(True))))
    outbox = {(m.key, m.channel, m.user_id, m.to_address, m.subject, m.body_text, m.body_html, m.link)
              for m in db.session.scalars(select(OutboxMessage))}
    return timers, deadlines, overdue, outbox


def _run(path: str, now: datetime):
    savepoint = db.session.begin_nested()
    rows = claim_due_rows(now, 100)
    if path == "fast":
        _counts, full = fire_batch(rows, now)
        assert full == []
    else:
        for row in rows:
            fire_timer(db.session.get(Timer, row.id), now)
    db.session.flush()
    db.session.expire_all()
    seen = _snapshot()
    savepoint.rollback()
    db.session.expire_all()
    return seen


def test_both_paths_write_the_same_and_name_records_by_their_reference(people):
    manager = people["contract_manager"]
    warning = kent_warning(manager, date(2026, 12, 18))  # KT-19, due 6 January 2027
    # HF-74 and HF-78 are Hammersmith & Fulham's clocks: the complaint is the H&F home care provider's.
    provider = find_user_by_email(add_provider_b_manager())
    complaint = record_complaint(provider.viewer, provider, provider.provider_id, {
        "received_at": datetime(2026, 12, 18, 16, 30, tzinfo=LONDON), "channel": "email",
        "complainant_type": "service_user", "formal": True, "summary": "Late visits"},
        datetime(2026, 12, 18, 17, 0, tzinfo=UTC))
    db.session.commit()
    now = at("2027-01-05 09:00")  # the 5- and 1-day reminders of the warning due at once; the complaint late

    fast, full = _run("fast", now), _run("full", now)
    assert fast == full

    timers, deadlines, _overdue, outbox = fast
    notes = {db.session.get(Timer, i).threshold: v for i, v in timers.items()
             if db.session.get(Timer, i).deadline_id == warning.id}
    assert notes[5] == ("superseded", "A nearer reminder was due at the same time") and notes[1] == ("fired", None)
    reported = db.session.scalar(select(Deadline).where(Deadline.entity_type == "complaint",
                                                        Deadline.entity_id == complaint.id,
                                                        Deadline.kind == "complaint_reported"))
    assert deadlines[reported.id][0] == "breached"

    case = db.session.get(Case, warning.case_id)
    about_warning = [m for m in outbox if case.reference in m[4]]
    about_complaint = [m for m in outbox if complaint.reference in m[4]]
    assert {m[4].split(":")[0] for m in about_warning} == {"Reminder"}
    assert {m[4].split(":")[0] for m in about_complaint} == {"Reminder", "Overdue"}  # HF-78 due soon, HF-74 late
    assert len(about_warning) + len(about_complaint) == len(outbox)
    assert all(f"for case {case.reference}," in m[5] and m[7].endswith(f"/cases/{case.id}") for m in about_warning)
    assert complaint.reference.startswith("CMP-")
    for m in about_complaint:
        assert f"for {complaint.reference}" in m[4]
        assert f"for complaint {complaint.reference}," in m[5] and "for case" not in m[5]
        assert "The case is marked as overdue" not in m[5]  # a complaint is not on a case
        assert m[7].endswith(f"/complaints/{complaint.id}")


def test_a_message_already_queued_sends_its_batch_the_slow_way_and_is_not_queued_twice(people, caplog):
    # The fast path COPYs the outbox rows straight in; a key already queued breaks the unique key, the batch is
    # rolled back and fired timer by timer, and the slow path leaves the queued message alone.
    from scheduler.tick import sweep

    warning = kent_warning(people["contract_manager"], date(2026, 12, 18))  # KT-19, due 6 January 2027
    db.session.commit()
    now = at("2027-01-05 09:00")
    _timers, _deadlines, _overdue, outbox = _run("fast", now)
    key, channel, user_id, to_address = sorted(outbox)[0][:4]
    db.session.add(OutboxMessage(council_id=warning.council_id, key=key, channel=channel, user_id=user_id,
                                 to_address=to_address, subject="Queued before", body_text="Queued before",
                                 link="/", status="pending", attempts=0, next_attempt_at=now, created_at=now))
    db.session.commit()

    counts = sweep(now)
    assert "Batch failed; firing its timers one by one" in caplog.text
    assert counts["fired"] >= 1 and counts["failed"] == 0
    db.session.expire_all()
    queued = {m.key: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert queued[key] == "Queued before"
    assert set(queued) == {m[0] for m in outbox}  # everything else queued once, as the fast path would have


def test_a_message_that_cannot_be_built_sends_its_batch_the_slow_way_with_nothing_half_written(people, caplog,
                                                                                              monkeypatch):
    """The fast path builds its messages and audit rows on another thread while its UPDATEs run; a failure there
    reaches the batch as any other would: rolled back whole (the UPDATEs already run included), then fired timer
    by timer, each deadline breached and each message queued once."""
    import models.timer_store as timer_store
    from models.entities import AuditEvent
    from scheduler.tick import sweep

    kent_warning(people["contract_manager"], date(2026, 12, 18))  # KT-19, due 6 January 2027
    db.session.commit()
    now = at("2027-01-07 09:00")
    real, calls = timer_store._message, []

    def first_fails(*args, **kwargs):
        calls.append(args[0].id)
        if len(calls) == 1:
            raise RuntimeError("a message that cannot be built")
        return real(*args, **kwargs)

    monkeypatch.setattr(timer_store, "_message", first_fails)
    counts = sweep(now)
    assert "Batch failed; firing its timers one by one" in caplog.text
    assert "a message that cannot be built" in caplog.text  # the other thread's error, with its traceback
    assert counts["fired"] >= 1 and counts["failed"] == 0, counts
    db.session.expire_all()
    breached = list(db.session.scalars(select(Deadline.id).where(Deadline.status == "breached")))
    assert breached
    events = list(db.session.scalars(select(AuditEvent.entity_id).where(AuditEvent.event == "DEADLINE_BREACHED")))
    assert sorted(events) == sorted(breached)  # one event each: none left over from the batch rolled back
    keys = list(db.session.scalars(select(OutboxMessage.key)))
    assert len(keys) == len(set(keys)) > 0
    assert not db.session.scalars(select(Timer).where(Timer.status == "pending", Timer.due_at <= now)).all()
