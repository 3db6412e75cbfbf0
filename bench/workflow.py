"""Case workflow at scale: prints figures, never a test.

Builds a fresh database (SQLite under bench/out/ unless --database-url names one, which is EMPTIED first), runs the
migrations, loads the demo council and its 5 contracts, then bulk-generates cases with their notices, action plans,
milestones, default notices, suspensions, terminations, deadlines, timers and audit events (100,000 cases and
1,000,000 events by default), and prints:

  - how long generation took;
  - transitions per second through the store: real `apply_transition` calls, each committed on its own (issue a
    freshly drafted notice, which starts a deadline and its timers and moves the case; resolve; withdraw);
  - per request of each page, one at a time in process: SQL statements, time in SQL and in all (where time goes);
  - p50, p95 and requests per second from wrk (2 threads, 16 connections, 10 s) against gunicorn (2 sync workers)
    for the filtered case list, one case page, and a bare GOV.UK page of the same app, with each page's
    throughput as a share of the bare page's. Targets: p95 <= 100 ms and >= 60% of the bare page's throughput.

Everything listens on 127.0.0.1; gunicorn is always stopped at the end.

    .venv/bin/python bench/workflow.py --quick          # 10,000 cases, 100,000 events: a smoke run (about 1 min)
    .venv/bin/python bench/workflow.py                  # 100,000 cases, 1,000,000 events (about 2 minutes)
    .venv/bin/python bench/workflow.py --database postgresql+psycopg://postgres@127.0.0.1:5433/remedy_bench
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from bench.data import MANAGER, PASSWORD, SEED, fresh_database, generate  # noqa: E402
from bench.report import figure  # noqa: E402
from workflows.case import CaseState  # noqa: E402

USER_AGENT = "remedy-bench"  # Flask-Login's "strong" session protection ties the session to the user agent
P95_TARGET_MS, SHARE_TARGET = 100.0, 60.0

# wrk's done() hook: percentiles wrk does not print with --latency (p95), in milliseconds.
WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH p50=%.3f p95=%.3f p99=%.3f requests=%d status_errors=%d socket_errors=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


# -- transitions through the store -----------------------------------------------------------------------------


class QueryCounter:
    """Counts SQL statements sent on an engine while `on`, and the time spent in them."""

    def __init__(self, engine):
        self.on, self.count, self.seconds, self._started = False, 0, 0.0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

        self.statements: dict[str, list] = {}  # statement -> [total seconds, count, the last parameters]

    def reset(self) -> None:
        self.on, self.count, self.seconds, self.statements = True, 0, 0.0, {}

    def _before(self, *_args):
        self._started = time.perf_counter()

    def _after(self, _conn, _cursor, statement, parameters, _context, executemany):
        if self.on:
            took = time.perf_counter() - self._started
            self.count += 1
            self.seconds += took
            if not executemany:
                seen = self.statements.setdefault(statement, [0.0, 0, None])
                seen[0], seen[1], seen[2] = seen[0] + took, seen[1] + 1, parameters

    def slowest(self, n: int) -> list[tuple[str, float, int, object]]:
        """The n statements that took the most time in all, with their last parameters."""
        ranked = sorted(self.statements.items(), key=lambda item: -item[1][0])[:n]
        return [(statement, total, count, parameters) for statement, (total, count, parameters) in ranked]


def explain(engine, statement: str, parameters) -> list[str]:
    """The plan of one captured statement with its own parameters: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
    PostgreSQL (estimates only, nothing run twice)."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
    if engine.dialect.name == "sqlite":
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]


