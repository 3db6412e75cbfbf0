"""The scheduler: ticks that never lose or duplicate an event, across downtime, clock changes and pauses."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import db
from models.case_store import draft_notice, open_case
from models.cases import Case, Deadline
from models.deadline_store import pause_deadline, resume_deadline
from models.engine import fire
from models.scheduling import Notification, OutboxMessage, Timer
from models.user_store import find_user_by_email
from scheduler.tick import tick
from workflows.clock import LONDON


def at(text: str) -> datetime:
    """An instant in London time, written plainly: '2026-12-29 09:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


@pytest.fixture
def manager(app, demo):
    with app.app_context():
        yield find_user_by_email(demo["contract_manager"])


def kent_warning(manager, served_on: date, summary="Attendance below target") -> Deadline:
    """A Kent formal warning served by hand on `served_on`; returns its KT-19 deadline."""
    now = datetime.combine(served_on, datetime.min.time().replace(hour=10), tzinfo=LONDON).astimezone(UTC)
    case = open_case(manager.viewer, manager, "LDDS-2023-07", summary, now)
    notice = draft_notice(manager.viewer, manager, case.id, "Attendance 71%", "An action plan", now)
    fire(manager.viewer, manager, "notice", notice.id, "issue",
                     {"served_on": served_on, "method": "hand"}, now, served_on)
    db.session.commit()
    return db.session.scalar(select(Deadline).where(Deadline.entity_type == "notice",
                                                    Deadline.entity_id == notice.id))


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.subject.startswith(kind))
    return list(db.session.scalars(query))


def test_timers_are_planned_backwards_on_the_same_calendar(manager):
    deadline = kent_warning(manager, date(2026, 12, 18))
    timers = {(t.kind, t.threshold): t.due_on for t in db.session.scalars(
        select(Timer).where(Timer.deadline_id == deadline.id))}
    # Due 6 January 2027; 5 working days before skips New Year's Day and the weekend.
    assert timers == {("breach", 0): date(2027, 1, 6), ("reminder", 5): date(2026, 12, 29),
                      ("reminder", 1): date(2027, 1, 5), ("reminder", 0): date(2027, 1, 6)}


def test_a_reminder_goes_to_the_provider_once_even_if_the_tick_runs_twice(manager):
    deadline = kent_warning(manager, date(2026, 12, 18))
    first = tick(at("2026-12-29 09:00"))
    assert first["fired"] == 1
    again = tick(at("2026-12-29 09:00"))
    assert again["fired"] == 0 and again["due"] == 0
    messages = outbox("Reminder")
    # Two provider staff, each by email and in the app; nothing for anyone else.
    assert len(messages) == 4
    assert {m.user.email for m in messages} == {"provider.manager@brightwater.example",
                                                "provider.user@brightwater.example"}
    assert "is due in 5 working days" in messages[0].subject and "Wednesday 6 January 2027" in messages[0].subject
    assert "Christmas Day" in messages[0].body_text
    assert db.session.scalar(select(func.count(Notification.id))) == 2
    assert deadline.status == "running"


def test_outage_over_new_year_fires_the_right_breaches_and_one_reminder_each(manager):
    """Down from Wednesday 30 December 12:00 to Monday 4 January 12:00: a weekend and New Year's Day missed."""
    due_31 = kent_warning(manager, date(2026, 12, 15), "Due 31 December")
    due_4 = kent_warning(manager, date(2026, 12, 16), "Due 4 January")
    assert (due_31.due_on, due_4.due_on) == (date(2026, 12, 31), date(2027, 1, 4))
    tick(at("2026-12-30 11:00"))  # before the outage
    before = len(outbox())
    counts = tick(at("2027-01-04 12:00"))
    db.session.expire_all()
    assert due_31.status == "breached"
    assert due_31.breached_at == at("2026-12-31 23:59:59")  # recorded at the due instant, not when noticed
    assert due_4.status == "running"
    new = outbox()[before:]
    breaches = {m.subject for m in new if m.subject.startswith("Overdue")}
    reminders = [m for m in new if m.subject.startswith("Reminder")]
    assert len(breaches) == 1 and "Due 31 December" not in next(iter(breaches))
    assert "was due by the end of Thursday 31 December 2026" in next(iter(breaches))
    # Only the most relevant reminder of the 4 January deadline, and no "due soon" for the breached one.
    assert {m.subject for m in reminders} == {
        next(m.subject for m in reminders)}
    assert "is due today" in reminders[0].subject and "Monday 4 January 2027" in reminders[0].subject
    assert counts["superseded"] >= 1 and counts["skipped"] >= 1
    case = db.session.get(Case, due_31.case_id)
    assert case.overdue
    assert tick(at("2027-01-04 12:00"))["fired"] == 0


