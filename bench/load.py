"""Mixed load: 70% reads and 30% writes from 32 connections for 60 s against gunicorn (4 workers) on 127.0.0.1, on
the case workflow's data (issue 17, item 3). Prints figures, never a test.

Reads: the dashboard, the case list, a case page, the deadlines, the API case list and an API case. Writes, through
the API as a council contract manager: case transitions (withdraw a case at the concern stage), new complaints, and
milestone updates (a milestone in progress marked done, with evidence). Each write goes to its own record, so none
is refused for being stale. After the run every successful write response is checked against the rows in the
database: a write answered 200/201 whose row is not there is a lost write. Targets: 0 errors, 0 lost writes,
p95 <= 250 ms, >= 150 req/s. Prints the figures and the worst five endpoints by p95.

    .venv/bin/python bench/load.py --database postgresql+psycopg://postgres@127.0.0.1:5433/remedy_pages_bench --reuse
    .venv/bin/python bench/load.py --quick        # 10,000 cases on SQLite, 20 s: a smoke run

The load comes from this process (threads, one HTTP connection per request: gunicorn's sync workers close each),
so it shares the machine's CPUs with the server; it only ever connects to 127.0.0.1. gunicorn is always stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.pages import prepare  # noqa: E402
from bench.report import figure  # noqa: E402
from bench.workflow import (  # noqa: E402
    USER_AGENT,
    _api_token,
    _listening,
    _stop,
    fetch,
    free_port,
    machine_cpu,
    sign_in,
    tree_cpu,
)

P95_TARGET_MS, RPS_TARGET = 250.0, 150.0
READ_SHARE = 0.7


def pools(url: str, seed: int) -> dict:
    """Records for the writes, each used once: cases at the concern stage, milestones in progress; and read targets."""
    from app import create_app
    from models import db
    from models.cases import Case, Milestone
    from models.entities import Provider

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key"})
    with app.app_context():
        concern = list(db.session.scalars(select(Case.id).where(Case.state == "concern").order_by(Case.id)))
        planned = list(db.session.scalars(select(Milestone.id).where(Milestone.state == "in_progress")
                                          .order_by(Milestone.id)))
        cases = list(db.session.scalars(select(Case.id).order_by(Case.id.desc()).limit(5000)))
        provider = db.session.scalar(select(Provider.id).order_by(Provider.id).limit(1))
        db.engine.dispose()
    rng = random.Random(seed)
    rng.shuffle(concern)
    rng.shuffle(planned)
    return {"concern": concern, "planned": planned, "cases": cases, "provider": provider}


class Load:
    """32 threads sending the mix until the deadline; every response's endpoint, status and time kept."""

    def __init__(self, port: int, cookie: str, token: str, targets: dict, tag: str, seed: int):
        self.port, self.tag = port, tag
        self.cookie = {"Cookie": f"remedy_session={cookie}", "User-Agent": USER_AGENT}
        self.bearer = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT,
                       "Content-Type": "application/json"}
        self.targets = targets
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.written: dict[str, list[int]] = defaultdict(list)  # kind -> record ids answered 200/201
        self.complaints = 0
        self.seed = seed

    def _take(self, pool: str) -> int | None:
        with self.lock:
            return self.targets[pool].pop() if self.targets[pool] else None

    def _request(self, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def one(self, rng: random.Random) -> None:
        if rng.random() < READ_SHARE:
            case_id = rng.choice(self.targets["cases"])
            name, method, path, headers, body, want = rng.choice([
                ("GET /", "GET", "/", self.cookie, None, 200),
                ("GET /cases", "GET", "/cases", self.cookie, None, 200),
                ("GET /cases/<id>", "GET", f"/cases/{case_id}", self.cookie, None, 200),
                ("GET /deadlines", "GET", "/deadlines", self.cookie, None, 200),
                ("GET /api/v1/cases", "GET", "/api/v1/cases?state=notice", self.bearer, None, 200),
                ("GET /api/v1/cases/<id>", "GET", f"/api/v1/cases/{case_id}", self.bearer, None, 200),
            ])
            kind, record = None, None
        else:
            kind = rng.choice(["withdraw", "complaint", "milestone"])
            if kind == "withdraw":
                record = self._take("concern")
                name, method, want = "POST /api/v1/cases/<id>/transitions (withdraw)", "POST", 200
                path, body = f"/api/v1/cases/{record}/transitions", {"trigger": "withdraw", "reason": "Load test"}
            elif kind == "milestone":
                record = self._take("planned")
                name, method, want = "POST /api/v1/milestones/<id>/transitions (mark_done)", "POST", 200
                path = f"/api/v1/milestones/{record}/transitions"
                body = {"trigger": "mark_done", "evidence": "Load test: the new rota is in place"}
            else:
                record = 0
                name, method, want, path = "POST /api/v1/complaints", "POST", 201, "/api/v1/complaints"
                body = {"provider": self.targets["provider"], "received_at": datetime.now(UTC).isoformat(),
                        "channel": "email", "complainant_type": "service_user", "formal": False,
                        "summary": f"Load {self.tag}"}
            if record is None:
                return  # that pool is used up: the mix goes on with the others
            headers = self.bearer
        started = time.perf_counter()
        try:
            status, answer = self._request(method, path, headers, body)
        except (OSError, http.client.HTTPException) as exc:
            status, answer = 0, str(exc).encode()
        took = time.perf_counter() - started
        with self.lock:
            self.timings[name].append(took)
            if status != want:
                self.errors[name] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{name} {path}: {status} {answer[:200]!r}")
            elif kind == "complaint":
                self.complaints += 1
            elif kind:
                self.written[kind].append(record)

    def run(self, connections: int, seconds: float) -> float:
        stop = time.monotonic() + seconds

        def worker(n: int) -> None:
            rng = random.Random(self.seed * 1000 + n)
            while time.monotonic() < stop:
                self.one(rng)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started


def lost_writes(url: str, load: Load) -> dict[str, tuple[int, int]]:
    """For each kind of write: (answered as done, found done in the database)."""
    from app import create_app
    from models import db
    from models.cases import Case, Milestone
    from models.concerns import Complaint

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key"})
    with app.app_context():
        withdrawn = load.written["withdraw"]
        started = load.written["milestone"]
        found = {
            "case transitions": (len(withdrawn), db.session.scalar(select(func.count()).where(
                Case.id.in_(withdrawn), Case.state == "withdrawn")) if withdrawn else 0),
            "new complaints": (load.complaints, db.session.scalar(select(func.count(Complaint.id)).where(
                Complaint.summary == f"Load {load.tag}"))),
            "milestone updates": (len(started), db.session.scalar(select(func.count()).where(
                Milestone.id.in_(started), Milestone.state == "done")) if started else 0),
        }
        db.engine.dispose()
    return found


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(p / 100 * (len(ordered) - 1))), len(ordered) - 1)] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--quick", action="store_true", help="10,000 cases and 20 s")
    parser.add_argument("--reuse", action="store_true", help="keep the data already in --database")
    parser.add_argument("--database", "--database-url", dest="database_url", default=None)
    args = parser.parse_args()
    if args.quick:
        args.cases, args.events, args.seconds = 10_000, 100_000, 20
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    url, ids = prepare(args.database_url, args.cases, args.events, args.reuse)
    dialect = ids["dialect"]
    seed = int(time.time())
    targets = pools(url, seed)
    workdir = Path(tempfile.mkdtemp(prefix="remedy-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
           "REMEDY_SCHEDULER_LOCK_DIR": str(workdir)}
    log = (OUT / "load-gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--no-control-socket", "-w", str(args.workers),
         "-b", f"127.0.0.1:{port}", "--backlog", "256", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    load_before = os.getloadavg()
    try:
        deadline = time.monotonic() + 60
        while not (_listening(port) and fetch(f"{base}/api/v1/health")[0] == 200):
            if gunicorn.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer /api/v1/health: see {OUT / 'load-gunicorn.log'}")
            time.sleep(0.2)
        load = Load(port, sign_in(base), _api_token(url), targets, tag=str(seed), seed=seed)
        for path in ("/", "/cases", "/deadlines"):  # warm every worker a little
            for _ in range(args.workers):
                fetch(base + path, load.cookie)
        machine, mine, served = machine_cpu(), os.times(), tree_cpu(gunicorn.pid)
        wall = load.run(args.connections, args.seconds)
        machine2, mine2, served2 = machine_cpu(), os.times(), tree_cpu(gunicorn.pid)
    finally:
        _stop(gunicorn)
        log.close()
    load_after = os.getloadavg()
    found = lost_writes(url, load)

    every = [t for values in load.timings.values() for t in values]
    requests, errors = len(every), sum(load.errors.values())
    writes = sum(len(v) for k, v in load.timings.items() if k.startswith("POST"))
    lost = sum(answered - present for answered, present in found.values())
    rps, p95 = requests / wall, 1000 * percentile(every, 95)
    print(f"\nmixed load on {dialect}, {args.cases:,} cases: {args.connections} connections for {wall:.0f} s against "
          f"gunicorn -w {args.workers} on 127.0.0.1 ({os.cpu_count()} CPUs shared with the load generator; load "
          f"average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end)")
    print(f"  {requests:,} requests ({writes:,} writes, {100 * writes / max(requests, 1):.0f}%): {rps:.0f} req/s; "
          f"p50 {1000 * percentile(every, 50):.0f} ms, p95 {p95:.0f} ms, p99 {1000 * percentile(every, 99):.0f} ms; "
          f"{errors} errors; {lost} lost writes")
    for kind, (answered, present) in found.items():
        print(f"  {kind}: {answered:,} answered as done, {present:,} found in the database")
    busy, each = machine2[0] - machine[0], 1000 / max(requests, 1)
    generator, server = mine2.user + mine2.system - mine.user - mine.system, served2 - served
    print(f"  CPU over the run: {100 * busy / max(machine2[1] - machine[1], 1e-9):.0f}% of the machine busy; "
          f"{busy * each:.1f} ms of CPU a request: gunicorn {server * each:.1f} ms, the load generator "
          f"{generator * each:.1f} ms, the database and the rest {(busy - server - generator) * each:.1f} ms")
    for sample in load.error_samples:
        print(f"  error: {sample}")
    print("  the worst five endpoints by p95:")
    ranked = sorted(load.timings.items(), key=lambda item: -percentile(item[1], 95))[:5]
    for name, values in ranked:
        print(f"    {name:<52}{len(values):>7} requests  p50 {1000 * percentile(values, 50):>6.0f} ms  "
              f"p95 {1000 * percentile(values, 95):>6.0f} ms  {load.errors.get(name, 0)} errors")
    figure("load", f"mixed load errors ({dialect})", str(errors), "0", errors == 0)
    figure("load", f"mixed load lost writes ({dialect})", str(lost), "0", lost == 0)
    figure("load", f"mixed load p95 ({dialect})", f"{p95:.0f} ms", "<= 250 ms", p95 <= P95_TARGET_MS)
    figure("load", f"mixed load requests/s ({dialect})", f"{rps:.0f}", ">= 150", rps >= RPS_TARGET)


if __name__ == "__main__":
    main()
