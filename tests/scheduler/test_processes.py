"""Two scheduler processes at once: only one ticks, nothing fires twice (a lock file on SQLite, an advisory
lock on PostgreSQL)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from models import db
from models.scheduling import OutboxMessage
from tests.scheduler.test_tick import kent_warning, manager  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def test_two_scheduler_processes_fire_each_timer_once(manager, database_uri, app):  # noqa: F811
    for n in range(30):
        kent_warning(manager, date(2026, 12, 18), f"Case {n}")
    env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "test", "REMEDY_MAIL_CAPTURE": "1",
           "REMEDY_SCHEDULER_LOCK_DIR": app.config["SCHEDULER_LOCK_DIR"]}
    command = [sys.executable, "-m", "flask", "--app", "app", "scheduler", "tick", "--now",
               "2026-12-29T09:00:00+00:00"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    # Either one held the lock while the other was refused, or they ran one after the other: never both firing.
    assert sum(r["fired"] for r in results) == 30
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 30 * 4
    assert db.session.scalar(select(func.count(func.distinct(OutboxMessage.key)))) == 30 * 4


def test_the_scheduler_process_keeps_the_tick_lock_until_it_stops(manager, database_uri, app):  # noqa: F811
    """`flask scheduler run` takes the tick lock at its first tick and keeps it: a one-off tick beside it is
    refused, and once the process stops (SIGTERM from a service manager, as Ctrl-C) the lock is free again. SIGTERM,
    not SIGINT: a shell starts a background job with SIGINT ignored, and the test may run in one."""
    import signal

    env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "test", "REMEDY_MAIL_CAPTURE": "1",
           "REMEDY_SCHEDULER_LOCK_DIR": app.config["SCHEDULER_LOCK_DIR"]}
    flask = [sys.executable, "-m", "flask", "--app", "app", "scheduler"]
    one_off = [*flask, "tick", "--no-deliver", "--now", "2026-12-29T09:00:00+00:00"]
    process = subprocess.Popen([*flask, "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        for line in process.stderr:  # the first tick runs at once
            if " tick {" in line or "tick failed" in line:
                break
        assert " tick {" in line, line
        # After it, the process freezes what it made while starting (models.runtime.freeze_start_up), once.
        frozen = next(process.stderr)
        assert re.search(r"scheduler INFO froze \d{5,} objects made at start-up$", frozen.strip()), frozen
        beside = subprocess.run(one_off, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert json.loads(beside.stdout.strip().splitlines()[-1]).get("locked") is True, beside.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err  # stopped as Ctrl-C stops it, the lock let go
    after = subprocess.run(one_off, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "locked" not in json.loads(after.stdout.strip().splitlines()[-1]), after.stderr


def test_the_processes_log_their_own_work_not_every_state_machine_callback(monkeypatch):
    """`transitions` logs each callback it runs at INFO; the scheduler's and delivery workers' logs keep its
    warnings only, and their own INFO lines."""
    import io
    import logging

    from transitions import Machine

    from scheduler.cli import log_to_console

    root, library = logging.getLogger(), logging.getLogger("transitions")
    levels = root.level, library.level
    monkeypatch.setattr(root, "handlers", [])  # a fresh process's log: pytest's own handlers put back after
    stream = io.StringIO()
    try:
        log_to_console("scheduler", stream)

        class Milestone:
            pass
        Machine(Milestone(), states=["due", "overdue"], initial="due",
                transitions=[{"trigger": "miss", "source": "due", "dest": "overdue"}]).model.miss()
        logging.getLogger("scheduler.tick").info("tick %s", json.dumps({"fired": 1}))
        logging.getLogger("transitions.core").warning("a warning is kept")
    finally:
        root.setLevel(levels[0])  # setLevel, not the attribute: it clears every logger's cached answer
        library.setLevel(levels[1])
    lines = stream.getvalue().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        'scheduler INFO tick {"fired": 1}', "scheduler WARNING a warning is kept"], lines
