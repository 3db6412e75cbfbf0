"""How fast and how right is `add_working_days`? Ours against numpy and workalendar, checked against GOV.UK's data.

Run from the project root: `.venv/bin/python bench/workdays.py`. Prints a small table; not a test, never timed in CI.
numpy and workalendar are imported here only (the `bench` extra in pyproject.toml).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from govuk_bank_holidays.bank_holidays import BankHolidays  # noqa: E402
from workalendar.europe import UnitedKingdom  # noqa: E402

from workflows.calendar import WorkingCalendar  # noqa: E402

PAIRS = 20_000
SEED = 20261218
FIRST_START, LAST_START = date(2013, 1, 1), date(2028, 6, 30)


def make_pairs() -> list[tuple[date, int]]:
    """Random (start, n): start uniform over the range, n from 1 to 60, the same on every run."""
    rng = random.Random(SEED)
    span = (LAST_START - FIRST_START).days
    return [(FIRST_START + timedelta(days=rng.randint(0, span)), rng.randint(1, 60)) for _ in range(PAIRS)]


def govuk_closed() -> set[date]:
    """GOV.UK's England and Wales bank holidays that fall on weekdays."""
    # use_cached_holidays=True: the bundled GOV.UK file; without it the package goes to the network first.
    govuk = BankHolidays(use_cached_holidays=True)
    return {h["date"] for h in govuk.get_holidays(division=BankHolidays.ENGLAND_AND_WALES) if h["date"].weekday() < 5}


def govuk_oracle(pairs: list[tuple[date, int]], closed: set[date]) -> list[date]:
    """The plain day-by-day count over GOV.UK's list: start never counts, day 1 is the next working day."""
    answers = []
    for start, n in pairs:
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in closed:
                counted += 1
        answers.append(day)
    return answers


def best_time(run, repeats: int) -> tuple[float, list]:
    """Best wall time of several runs after one untimed warm-up run (which also fills every cache)."""
    answers = run()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best, answers


def main() -> None:
    pairs = make_pairs()
    closed = govuk_closed()
    oracle = govuk_oracle(pairs, closed)
    ours = WorkingCalendar("england-and-wales")

    # numpy gets exactly our holiday list. roll="backward" makes it agree with our convention: a start on a
    # non-working day is first moved back to the last working day, and no working day lies between that day and
    # the start, so the n-th working day after either is the same ("forward" would count the start's roll as day 1).
    holiday_list = [d for year in range(2012, 2030) for d in ours.holidays_in(year)]
    busdaycal = np.busdaycalendar(weekmask="1111100", holidays=np.array(holiday_list, dtype="datetime64[D]"))
    starts64 = [np.datetime64(start, "D") for start, _ in pairs]
    pairs64 = list(zip(starts64, (n for _, n in pairs), strict=True))
    starts_array = np.array(starts64, dtype="datetime64[D]")
    offsets_array = np.array([n for _, n in pairs])
    uk = UnitedKingdom()

    add = ours.add_working_days
    offset = np.busday_offset
    rows = [
        ("ours: WorkingCalendar.add_working_days", 7,
         lambda: [add(start, n) for start, n in pairs]),
        ("numpy.busday_offset, scalar, datetime64 in and out", 7,
         lambda: [offset(start, n, roll="backward", busdaycal=busdaycal) for start, n in pairs64]),
        ("numpy.busday_offset, scalar, date in and out", 7,
         lambda: [offset(start, n, roll="backward", busdaycal=busdaycal).item() for start, n in pairs]),
        ("workalendar UnitedKingdom().add_working_days", 3,
         lambda: [uk.add_working_days(start, n) for start, n in pairs]),
        ("(numpy.busday_offset, one vectorised call, per date)", 7,
         lambda: list(np.busday_offset(starts_array, offsets_array, roll="backward", busdaycal=busdaycal))),
    ]

    results = {}
    for label, repeats, run in rows:
        seconds, answers = best_time(run, repeats)
        answers = [a if type(a) is date else np.datetime64(a, "D").item() for a in answers]
        wrong = sum(a != b for a, b in zip(answers, oracle, strict=True))
        results[label] = (seconds / PAIRS * 1e6, wrong)

    print(f"{PAIRS:,} random (start, n) pairs, seed {SEED}: start {FIRST_START} to {LAST_START}, n 1 to 60, "
          "England and Wales")
    print("time per call: best of several repeats after a warm-up, Python loop overhead included")
    print("disagreements: answers differing from a day-by-day count over GOV.UK's bundled bank holidays")
    print()
    width = max(len(label) for label in results)
    print(f"{'implementation':<{width}}  {'us/call':>8}  {'disagreements':>13}")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 13}")
    for label, (micros, wrong) in results.items():
        print(f"{label:<{width}}  {micros:>8.3f}  {wrong:>13,}")
    print()
    our_time = results[rows[0][0]][0]
    numpy_time = min(results[rows[1][0]][0], results[rows[2][0]][0])
    workalendar_time = results[rows[3][0]][0]
    print(f"ours vs workalendar:            {workalendar_time / our_time:6.1f}x faster (target >= 20x)")
    print(f"ours vs scalar numpy (fastest): {numpy_time / our_time:6.1f}x faster (target >= 2x)")
    from bench.report import figure

    figure("workdays", "ours vs workalendar", f"{workalendar_time / our_time:.0f}x", ">= 20x",
           workalendar_time / our_time >= 20)
    figure("workdays", "ours vs scalar numpy", f"{numpy_time / our_time:.1f}x", ">= 2x", numpy_time / our_time >= 2)
    figure("workdays", "disagreements with GOV.UK (ours)", f"{results[rows[0][0]][1]}", "0",
           results[rows[0][0]][1] == 0)
    forward = [np.busday_offset(start, n, roll="forward", busdaycal=busdaycal).item() for start, n in pairs]
    forward_wrong = sum(a != b for a, b in zip(forward, oracle, strict=True))
    print(f"(numpy with roll=\"forward\" instead would disagree {forward_wrong:,} times: it counts the roll off a "
          "non-working start as day 1)")
    theirs = {d for year in range(2013, 2029) for d, _ in uk.holidays(year) if d.weekday() < 5}
    closed = {d for d in closed if 2013 <= d.year <= 2028}
    print(f"workalendar weekday holidays 2013-2028 missing from its list: {sorted(map(str, closed - theirs))}; "
          f"extra: {sorted(map(str, theirs - closed))}")

if __name__ == "__main__":
    main()