def transitions(app, n: int, pools: dict, now: datetime, today: date) -> dict:
    """Time `n` apply_transition calls, each in its own app context (as a request is) and committed on its own."""
    from models import db
    from models.case_store import draft_notice
    from models.cases import Case
    from models.engine import fire
    from models.entities import Contract, User
    from models.user_store import find_user_by_email

    books = app.extensions["rulebooks"]
    with app.app_context():
        manager_id = find_user_by_email(MANAGER).id
        notice_contracts = {c.id for c in db.session.scalars(select(Contract))
                            if books[c.rulebook_id].has_rung("notice")}
        can_issue = set(db.session.scalars(select(Case.id).where(Case.state == CaseState.CONCERN,
                                                                 Case.contract_id.in_(notice_contracts))))
        counter = QueryCounter(db.engine)
    rng = random.Random(SEED + 1)
    issue_pool = [c for c in pools[CaseState.CONCERN] if c in can_issue]
    rng.shuffle(issue_pool)
    others = [c for c in pools[CaseState.CONCERN] if c not in can_issue]
    withdraw_pool = others + pools[CaseState.NOTICE][len(pools[CaseState.NOTICE]) // 2:] \
        + pools[CaseState.ACTION_PLAN][len(pools[CaseState.ACTION_PLAN]) // 2:]
    resolve_pool = pools[CaseState.NOTICE][:len(pools[CaseState.NOTICE]) // 2] \
        + pools[CaseState.ACTION_PLAN][:len(pools[CaseState.ACTION_PLAN]) // 2]
    rng.shuffle(resolve_pool)
    rng.shuffle(withdraw_pool)
    plan = ["issue", "resolve", "issue", "withdraw"]  # half issues, a quarter each resolves and withdrawals
    timings: dict[str, list[float]] = {"issue": [], "resolve": [], "withdraw": [], "draft (not counted)": []}
    queries: Counter = Counter()
    started = time.perf_counter()
    for i in range(n):
        trigger = plan[i % len(plan)]
        pool = {"issue": issue_pool, "resolve": resolve_pool, "withdraw": withdraw_pool}[trigger]
        if not pool:
            raise SystemExit(f"not enough generated cases to {trigger} {n} times: use more --cases")
        case_id = pool.pop()
        with app.app_context():
            user = db.session.get(User, manager_id)
            if trigger == "issue":
                t0 = time.perf_counter()
                notice = draft_notice(user.viewer, user, case_id, "Attendance 71% against 95%",
                                      "An action plan under section 11.3", now)
                db.session.commit()
                timings["draft (not counted)"].append(time.perf_counter() - t0)
                kind, record_id = "notice", notice.id
                data = {"served_on": today, "method": "hand", "plan_due_days": 10}
            else:
                kind, record_id, data = "case", case_id, {"reason": "Bench"}
            counter.reset()
            t0 = time.perf_counter()
            fire(user.viewer, user, kind, record_id, trigger, data, now, today)
            db.session.commit()
            timings[trigger].append(time.perf_counter() - t0)
            counter.on = False
            queries[trigger] += counter.count
    wall = time.perf_counter() - started
    counted = [t for k, v in timings.items() if not k.startswith("draft") for t in v]
    return {"n": len(counted), "busy": sum(counted), "wall": wall, "timings": timings,
            "queries": {k: queries[k] / len(timings[k]) for k in ("issue", "resolve", "withdraw") if timings[k]}}


# -- pages, in process: SQL statements per request ---------------------------------------------------------------


def pages_in_process(app, urls: dict[str, str], repeats: int = 20) -> dict[str, dict]:
    """Per request of each page, in this process (no HTTP, no concurrency): SQL statements, time in SQL and total
    time of a view drawn afresh (every picture the app keeps forgotten before each request: what the first view
    after a change costs, and the statements whose plans are printed), then the statements and total time of a view
    served from what the worker kept (models/picture_versions.forget_pictures). Signed in through the form, as a
    person is; the bare page signed out."""
    from models import db
    from models.picture_versions import forget_pictures

    with app.app_context():
        counter = QueryCounter(db.engine)
    # No app context is held around the requests: each request must get its own, as under gunicorn.
    client, anonymous = app.test_client(), app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"csrf_token": token, "email": MANAGER, "password": PASSWORD})
    out = {}
    for name, url in urls.items():
        browser = anonymous if url == "/sign-in" else client
        for _ in range(3):
            browser.get(url)  # warm: templates compiled, rulebooks cached
        measured = {}
        for kept in (False, True):
            counter.reset()
            started = time.perf_counter()
            statuses = set()
            for _ in range(repeats):
                if not kept:
                    forget_pictures(app)
                statuses.add(browser.get(url).status_code)
            total = time.perf_counter() - started
            counter.on = False
            measured[kept] = {"statements": counter.count / repeats, "sql_ms": 1000 * counter.seconds / repeats,
                              "total_ms": 1000 * total / repeats, "status": "/".join(map(str, sorted(statuses))),
                              "slowest": [(statement, 1000 * took / count, parameters)
                                          for statement, took, count, parameters in counter.slowest(2)]}
        out[name] = {**measured[False], "kept_statements": measured[True]["statements"],
                     "kept_ms": measured[True]["total_ms"]}
    return out


def planned_afresh(app) -> list[str]:
    """On PostgreSQL, the statements the server still plans afresh at every run (models/connections.py), read on the
    one pooled connection that pages_in_process's requests, one at a time, used."""
    from models import db
    from models.connections import planned_afresh as on_connection

    with app.app_context():
        found = on_connection(db.session)
        db.session.remove()
    return found


# -- HTTP with wrk ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict | None = None) -> tuple[int, str]:
    """Status and body of a GET, redirects not followed (a redirect to sign-in must not count as the page)."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def sign_in(base: str) -> str:
    """Sign the contract manager in through the real form; return the remedy_session cookie."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(f"{base}/sign-in", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": MANAGER, "password": PASSWORD}).encode()
    opener.open(f"{base}/sign-in", form, timeout=30).read()
    cookie = next((c.value for c in jar if c.name == "remedy_session"), None)
    if cookie is None or fetch(f"{base}/", {"Cookie": f"remedy_session={cookie}"})[0] != 200:
        raise SystemExit("signing in through the form did not give a working remedy_session cookie")
    return cookie