@pytest.mark.parametrize("served_on, due_on, last_moment_utc", [
    # Clocks go forward on 28 March 2027: the end of 29 March is 22:59:59 UTC.
    # (Good Friday 26 and Easter Monday 29 March 2027 are skipped on the way.)
    (date(2027, 3, 12), date(2027, 3, 30), "2027-03-30T22:59:59+00:00"),
    # Clocks go back on 31 October 2027: the end of 1 November is 23:59:59 UTC.
    (date(2027, 10, 18), date(2027, 11, 1), "2027-11-01T23:59:59+00:00"),
])
def test_breach_at_the_end_of_the_london_day_across_clock_changes(manager, served_on, due_on, last_moment_utc):
    deadline = kent_warning(manager, served_on)
    assert deadline.due_on == due_on and deadline.due_at.isoformat() == last_moment_utc
    tick(deadline.due_at - timedelta(seconds=1))
    db.session.expire_all()
    assert deadline.status == "running"
    tick(deadline.due_at + timedelta(seconds=1))
    db.session.expire_all()
    assert deadline.status == "breached"


def test_a_pause_across_christmas_extends_by_the_working_days_paused(manager):
    deadline = kent_warning(manager, date(2026, 12, 14))
    assert deadline.due_on == date(2026, 12, 30)
    pause_deadline(manager.viewer, manager, deadline.id, "Awaiting the council's decision on the plan",
                   date(2026, 12, 22), at("2026-12-22 10:00"))
    db.session.commit()
    # Nothing fires while paused, even past the old due date.
    tick(at("2027-01-02 10:00"))
    db.session.expire_all()
    assert deadline.status == "running" and not outbox("Overdue")
    resume_deadline(manager.viewer, manager, deadline.id, date(2027, 1, 4), at("2027-01-04 09:00"))
    db.session.commit()
    # Paused 22, 23, 24, 29, 30, 31 December: six working days; 30 December + 6 = 8 January.
    assert deadline.due_on == date(2027, 1, 8)
    assert "Paused from 22 December 2026 to 4 January 2027" in deadline.explanation[-1]
    tick(at("2027-01-08 23:00"))
    db.session.expire_all()
    assert deadline.status == "running"
    tick(at("2027-01-09 00:30"))
    db.session.expire_all()
    assert deadline.status == "breached"


def test_a_deadline_met_in_time_never_breaches(manager, app):
    deadline = kent_warning(manager, date(2026, 12, 18))
    db.session.get(Timer, db.session.scalar(select(Timer.id).where(Timer.deadline_id == deadline.id)))
    deadline.status = "met"  # as a transition would
    from models.deadline_store import cancel_deadline_timers

    cancel_deadline_timers(deadline, "Met")
    db.session.commit()
    assert tick(at("2027-02-01 09:00"))["fired"] == 0
    assert not outbox()


def test_a_crash_between_claiming_and_sending_loses_and_duplicates_nothing(manager, monkeypatch):
    kent_warning(manager, date(2026, 12, 18))
    import scheduler.tick as tick_module

    def crash(now, limit=200):
        raise RuntimeError("power cut after the sweep committed")

    monkeypatch.setattr(tick_module, "deliver", crash)
    with pytest.raises(RuntimeError):
        tick(at("2026-12-29 09:00"))
    db.session.rollback()
    assert len(outbox("Reminder")) == 4 and all(m.status == "pending" for m in outbox())
    monkeypatch.undo()
    result = tick(at("2026-12-29 09:05"))
    assert result["fired"] == 0 and result["delivered"]["sent"] == 4
    assert db.session.scalar(select(func.count(Notification.id))) == 2
    assert tick(at("2026-12-29 09:10"))["delivered"]["sent"] == 0


