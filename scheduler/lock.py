"""Only one scheduler ticks at a time: a PostgreSQL advisory lock, or a lock file beside the SQLite database.

A one-off tick (`flask scheduler tick`, the tests) takes the lock and lets it go. The scheduler process (`flask
scheduler run`) keeps it between its minute ticks, for its whole life (`keep_between_ticks`): a standby process
started beside it finds the lock taken at every tick and does nothing until the first one ends, and an idle tick
pays no round trip for the lock. Taken afresh each minute it cost three: the ping of a pooled connection idle for
a minute (models/connections.py), the lock and the unlock.

A lock kept on PostgreSQL lives as long as its connection's session, so holding it is knowing the session is alive.
That is checked with no round trip before each tick (the connection not closed or broken, and nothing arrived on
it unasked: a server that ends a session says so, and then its socket is readable), and with a `SELECT 1` when
something did arrive or every VERIFY_SECONDS. A session found gone is let go and the lock taken afresh, if no other
scheduler took it meanwhile. Between a session's loss and its discovery two schedulers may tick, as a network
partition can make true of any lock: each due timer and message is still claimed with `FOR UPDATE SKIP LOCKED` and
changed in the claiming transaction (models/timer_store.claim_query, models/outbox_store.claim_query), so nothing
fires or sends twice, and the day's monitoring sweep writes return periods and breaches under unique keys."""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import exc, text

from models import db

ADVISORY_KEY = 7_303_011  # any fixed number; every Remedy scheduler uses the same one
KEPT = "remedy.tick_lock"  # in app.extensions: the TickLock the scheduler process keeps between ticks
VERIFY_SECONDS = 300.0  # a kept PostgreSQL lock's session is asked whether it is alive at least this often


class TickLock:
    """The tick lock, taken by `acquire` and held until `release`: on PostgreSQL a session-level advisory lock on a
    connection of its own, in autocommit (the lock is the session's, not a transaction's, so a BEGIN and a COMMIT
    around it would be round trips for nothing); on SQLite an flock on a file in `lock_dir`."""

    def __init__(self, lock_dir: str):
        self.lock_dir = lock_dir
        self._connection = None  # PostgreSQL: the SQLAlchemy connection whose session holds the lock
        self._fd: int | None = None  # SQLite: the locked file
        self._verified_at = 0.0

    def acquire(self) -> bool:
        """True if this process holds the lock (already, with no round trip while its session is sound), False if
        another scheduler does."""
        if db.engine.dialect.name != "postgresql":
            return self._acquire_file()
        if self._connection is not None:
            if self._sound():
                return True
            self._drop()
        connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection, self._verified_at = connection, time.monotonic()
        return True

    def release(self) -> None:
        """Let the lock go (a no-op when not held)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self._connection.close()
            except exc.DBAPIError:
                self._drop()  # the session is gone, and its lock with it
            self._connection = None

    def _sound(self) -> bool:
        """Whether the kept lock's session is alive, asked with a round trip only when something arrived on its
        connection unasked or it was last asked VERIFY_SECONDS ago."""
        driver = self._connection.connection.driver_connection
        if driver is None or driver.closed or driver.broken:
            return False
        try:
            arrived = bool(select.select([driver.fileno()], [], [], 0)[0])
        except (OSError, ValueError):
            return False
        if not arrived and time.monotonic() - self._verified_at < VERIFY_SECONDS:
            return True
        try:
            self._connection.execute(text("SELECT 1"))
        except exc.DBAPIError:
            return False
        self._verified_at = time.monotonic()
        return True

    def _drop(self) -> None:
        """Forget a kept connection whose session is gone (the pool discards it rather than lending it again)."""
        with contextlib.suppress(Exception):
            self._connection.invalidate()
            self._connection.close()
        self._connection = None

    def _acquire_file(self) -> bool:
        if self._fd is not None:
            return True  # an flock lasts as long as the process holds the file open
        Path(self.lock_dir).mkdir(parents=True, exist_ok=True)
        fd = os.open(os.path.join(self.lock_dir, "scheduler.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True


def keep_between_ticks(app, lock_dir: str) -> TickLock:
    """Make `app`'s ticks keep the tick lock once taken, for this process's life (the scheduler process); the
    caller releases it when the process stops."""
    lock = app.extensions[KEPT] = TickLock(lock_dir)
    return lock


@contextlib.contextmanager
def scheduler_lock(lock_dir: str, kept: TickLock | None = None) -> Iterator[bool]:
    """Yield True if this process holds the tick lock, False if another one does. Taken for this tick and let go
    after it, unless `kept` (keep_between_ticks) holds it for the process."""
    lock = kept or TickLock(lock_dir)
    got = lock.acquire()
    try:
        yield got
    finally:
        if kept is None:
            lock.release()


@contextlib.contextmanager
def delivery_turn(lock_dir: str) -> Iterator[None]:
    """One delivery worker's turn at a batch of the outbox. On PostgreSQL every worker goes at once (the batch's
    rows are claimed with `FOR UPDATE SKIP LOCKED`); SQLite has no row locks, so its workers (one machine, as
    SQLite is) take turns on a lock file: each reads a batch only after the last one's sends are committed, and
    no database write lock is held while the mail server answers."""
    if db.engine.dialect.name == "postgresql":
        yield
        return
    Path(lock_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(os.path.join(lock_dir, "delivery.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a batch takes milliseconds to seconds: wait for it
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
