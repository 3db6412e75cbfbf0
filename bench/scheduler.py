"""Scheduler benchmark: prints figures, never a test.

On SQLite (or --database), with 500,000 pending deadlines over 100,000 cases (one breach timer each), made by
bench/data.py's `scheduler_data`, it measures:
  - an idle tick (nothing due) of the scheduler process, which keeps its tick lock between ticks as `flask
    scheduler run` does                                      goal <= 5 ms
  - a tick that fires 10,000 due deadlines with outbox rows  goal <= 1.5 s
  - the floor: ONE DBAPI executemany (one statement, many rows) of the same outbox rows (the fastest of three),
    and the ratio (goal <= 3), in wall seconds and, as the machine's load does not move them, in CPU seconds
  - the peak RSS of the scheduler process that ran the firing tick (goal <= 200 MB)
  - two peers, APScheduler 3's SQLAlchemyJobStore on the same database, its due date-trigger jobs (among up to
    50,000 pending) run by a BackgroundScheduler with a ThreadPoolExecutor(4) in its own process:
      * equal work (goal: at least 8 times our tick): each job fires its own deadline through Remedy's one-timer
        path, `models.timer_store.fire_timer` inside an app context, and commits, in its own transaction: what a
        Remedy that gave every deadline an APScheduler job would do. Each writes what our tick writes for it (the
        breach, the audit event, the outbox messages, the case). Our tick's writes are undone first (the same due
        deadlines pending again, its rows deleted), so the peer fires the same deadlines on the same data, and
        the outbox rows it writes are printed beside the tick's. All 10,000 take about a minute (SQLite 43 s at
        load 3 and 68 s at load 4.5; PostgreSQL about 68 s), so it runs a fixed sample (--peer-sample, 2,000 of
        them, the oldest first, as a tick takes them; 0 for all) and its time is scaled to the tick's count, as
        its label says (a job's cost does not depend on how many others wait);
      * no-op (no goal: it flatters the peer): each job calls a function that does nothing, then deletes its own
        row in its own transaction, against our tick's breach, audit event, messages and case per deadline. It
        runs on our WAL database, where a commit is cheap; a default SQLite job store of its own, in
        rollback-journal mode, took 12.5 s in ../shared/reviews/performance.md (section 2.2).
  - on PostgreSQL only, after the rest: the pending deadlines topped up to 5,000,000 (--top-up; two set-based
    INSERT ... SELECT generate_series, loaded as pg_restore loads: plain indexes rebuilt after, no per-row
    foreign-key triggers, then VACUUM ANALYZE) and the idle tick measured again (median of 20; goal <= 5 ms), with
    the plan of the claim query printed (EXPLAIN ANALYZE: it must walk ix_timer_status_due_at).

    .venv/bin/python bench/scheduler.py [--cases 100000] [--deadlines 500000] [--due 10000] [--quick] [--profile]
    .venv/bin/python bench/scheduler.py --database postgresql+psycopg://postgres@127.0.0.1:5433/remedy_bench
        [--top-up 5000000] [--peer-sample 2000]
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
    parser.add_argument("--peer-sample", type=int, default=2_000,
                        help="due jobs the equal-work APScheduler peer runs, its time scaled to the tick's count "
                             "(all 10,000 take 43-68 s on SQLite and about 70 s on PostgreSQL)")
    parser.add_argument("--top-up", type=int, default=None,
                        help="PostgreSQL: pending deadlines for the last idle tick (default 5,000,000, 1,000,000 "
                             "with --quick; 0: skip it)")
    parser.add_argument("--peer-child", nargs=3, metavar=("URL", "DUE", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_child:
        url, due, work = args.peer_child
        print(json.dumps(apscheduler_fire(url, int(due), work == "fire")))
        return
    if args.quick:
        args.cases, args.deadlines, args.due = 10_000, 50_000, 1_000
    if args.top_up is None:
        args.top_up = 1_000_000 if args.quick else 5_000_000

    workdir = Path(tempfile.mkdtemp(prefix="remedy-bench-scheduler-"))
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from bench.data import fresh_database, scheduler_data
    from bench.report import figure
    from models import db
    from models.scheduling import OutboxMessage

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

        idle_ms = idle_tick_ms(app, now - timedelta(days=30))  # nothing is due yet
        before = snapshot(now)
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
        # ... after which `flask scheduler run` freezes what it made while starting (models.runtime.freeze_start_up).
        "from models.runtime import freeze_start_up; freeze_start_up(); "
        # CPU seconds do not depend on how busy the shared machine is: the tick's own, and PostgreSQL's for it.
        "import time; from bench.scheduler import backend_cpu; s0 = backend_cpu(); c0 = time.process_time(); "
        "out = tick(now, deliver_messages=False); out['cpu_s'] = time.process_time() - c0; "
        "s1 = backend_cpu(); out['server_cpu_s'] = None if s0 is None else s1 - s0; "
        # VmHWM is this program's own high-water mark; getrusage's maxrss survives exec on Linux and would
        # count the generator's pages this child was forked from.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
        "out['max_rss_mb'] = int(hwm) / 1024; print(json.dumps(out))")
    if args.profile:
        # Only the firing tick, after the idle one: not the imports and the app's set-up.
        child_code = child_code.replace(
            "out = tick(now, deliver_messages=False); ",
            "import cProfile, pstats; profile = cProfile.Profile(); profile.enable(); "
            "out = tick(now, deliver_messages=False); profile.disable(); "
            "pstats.Stats(profile).sort_stats('tottime').print_stats(30); "
            "pstats.Stats(profile).sort_stats('cumulative').print_stats(30); ")
    child = subprocess.run([sys.executable, "-c", child_code, now.isoformat()], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=True)
    if args.profile:
        print(child.stdout)
        return
    counts = json.loads(child.stdout.strip().splitlines()[-1])
    firing, peak_mb = counts["seconds"], counts["max_rss_mb"]
    with app.app_context():
        outbox_rows = db.session.scalar(select(func.count(OutboxMessage.id)))
        floor, floor_cpu = executemany_floor(db, OutboxMessage.__table__)
        undo_firing(before)  # the same due deadlines pending again, for the equal-work peer
        db.session.remove()
        db.engine.dispose()
    peer_pending = min(args.deadlines, 50_000)
    peers = {}
    sample = args.peer_sample or len(before["due"])
    for work, due_jobs in (("noop", before["due"]), ("fire", before["due"][:sample])):
        apscheduler_setup(url, due_jobs, peer_pending, work == "fire", now)
        peers[work] = json.loads(subprocess.run(
            [sys.executable, "bench/scheduler.py", "--peer-child", url, str(len(due_jobs)), work],
            cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    noop, equal = peers["noop"], peers["fire"]
    with app.app_context():
        # What the equal-work peer wrote, to set beside the tick's: the same messages for the same deadlines.
        equal["outbox_rows"] = db.session.scalar(select(func.count(OutboxMessage.id)))
        sample = len(before["due"][:sample])
        scale = counts["fired"] / sample if sample else 1.0
        db.session.remove()
    equal["scaled_s"] = equal["seconds"] * scale
    versus_noop = noop["seconds"] / firing if firing else float("inf")
    versus = equal["scaled_s"] / firing if firing else float("inf")
    sampled = f"; a sample of {sample:,} run, its time x{scale:g}" if scale != 1 else ""
    scaled = f", x{scale:g} for {counts['fired']:,}" if scale != 1 else ""

    ratio = firing / floor if floor else float("inf")
    print()
    print(f"{'measure (' + dialect + ')':<58}{'figure':>12}  goal")
    print(f"{'idle tick (median of 20)':<58}{idle_ms:>9.1f} ms  <= 5 ms")
    print(f"{'tick firing due deadlines':<58}{firing:>10.2f} s  <= 1.5 s  "
          f"({counts['fired']:,} fired, {outbox_rows:,} outbox rows)")
    print(f"{'floor: one DBAPI executemany of the same outbox rows':<58}{floor:>10.3f} s")
    print(f"{'ratio tick / floor':<58}{ratio:>12.1f}  <= 3")
    tick_cpu = counts["cpu_s"] + (counts["server_cpu_s"] or 0)
    cpu_ratio = tick_cpu / floor_cpu if floor_cpu else float("inf")
    print(f"{'the same in CPU seconds (tick / floor)':<58}{cpu_ratio:>12.1f}  "
          f"({tick_cpu:.2f} s / {floor_cpu:.2f} s: load does not move these)")
    print(f"{'peak RSS of the scheduler process (that tick)':<58}{peak_mb:>9.0f} MB  <= 200 MB")
    print(f"{'CPU of that tick: the scheduler process / the database':<58}{counts['cpu_s']:>10.2f} s  "
          + (f"/ {counts['server_cpu_s']:.2f} s" if counts["server_cpu_s"] is not None else "(SQLite: in-process)"))
    print(f"{'APScheduler 3, equal work: each job fires its deadline':<58}{equal['scaled_s']:>10.2f} s  "
          f"({equal['executed']:,} run in {equal['seconds']:.2f} s{scaled}; {equal['errors']:,} errors, "
          f"{equal['outbox_rows']:,} outbox rows, peak RSS {equal['max_rss_mb']:.0f} MB)")
    if equal["errors"]:
        print(f"    the first error: {equal['first_error']}")
    print(f"{'APScheduler (equal work) / our tick':<58}{versus:>11.1f}x  >= 8x")
    print(f"{'APScheduler 3, no-op jobs (flatters the peer)':<58}{noop['seconds']:>10.2f} s  "
          f"({peer_pending:,} pending, {noop['executed']:,} run, peak RSS {noop['max_rss_mb']:.0f} MB)")
    print(f"{'APScheduler (no-op jobs) / our tick':<58}{versus_noop:>11.1f}x  (no goal: flatters the peer)")
    figure("scheduler", f"idle tick, {args.deadlines:,} pending ({dialect})", f"{idle_ms:.1f} ms", "<= 5 ms",
           idle_ms <= 5)
    figure("scheduler", f"fire {counts['fired']:,} due deadlines ({dialect})", f"{firing:.2f} s", "<= 1.5 s",
           firing <= 1.5)
    figure("scheduler", f"tick / DBAPI executemany floor ({floor:.2f} s, {dialect})", f"{ratio:.1f}x", "<= 3x",
           ratio <= 3)
    figure("scheduler", f"scheduler peak RSS ({dialect})", f"{peak_mb:.0f} MB", "<= 200 MB", peak_mb <= 200)
    figure("scheduler", f"CPU of the firing tick, scheduler + database ({dialect}; wall time waits for a CPU "
           "on a busy machine)", f"{tick_cpu:.2f} s", "", None)
    figure("scheduler", f"the same ratio in CPU seconds, tick / floor ({floor_cpu:.2f} s, {dialect})",
           f"{cpu_ratio:.1f}x", "", None)
    figure("scheduler", f"peer: APScheduler 3, {counts['fired']:,} jobs each firing its deadline through "
           f"fire_timer ({dialect}{sampled})", f"{equal['scaled_s']:.2f} s", "", None)
    figure("scheduler", f"APScheduler (equal work) / our firing tick ({dialect})", f"{versus:.1f}x", ">= 8x",
           versus >= 8 and equal["errors"] == 0)
    figure("scheduler", f"peer: APScheduler 3, {noop['executed']:,} no-op jobs (flatters the peer; {dialect})",
           f"{noop['seconds']:.2f} s", "", None)
    figure("scheduler", f"APScheduler (no-op jobs, flatters the peer) / our firing tick ({dialect})",
           f"{versus_noop:.1f}x", "", None)
    if dialect == "postgresql" and args.top_up > args.deadlines:
        with app.app_context():
            big_idle_ms = idle_at_scale(args.top_up, args.cases, now)
            db.session.remove()
        figure("scheduler", f"idle tick, {args.top_up:,} pending ({dialect})", f"{big_idle_ms:.1f} ms", "<= 5 ms",
               big_idle_ms <= 5)


def executemany_floor(db, table, runs: int = 3) -> tuple[float, float]:
    """The real floor: the tick's outbox rows (under new keys) sent as ONE INSERT statement with many parameter
    rows through the driver's own executemany (sqlite3, psycopg), in one transaction, committed. The fastest of
    `runs` (the least disturbed by a busy machine, so the ratio to it errs against us), as wall seconds and the CPU
    seconds of that run (this process's and, on PostgreSQL, the database backends')."""
    columns = [c.name for c in table.columns if c.name != "id"]
    raw = db.engine.raw_connection()
    best = (float("inf"), 0.0)
    try:
        cursor = raw.cursor()
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table.name}")
        original = cursor.fetchall()
        raw.commit()
        key = columns.index("key")
        mark = "?" if db.engine.dialect.name == "sqlite" else "%s"
        sql = f'INSERT INTO {table.name} ({", ".join(columns)}) VALUES ({", ".join([mark] * len(columns))})'
        for run in range(runs):
            rows = [tuple(f"floor{run}-" + v if i == key else v for i, v in enumerate(row)) for row in original]
            s0, c0 = backend_cpu(), time.process_time()
            started = time.perf_counter()
            cursor.executemany(sql, rows)
            raw.commit()
            wall = time.perf_counter() - started
            cpu = time.process_time() - c0 + (backend_cpu() - s0 if s0 is not None else 0.0)
            best = min(best, (wall, cpu))
        return best
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


def snapshot(now: datetime) -> dict:
    """What undo_firing needs to put the data back as it was before the firing tick: every table's highest id, and
    the due timers (oldest first, as a tick claims them) with their deadlines."""
    from sqlalchemy import Integer, func, select

    from models import db
    from models.scheduling import Timer

    maxima = {table.name: db.session.scalar(select(func.max(table.c.id))) or 0
              for table in db.metadata.sorted_tables
              if "id" in table.c and table.c.id.primary_key and isinstance(table.c.id.type, Integer)}
    due = db.session.execute(select(Timer.id, Timer.deadline_id).where(Timer.status == "pending", Timer.due_at <= now)
                             .order_by(Timer.due_at, Timer.id)).all()
    db.session.rollback()
    return {"maxima": maxima, "due": [row.id for row in due], "deadlines": [row.deadline_id for row in due],
            "now": now}


def undo_firing(before: dict) -> None:
    """Undo the firing tick (and the floor's rows): every row written since `before` deleted, and the due deadlines
    running, their timers pending and their cases not overdue again, as scheduler_data made them (every bench
    clock breaches by marking its case overdue)."""
    from sqlalchemy import select, update

    from models import db
    from models.cases import Case, Deadline
    from models.scheduling import Timer
    from models.timer_store import pending_due_count

    for table in reversed(db.metadata.sorted_tables):
        if table.name in before["maxima"]:
            db.session.execute(table.delete().where(table.c.id > before["maxima"][table.name]))
    ids = before["deadlines"]
    for start in range(0, len(ids), 5_000):
        chunk = ids[start:start + 5_000]
        db.session.execute(update(Case).where(Case.id.in_(
            select(Deadline.case_id).where(Deadline.id.in_(chunk)).scalar_subquery())).values(overdue=False))
        db.session.execute(update(Deadline).where(Deadline.id.in_(chunk)).values(status="running", breached_at=None))
        db.session.execute(update(Timer).where(Timer.deadline_id.in_(chunk)).values(
            status="pending", fired_at=None, note=None, attempts=0, last_error=None))
    db.session.commit()
    assert pending_due_count(before["now"]) == len(before["due"]), "the firing tick was not undone"


PEER_TABLE = "bench_apscheduler_jobs"
_PEER_APP = None  # the equal-work peer's Remedy app, made once in its process


def peer_job() -> None:
    """What each no-op APScheduler job runs: nothing."""


def peer_fire(timer_id: int, now_text: str) -> None:
    """What each equal-work APScheduler job runs: Remedy's one-timer path for its own deadline, in an app context
    and a transaction of its own (a Remedy that gave every deadline an APScheduler job)."""
    from models import db
    from models.scheduling import Timer
    from models.timer_store import fire_timer

    with _PEER_APP.app_context():
        try:
            timer = db.session.get(Timer, timer_id)
            if timer is not None and timer.status == "pending":
                fire_timer(timer, datetime.fromisoformat(now_text))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def apscheduler_setup(url: str, due: list[int], pending: int, fire: bool, now: datetime) -> None:
    """APScheduler's own job rows in its SQLAlchemyJobStore table on the same database: one date-trigger job due an
    hour ago per due timer in `due` (firing it through `peer_fire` if `fire`, else a no-op) and the rest of
    `pending` months ahead, each pickled by APScheduler's Job exactly as add_job stores it (inserted in one go,
    which add_job cannot do: one commit per job took about 10 ms)."""
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
    for n in range(max(pending, len(due))):
        run_at = wall - timedelta(hours=1) if n < len(due) else wall + timedelta(days=150, seconds=n)
        func, args = "bench.scheduler:peer_job", ()
        if fire and n < len(due):
            func, args = "bench.scheduler:peer_fire", (due[n], now.isoformat())
        job = Job(scheduler, id=f"bench-{n}", func=func, trigger=DateTrigger(run_at), executor="default",
                  args=args, kwargs={}, name=func.split(":")[1], misfire_grace_time=None, coalesce=True,
                  max_instances=1, next_run_time=run_at)
        rows.append({"id": job.id, "next_run_time": datetime_to_utc_timestamp(run_at),
                     "job_state": pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL)})
    with store.engine.begin() as connection:
        connection.execute(store.jobs_t.insert(), rows)
    store.engine.dispose()


def apscheduler_fire(url: str, due: int, fire: bool) -> dict:
    """Start a BackgroundScheduler on the job store and time it until every due job has run and its row is gone.
    For the equal-work peer, Remedy's app is made first (a long-running process would have it already)."""
    import threading

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import func, select

    if fire:
        import bench.scheduler as jobs  # the module APScheduler imports the job from (this one runs as __main__)
        from app import create_app

        jobs._PEER_APP = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_CAPTURE": True,
                                     "SCHEDULER_LOCK_DIR": tempfile.mkdtemp(prefix="remedy-bench-peer-")})
        with jobs._PEER_APP.app_context():  # the ORM configured and a connection open, as in a running process
            from models import db
            from models.scheduling import Timer

            db.session.scalar(select(func.count(Timer.id)).where(Timer.id < 0))
    store = SQLAlchemyJobStore(url=url, tablename=PEER_TABLE)
    scheduler = BackgroundScheduler(jobstores={"default": store}, executors={"default": ThreadPoolExecutor(4)},
                                    job_defaults={"misfire_grace_time": None, "coalesce": True}, timezone=UTC)
    done, lock = threading.Event(), threading.Lock()
    seen: dict = {"executed": 0, "errors": 0}

    def ran(event) -> None:
        with lock:
            seen["errors" if event.exception else "executed"] += 1
            if event.exception and "first_error" not in seen:
                seen["first_error"] = f"{type(event.exception).__name__}: {event.exception}"[:300]
            if seen["executed"] + seen["errors"] >= due:
                done.set()

    scheduler.add_listener(ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    logging.disable(logging.WARNING)
    from models.runtime import freeze_start_up
    freeze_start_up()  # what this process made while starting frozen, as our scheduler process freezes its own
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


def idle_tick_ms(app, quiet: datetime) -> float:
    """The idle tick (nothing due at `quiet`) of the scheduler process, in ms, the median of 20 after a warm-up:
    the process keeps its tick lock between ticks, as `flask scheduler run` does (scheduler.lock), and lets it go
    after, for the next measurement's process."""
    from scheduler.lock import KEPT, keep_between_ticks
    from scheduler.tick import tick

    kept = keep_between_ticks(app, app.config["SCHEDULER_LOCK_DIR"])
    try:
        tick(quiet)  # warm-up, and the lock taken
        idle = []
        for _ in range(20):
            t0 = time.perf_counter()
            tick(quiet)
            idle.append(time.perf_counter() - t0)
    finally:
        kept.release()
        app.extensions.pop(KEPT, None)
    return sorted(idle)[len(idle) // 2] * 1000


def idle_at_scale(total: int, cases: int, now: datetime) -> float:
    """PostgreSQL: top the pending deadlines up to `total` with two set-based INSERT ... SELECT generate_series, then
    time the idle tick (median of 20) and print the plan of the claim query (it must walk ix_timer_status_due_at).

    The new deadlines copy one pending bench deadline onto the bench's `cases` cases, a run of them each (their
    own case, notice, contract and provider), months ahead, each with its breach timer. They are loaded as pg_restore
    --disable-triggers loads (session_replication_role = replica: no foreign-key trigger per row, every key
    copied from a row that has it) and analysed after, as autovacuum would."""
    from flask import current_app
    from sqlalchemy import func, select, text

    from models import db
    from models.cases import Case, Deadline, Notice
    from models.scheduling import Timer
    from models.timer_store import claim_query

    pending = db.session.scalar(select(func.count(Timer.id)).where(Timer.status == "pending"))
    extra = total - pending
    last_case = db.session.scalar(select(func.max(Case.id)))
    last_notice = db.session.scalar(select(func.max(Notice.id)))
    template = db.session.scalar(select(Deadline.id).where(Deadline.case_id == last_case,
                                                            Deadline.status == "running").limit(1))
    first = db.session.scalar(select(func.max(Deadline.id))) + 1
    started = time.perf_counter()
    # Each case takes a run of consecutive new deadlines (rows of one case together, as a real table's would be).
    shifted = {"id": ":first + g", "case_id": "c.id", "contract_id": "c.contract_id", "provider_id": "c.provider_id",
               "entity_id": ":last_notice - g / :per", "start_on": "d.start_on + (g % 180)::int",
               "due_on": "d.due_on + (g % 180)::int", "due_at": "d.due_at + make_interval(days => (g % 180)::int)"}
    columns = [c.name for c in Deadline.__table__.columns]
    # As pg_restore does: the plain indexes dropped for the load and built again after it, from their own
    # definitions (the primary keys and the unique fire key stay and are kept up row by row).
    indexes = db.session.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND "
                                      "tablename IN ('deadline', 'timer') AND indexname LIKE 'ix\\_%'")).all()
    db.session.execute(text("SET LOCAL synchronous_commit = off"))
    db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for name, _definition in indexes:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    db.session.execute(text(
        f'INSERT INTO deadline ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
        f'SELECT {", ".join(shifted.get(c, f"d.{chr(34)}{c}{chr(34)}") for c in columns)} '
        "FROM generate_series(0, :extra - 1) AS g JOIN case_file c ON c.id = :last_case - g / :per, "
        "(SELECT * FROM deadline WHERE id = :template) AS d"),
        {"first": first, "per": -(-extra // cases), "extra": extra, "template": template, "last_case": last_case,
         "last_notice": last_notice})
    db.session.execute(text(
        "INSERT INTO timer (council_id, deadline_id, kind, threshold, due_on, due_at, status, fire_key, attempts) "
        # A fire key in id order (a real one is a hash of the deadline, the kind and the day): appended to the
        # unique index rather than written at a random page per row; the idle tick never reads it.
        "SELECT d.council_id, d.id, 'breach', 0, d.due_on, d.due_at, 'pending', 'bench:' || d.id || ':breach:0', 0 "
        "FROM deadline d WHERE d.id >= :first"), {"first": first})
    db.session.execute(text("SELECT setval(pg_get_serial_sequence('deadline', 'id'), :last)"),
                       {"last": first + extra - 1})
    for _name, definition in indexes:
        db.session.execute(text(definition))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # Vacuumed and analysed now, as autovacuum soon would, so that autovacuum does not do it during the
        # measurement below.
        connection.execute(text("VACUUM ANALYZE timer"))
        connection.execute(text("VACUUM ANALYZE deadline"))
    made_s = time.perf_counter() - started
    pending = db.session.scalar(select(func.count(Timer.id)).where(Timer.status == "pending"))
    quiet = now - timedelta(days=30)
    idle_ms = idle_tick_ms(current_app._get_current_object(), quiet)
    compiled = claim_query(quiet, 5000).compile(dialect=db.engine.dialect)
    plan = db.session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled),
                                                   compiled.params).scalars().all()
    db.session.rollback()
    print(f"\npostgresql: {extra:,} pending deadlines and their timers added in {made_s:.0f} s "
          f"(INSERT ... SELECT generate_series, indexes rebuilt, VACUUM ANALYZE): {pending:,} pending timers")
    print(f"{'idle tick, ' + format(pending, ',') + ' pending (median of 20)':<58}{idle_ms:>9.1f} ms  <= 5 ms")
    print("plan of the claim query (models/timer_store.claim_query) at that size:")
    for line in plan:
        print("    " + line)
    return idle_ms


if __name__ == "__main__":
    main()
