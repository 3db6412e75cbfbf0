"""Scheduler benchmark: prints figures, never a test.

On SQLite (or --database), with 500,000 pending deadlines over 100,000 cases (one breach timer each), made by
bench/data.py's `scheduler_data`, it measures:
  - an idle tick (nothing due)                               goal <= 5 ms
  - a tick that fires 10,000 due deadlines with outbox rows  goal <= 1.5 s
  - the floor: ONE DBAPI executemany (one statement, many rows) of the same outbox rows, and the ratio (goal <= 3)
  - the peak RSS of the scheduler process that ran the firing tick (goal <= 200 MB)
  - the peer: APScheduler 3's SQLAlchemyJobStore on the same database, its 10,000 due date-trigger jobs (among up
    to 50,000 pending) run by a BackgroundScheduler with a ThreadPoolExecutor(4) in its own process, and how many
    times slower than the tick that is (goal >= 8x). Each APScheduler job calls a function that does nothing and
    then deletes its own row in its own transaction; each of our fires writes a breach, an audit event, its
    messages and the case, so the comparison flatters the peer.

    .venv/bin/python bench/scheduler.py [--cases 100000] [--deadlines 500000] [--due 10000] [--quick]
    .venv/bin/python bench/scheduler.py --database postgresql+psycopg://postgres@127.0.0.1:5433/remedy_bench
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.pop("DATABASE_URL", None)  # the database is --database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--deadlines", "--pending", type=int, default=500_000, help="pending deadlines")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="10,000 cases, 50,000 deadlines, 1,000 due")
    parser.add_argument("--database", default=None,
                        help="a SQLAlchemy URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5433/remedy_bench (its "
                             "public schema is DROPPED first); default: a fresh bench/out/scheduler.sqlite3")
    parser.add_argument("--profile", action="store_true", help="profile the firing tick and print the hot spots")
    parser.add_argument("--peer-child", nargs=2, metavar=("URL", "DUE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_child:
        print(json.dumps(apscheduler_fire(args.peer_child[0], int(args.peer_child[1]))))
        return
    if args.quick:
        args.cases, args.deadlines, args.due = 10_000, 50_000, 1_000

    workdir = Path(tempfile.mkdtemp(prefix="remedy-bench-scheduler-"))
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from bench.data import fresh_database, scheduler_data
    from bench.report import figure
    from models import db
    from models.scheduling import OutboxMessage
    from scheduler.tick import tick

    url = fresh_database(args.database, "scheduler")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "MAIL_CAPTURE": True,
                      "SCHEDULER_LOCK_DIR": str(workdir)})
    now = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
    with app.app_context():
        dialect = db.engine.dialect.name
        logging.disable(logging.INFO)  # the migrations' env.py sets alembic to chat at INFO
        upgrade()
        logging.disable(logging.NOTSET)
        started = time.perf_counter()
        made = scheduler_data(app, args.cases, args.deadlines, args.due, now)
        print(f"{dialect}: generated {args.cases:,} cases and {args.deadlines:,} pending deadlines "
              f"({made['due']:,} of them due) in {time.perf_counter() - started:.1f} s")

        tick(now - timedelta(days=30))  # warm-up: nothing is due yet
        idle = []
        for _ in range(20):
            t0 = time.perf_counter()
            tick(now - timedelta(days=30))
            idle.append(time.perf_counter() - t0)
        idle_ms = sorted(idle)[len(idle) // 2] * 1000
        db.session.remove()

    # The firing tick runs as the real scheduler command in its own process, so its peak RSS is the scheduler's
    # and not this generator's.
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "REMEDY_MAIL_CAPTURE": "1",
           "REMEDY_SCHEDULER_LOCK_DIR": str(workdir)}
    child_code = (
        "import json, sys; from datetime import datetime; from app import create_app; "
        "from datetime import timedelta; from scheduler.tick import tick; app = create_app(); "
        "ctx = app.app_context(); ctx.push(); now = datetime.fromisoformat(sys.argv[1]); "
        # A scheduler is a long-running process: an idle tick first (the one the parent ran twenty of), so the
        # measured one does not pay for the imports and the ORM's first configuration. It is still the first tick
        # of its London day, so the daily monitoring sweep stays in it.
        "tick(now - timedelta(days=30), deliver_messages=False); "
        # CPU seconds do not depend on how busy the shared machine is: the tick's own, and PostgreSQL's for it.
        "import time; from bench.scheduler import backend_cpu; s0 = backend_cpu(); c0 = time.process_time(); "
        "out = tick(now, deliver_messages=False); out['cpu_s'] = time.process_time() - c0; "
        "s1 = backend_cpu(); out['server_cpu_s'] = None if s0 is None else s1 - s0; "
        # VmHWM is this program's own high-water mark; getrusage's maxrss survives exec on Linux and would
        # count the generator's pages this child was forked from.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
        "out['max_rss_mb'] = int(hwm) / 1024; print(json.dumps(out))")
    if args.profile:
        child_code = ("import cProfile, pstats; cProfile.run(" + repr(child_code) + ", '/tmp/remedy-tick.prof'); "
                      "pstats.Stats('/tmp/remedy-tick.prof').sort_stats('tottime').print_stats(30)")
    child = subprocess.run([sys.executable, "-c", child_code, now.isoformat()], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True)
    if args.profile:
        print(child.stdout)
        return
    counts = json.loads(child.stdout.strip().splitlines()[-1])
    firing, peak_mb = counts["seconds"], counts["max_rss_mb"]
    with app.app_context():
        outbox_rows = db.session.scalar(select(func.count(OutboxMessage.id)))
        floor = executemany_floor(db, OutboxMessage.__table__)
        db.session.remove()
        db.engine.dispose()
    peer_pending = min(args.deadlines, 50_000)
    apscheduler_setup(url, counts["fired"], peer_pending)
    peer = json.loads(subprocess.run(
        [sys.executable, "bench/scheduler.py", "--peer-child", url, str(counts["fired"])], cwd=ROOT,
        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    versus = peer["seconds"] / firing if firing else float("inf")

    ratio = firing / floor if floor else float("inf")
    print()
    print(f"{'measure (' + dialect + ')':<58}{'figure':>12}  goal")
    print(f"{'idle tick (median of 20)':<58}{idle_ms:>9.1f} ms  <= 5 ms")
    print(f"{'tick firing due deadlines':<58}{firing:>10.2f} s  <= 1.5 s  "
          f"({counts['fired']:,} fired, {outbox_rows:,} outbox rows)")
    print(f"{'floor: one DBAPI executemany of the same outbox rows':<58}{floor:>10.3f} s")
    print(f"{'ratio tick / floor':<58}{ratio:>12.1f}  <= 3")
    print(f"{'peak RSS of the scheduler process (that tick)':<58}{peak_mb:>9.0f} MB  <= 200 MB")
    print(f"{'CPU of that tick: the scheduler process / the database':<58}{counts['cpu_s']:>10.2f} s  "
          + (f"/ {counts['server_cpu_s']:.2f} s" if counts["server_cpu_s"] is not None else "(SQLite: in-process)"))
    print(f"{'APScheduler 3, SQLAlchemyJobStore: the same number of due jobs':<58}{peer['seconds']:>10.2f} s  "
          f"({peer_pending:,} pending, {peer['executed']:,} run, peak RSS {peer['max_rss_mb']:.0f} MB)")
    print(f"{'APScheduler / our tick':<58}{versus:>11.1f}x  >= 8x")
    figure("scheduler", f"idle tick, {args.deadlines:,} pending ({dialect})", f"{idle_ms:.1f} ms", "<= 5 ms",
           idle_ms <= 5)
    figure("scheduler", f"fire {counts['fired']:,} due deadlines ({dialect})", f"{firing:.2f} s", "<= 1.5 s",
           firing <= 1.5)
    figure("scheduler", f"tick / DBAPI executemany floor ({floor:.2f} s, {dialect})", f"{ratio:.1f}x", "<= 3x",
           ratio <= 3)
    figure("scheduler", f"scheduler peak RSS ({dialect})", f"{peak_mb:.0f} MB", "<= 200 MB", peak_mb <= 200)
    cpu = counts["cpu_s"] + (counts["server_cpu_s"] or 0)
    figure("scheduler", f"CPU of the firing tick, scheduler + database ({dialect}; wall time waits for a CPU "
           "on a busy machine)", f"{cpu:.2f} s", "", None)
    figure("scheduler", f"peer: APScheduler 3 SQLAlchemyJobStore, {peer['executed']:,} due jobs ({dialect})",
           f"{peer['seconds']:.2f} s", "", None)
    figure("scheduler", f"APScheduler / our firing tick ({dialect})", f"{versus:.1f}x", ">= 8x", versus >= 8)


def executemany_floor(db, table) -> float:
    """The real floor: the tick's outbox rows (under new keys) sent as ONE INSERT statement with many parameter
    rows through the driver's own executemany (sqlite3, psycopg), in one transaction, committed."""
    columns = [c.name for c in table.columns if c.name != "id"]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table.name}")
        rows = cursor.fetchall()
        key = columns.index("key")
        rows = [tuple("floor-" + v if i == key else v for i, v in enumerate(row)) for row in rows]
        mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
        sql = f'INSERT INTO {table.name} ({", ".join(columns)}) VALUES ({", ".join([mark] * len(columns))})'
        started = time.perf_counter()
        cursor.executemany(sql, rows)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def backend_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL backends serving this database (on this machine; None on SQLite,
    whose work is the scheduler process's own): `/proc/PID/stat` of each, user plus system."""
    from sqlalchemy import text

    from models import db

    if db.engine.dialect.name != "postgresql":
        return None
    pids = list(db.session.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))
    db.session.rollback()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