def test_a_change_saved_while_a_tick_reads_its_batch_fails_neither(manager, saved_meanwhile):
    """A person saves a change just as a tick has read its batch of due timers. On SQLite the change used to commit
    between the tick's reads and its first write, and SQLite then refused every write of the tick's transaction
    ("database is locked", busy timeout or not): the batch, then each timer of it, failed and the tick raised. Now
    the tick holds the write lock from its claim to its commit, and the change waits for it (on PostgreSQL it
    commits at once: the tick locks only the timers it claimed)."""
    kent_warning(manager, date(2026, 12, 18))
    result = saved_meanwhile(lambda: tick(at("2026-12-29 09:00")), when="UPDATE timer")
    assert (result["fired"], result["failed"]) == (1, 0)
    assert len(outbox("Reminder")) == 4


def test_a_step_that_read_a_deadline_running_before_a_tick_breached_it_leaves_the_breach(manager, app):
    """A person's step reads the running deadlines it stops; a tick breaches one and commits; the step then marks
    it met. It used to write "met" over the breach (its audit event and messages stayed). The deadline's version
    moved with the breach, so the step's write is refused as a change made meanwhile, and the breach stands."""
    from sqlalchemy.orm.exc import StaleDataError

    from models.deadline_store import cancel_deadline_timers

    deadline_id = kent_warning(manager, date(2026, 12, 18)).id
    db.session.commit()
    read = db.session.scalars(select(Deadline).where(Deadline.id == deadline_id, Deadline.status == "running")).one()
    with app.app_context():  # the scheduler: a session and a connection of its own
        assert tick(at("2027-01-07 09:00"))["fired"] == 1
    read.status, read.met_at = "met", at("2027-01-07 09:00")
    with pytest.raises(StaleDataError):
        cancel_deadline_timers(read, "Met")  # its query flushes the change first
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Deadline, deadline_id).status == "breached"
    assert {t.status for t in db.session.scalars(select(Timer).where(Timer.deadline_id == deadline_id))} == {
        "fired", "skipped"}


def test_a_deadline_that_changed_after_the_batch_read_it_sends_the_batch_the_slow_way(manager, monkeypatch, caplog):
    """The fast path breaches deadlines with one UPDATE of those still running. If one was not (a person's step
    committed after the batch read it: on PostgreSQL the tick holds only its timers), the batch is rolled back and
    each timer fired the slow way from fresh rows. Here the change is made inside the batch, just after it read."""
    from sqlalchemy import update

    import models.timer_store as timer_store

    deadline_id = kent_warning(manager, date(2026, 12, 18)).id
    db.session.commit()
    real, moved = timer_store.decide_timer, []

    def changed_meanwhile(facts):
        if not moved:
            moved.append(db.session.execute(update(Deadline).where(Deadline.id == deadline_id).values(
                status="met", version_id=Deadline.version_id + 1)).rowcount)
        return real(facts)

    monkeypatch.setattr(timer_store, "decide_timer", changed_meanwhile)
    result = tick(at("2027-01-07 09:00"))
    assert moved == [1] and "Batch failed; firing its timers one by one" in caplog.text
    assert "deadline(s) changed meanwhile" in caplog.text
    # The change was rolled back with the batch (it was made inside it); the slow way then fired from fresh rows.
    assert (result["fired"], result["failed"]) == (1, 0)
    db.session.expire_all()
    assert db.session.get(Deadline, deadline_id).status == "breached"


def test_only_one_scheduler_ticks_at_a_time(manager, app):
    from scheduler.lock import scheduler_lock

    kent_warning(manager, date(2026, 12, 18))
    with scheduler_lock(app.config["SCHEDULER_LOCK_DIR"]) as held:
        assert held
        assert tick(at("2026-12-29 09:00")) == {"fired": 0, "due": 0, "failed": 0, "locked": True}
    results = []

    def run():
        with app.app_context():
            results.append(tick(at("2026-12-29 09:00")))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["fired"] for r in results) in ([0, 1], [1, 1]) and sum(r["fired"] for r in results) == 1
    assert len(outbox("Reminder")) == 4


