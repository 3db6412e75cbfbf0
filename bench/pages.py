"""Every page and API list at council scale: prints figures, never a test (issue 17, item 2).

On the case workflow's data (`bench/data.py generate`: 100,000 cases and 1,000,000 audit events by default) it
prints, for the bare GOV.UK page, the dashboard and its work queue, the case list (unfiltered, filtered, the last
page it offers), the case page (an ordinary overdue case and the case with the most events), deadlines, complaints,
safeguarding, returns, breaches, notifications, the provider page and the API lists:

  - one request at a time, in process: SQL statements, ms in SQL, ms in all, and the EXPLAIN plan of each page's
    slowest statement with its own parameters (so an index is backed by the plan that uses it), each page drawn
    afresh (every picture the worker keeps forgotten before each request: a first view after a change) and then
    served from what the worker kept (the lists, the dashboard's counts, case pages, the provider page);
  - wrk (2 threads, 16 connections) against gunicorn (2 sync workers) on 127.0.0.1: p50, p95, requests/s and the
    share of the bare page's requests/s measured in the same run, against the targets p95 <= 100 ms and >= 60% of
    the bare page. The bare page is measured before the first page and after every page, and each page's share is
    of the mean of the two bare runs beside it (bench/workflow.bracketed): this host's speed drifts by a tenth over
    the minutes a run takes.

    .venv/bin/python bench/pages.py --quick                      # 10,000 cases on SQLite: a smoke run
    .venv/bin/python bench/pages.py                              # 100,000 cases, 1,000,000 events on SQLite
    .venv/bin/python bench/pages.py --database postgresql+psycopg://postgres@127.0.0.1:5433/remedy_pages_bench
    .venv/bin/python bench/pages.py --database ... --reuse       # keep the data a previous run generated

A `--database` is EMPTIED first unless `--reuse` finds the data there. gunicorn is always stopped at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.data import fresh_database, generate, quieten  # noqa: E402
from bench.report import figure  # noqa: E402
from bench.workflow import (  # noqa: E402
    BARE_SECONDS,
    WRK_LUA,
    _api_token,
    _listening,
    _stop,
    bracketed,
    cpu_busy,
    explain,
    fetch,
    free_port,
    pages_in_process,
    planned_afresh,
    require_wrk,
    run_wrk,
    share_of_bare,
    sign_in,
)

P95_TARGET_MS, SHARE_TARGET = 100.0, 60.0


def prepare(url: str | None, cases: int, events: int, reuse: bool) -> tuple[str, dict]:
    """The database with the workflow's data (generated unless --reuse finds it), and the ids the pages need."""
    from flask_migrate import upgrade

    from app import create_app
    from models import db
    from models.cases import Case
    from models.entities import AuditEvent, Provider
    from web.clock import today_london

    if reuse and not url and (OUT / "pages.sqlite3").exists():
        url = f"sqlite:///{OUT / 'pages.sqlite3'}"  # the SQLite data a previous run generated
    if not (reuse and url):
        url = fresh_database(url, "pages")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key", "MAIL_CAPTURE": True})
    with app.app_context():
        logging.disable(logging.INFO)
        upgrade()
        logging.disable(logging.NOTSET)
        have = db.session.scalar(select(func.count(Case.id)))
        if have < cases:
            if have:
                raise SystemExit(f"--reuse: the database has {have:,} cases, not {cases:,}: run without --reuse")
            started = time.perf_counter()
            generate(app, cases, events, datetime.now(UTC).replace(microsecond=0), today_london())
            print(f"generated {cases:,} cases and {events:,} events in {time.perf_counter() - started:.0f} s")
        else:
            # Earlier mixed-load runs (bench/load.py) wrote into reused data: new complaints on the first provider,
            # withdrawn cases. Said here, since the complaints list and the provider page show them.
            from models.concerns import Complaint

            complaints = db.session.scalar(select(func.count(Complaint.id))) or 0
            print(f"reusing {have:,} cases in {url} ({complaints:,} complaints, with those earlier mixed-load runs "
                  f"wrote)")
        shown = db.session.scalar(select(Case.id).where(Case.overdue.is_(True), Case.state == "notice")
                                  .order_by(Case.id).limit(1))
        heaviest = db.session.execute(select(AuditEvent.case_id, func.count()).where(AuditEvent.case_id.is_not(None))
                                      .group_by(AuditEvent.case_id).order_by(func.count().desc()).limit(1)).one()
        provider = db.session.scalar(select(Provider.id).order_by(Provider.id).limit(1))
        events_on_shown = db.session.scalar(select(func.count()).where(AuditEvent.case_id == shown))
        dialect = db.engine.dialect.name
        quieten(db.engine)
        db.session.remove()
        db.engine.dispose()
    return url, {"app": app, "shown": shown, "shown_events": events_on_shown, "heaviest": heaviest[0],
                 "heaviest_events": heaviest[1], "provider": provider, "dialect": dialect, "cases": max(have, cases)}