PEER_TABLE = "bench_apscheduler_jobs"


def peer_job() -> None:
    """What each APScheduler job runs: nothing."""


def apscheduler_setup(url: str, due: int, pending: int) -> None:
    """APScheduler's own job rows in its SQLAlchemyJobStore table on the same database: `due` date-trigger jobs due
    an hour ago and the rest of `pending` months ahead, each pickled by APScheduler's Job exactly as add_job stores
    it (inserted in one go, which add_job cannot do: one commit per job took about 10 ms)."""
    import pickle

    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.util import datetime_to_utc_timestamp

    store = SQLAlchemyJobStore(url=url, tablename=PEER_TABLE)
    store.jobs_t.drop(store.engine, checkfirst=True)
    store.jobs_t.create(store.engine)
    scheduler = BackgroundScheduler(timezone=UTC)
    wall = datetime.now(UTC)
    rows = []
    for n in range(pending):
        run_at = wall - timedelta(hours=1) if n < due else wall + timedelta(days=150, seconds=n)
        job = Job(scheduler, id=f"bench-{n}", func="bench.scheduler:peer_job", trigger=DateTrigger(run_at),
                  executor="default", args=(), kwargs={}, name="peer_job", misfire_grace_time=None, coalesce=True,
                  max_instances=1, next_run_time=run_at)
        rows.append({"id": job.id, "next_run_time": datetime_to_utc_timestamp(run_at),
                     "job_state": pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL)})
    with store.engine.begin() as connection:
        connection.execute(store.jobs_t.insert(), rows)
    store.engine.dispose()