def test_minutes_are_deemed_approved_after_ten_business_days(manager):
    """KT-16."""
    from models.meeting_store import apply_minutes, record_meeting
    from workflows.minutes import MinutesState

    meeting = record_meeting(manager.viewer, manager, "LDDS-2023-07", date(2026, 12, 10), "Both contract managers",
                             "Attendance discussed", date(2026, 12, 11), at("2026-12-11 10:00"))
    apply_minutes(manager.viewer, manager, meeting.id, "send", {"sent_on": date(2026, 12, 11)}, date(2026, 12, 11),
                  at("2026-12-11 10:00"))
    db.session.commit()
    deadline = db.session.scalar(select(Deadline).where(Deadline.entity_type == "meeting"))
    # 10 business days of receipt, skipping Christmas: emailed on Friday 11 December, received Monday 14 December.
    assert deadline.due_on == date(2026, 12, 30)
    assert "Deemed received" in deadline.explanation[0]
    tick(at("2026-12-30 20:00"))
    db.session.expire_all()
    assert meeting.state is MinutesState.SENT
    tick(at("2026-12-31 00:05"))
    db.session.expire_all()
    assert meeting.state is MinutesState.DEEMED_APPROVED and deadline.status == "breached"
    assert any("deemed approved" in m.body_text for m in outbox("Overdue"))


def test_a_breach_proposes_the_next_step_for_a_person_to_confirm(manager, demo):
    """CE-34: 10 working days after a suspension for a failed SIAP (CE-33) without the remedy, termination is
    proposed, never decided."""
    from models.case_store import propose_suspension
    from models.cases import Suspension, Termination
    from models.concern_store import start_large_scale_enquiry

    commissioner = find_user_by_email(demo["commissioning_manager"])
    now = at("2026-12-18 10:00")
    case = open_case(commissioner.viewer, commissioner, "ECH-2024-01", "Missed visits", now)
    officer = find_user_by_email(demo["safeguarding_officer"])  # CE-38: suspension under a Large Scale Enquiry
    start_large_scale_enquiry(officer.viewer, officer, case.provider_id, date(2026, 12, 18), now)
    suspension = propose_suspension(commissioner.viewer, commissioner, case.id, "SIAP not implemented", now,
                                    ground="siap-failed")
    fire(commissioner.viewer, commissioner, "suspension", suspension.id, "suspend",
                     {"scope": "full", "starts_on": date(2026, 12, 18), "reason": "Missed visits",
                      "lift_conditions": "No missed visits for 4 weeks"}, now, date(2026, 12, 18))
    db.session.commit()
    tick(at("2027-01-07 08:30"))
    termination = db.session.scalar(select(Termination).where(Termination.case_id == case.id))
    assert termination.state.value == "considered" and termination.proposed_by_rule == "CE-34"
    assert db.session.get(Case, case.id).state.value == "suspended"  # the rung waits for a person
    assert db.session.scalar(select(func.count(Suspension.id))) == 1


def test_an_idle_tick_reads_twice_and_writes_its_record_in_one_transaction(manager):
    """An idle tick (nothing due, nothing to send) runs every minute, so its round trips are counted (issue 17):
    the claim of due timers, the claim of due messages and the tick's own record, committed once. Whether the
    day's monitoring is done is known from this process's last tick, on the same London day, without asking. On
    PostgreSQL the tick lock's two statements run in autocommit: no BEGIN or COMMIT of their own. An empty delivery
    claim commits nothing of its own."""
    tick(at("2026-12-29 09:00"))  # the day's first tick: the monitoring sweep runs in it
    statements, commits = _statements_of(lambda: tick(at("2026-12-29 09:01")))
    locks = ["SELECT LOCK"] if db.engine.dialect.name == "postgresql" else []
    assert statements == [*locks, "SELECT", "SELECT", "INSERT", *locks]
    assert commits == 1


def _statements_of(action) -> tuple[list[str], int]:
    """The statements `action` sends (an advisory-lock call marked LOCK) and how many COMMITs reach the server."""
    from sqlalchemy import event

    statements, commits = [], []

    def executed(conn, _cursor, statement, *_args) -> None:
        statements.append(statement.split()[0] + (" LOCK" if "advisory" in statement else ""))

    def committed(conn) -> None:
        if not getattr(conn.connection.dbapi_connection, "autocommit", False):
            commits.append(conn)

    event.listen(db.engine, "before_cursor_execute", executed)
    event.listen(db.engine, "commit", committed)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
        event.remove(db.engine, "commit", committed)
    return statements, len(commits)


@pytest.fixture
def kept_lock(app):
    """The tick lock kept between ticks, as the scheduler process (`flask scheduler run`) keeps it."""
    from scheduler.lock import KEPT, keep_between_ticks

    lock = keep_between_ticks(app, app.config["SCHEDULER_LOCK_DIR"])
    try:
        yield lock
    finally:
        lock.release()
        app.extensions.pop(KEPT, None)


