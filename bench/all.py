"""`make bench`: run every benchmark, show each one's own output as it goes, then print one table of every figure
beside its target. Prints figures; never a test, and not part of `make test` or CI.

    .venv/bin/python bench/all.py                        # SQLite, full sizes (tens of minutes on 2 cores)
    .venv/bin/python bench/all.py --quick                # smaller sizes: a few minutes
    .venv/bin/python bench/all.py --database postgresql+psycopg://postgres@127.0.0.1:5433/remedy_bench
                                                         # also the workflow, scheduler and sweep on PostgreSQL
                                                         # (that database's public schema is DROPPED)
    .venv/bin/python bench/all.py --database ... --reuse-pages --pages-database postgresql+psycopg://.../remedy_pages
                                                         # the pages and mixed load on data generated before
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(name: str, arguments: list[str], figures: list[list[str]]) -> None:
    """Run one benchmark, echoing its output, and keep its FIGURE lines."""
    print(f"\n=== {name}: {' '.join(arguments)}", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, *arguments], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("FIGURE\t"):
            figures.append(line.rstrip("\n").split("\t")[1:])
        else:
            print(line, end="", flush=True)
    if process.wait() != 0:
        figures.append([name, "the benchmark failed", f"exit {process.returncode}", "", "MISSED"])
    print(f"=== {name}: {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a PostgreSQL URL to run the database benchmarks on as well (default: "
                             "$BENCH_DATABASE_URL; its public schema is DROPPED)")
    parser.add_argument("--pages-database", default=os.environ.get("BENCH_PAGES_DATABASE_URL"),
                        help="with --reuse-pages: a PostgreSQL URL already holding the pages' data (kept, not dropped)")
    parser.add_argument("--reuse-pages", action="store_true",
                        help="measure the pages and the mixed load on the data a previous run generated "
                             "(bench/out/pages.sqlite3, and --pages-database on PostgreSQL) instead of generating it")
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    sweep = ["--providers", "20"] if args.quick else []
    databases = [None] + ([args.database] if args.database else [])
    figures: list[list[str]] = []
    load = os.getloadavg()
    run("workdays", ["bench/workdays.py"], figures)
    for database in databases:
        where = ["--database", database] if database else []
        run("scheduler", ["bench/scheduler.py", *quick, *where], figures)
        run("returns", ["bench/returns.py", *sweep, *where], figures)
        run("workflow", ["bench/workflow.py", *quick, *(["--transitions", "200"] if args.quick else []), *where],
            figures)
        # Issue 17 items 2 and 3: every page and API list, then the mixed load (on the pages' data, reused).
        pages_where = (["--database", args.pages_database] if database and args.pages_database else where)
        reuse = ["--reuse"] if args.reuse_pages else []
        run("pages", ["bench/pages.py", *quick, *reuse, *pages_where], figures)
        run("load", ["bench/load.py", *quick, "--reuse", *pages_where], figures)
    width = max(len(f[1]) for f in figures) if figures else 10
    print(f"\nOne run of every benchmark; load average at the start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"on {os.cpu_count()} CPUs, {os.getloadavg()[0]:.1f} at the end.\n")
    print(f"| {'bench':<10} | {'measure':<{width}} | {'figure':>10} | {'target':<10} | verdict |")
    print(f"|{'-' * 12}|{'-' * (width + 2)}|{'-' * 12}|{'-' * 12}|---------|")
    for bench, measure, value, target, verdict in figures:
        print(f"| {bench:<10} | {measure:<{width}} | {value:>10} | {target:<10} | {verdict or '-':<7} |")


if __name__ == "__main__":
    main()
