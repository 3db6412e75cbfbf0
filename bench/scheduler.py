"""Scheduler benchmark: prints figures, never a test.

On SQLite, with 500,000 pending deadlines over 100,000 cases (one breach timer each), it measures:
  - an idle tick (nothing due)                               goal <= 20 ms
  - a tick that fires 10,000 due deadlines with outbox rows  goal <= 3 s
  - a raw executemany insert of the same outbox rows, and the ratio of the two (goal <= 5)
  - the peak RSS of the scheduler process that ran the firing tick (goal <= 200 MB)

    .venv/bin/python bench/scheduler.py [--cases 100000] [--deadlines 500000] [--due 10000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--deadlines", type=int, default=500_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="10,000 cases, 50,000 deadlines, 1,000 due")
    parser.add_argument("--profile", action="store_true", help="profile the firing tick and print the hot spots")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.deadlines, args.due = 10_000, 50_000, 1_000

    workdir = Path(tempfile.mkdtemp(prefix="remedy-bench-scheduler-"))
    os.environ.pop("DATABASE_URL", None)
    from sqlalchemy import insert, select, text

    from app import create_app
    from models import db
    from models.cases import Case, Deadline
    from models.demo import load_demo
    from models.entities import Contract, User
    from models.scheduling import OutboxMessage, Timer
    from scheduler.tick import tick
    from workflows.case import CaseState

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "MAIL_CAPTURE": True,
                      "SCHEDULER_LOCK_DIR": str(workdir)})
    with app.app_context():
        db.create_all()
        load_demo()
        db.session.commit()
        contracts = list(db.session.scalars(select(Contract)))
        council_id = contracts[0].council_id
        manager = db.session.scalar(select(User).where(User.email == "contract.manager@remedy.example"))
        now = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)
        started = time.perf_counter()

        cases = []
        for n in range(args.cases):
            contract = contracts[n % len(contracts)]
            cases.append({"id": n + 1, "council_id": council_id, "provider_id": contract.provider_id,
                          "contract_id": contract.id, "reference": f"CASE-{n + 1:06d}", "summary": "Bench case",
                          "state": CaseState.NOTICE, "overdue": False, "opened_by_id": manager.id,
                          "created_at": now, "updated_at": now, "version_id": 1})
        db.session.execute(insert(Case), cases)
        deadlines, timers = [], []
        far = date(2027, 6, 30)
        for n in range(args.deadlines):
            case = cases[n % args.cases]
            is_due = n < args.due
            due_on = date(2027, 1, 6) if is_due else far + timedelta(days=n % 180)
            due_at = datetime.combine(due_on, datetime.max.time().replace(microsecond=0), tzinfo=UTC)
            deadlines.append({"id": n + 1, "council_id": council_id, "case_id": case["id"],
                              "contract_id": case["contract_id"], "provider_id": case["provider_id"],
                              "entity_type": "notice", "entity_id": n + 1, "kind": "plan_agreed",
                              "label": "Action plan agreed by both parties", "rule": "KT-19",
                              "unit": "working_days", "length": 10, "region": "england-and-wales",
                              "start_on": due_on - timedelta(days=14), "due_on": due_on, "due_at": due_at,
                              "status": "running", "acts": "provider", "pausable": False,
                              "on_breach": "mark_overdue", "frozen": True,
                              "explanation": ["10 working days after receipt (KT-19)"], "extension_days": 0,
                              "created_at": now})
            timers.append({"council_id": council_id, "deadline_id": n + 1, "kind": "breach", "threshold": 0,
                           "due_on": due_on, "due_at": due_at, "status": "pending", "fire_key": f"bench-{n + 1}",
                           "attempts": 0})
        for chunk in range(0, len(deadlines), 50_000):
            db.session.execute(insert(Deadline), deadlines[chunk:chunk + 50_000])
            db.session.execute(insert(Timer), timers[chunk:chunk + 50_000])
        db.session.commit()
        del deadlines, timers
        print(f"generated {args.cases:,} cases and {args.deadlines:,} pending deadlines "
              f"({args.due:,} of them due) in {time.perf_counter() - started:.1f} s")

        db.session.execute(text("ANALYZE"))
        db.session.commit()
        tick(now - timedelta(days=30))  # warm-up: nothing is due yet
        idle = []
        for _ in range(20):
            t0 = time.perf_counter()
            tick(now - timedelta(days=30))
            idle.append(time.perf_counter() - t0)
        idle_ms = sorted(idle)[len(idle) // 2] * 1000

        db.session.remove()
        # The firing tick runs as the real scheduler command in its own process, so its peak RSS is the
        # scheduler's and not this generator's.
        import json
        import subprocess

        env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}", "SECRET_KEY": "bench",
               "REMEDY_MAIL_CAPTURE": "1"}
        child_code = (
            "import json, resource, sys; from datetime import datetime; from app import create_app; "
            "from scheduler.tick import tick; app = create_app(); ctx = app.app_context(); ctx.push(); "
            "out = tick(datetime.fromisoformat(sys.argv[1]), deliver_messages=False); "
            # VmHWM is this program's own high-water mark; getrusage's maxrss survives exec on Linux and would
            # count the generator's pages this child was forked from.
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
            "out['max_rss_mb'] = int(hwm) / 1024; print(json.dumps(out))")
        if args.profile:
            child_code = ("import cProfile, pstats; cProfile.run(" + repr(child_code) + ", '/tmp/remedy-tick.prof'); "
                          "pstats.Stats('/tmp/remedy-tick.prof').sort_stats('tottime').print_stats(25)")
        child = subprocess.run([sys.executable, "-c", child_code, now.isoformat()], cwd=ROOT, env=env,
                               capture_output=True, text=True, check=True)
        if args.profile:
            print(child.stdout)
            return
        counts = json.loads(child.stdout.strip().splitlines()[-1])
        firing, peak_mb = counts["seconds"], counts["max_rss_mb"]
        outbox_rows = db.session.scalar(select(db.func.count(OutboxMessage.id)))

        rows = [{c.name: getattr(m, c.name) for c in OutboxMessage.__table__.columns if c.name != "id"}
                for m in db.session.scalars(select(OutboxMessage))]
        for row in rows:
            row["key"] = "raw-" + row["key"]
        t0 = time.perf_counter()
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        raw = time.perf_counter() - t0

    ratio = firing / raw if raw else float("inf")
    print()
    print(f"{'measure':<52}{'figure':>14}  goal")
    print(f"{'idle tick (median of 20)':<52}{idle_ms:>11.1f} ms  <= 20 ms")
    print(f"{'tick firing due deadlines':<52}{firing:>12.2f} s  <= 3 s   "
          f"({counts['fired']:,} fired, {outbox_rows:,} outbox rows)")
    print(f"{'raw executemany insert of the same outbox rows':<52}{raw:>12.3f} s")
    print(f"{'ratio tick / raw insert':<52}{ratio:>14.1f}  <= 5")
    print(f"{'peak RSS of the scheduler process (that tick)':<52}{peak_mb:>11.0f} MB  <= 200 MB")


if __name__ == "__main__":
    main()
