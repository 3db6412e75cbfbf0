"""One scheduler sweep: fire due timers (each claimed, applied and written to the outbox in one transaction),
then deliver the outbox, then record the tick. `tick(now)` is a plain function; tests call it with a chosen now."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import text

from models import db, hold_writes
from models.scheduler_store import record_tick
from models.scheduling import Timer
from models.timer_store import claim_due_rows, fire_batch, fire_timer
from scheduler.delivery import deliver
from scheduler.lock import KEPT, scheduler_lock
from workflows.clock import LONDON

log = logging.getLogger("remedy.scheduler")
BATCH = 5000  # timers fired per transaction: fewer fixed queries and commits (peak RSS 130 MB at 10,000)
MAX_TIMER_ATTEMPTS = 5
TICKED_ON = "remedy.ticked_on"  # in app.extensions: the London day of this process's last committed tick


def database_now() -> datetime:
    """Now, read once from the database clock so every decision in a tick agrees (clock-lessons 4.2)."""
    value = db.session.execute(text("SELECT CURRENT_TIMESTAMP")).scalar()
    if isinstance(value, str):  # SQLite answers in UTC text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@contextmanager
def collector_paused():
    """Python's cycle collector off for a batch: a batch makes tens of thousands of short-lived rows and messages,
    none of them in cycles, and the collector walked them all again and again (a quarter of the tick's CPU)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sweep(now: datetime, batch: int = BATCH, oldest: list | None = None, connections: int | None = None) -> dict:
    """Fire every timer due by `now`, in due order, in batches committed one by one. The due instant of the oldest
    timer waiting is put in `oldest`: the first row claimed, as claims go in due order (no query of its own).

    A backlog is fired on several connections at once on PostgreSQL (`connections`, REMEDY_SWEEP_CONNECTIONS, 2 by
    default): when a claim comes back full, more may be due, so other sessions start claiming the batches after it
    (SKIP LOCKED) while this one fires its own. Each batch is still one transaction of its own, fired the one way.
    An idle tick or a small one never starts them. SQLite has one writer at a time: one connection."""
    if connections is None:
        connections = current_app.config["SWEEP_CONNECTIONS"]
    if db.engine.dialect.name != "postgresql":
        connections = 1
    oldest = [] if oldest is None else oldest
    helpers: list[Future] = []
    pool: ThreadPoolExecutor | None = None  # made at the first full claim only: an idle tick builds no pool
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def backlog() -> None:
        nonlocal pool
        pool = ThreadPoolExecutor(connections - 1, thread_name_prefix="sweep")
        helpers.extend(pool.submit(_helper_sweep, app, now, batch) for _ in range(connections - 1))

    with collector_paused():
        try:
            counts = _sweep(now, batch, oldest, backlog if connections > 1 else None)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        for helper in helpers:
            more, first = helper.result()
            for outcome, n in more.items():
                counts[outcome] = counts.get(outcome, 0) + n
            if first and (not oldest or first[0] < oldest[0]):
                oldest[:] = first
    return counts


def _helper_sweep(app, now: datetime, batch: int) -> tuple[dict, list]:
    """Another connection's share of a backlog: its own application context, so its own session."""
    with app.app_context():
        try:
            first: list = []
            return _sweep(now, batch, first, None), first
        finally:
            db.session.remove()


def _sweep(now: datetime, batch: int, oldest: list, backlog: Callable[[], None] | None) -> dict:
    """One session's loop: claim a batch, fire it, commit, until a claim comes back short. `backlog` is called
    once, at the first full claim."""
    counts = {"due": 0, "fired": 0, "cancelled": 0, "skipped": 0, "superseded": 0, "failed": 0}
    while True:
        locked = hold_writes()  # SQLite: the write lock from the claim to the batch's commit
        timers = claim_due_rows(now, batch)
        if not timers:
            if locked:
                db.session.rollback()  # nothing due: the lock is let go before the delivery and the tick's record
            break
        if not oldest:
            oldest.append(timers[0].due_at)
        if backlog is not None and len(timers) == batch:
            backlog()
            backlog = None
        # The fast path fires the whole batch with a handful of queries; if anything in it fails, the batch is
        # rolled back and every timer goes the slow way, one savepoint each, so one poison timer is isolated.
        savepoint = db.session.begin_nested()
        try:
            fast, slow_ids = fire_batch(timers, now)
            savepoint.commit()
        except Exception:  # noqa: BLE001
            savepoint.rollback()
            log.exception("Batch failed; firing its timers one by one")
            fast, slow_ids = {}, [t.id for t in timers]
        counts["due"] += len(timers) - len(slow_ids)
        for outcome, n in fast.items():
            counts[outcome] = counts.get(outcome, 0) + n
        for timer in (db.session.get(Timer, timer_id) for timer_id in slow_ids):
            counts["due"] += 1
            savepoint = db.session.begin_nested()
            try:
                outcome = fire_timer(timer, now)
                savepoint.commit()
                counts[outcome] = counts.get(outcome, 0) + 1
            except Exception as exc:  # noqa: BLE001 - one poison timer must not starve the rest
                savepoint.rollback()
                log.exception("Timer %s failed", timer.id)
                timer.attempts += 1
                timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if timer.attempts >= MAX_TIMER_ATTEMPTS:
                    timer.status, timer.note = "failed", "Failed 5 times; see the error"
                counts["failed"] += 1
                if timer.status == "pending":
                    # Leave it for the next tick rather than spinning on it in this one.
                    db.session.commit()
                    return counts
        db.session.commit()
        if len(timers) < batch:
            break
    return counts


def _monitoring(now: datetime) -> dict:
    """Open new return periods and evaluate every breach rule over closed periods (returns not submitted count).

    Periods open and close on dates, so the first tick of each London day does it; accepting a return evaluates
    its contract at once anyway."""
    from models.return_store import close_periods
    from models.scheduler_store import last_tick

    today = now.astimezone(LONDON).date()
    done = {"returns_opened": 0, "breaches_found": 0, "breaches_withdrawn": 0, "done_today": True}
    # This process's last tick was on this London day, so the day's sweep is done: no need to ask the database
    # at every minute's tick (a sixth statement in an idle tick). Another process's tick, or none yet, is read.
    if current_app.extensions.get(TICKED_ON) == today:
        return done
    previous = last_tick()
    if previous is not None and previous.at.astimezone(LONDON).date() == today:
        return done
    return close_periods(today, now)


def tick(now: datetime | None = None, deliver_messages: bool | None = None) -> dict:
    """Sweep as if at `now` and return the counts; running it twice for the same instant fires nothing new.
    The outbox is delivered too, unless `deliver_messages` is False or, by default, REMEDY_DELIVERY_WORKERS is
    "separate" (then `flask scheduler deliver` workers send it). The tick lock is taken for this tick and let go,
    unless the scheduler process keeps it between ticks (scheduler.lock.keep_between_ticks)."""
    if deliver_messages is None:
        deliver_messages = current_app.config.get("DELIVERY_WORKERS") != "separate"
    started = datetime.now(UTC)
    lock_dir = current_app.config["SCHEDULER_LOCK_DIR"]
    with scheduler_lock(lock_dir, current_app.extensions.get(KEPT)) as acquired:
        if not acquired:
            return {"fired": 0, "due": 0, "failed": 0, "locked": True}
        now = now or database_now()
        oldest: list[datetime] = []
        counts = sweep(now, oldest=oldest)
        lag = max(0.0, (now - oldest[0]).total_seconds()) if oldest else 0.0
        counts["monitoring"] = _monitoring(now)
        delivered = deliver(now) if deliver_messages else {"sent": 0, "failed": 0, "dead": 0}
        record_tick(at=now, started_at=started, finished_at=datetime.now(UTC), due=counts["due"],
                    fired=counts["fired"], failed=counts["failed"] + delivered["failed"], lag_seconds=lag)
        db.session.commit()
        current_app.extensions[TICKED_ON] = now.astimezone(LONDON).date()
    return {**counts, "lag_seconds": round(lag, 3), "delivered": delivered,
            "seconds": round((datetime.now(UTC) - started).total_seconds(), 3)}