def page_list(ids: dict) -> dict[str, str]:
    """Every page and API list of item 2, by name (the bare page first)."""
    return {
        "bare GOV.UK page (/sign-in)": "/sign-in",
        "dashboard and work queue": "/",
        "case list": "/cases",
        "case list, filtered": "/cases?stage=notice&overdue=yes",
        "case list, last page offered": "/cases?page=40",
        "case list, sorted by provider": "/cases?sort=provider&order=asc",
        f"case page ({ids['shown_events']} events)": f"/cases/{ids['shown']}",
        f"heaviest case page ({ids['heaviest_events']} events)": f"/cases/{ids['heaviest']}",
        "deadlines": "/deadlines",
        "complaints": "/complaints",
        "safeguarding": "/safeguarding",
        "returns": "/returns",
        "breaches": "/breaches",
        "notifications": "/notifications",
        "API case list": "/api/v1/cases",
        "API case list, filtered": "/api/v1/cases?state=notice&overdue=true",
        "API complaints": "/api/v1/complaints",
        "API returns": "/api/v1/returns",
        "API providers": "/api/v1/providers",
        # Last: at 100,000 cases its requests outlast wrk's run and would queue ahead of the next page's.
        "provider page": f"/providers/{ids['provider']}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per page")
    parser.add_argument("--quick", action="store_true", help="10,000 cases and 100,000 events")
    parser.add_argument("--reuse", action="store_true", help="keep the data already in --database")
    parser.add_argument("--only", default="",
                        help="measure only pages whose name contains one of these (comma-separated), and the bare page")
    parser.add_argument("--database", "--database-url", dest="database_url", default=None)
    args = parser.parse_args()
    require_wrk()
    if args.quick:
        args.cases, args.events = 10_000, 100_000
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    url, ids = prepare(args.database_url, args.cases, args.events, args.reuse)
    dialect = ids["dialect"]
    wanted = [w.strip() for w in args.only.split(",")]
    pages = {name: path for name, path in page_list(ids).items()
             if name.startswith("bare") or any(w in name for w in wanted)}

    # In process, one request at a time: statements and time, and the plan of each page's slowest statement.
    web_pages = {k: v for k, v in pages.items() if not v.startswith("/api/")}
    app = ids["app"]
    # 20 runs of each page: past the five runs PostgreSQL plans a prepared statement afresh, as a busy worker is.
    inproc = pages_in_process(app, web_pages, repeats=20)
    print(f"\n{dialect}: one request at a time, in process (signed in as the contract manager), mean of 20: drawn "
          f"afresh (every kept picture forgotten before each request: a first view after a change), then served from "
          f"what the worker kept (wrk below measures those, the reads between writes)")
    print(f"  {'page':<44}{'status':>7}{'SQL':>6}{'ms SQL':>8}{'ms all':>8}{'SQL kept':>10}{'ms kept':>9}")
    for name, r in inproc.items():
        print(f"  {name:<44}{r['status']:>7}{r['statements']:>6.0f}{r['sql_ms']:>8.1f}{r['total_ms']:>8.1f}"
              f"{r['kept_statements']:>10.0f}{r['kept_ms']:>9.1f}")
    if dialect == "postgresql":
        afresh = planned_afresh(app)
        print(f"\nstatements PostgreSQL still plans afresh at every run (no generic plan after 20 runs): "
              f"{len(afresh)}")
        for statement in afresh:
            print(f"  {statement[:150]}")
        figure("pages", "statements planned afresh at every run (postgresql)", str(len(afresh)), "none wanted",
               None)
    print("\nthe plan of each page's slowest statement (with the parameters of its last run):")
    from models import db

    with app.app_context():
        for name, r in inproc.items():
            for statement, ms, parameters in r["slowest"][:1]:
                print(f"  {name}: {ms:.2f} ms: {' '.join(statement.split())[:150]}")
                try:
                    for line in explain(db.engine, statement, parameters):
                        print(f"      {line}")
                except Exception as exc:  # noqa: BLE001 - a plan that cannot be shown must not stop the figures
                    print(f"      (no plan: {type(exc).__name__}: {str(exc)[:120]})")
        db.engine.dispose()

    busy = cpu_busy(1.0)
    results, bare_runs = serve_and_load(url, pages, args.seconds)
    load_after = os.getloadavg()
    print(f"\n{dialect}, {ids['cases']:,} cases: wrk -t2 -c16 -d{args.seconds}s per page against gunicorn -w 2 on "
          f"127.0.0.1; {os.cpu_count()} CPUs, {busy:.0f}% busy with other processes just before; load average "
          f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end")
    print(f"  bare GOV.UK page (/sign-in, signed out): {min(bare_runs):.0f} to {max(bare_runs):.0f} requests/s over "
          f"its {len(bare_runs)} runs of {BARE_SECONDS} s, one before each page and one after the last; each page's "
          f"share is of the mean of the two beside it (bench/workflow.bracketed)")
    print(f"  targets: p95 <= {P95_TARGET_MS:.0f} ms, >= {SHARE_TARGET:.0f}% of the bare page")
    print(f"  {'page':<44}{'p50 ms':>8}{'p95 ms':>8}{'req/s':>8}{'bare':>7}{'of bare':>9}  verdict")
    for name, r in results.items():
        share = share_of_bare(r)
        errors = r["bad_status"] + r["socket_errors"]
        verdict = (f"p95 {'met' if r['p95'] <= P95_TARGET_MS else 'MISSED'}, "
                   f"share {'met' if share >= SHARE_TARGET else 'MISSED'}")
        print(f"  {name:<44}{r['p50']:>8.1f}{r['p95']:>8.1f}{r['rps']:>8.0f}{r['bare_rps']:>7.0f}{share:>8.0f}%  "
              f"{verdict}{f'  ({errors} errors)' if errors else ''}")
        page = name.split(" (")[0]
        figure("pages", f"{page} p95 ({dialect})", f"{r['p95']:.0f} ms", "<= 100 ms", r["p95"] <= P95_TARGET_MS)
        figure("pages", f"{page} share of bare ({dialect})", f"{share:.0f}%", ">= 60%", share >= SHARE_TARGET)


def drain(base: str, limit: float = 180.0) -> None:
    """Wait until requests wrk left queued have been served (the health check answers in under a second), so that
    one slow page's backlog is not counted against the next page."""
    stop = time.monotonic() + limit
    while time.monotonic() < stop:
        started = time.monotonic()
        try:
            if fetch(f"{base}/api/v1/health")[0] == 200 and time.monotonic() - started < 1.0:
                return
        except OSError:
            pass


def serve_and_load(url: str, pages: dict[str, str], seconds: int) -> tuple[dict[str, dict], list[float]]:
    """gunicorn (2 sync workers) on 127.0.0.1, wrk on each page in turn, with the bare page before the first and
    after every one (bench/workflow.bracketed): the pages' results and the bare runs' requests/s."""
    workdir = Path(tempfile.mkdtemp(prefix="remedy-pages-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
           "REMEDY_SCHEDULER_LOCK_DIR": str(workdir)}
    log = (OUT / "pages-gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--no-control-socket", "-w", "2", "-b", f"127.0.0.1:{port}",
         "app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (_listening(port) and fetch(f"{base}/api/v1/health")[0] == 200):
            if gunicorn.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer /api/v1/health: see {OUT / 'pages-gunicorn.log'}")
            time.sleep(0.2)
        cookie = {"Cookie": f"remedy_session={sign_in(base)}"}
        bearer = {"Authorization": f"Bearer {_api_token(url)}"}
        lua = workdir / "percentiles.lua"
        lua.write_text(WRK_LUA)

        def measure(name: str, target: str, headers: dict) -> dict:
            if name == "bare":  # signed out; warmed by the first run, and by every one after
                return run_wrk(target, headers, lua, BARE_SECONDS)
            try:
                # Warm both workers: requests at once, so that the second worker takes some while the first is
                # busy (one after another, one worker could answer them all, and the other would read what it
                # keeps, such as the provider page's "about" counts, inside the measurement: 180 ms at 1,000,000).
                with ThreadPoolExecutor(max_workers=4) as pool:
                    statuses = {status for status, _body in pool.map(fetch, [target] * 12, [headers] * 12)}
                if statuses != {200}:
                    raise SystemExit(f"{name}: {target} answered {sorted(statuses)}, not 200")
                result = run_wrk(target, headers, lua, seconds)
                drain(base)
            except (OSError, subprocess.SubprocessError) as exc:  # a page too slow to answer: say so, go on
                print(f"  {name}: no figure ({type(exc).__name__}: {exc})", flush=True)
                drain(base)
                return {"p50": float("nan"), "p95": float("inf"), "p99": float("inf"), "requests": 0,
                        "bad_status": 0, "socket_errors": 1, "rps": 0.0}
            print(f"  measured {name}: p95 {result['p95']:.0f} ms, {result['rps']:.0f} req/s", flush=True)
            return result

        plan = {name: (base + path, bearer if path.startswith("/api/") else cookie)
                for name, path in pages.items() if not name.startswith("bare")}
        results, bare_runs = bracketed(plan, f"{base}/sign-in", measure)
        print("  the bare page before and after each page: " + ", ".join(f"{rps:.0f}" for rps in bare_runs)
              + " requests/s", flush=True)
        return results, bare_runs
    finally:
        _stop(gunicorn)
        log.close()


if __name__ == "__main__":
    main()