def require_wrk() -> None:
    """Stop at once, with what to do, when wrk is missing (rather than after minutes of generating data)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (Debian's package `wrk`), or run "
                         "`sudo apt-get install -y wrk`")


def run_wrk(url: str, headers: dict, lua: Path, seconds: int) -> dict:
    """wrk -t2 -c16 --latency against one URL; p50/p95/p99 from the Lua done() hook, requests/s from wrk."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(lua), "-H", f"User-Agent: {USER_AGENT}"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    ours = re.search(r"BENCH p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) requests=(\d+) status_errors=(\d+) "
                     r"socket_errors=(\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not ours or not rps:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return {"p50": float(ours[1]), "p95": float(ours[2]), "p99": float(ours[3]), "requests": int(ours[4]),
            "bad_status": int(ours[5]), "socket_errors": int(ours[6]), "rps": float(rps[1])}


BARE_SECONDS = 3  # each bare-page run beside a page (the pages' own runs are --seconds long)


def bracketed(pages: dict[str, tuple[str, dict]], bare: str,
              measure: Callable[[str, str, dict], dict]) -> tuple[dict[str, dict], list[float]]:
    """Measure each page in turn with the bare page (signed out) measured before the first and after every one:
    `measure(name, url, headers)` runs wrk (its name is "bare" for the bare page's runs). Each page's result carries
    `bare_rps`, the mean of the bare runs either side of it, and its share of the bare page's throughput is taken
    against that: this host's speed drifts by a tenth over a run of minutes, so one bare figure for the whole run
    put a page measured while the machine ran slow against a bare page measured while it ran fast. Returns the
    pages' results and every bare run's requests/s, in order."""
    runs = [measure("bare", bare, {})["rps"]]
    results = {}
    for name, (url, headers) in pages.items():
        results[name] = measure(name, url, headers)
        runs.append(measure("bare", bare, {})["rps"])
        results[name]["bare_rps"] = (runs[-2] + runs[-1]) / 2
    return results, runs


def share_of_bare(result: dict) -> float:
    """A page's requests/s as a percentage of the bare page's beside it (bracketed), to the whole percent below: a
    share of 59.7% reads 59%, never the 60% it misses."""
    return math.floor(100 * result["rps"] / result["bare_rps"]) if result["bare_rps"] else 0.0


