"""Delivery workers scaled out (issue 17, item 6): several workers drain one outbox at once, on PostgreSQL with
`FOR UPDATE SKIP LOCKED` and on SQLite by taking turns, and every message reaches the real SMTP server on
127.0.0.1 exactly once."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from models import db
from models.outbox_store import claim_messages, claim_query
from models.scheduling import Notification, OutboxMessage
from scheduler.delivery import deliver
from scheduler.lock import delivery_turn
from tests.scheduler.test_delivery import smtp  # noqa: F401  (fixture)
from tests.scheduler.test_tick import at, manager  # noqa: F401  (fixture)


def queue(manager, emails: int, in_app: int, now: datetime) -> None:  # noqa: F811
    """A backlog in the outbox: numbered emails to the manager, and in-app notifications."""
    for n in range(emails + in_app):
        channel = "email" if n < emails else "in_app"
        db.session.add(OutboxMessage(council_id=manager.council_id, key=f"backlog:{channel}:{n}", channel=channel,
                                     user_id=manager.id, to_address=manager.email if channel == "email" else None,
                                     subject=f"Backlog {n}", body_text="A reminder held up by an outage",
                                     status="pending", attempts=0, next_attempt_at=now, created_at=now))
    db.session.commit()


def subjects(inbox) -> Counter:
    return Counter(int(e.content.decode().split("Subject: Backlog ")[1].split()[0]) for e in inbox.messages)


def assert_each_delivered_once(inbox, emails: int, in_app: int) -> None:
    assert subjects(inbox) == Counter(range(emails))  # every email arrived, none twice
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {(m.status, m.attempts) for m in rows} == {("sent", 1)}
    assert db.session.scalar(select(func.count(Notification.id))) == in_app
    assert db.session.scalar(select(func.count(func.distinct(Notification.outbox_id)))) == in_app


def test_two_workers_draining_one_outbox_deliver_each_message_once(app, manager, smtp):  # noqa: F811
    now = at("2026-12-29 09:00")
    queue(manager, 200, 40, now)
    start, results, errors = threading.Barrier(2), [], []

    def worker() -> None:
        # Its own app context, so its own session and connection, as a second process would have.
        with app.app_context():
            try:
                start.wait()
                results.append(deliver(now, batch=5, budget_seconds=60))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(r["sent"] for r in results) == 240 and all(r["failed"] == 0 for r in results)
    assert all(r["sent"] > 0 for r in results)  # both workers did part of the work
    assert_each_delivered_once(smtp, 200, 40)


def test_a_batch_held_by_one_worker_is_neither_sent_by_another_nor_lost(app, manager, smtp):  # noqa: F811
    now = at("2026-12-29 09:00")
    queue(manager, 30, 0, now)
    held, release, claimed = threading.Event(), threading.Event(), []

    def stalled_worker() -> None:
        """Claims the first five messages and stops before sending them (a worker that hangs, then dies)."""
        with app.app_context():
            with delivery_turn(app.config["SCHEDULER_LOCK_DIR"]):
                claimed.extend(int(m.subject.split()[1]) for m in claim_messages(now, 5))
                held.set()
                release.wait(timeout=30)
                db.session.rollback()
            db.session.remove()

    stalled = threading.Thread(target=stalled_worker)
    stalled.start()
    assert held.wait(timeout=30) and len(claimed) == 5
    if db.engine.dialect.name == "postgresql":
        # The other worker passes over the locked rows and sends the rest at once.
        assert deliver(now, batch=10)["sent"] == 25
        assert not set(claimed) & set(subjects(smtp))
        release.set()
    else:
        # SQLite: the other worker waits for its turn, which comes when the stalled one ends.
        threading.Timer(0.3, release.set).start()
        assert deliver(now, batch=10)["sent"] == 30
    stalled.join(timeout=30)
    # The rolled-back claim lost nothing: the next pass sends what is left.
    assert deliver(now + timedelta(seconds=5), batch=10)["sent"] in (0, 5)
    assert_each_delivered_once(smtp, 30, 0)


def test_claims_go_in_the_order_messages_fell_due_past_retries_waiting_out_their_backoff(app, manager, smtp):  # noqa: F811
    """A retry due at 09:02 comes after a first attempt due at 09:01 though queued before it, and a batch resumes
    after the last one's (due, id) place. 300 retries waiting out their backoff are not read, not even by the
    generic plan PostgreSQL settles on for a statement run again and again (in id order, it walked them all)."""
    now = at("2026-12-29 09:05")
    for n, due in enumerate(["09:02", "09:01", "09:01", "09:03"]):
        db.session.add(OutboxMessage(council_id=manager.council_id, key=f"due:{n}", channel="email",
                                     user_id=manager.id, to_address=manager.email, subject=f"Due {n}",
                                     body_text="Due", status="pending", attempts=1,
                                     next_attempt_at=at(f"2026-12-29 {due}"), created_at=at("2026-12-29 09:00")))
    queue(manager, 300, 0, now + timedelta(minutes=4))  # waiting out their backoff
    first = claim_messages(now, 2)
    assert [m.subject for m in first] == ["Due 1", "Due 2"]
    rest = claim_messages(now, 10, after=(first[-1].next_attempt_at, first[-1].id))
    assert [m.subject for m in rest] == ["Due 0", "Due 3"]
    db.session.rollback()

    query = claim_query(now, 20, after=(at("2026-12-29 09:00"), 0)).compile(db.engine)
    if db.engine.dialect.name == "sqlite":
        plan = " / ".join(row[3] for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(query), tuple(query.params[name] for name in query.positiontup)))
        assert "USING INDEX ix_outbox_message_status_next (status=? AND next_attempt_at" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort: the index gives the order
        return
    sql, values = str(query), []
    for n, (name, value) in enumerate(query.params.items(), start=1):
        sql = sql.replace(f"%({name})s", f"${n}")
        values.append(value)
    connection = db.session.connection()
    # Statistics that describe this table, not whatever an earlier test left when autovacuum last looked: with a
    # few rows estimated, sorting them and walking the index in order cost the same to 1%, and the plan flipped.
    connection.exec_driver_sql("ANALYZE outbox_message")
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    connection.exec_driver_sql(f"PREPARE claim AS {sql}")
    literals = ", ".join(f"'{v.isoformat()}'" if isinstance(v, datetime) else repr(v) for v in values)
    plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim({literals})").scalar()[0]
    connection.exec_driver_sql("DEALLOCATE claim")
    nodes, scans = [plan["Plan"]], []
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if "Index" in node["Node Type"] or "Seq" in node["Node Type"]:
            scans.append(node)
        assert "Sort" not in node["Node Type"], plan  # the index gives the order
    assert [scan.get("Index Name") for scan in scans] == ["ix_outbox_message_status_next"], plan
    assert scans[0].get("Rows Removed by Filter", 0) == 0 and scans[0]["Actual Rows"] == 4, plan
    db.session.rollback()


def test_the_deliver_command_drains_the_outbox_once_and_exits(app, manager, smtp):  # noqa: F811
    past = datetime.now(UTC) - timedelta(minutes=5)  # the worker reads now from the database clock
    queue(manager, 45, 5, past)
    result = app.test_cli_runner().invoke(args=["scheduler", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1]) == {"sent": 50, "failed": 0, "dead": 0}
    again = app.test_cli_runner().invoke(args=["scheduler", "deliver", "--once"])
    assert json.loads(again.output.strip().splitlines()[-1]) == {"sent": 0, "failed": 0, "dead": 0}
    assert_each_delivered_once(smtp, 45, 5)


def test_with_separate_delivery_workers_the_scheduler_leaves_the_outbox_to_them(app, manager, smtp):  # noqa: F811
    from scheduler.tick import tick

    app.config["DELIVERY_WORKERS"] = "separate"  # REMEDY_DELIVERY_WORKERS=separate
    now = at("2026-12-29 09:00")
    queue(manager, 3, 0, now)
    assert tick(now)["delivered"] == {"sent": 0, "failed": 0, "dead": 0}
    assert smtp.messages == []
    assert deliver(now)["sent"] == 3 and len(smtp.messages) == 3


def test_two_worker_processes_deliver_each_message_once_and_stop_on_sigterm(app, manager, smtp, tmp_path):  # noqa: F811
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    queue(manager, 200, 20, datetime.now(UTC) - timedelta(minutes=5))
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "test",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(app.config["MAIL_PORT"]), "MAIL_FROM": "remedy@council.example",
           "REMEDY_SCHEDULER_LOCK_DIR": app.config["SCHEDULER_LOCK_DIR"]}
    env.pop("REMEDY_MAIL_CAPTURE", None)
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler", "deliver", "--every",
                                 "0.2"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        waited = time.monotonic() + 60
        while len(smtp.messages) < 200 and time.monotonic() < waited and all(w.poll() is None for w in workers):
            time.sleep(0.1)
        time.sleep(0.5)  # a duplicate, if there were one, would arrive now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert all("Delivery worker running" in out for out, _err in outputs)
    # After its first pass each worker froze what it made while starting (models.runtime.freeze_start_up), once.
    assert all(err.count("delivery INFO froze ") == 1 for _out, err in outputs), outputs
    assert_each_delivered_once(smtp, 200, 20)
