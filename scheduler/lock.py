"""Only one scheduler ticks at a time: a PostgreSQL advisory lock, or a lock file beside the SQLite database."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from models import db

ADVISORY_KEY = 7_303_011  # any fixed number; every Remedy scheduler uses the same one


@contextlib.contextmanager
def scheduler_lock(lock_dir: str) -> Iterator[bool]:
    """Yield True if this process holds the tick lock (and release it after), False if another one does."""
    if db.engine.dialect.name == "postgresql":
        # A session-level lock on a connection of its own, held for the whole tick. In autocommit: the lock is
        # the session's, not a transaction's, so a BEGIN and a COMMIT around it would be two round trips for nothing.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        return
    Path(lock_dir).mkdir(parents=True, exist_ok=True)
    fd = os.open(os.path.join(lock_dir, "scheduler.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


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