def http(url: str, shown_case: int, seconds: int, workdir: Path) -> tuple[dict, list[str]]:
    """Serve the app with gunicorn on 127.0.0.1 and load each page with wrk; gunicorn is always stopped."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
           "REMEDY_SCHEDULER_LOCK_DIR": str(workdir)}
    log = (OUT / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--no-control-socket", "-w", "2", "-b", f"127.0.0.1:{port}",
         "app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    notes: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while not (_listening(port) and fetch(f"{base}/api/v1/health")[0] == 200):
            if gunicorn.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer /api/v1/health: see {OUT / 'gunicorn.log'}")
            time.sleep(0.2)
        cookie = sign_in(base)
        auth = {"Cookie": f"remedy_session={cookie}"}
        # The web filter's values are yes/no (the API's are true/false: ?overdue=true on /cases filters nothing).
        pages = {"case list (state=notice, overdue)": (f"{base}/cases?state=notice&overdue=yes", auth),
                 f"case page (/cases/{shown_case})": (f"{base}/cases/{shown_case}", auth)}
        if fetch(f"{base}/cases", auth)[0] == 404:
            # The web case pages are not there yet: measure the API's equivalents with a bearer token.
            token = _api_token(url)
            bearer = {"Authorization": f"Bearer {token}"}
            pages = {"API case list (state=notice, overdue=true)":
                     (f"{base}/api/v1/cases?state=notice&overdue=true", bearer),
                     f"API case (/api/v1/cases/{shown_case})": (f"{base}/api/v1/cases/{shown_case}", bearer)}
            notes.append("/cases answered 404, so the API endpoints were measured instead (bearer token)")
        for name, (target, headers) in {**pages, "bare": (f"{base}/sign-in", {})}.items():
            for _ in range(20):  # warm both workers: templates compiled, connections open
                status, body = fetch(target, headers)
            if status != 200:
                raise SystemExit(f"{name}: {target} answered {status}, not 200")
            if "overdue" in name and "Overdue" not in body and "overdue" not in body:
                notes.append(f"{name}: the page shows no overdue case")
        lua = workdir / "percentiles.lua"
        lua.write_text(WRK_LUA)
        results, bare_runs = bracketed(pages, f"{base}/sign-in", lambda name, target, headers: run_wrk(
            target, headers, lua, BARE_SECONDS if name == "bare" else seconds))
        notes.append("bare GOV.UK page (/sign-in, no cookie) before and after each page: " + ", ".join(
            f"{rps:.0f}" for rps in bare_runs) + " requests/s")
        for name, (target, headers) in pages.items():
            if fetch(target, headers)[0] != 200:
                notes.append(f"{name}: no longer 200 after the run (session lost?)")
        return results, notes
    finally:
        _stop(gunicorn)
        log.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group, started above): TERM, then KILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _api_token(url: str) -> str:
    from app import create_app
    from models import db
    from models.user_store import find_user_by_email, issue_token

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key"})
    with app.app_context():
        _row, plain = issue_token(find_user_by_email(MANAGER), "bench", datetime.now(UTC))
        db.session.commit()
        db.engine.dispose()
    return plain


# -- main ------------------------------------------------------------------------------------------------------


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (idle and iowait are not busy)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - fields[3] - fields[4]) / tick, sum(fields) / tick


def tree_cpu(pid: int) -> float:
    """CPU seconds (user plus system) used so far by a process and its living children (gunicorn and its workers)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def cpu_busy(seconds: float) -> float:
    """How busy the machine's CPUs are (percent) over a short wait, while this benchmark itself does nothing."""
    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    total, idle = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    return 100 * (1 - (idle2 - idle) / max(total2 - total, 1))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(p / 100 * (len(ordered) - 1))), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--transitions", type=int, default=2_000, help="apply_transition calls to time")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page")
    parser.add_argument("--quick", action="store_true", help="10,000 cases and 100,000 events: a smoke run")
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE on SQLite after generating (the app itself never does; PostgreSQL always)")
    parser.add_argument("--database", "--database-url", dest="database_url", default=None,
                        help="a PostgreSQL URL (its public schema is DROPPED first); default: bench/out/*.sqlite3")
    args = parser.parse_args()
    require_wrk()
    if args.quick:
        args.cases, args.events = 10_000, 100_000
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops gunicorn

    from flask_migrate import upgrade

    from app import create_app
    from models import db

    url = fresh_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="remedy-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key", "MAIL_CAPTURE": True,
                      "SCHEDULER_LOCK_DIR": str(workdir)})
    now = datetime.now(UTC).replace(microsecond=0)
    from web.clock import today_london

    today = today_london()
    with app.app_context():
        dialect = db.engine.dialect.name
        started = time.perf_counter()
        logging.disable(logging.INFO)  # the migrations' env.py sets alembic to chat at INFO
        upgrade()
        logging.disable(logging.NOTSET)
        schema = time.perf_counter() - started
        started = time.perf_counter()
        made = generate(app, args.cases, args.events, now, today, analyze=args.analyze)
        generation = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    where = url if dialect == "postgresql" else url.removeprefix("sqlite:///")
    analyzed = ("ANALYZE run after loading" if dialect == "postgresql" or args.analyze
                else "no ANALYZE (as the app runs)")
    print(f"database: {dialect} ({where}); schema by the migrations in {schema:.1f} s; {analyzed}")
    print(f"generated {args.cases:,} cases and {made['event_rows']:,} audit events in {generation:.1f} s "
          f"({(args.cases + made['event_rows']) / generation:,.0f} rows/s, plus "
          + ", ".join(f"{v:,} {k}" for k, v in made["rows"].items() if k != "case_file" and v) + ")")
    by_state = {s.value: len(ids) for s, ids in made["pools"].items()}
    print("cases by state: " + ", ".join(f"{k} {v:,}" for k, v in by_state.items())
          + f"; {made['overdue_notice']:,} at the notice rung are overdue; most events on one case: "
          f"{made['max_events']}")

    result = transitions(app, args.transitions, made["pools"], now, today)
    print()
    print(f"transitions through the store: {result['n']:,} apply_transition calls, each with its audit event and "
          f"deadline rows, committed one by one")
    figure("workflow", f"transitions/second through the store ({dialect})",
           f"{result['n'] / result['busy']:,.0f}", "", None)
    print(f"  {result['n'] / result['busy']:,.0f} transitions/second (time inside apply_transition + commit; "
          f"{result['wall']:.1f} s wall clock including the drafts)")
    print(f"  {'kind':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'SQL/each':>10}")
    for kind, values in result["timings"].items():
        if values:
            sql = f"{result['queries'][kind]:>10.0f}" if kind in result["queries"] else f"{'':>10}"
            print(f"  {kind:<22}{len(values):>7}{1000 * statistics.median(values):>9.1f}"
                  f"{1000 * percentile(values, 95):>9.1f}{sql}")

    shown = made["shown_case"]
    pages = pages_in_process(app, {"dashboard": "/", "case list": "/cases",
                                   "case list, filtered": "/cases?state=notice&overdue=yes",
                                   "case page": f"/cases/{shown}", "bare page": "/sign-in"})
    print()
    print(f"one request at a time, in process (the case page is case {shown}: at the notice rung, overdue, "
          f"{made['shown_events']} timeline events)")
    print("  drawn afresh (what a first view after a change costs), then served from what the worker kept")
    print(f"  {'page':<20}{'status':>8}{'SQL statements':>16}{'ms in SQL':>11}{'ms in all':>11}"
          f"{'SQL kept':>10}{'ms kept':>9}")
    for name, r in pages.items():
        print(f"  {name:<20}{r['status']:>8}{r['statements']:>16.0f}{r['sql_ms']:>11.1f}{r['total_ms']:>11.1f}"
              f"{r['kept_statements']:>10.0f}{r['kept_ms']:>9.1f}")
    print()
    print("the plans of each page's two slowest statements (with the parameters of their last run):")
    with app.app_context():
        for name, r in pages.items():
            for statement, ms, parameters in r["slowest"]:
                print(f"  {name}: {ms:.2f} ms a run: {' '.join(statement.split())[:160]}")
                try:
                    for line in explain(db.engine, statement, parameters):
                        print(f"      {line}")
                except Exception as exc:  # noqa: BLE001 - a plan that cannot be shown must not stop the figures
                    print(f"      (no plan: {type(exc).__name__}: {str(exc)[:120]})")
        db.engine.dispose()

    busy = cpu_busy(1.0)
    results, notes = http(url, shown, args.seconds, workdir)
    print()
    print(f"wrk -t2 -c16 -d{args.seconds}s against gunicorn -w 2 (sync workers) on 127.0.0.1; {os.cpu_count()} CPUs, "
          f"{busy:.0f}% busy with other processes just before")
    print(f"  targets: p95 <= {P95_TARGET_MS:.0f} ms and >= {SHARE_TARGET:.0f}% of the bare page's requests/s "
          f"(the bare page measured just before and just after each page, {BARE_SECONDS} s each)")
    print(f"  {'page':<42}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>8}{'bare':>7}{'of bare':>9}  targets")
    for name, r in results.items():
        share = share_of_bare(r)
        verdict = " ".join([f"p95 {'met' if r['p95'] <= P95_TARGET_MS else 'MISSED'},",
                            f"throughput {'met' if share >= SHARE_TARGET else 'MISSED'}"])
        errors = r["bad_status"] + r["socket_errors"]
        print(f"  {name:<42}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['p99']:>8.1f}{r['rps']:>8.0f}{r['bare_rps']:>7.0f}"
              f"{share:>8.0f}%  {verdict}{f'  ({errors} errors)' if errors else ''}")
        page = name.split(" (")[0]
        figure("workflow", f"{page} p95, {args.cases:,} cases ({dialect})", f"{r['p95']:.0f} ms", "<= 100 ms",
               r["p95"] <= P95_TARGET_MS)
        figure("workflow", f"{page} share of bare page ({dialect})", f"{share:.0f}%", ">= 60%",
               share >= SHARE_TARGET)
    for note in notes:
        print(f"  note: {note}")


if __name__ == "__main__":
    main()