def apscheduler_fire(url: str, due: int) -> dict:
    """Start a BackgroundScheduler on the job store and time it until every due job has run and its row is gone."""
    import threading

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import func, select

    store = SQLAlchemyJobStore(url=url, tablename=PEER_TABLE)
    scheduler = BackgroundScheduler(jobstores={"default": store}, executors={"default": ThreadPoolExecutor(4)},
                                    job_defaults={"misfire_grace_time": None, "coalesce": True}, timezone=UTC)
    done, seen, lock = threading.Event(), {"executed": 0, "errors": 0}, threading.Lock()

    def ran(event) -> None:
        with lock:
            seen["errors" if event.exception else "executed"] += 1
            if seen["executed"] + seen["errors"] >= due:
                done.set()

    scheduler.add_listener(ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    scheduler.start()
    done.wait(timeout=900)
    horizon = time.time() + 86_400  # the due rows, an hour old; the pending ones are months ahead
    with store.engine.connect() as connection:
        while connection.scalar(select(func.count()).select_from(store.jobs_t)
                                .where(store.jobs_t.c.next_run_time < horizon)):
            connection.rollback()
            time.sleep(0.005)
    seconds = time.perf_counter() - started
    scheduler.shutdown(wait=True)
    hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0].split()[1]
    return {"seconds": seconds, "max_rss_mb": int(hwm) / 1024, **seen}


if __name__ == "__main__":
    main()
