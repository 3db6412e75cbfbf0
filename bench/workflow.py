"""Case workflow benchmark: prints figures, never a test.

Generates 100,000 cases with 1,000,000 audit events (SQLite by default), then prints:
  - transitions per second through the store (each with its audit event, deadline rows and timers, committed);
  - with wrk against gunicorn (16 connections, 127.0.0.1 only): p50, p95 and requests per second for the filtered
    case list, a case page, and a bare GOV.UK page of the same app in the same run.
Targets: case list and case page p95 <= 100 ms, and >= 60% of the bare page's throughput.

    .venv/bin/python bench/workflow.py [--cases 100000] [--events 1000000] [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%.3f p95=%.3f rps=%.1f errors=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(app, cases: int, events: int) -> tuple[int, int]:
    """Bulk-insert cases, audit events, notices and deadlines; returns (a case id, a provider id)."""
    from sqlalchemy import insert, select

    from models import db
    from models.cases import Case, Deadline, Notice
    from models.demo import load_demo
    from models.entities import AuditEvent, Contract, User
    from workflows.case import CaseState
    from workflows.notice import NoticeState

    load_demo()
    db.session.commit()
    contracts = list(db.session.scalars(select(Contract)))
    council_id = contracts[0].council_id
    manager = db.session.scalar(select(User).where(User.email == "contract.manager@remedy.example"))
    states = list(CaseState)
    now = datetime(2026, 12, 18, 14, 0, tzinfo=UTC)
    rows, notices, deadlines = [], [], []
    for n in range(cases):
        contract = contracts[n % len(contracts)]
        state = states[n % len(states)]
        rows.append({"id": n + 1, "council_id": council_id, "provider_id": contract.provider_id,
                     "contract_id": contract.id, "reference": f"CASE-{n + 1:06d}",
                     "summary": f"Bench case {n + 1}: punctuality below target", "state": state,
                     "overdue": n % 7 == 0, "opened_by_id": manager.id, "created_at": now - timedelta(days=n % 400),
                     "updated_at": now, "version_id": 1})
        if state is CaseState.NOTICE:
            notices.append({"id": len(notices) + 1, "council_id": council_id, "provider_id": contract.provider_id,
                            "case_id": n + 1, "title": "Formal warning", "state": NoticeState.PLAN_DUE,
                            "findings": "f", "required_action": "a", "served_on": date(2026, 12, 1),
                            "method": "hand", "received_on": date(2026, 12, 1), "created_at": now,
                            "updated_at": now, "version_id": 1})
            due = date(2026, 12, 15) if n % 3 == 0 else date(2027, 2, 1)
            deadlines.append({"council_id": council_id, "case_id": n + 1, "contract_id": contract.id,
                              "provider_id": contract.provider_id, "entity_type": "notice",
                              "entity_id": len(notices), "kind": "plan_agreed",
                              "label": "Action plan agreed by both parties", "rule": "KT-19",
                              "unit": "working_days", "length": 10, "region": "england-and-wales",
                              "start_on": date(2026, 12, 1), "due_on": due,
                              "due_at": datetime.combine(due, datetime.max.time().replace(microsecond=0), UTC),
                              "status": "running", "acts": "provider", "pausable": False, "on_breach": "mark_overdue",
                              "frozen": True, "explanation": ["10 working days (KT-19)"], "extension_days": 0,
                              "created_at": now})
    for start in range(0, len(rows), 20_000):
        db.session.execute(insert(Case), rows[start:start + 20_000])
    db.session.execute(insert(Notice), notices)
    db.session.execute(insert(Deadline), deadlines)
    batch = []
    for n in range(events):
        case_id = n % cases + 1
        batch.append({"council_id": council_id, "at": now - timedelta(minutes=n), "actor_id": manager.id,
                      "actor_label": "Sam Contracts (Contract manager)", "entity_type": "case", "entity_id": case_id,
                      "case_id": case_id, "event": "CASE_NOTE", "from_state": None, "to_state": None,
                      "reason": "Monitoring visit", "data": {}})
        if len(batch) == 50_000:
            db.session.execute(insert(AuditEvent), batch)
            batch = []
    if batch:
        db.session.execute(insert(AuditEvent), batch)
    db.session.commit()
    return rows[len(states) + 1]["id"], contracts[0].provider_id


def transitions_per_second(app, n: int) -> float:
    """Open a case, draft and issue a notice (with its deadline and timers), each committed: N transitions."""
    from models import db
    from models.case_store import apply_transition, draft_notice, open_case
    from models.user_store import find_user_by_email

    now = datetime(2026, 12, 18, 14, 0, tzinfo=UTC)
    today = date(2026, 12, 18)
    manager = find_user_by_email("contract.manager@remedy.example")
    viewer = manager.viewer
    done = 0
    started = time.perf_counter()
    while done < n:
        case = open_case(viewer, manager, "LDDS-2023-07", "Throughput", now)
        db.session.commit()
        notice = draft_notice(viewer, manager, case.id, "f", "a", now)
        db.session.commit()
        apply_transition(viewer, manager, "notice", notice.id, "issue", {"served_on": today, "method": "hand"},
                         now, today)
        db.session.commit()
        apply_transition(viewer, manager, "case", case.id, "withdraw", {"reason": "Bench"}, now, today)
        db.session.commit()
        done += 4
    return done / (time.perf_counter() - started)


def sign_in(base: str) -> str:
    """Sign in through the real form and return the session cookie."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # Flask-Login's strong session protection ties the session to the user agent: use wrk's.
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": "contract.manager@remedy.example",
                                   "password": "remedy-demo-password"}).encode()
    opener.open(f"{base}/sign-in", data)
    return next(c.value for c in jar if c.name == "remedy_session")