def test_the_scheduler_process_keeps_the_tick_lock_between_ticks(manager, app, kept_lock):
    """The scheduler process takes the tick lock at its first tick and keeps it: its idle ticks send no statement
    for the lock (three fewer round trips a minute on PostgreSQL, counting the ping of a connection idle since the
    last minute), and a standby scheduler is refused at every tick until the lock is let go."""
    from scheduler.lock import TickLock, scheduler_lock

    lock_dir = app.config["SCHEDULER_LOCK_DIR"]
    tick(at("2026-12-29 09:00"))
    statements, commits = _statements_of(lambda: tick(at("2026-12-29 09:01")))
    assert statements == ["SELECT", "SELECT", "INSERT"] and commits == 1
    standby = TickLock(lock_dir)
    assert not standby.acquire()
    with scheduler_lock(lock_dir) as held:  # a one-off `flask scheduler tick` beside the process
        assert not held
    assert tick(at("2026-12-29 09:02"))["fired"] == 0  # still this process's
    kept_lock.release()  # the process stops
    assert standby.acquire()
    standby.release()


def test_a_kept_lock_whose_session_ended_is_taken_again_unless_another_scheduler_took_it(manager, app, kept_lock):
    """PostgreSQL: a kept lock lives as long as its session. A session ended by the server (a restart, an
    administrator, a dropped network) is noticed before the next tick with no round trip, as its socket turns
    readable; the lock is then taken afresh on a new connection, unless a standby took it in between. Every
    VERIFY_SECONDS the session is also asked, with a `SELECT 1`."""
    import time

    from sqlalchemy import text

    import scheduler.lock as lock_module
    from scheduler.lock import TickLock

    if db.engine.dialect.name != "postgresql":
        tick(at("2026-12-28 09:00"))  # SQLite: an flock is the process's own, held while its file is open
        assert kept_lock._fd is not None and not TickLock(app.config["SCHEDULER_LOCK_DIR"]).acquire()
        return

    def end_session() -> None:
        pid = kept_lock._connection.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.commit()
        for _ in range(200):  # the server lets the lock go when the backend has exited
            if not db.session.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                      {"pid": pid}).scalar():
                break
            db.session.rollback()
            time.sleep(0.01)
        db.session.rollback()

    kent_warning(manager, date(2026, 12, 18))
    assert tick(at("2026-12-28 09:00"))["fired"] == 0 and kept_lock.acquire()
    end_session()
    standby = TickLock(app.config["SCHEDULER_LOCK_DIR"])
    assert standby.acquire()  # the lock went with the session, and a standby took it
    assert tick(at("2026-12-29 09:00")) == {"fired": 0, "due": 0, "failed": 0, "locked": True}
    standby.release()
    assert tick(at("2026-12-29 09:00"))["fired"] == 1  # taken afresh: the due reminder fires once
    end_session()
    assert tick(at("2026-12-29 09:01"))["fired"] == 0 and kept_lock.acquire()  # nobody took it: taken again

    lock_module.VERIFY_SECONDS, verify = 0.0, lock_module.VERIFY_SECONDS
    try:
        statements, _ = _statements_of(lambda: tick(at("2026-12-29 09:02")))
    finally:
        lock_module.VERIFY_SECONDS = verify
    assert statements == ["SELECT", "SELECT", "SELECT", "INSERT"]  # the session asked first, then the idle tick
    assert len(outbox("Reminder")) == 4


def test_a_new_london_day_or_another_process_s_tick_is_read_from_the_database(manager, app):
    """The day's monitoring sweep runs in the first tick of each London day, once, whichever process ticks."""
    from scheduler.tick import TICKED_ON

    assert tick(at("2026-12-29 23:58"))["monitoring"].get("done_today") is None  # the first tick: it runs
    assert tick(at("2026-12-29 23:59"))["monitoring"]["done_today"]
    assert tick(at("2026-12-30 00:00"))["monitoring"].get("done_today") is None  # a new London day
    app.extensions.pop(TICKED_ON)  # as a second scheduler process would be, that has not ticked yet
    assert tick(at("2026-12-30 00:01"))["monitoring"]["done_today"]
