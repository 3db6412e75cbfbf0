"""A backlog of due timers fired on several connections at once (PostgreSQL; SQLite keeps to one writer): every due
deadline breached once, each message queued once, whichever session claimed its batch."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

import scheduler.tick
from bench.data import scheduler_data
from models import db
from models.cases import Case, Deadline
from models.entities import AuditEvent
from models.scheduling import OutboxMessage, Timer
from scheduler.tick import sweep

NOW = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)


def started_helpers(monkeypatch) -> list:
    """The sessions started beside the sweep's own, as they start (their work is the real one)."""
    started: list = []
    real = scheduler.tick._helper_sweep

    def helper(app, now, batch):
        started.append(batch)
        return real(app, now, batch)

    monkeypatch.setattr(scheduler.tick, "_helper_sweep", helper)
    return started


def test_a_backlog_on_three_connections_breaches_each_deadline_once_and_queues_each_message_once(app, monkeypatch):
    """40 deadlines due over 30 cases, claimed in batches of 5 by three sessions at once: cases with two due
    deadlines have them in batches fired side by side, and both mark the one case overdue."""
    started = started_helpers(monkeypatch)
    with app.app_context():
        scheduler_data(app, 30, 120, 40, NOW)
        breach_keys = set(db.session.scalars(select(Timer.fire_key).where(Timer.due_at <= NOW)))
        oldest: list = []
        counts = sweep(NOW, batch=5, oldest=oldest, connections=3)
        db.session.rollback()  # read what the other sessions committed

        assert counts["due"] == counts["fired"] == 40 and counts["failed"] == 0, counts
        assert oldest == [db.session.scalar(select(func.min(Timer.due_at)))]
        assert started == ([5, 5] if db.engine.dialect.name == "postgresql" else [])
        fired = db.session.execute(select(Timer.status, Timer.fired_at).where(Timer.fire_key.in_(breach_keys))).all()
        assert len(fired) == 40 and {row.status for row in fired} == {"fired"}
        assert {row.fired_at.replace(tzinfo=UTC) if row.fired_at.tzinfo is None else row.fired_at
                for row in fired} == {NOW}
        assert db.session.scalar(select(func.count()).where(Deadline.status == "breached")) == 40
        assert db.session.scalar(select(func.count()).where(Case.overdue.is_(True))) == 30
        events = Counter(db.session.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.event == "DEADLINE_BREACHED")))
        assert len(events) == 40 and set(events.values()) == {1}
        # Each fired timer's message, by email and in the app, once to each person its contract's deadlines reach
        # (the keys are unique): the same number for every deadline of a contract, whichever session fired it.
        per_timer = Counter(key.rsplit(":", 2)[0] for key in db.session.scalars(select(OutboxMessage.key)))
        assert set(per_timer) == breach_keys
        contract_of = dict(db.session.execute(select(Timer.fire_key, Deadline.contract_id).join(
            Deadline, Deadline.id == Timer.deadline_id).where(Timer.fire_key.in_(breach_keys))).all())
        per_contract: dict = {}
        for key, n in per_timer.items():
            per_contract.setdefault(contract_of[key], set()).add(n)
        assert all(len(sizes) == 1 and min(sizes) >= 2 for sizes in per_contract.values()), per_contract
        assert sweep(NOW, batch=5, connections=3)["fired"] == 0  # nothing left, on any connection


def test_a_tick_with_less_than_a_batch_due_stays_on_its_own_connection(app, monkeypatch):
    """An idle tick, or one whose first claim is not full, starts no other session (no thread, no connection), and
    builds no thread pool either."""
    started = started_helpers(monkeypatch)
    pools: list = []
    real_pool = scheduler.tick.ThreadPoolExecutor

    def pool(*args, **kwargs):
        pools.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(scheduler.tick, "ThreadPoolExecutor", pool)
    with app.app_context():
        scheduler_data(app, 30, 120, 40, NOW)
        assert sweep(NOW, batch=50, connections=3)["fired"] == 40
        assert sweep(NOW, batch=50, connections=3)["fired"] == 0
        assert pools == []
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:  # the spy sees the pool a backlog does build
            scheduler_data(app, 30, 120, 40, NOW)
            assert sweep(NOW, batch=5, connections=3)["fired"] == 40
            assert pools == [(2,)]
    assert started == ([5, 5] if postgresql else [])