USER_AGENT = "remedy-bench"


def wrk(url: str, cookie: str | None, lua: str, seconds: int) -> dict:
    probe = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                                 **({"Cookie": f"remedy_session={cookie}"} if cookie else {})})
    with urllib.request.urlopen(probe) as response:  # the page itself, not a redirect to sign in
        assert response.geturl() == url, f"{url} answered with {response.geturl()}"
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", lua, "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: remedy_session={cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    match = re.search(r"RESULT p50=([\d.]+) p95=([\d.]+) rps=([\d.]+) errors=(\d+)", out)
    return {"p50": float(match.group(1)), "p95": float(match.group(2)), "rps": float(match.group(3)),
            "errors": int(match.group(4))}


def main() -> None:
    import urllib.parse  # noqa: F401  (used by sign_in)

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--transitions", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page")
    parser.add_argument("--quick", action="store_true", help="10,000 cases, 100,000 events, 400 transitions")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.quick:
        args.cases, args.events, args.transitions, args.seconds = 10_000, 100_000, 400, 5

    workdir = Path(tempfile.mkdtemp(prefix="remedy-bench-workflow-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    from app import create_app, database_url
    from models import db

    url = database_url(url, workdir)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "MAIL_CAPTURE": True,
                      "PASSWORD_HASH_METHOD": "scrypt", "SCHEDULER_LOCK_DIR": str(workdir)})
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        case_id, provider_id = generate(app, args.cases, args.events)
        print(f"generated {args.cases:,} cases and {args.events:,} audit events in "
              f"{time.perf_counter() - started:.1f} s ({db.engine.dialect.name})")
        rate = transitions_per_second(app, args.transitions)
        print(f"transitions through the store (audit, deadlines and timers, each committed): {rate:,.0f} per second")

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "REMEDY_SCHEDULER_LOCK_DIR": str(workdir)}
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--no-control-socket", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    lua = workdir / "percentiles.lua"
    lua.write_text(LUA)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = sign_in(base)
        pages = [("filtered case list", f"{base}/cases?state=notice&overdue=yes", cookie),
                 ("case page", f"{base}/cases/{case_id}", cookie),
                 ("bare GOV.UK page (sign-in)", f"{base}/sign-in", None)]
        results = {name: wrk(target, c, str(lua), args.seconds) for name, target, c in pages}
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    bare = results["bare GOV.UK page (sign-in)"]["rps"]
    print()
    print(f"{'page (wrk, 16 connections, gunicorn 2 workers)':<48}{'p50 ms':>8}{'p95 ms':>8}{'req/s':>9}"
          f"{'of bare':>9}  targets: p95 <= 100 ms, >= 60% of bare")
    for name, result in results.items():
        share = 100 * result["rps"] / bare if bare else 0
        print(f"{name:<48}{result['p50']:>8.1f}{result['p95']:>8.1f}{result['rps']:>9.0f}{share:>8.0f}%"
              f"{'  (' + str(result['errors']) + ' errors)' if result['errors'] else ''}")


if __name__ == "__main__":
    main()
