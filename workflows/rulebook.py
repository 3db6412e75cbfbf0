"""Contract regimes as data: each contract names a rulebook (a TOML file in rulebooks/) that says how it works.

This first version of the format carries what the foundation needs (identity, the seed it comes from, the
bank-holiday region and the service); the case-workflow and KPI work extend it. Loading validates every file and
reports the file, the line and the problem, so a bad rulebook stops start-up with a message a person can act on.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workflows.calendar import REGIONS
from workflows.clock import UNITS, ClockSpec
from workflows.duties import DutySpec, parse_duties
from workflows.home_care import HomeCareError, HomeCareRules, parse_home_care
from workflows.meeting_cadence import MeetingCadence, parse_meetings
from workflows.monitoring import Monitoring, MonitoringError, parse_monitoring
from workflows.rulebook_entries import TableError
from workflows.soft_outcome_spec import SoftOutcomeError, SoftOutcomes, parse_soft_outcomes
from workflows.stay_limit_spec import StayLimitSpec, parse_stay_limits
from workflows.young_people import LeavingCareError, LeavingCareRules, parse_leaving_care

# Format 2 adds [[returns]], [[kpis]], [[breaches]] and [monitoring] (workflows/monitoring.py); format 1 still loads.
FORMAT_VERSION = 2
FORMAT_VERSIONS = (1, 2)
# The ladder's rungs a rulebook may switch on, each named as the contract names it: a failing provider meets the
# measures its own contract's terms give and no others (TH-14: Thurrock's are an action plan, then termination).
RUNGS = ("notice", "action_plan", "default_notice", "suspension", "termination")
SUSPENSION_SCOPES = ("referrals", "partial", "full", "framework")
# What may have to be in place before a suspension (CE-38: a live improvement notice or default notice, or a Large
# Scale Enquiry); a rulebook that lists none lets a suspension be proposed at any rung.
SUSPENSION_GROUNDS = {"notice": "an improvement notice is live", "default_notice": "a default notice is in force",
                      "large_scale_enquiry": "the provider is under a Large Scale Enquiry"}
SERVICE_METHODS = ("hand", "email", "post")
CLOCK_STARTS = ("notice_received", "notice_served", "plan_required", "minutes_sent", "default_served",
                "suspension_started", "plan_agreed", "termination_decided", "complaint_received",
                "complaint_passed_on")
CLOCK_ACTORS = ("provider", "council")


@dataclass(frozen=True)
class SuspensionGround:
    """Why a suspension is made, as the contract lists its routes (CE-33, CE-37, CE-38, CE-52, CE-53, CE-54): the
    preconditions that must hold (any one of SUSPENSION_GROUNDS; none: the route needs no precondition, A14), the
    scopes it allows, the clocks it starts (CE-34 only for CE-33) and the rule ids whose proposals it carries."""

    id: str
    label: str
    rule: str
    requires: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()  # empty: any of the contract's scopes
    clocks: tuple[str, ...] = ()  # clock kinds (starting on "suspension_started") this ground starts
    proposed_by: tuple[str, ...] = ()  # rule ids of breach rules and clocks whose proposals are on this ground


class RulebookError(ValueError):
    """A rulebook file that cannot be used, with where and why."""

    def __init__(self, path: Path, line: int | None, problem: str):
        self.path, self.line, self.problem = path, line, problem
        where = f"{path.name}, line {line}" if line else path.name
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Rulebook:
    """One contract regime: which council's document it comes from and how its clocks count days."""

    id: str
    title: str
    council: str
    seed: str
    service: str
    region: str
    source: str
    lots: tuple[str, ...] = ()
    rungs: tuple[tuple[str, str], ...] = ()  # (rung, what the contract calls it)
    clocks: tuple[ClockSpec, ...] = ()
    suspension_scopes: tuple[str, ...] = ()
    suspension_requires: tuple[str, ...] = ()  # any one of SUSPENSION_GROUNDS; empty: no precondition
    suspension_grounds: tuple[SuspensionGround, ...] = ()  # empty: the contract names no separate routes
    # Working days after sending until a notice is deemed received, by method; empty: no seed says, so the standard
    # public-sector notices clause applies (workflows/service.py), which a council may replace (a contract setting).
    deemed_receipt: tuple[tuple[str, int], ...] = ()
    deemed_receipt_source: str = ""
    serious_default_window_months: int = 6
    serious_default_count: int = 2
    reminders: tuple[int, ...] = ()  # working days before each due date; empty: Remedy's default (5, 1, 0)
    monitoring: Monitoring = Monitoring()
    duties: tuple[DutySpec, ...] = ()  # [[duties]]: what the provider must tell the council, and by when
    requests: tuple[DutySpec, ...] = ()  # [[requests]]: what the council may ask for, and the time to answer
    home_care: HomeCareRules | None = None  # [referrals] and [packages] (H&F): referral and package windows
    leaving_care: LeavingCareRules | None = None  # [leaving_care]: per-young-person clocks and caseloads (CW)
    meetings: tuple[MeetingCadence, ...] = ()  # [[meetings]]: the meetings the contract must hold, and how often
    stay_limits: tuple[StayLimitSpec, ...] = ()  # [[stay_limits]]: per-person limits (TH-11, TH-12)
    soft_outcomes: SoftOutcomes | None = None  # [soft_outcomes]: the annual per-resident check (TH-S01..S09)

    def stay_limit(self, ident: str | None) -> StayLimitSpec | None:
        """The per-person limit with that id, if this contract lists it."""
        return next((s for s in self.stay_limits if s.id == ident), None)

    def cadence(self, ident: str | None) -> MeetingCadence | None:
        """The meeting cadence with that id, if this contract lists it."""
        return next((m for m in self.meetings if m.id == ident), None)

    def duty(self, ident: str | None) -> DutySpec | None:
        """The duty to notify with that id, if this contract lists it."""
        return next((d for d in self.duties if d.id == ident), None)

    def request_type(self, ident: str | None) -> DutySpec | None:
        """The request type with that id, if this contract lists it."""
        return next((d for d in self.requests if d.id == ident), None)

    def has_rung(self, rung: str) -> bool:
        """Whether this contract has that step of the ladder."""
        return any(name == rung for name, _label in self.rungs)

    def rung_name(self, rung: str) -> str:
        """What the contract calls a rung ("Formal warning", "Improvement Notice", ...)."""
        for name, label in self.rungs:
            if name == rung:
                return label
        return rung.replace("_", " ").capitalize()

    def clock(self, kind: str) -> ClockSpec | None:
        """The clock of that kind, if this contract has one."""
        return next((c for c in self.clocks if c.kind == kind), None)

    def clocks_starting(self, event: str) -> list[ClockSpec]:
        """The clocks an event starts."""
        return [c for c in self.clocks if c.starts == event]

    def suspension_ground(self, ground_id: str | None) -> SuspensionGround | None:
        """The suspension route with that id, if the contract lists it."""
        return next((g for g in self.suspension_grounds if g.id == ground_id), None)

    def ground_proposed_by(self, rule_ref: str | None) -> SuspensionGround | None:
        """The route a rule's (or a clock's) proposal of a suspension is made on, e.g. CE-38 for a serious default."""
        return next((g for g in self.suspension_grounds if rule_ref and (rule_ref == g.rule
                                                                          or rule_ref in g.proposed_by)), None)

    def receipt_days(self) -> dict[str, int] | None:
        """Working days from sending to deemed receipt by method, or None for the standard notices clause."""
        return dict(self.deemed_receipt) if self.deemed_receipt else None


_REQUIRED = ("id", "title", "council", "seed", "service", "region")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


def parse_rulebook(path: Path) -> Rulebook:
    """Read and validate one rulebook file. A file read before with the same text is not parsed again (every app
    made in a process loads the rulebooks, a third of making one: each test makes an app); a Rulebook and all it
    holds are frozen, so two apps can share one."""
    return _parsed(path, path.read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def _parsed(path: Path, text: str) -> Rulebook:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise RulebookError(path, int(match.group(1)) if match else None, f"not valid TOML ({exc})") from None
    head = data.get("rulebook")
    if not isinstance(head, dict):
        raise RulebookError(path, None, "missing the [rulebook] table")
    version = head.get("format", 1)
    if version not in FORMAT_VERSIONS:
        raise RulebookError(path, _line_of(text, "format"),
                            f"format {version!r} is not supported (use {FORMAT_VERSION})")
    for key in _REQUIRED:
        value = head.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RulebookError(path, _line_of(text, key), f"'{key}' must be a non-empty string")
    if not _ID.match(head["id"]):
        raise RulebookError(path, _line_of(text, "id"), "'id' must be lower-case letters, digits and hyphens")
    # A leading underscore keeps a file out of the loaded set (the template) without changing its id.
    if head["id"] != path.stem.lstrip("_"):
        raise RulebookError(path, _line_of(text, "id"), f"'id' is {head['id']!r} but the file is named {path.stem!r}")
    if head["region"] not in REGIONS:
        raise RulebookError(
            path, _line_of(text, "region"), f"'region' must be one of {', '.join(REGIONS)}, not {head['region']!r}"
        )
    lots = head.get("lots", [])
    if not isinstance(lots, list) or not all(isinstance(lot, str) for lot in lots):
        raise RulebookError(path, _line_of(text, "lots"), "'lots' must be a list of strings")
    rungs = _parse_rungs(path, text, data.get("rungs", {}))
    clocks = _parse_clocks(path, text, data.get("clocks", {}))
    scopes = data.get("suspension", {}).get("scopes", [])
    for scope in scopes:
        if scope not in SUSPENSION_SCOPES:
            raise RulebookError(path, _line_of(text, "scopes"),
                                f"suspension scope {scope!r} must be one of {', '.join(SUSPENSION_SCOPES)}")
    if any(r == "suspension" for r, _ in rungs) and not scopes:
        raise RulebookError(path, None, "a contract with a suspension rung must list [suspension] scopes")
    requires = data.get("suspension", {}).get("requires", [])
    if not isinstance(requires, list) or any(r not in SUSPENSION_GROUNDS for r in requires):
        raise RulebookError(path, _line_of(text, "requires"),
                            f"suspension 'requires' must list some of {', '.join(SUSPENSION_GROUNDS)}")
    suspension_grounds = _parse_grounds(path, text, data.get("suspension", {}).get("grounds", {}), scopes,
                                        {c.kind for c in clocks if c.starts == "suspension_started"})
    receipt = data.get("service", {}).get("deemed_receipt_working_days", {})
    for method, days in receipt.items():
        if method not in SERVICE_METHODS or not isinstance(days, int) or not 0 <= days <= 10:
            raise RulebookError(path, _line_of(text, method),
                                f"deemed receipt needs a method ({', '.join(SERVICE_METHODS)}) and 0 to 10 days")
    if receipt and set(receipt) != set(SERVICE_METHODS):
        raise RulebookError(path, _line_of(text, "deemed_receipt_working_days"),
                            f"deemed receipt must give days for each of {', '.join(SERVICE_METHODS)}")
    default = data.get("serious_default", {})
    reminders = data.get("reminders", {}).get("working_days_before", [])
    if not isinstance(reminders, list) or not all(isinstance(d, int) and 0 <= d <= 30 for d in reminders):
        raise RulebookError(path, _line_of(text, "working_days_before"),
                            "reminders must be a list of working days before the due date, each 0 to 30")
    try:
        monitoring = parse_monitoring(text, data, version, tuple(r for r, _ in rungs), tuple(lots))
    except MonitoringError as exc:
        raise RulebookError(path, exc.line, exc.problem) from None
    events = tuple(kind for kind, _ in monitoring.events)
    try:  # each table's parser reports its problem with the line it is on
        duties = parse_duties(text, data, "duties", events)
        requests = parse_duties(text, data, "requests", events)
        home_care = parse_home_care(text, data, events)
        meetings = parse_meetings(text, data)
        stay_limits = parse_stay_limits(text, data)
        soft_outcomes = parse_soft_outcomes(text, data)
    except (TableError, HomeCareError, SoftOutcomeError) as exc:
        raise RulebookError(path, exc.line, exc.problem) from None
    try:
        leaving_care = parse_leaving_care(data.get("leaving_care"))
    except LeavingCareError as exc:
        raise RulebookError(path, _line_of(text, exc.key) if exc.key else _header_line(text, "leaving_care"),
                            exc.problem) from None
    return Rulebook(
        home_care=home_care,
        soft_outcomes=soft_outcomes,
        meetings=meetings,
        stay_limits=stay_limits,
        monitoring=monitoring,
        duties=duties,
        requests=requests,
        leaving_care=leaving_care,
        reminders=tuple(sorted(set(reminders), reverse=True)),
        rungs=rungs,
        clocks=clocks,
        suspension_scopes=tuple(scopes),
        suspension_requires=tuple(requires),
        suspension_grounds=suspension_grounds,
        deemed_receipt=tuple(sorted(receipt.items())),
        deemed_receipt_source="the rulebook's [service] setting" if receipt else "",
        serious_default_window_months=int(default.get("window_months", 6)),
        serious_default_count=int(default.get("count", 2)),
        id=head["id"],
        title=head["title"],
        council=head["council"],
        seed=head["seed"],
        service=head["service"],
        region=head["region"],
        source=head.get("source", ""),
        lots=tuple(lots),
    )


def _parse_rungs(path: Path, text: str, raw: dict) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise RulebookError(path, _line_of(text, "rungs"), "[rungs] must be a table of rung = \"name\"")
    rungs = []
    for rung, label in raw.items():
        if rung not in RUNGS:
            raise RulebookError(path, _line_of(text, rung), f"unknown rung {rung!r}: use {', '.join(RUNGS)}")
        if not isinstance(label, str) or not label.strip():
            raise RulebookError(path, _line_of(text, rung), f"rung {rung!r} needs the contract's name for it")
        rungs.append((rung, label.strip()))
    return tuple(rungs)


def _table_problems(path: Path, text: str, table: str, what: str) -> Callable[..., RulebookError]:
    """The error for a problem in one [table] of a rulebook, on the line of the key at fault (or the table's)."""
    header = _header_line(text, table)

    def bad(problem: str, key: str | None = None) -> RulebookError:
        return RulebookError(path, _line_after(text, header, key) if key else header, f"{what}: {problem}")

    return bad


def _need_texts(spec, keys: tuple[str, ...], bad: Callable[..., RulebookError]) -> None:
    """A table whose keys must each hold non-empty text."""
    if not isinstance(spec, dict):
        raise bad("must be a table")
    for key in keys:
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            raise bad(f"'{key}' must be a non-empty string", key)


def _parse_grounds(path: Path, text: str, raw: dict, scopes: list, suspension_clocks: set[str]
                   ) -> tuple[SuspensionGround, ...]:
    if not isinstance(raw, dict):
        raise RulebookError(path, _line_of(text, "grounds"), "[suspension.grounds] must be a table of routes")
    grounds = []
    for ident, spec in raw.items():
        bad = _table_problems(path, text, f"suspension.grounds.{ident}", f"suspension ground {ident!r}")
        _need_texts(spec, ("label", "rule"), bad)
        lists = {}
        for key in ("requires", "scopes", "clocks", "proposed_by"):
            value = spec.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(f"'{key}' must be a list of strings", key)
            lists[key] = tuple(value)
        if any(r not in SUSPENSION_GROUNDS for r in lists["requires"]):
            raise bad(f"'requires' must list some of {', '.join(SUSPENSION_GROUNDS)}", "requires")
        if any(s not in scopes for s in lists["scopes"]):
            raise bad(f"'scopes' must be some of the contract's [suspension] scopes ({', '.join(scopes)})", "scopes")
        if any(c not in suspension_clocks for c in lists["clocks"]):
            raise bad("'clocks' must name clocks that start on \"suspension_started\"", "clocks")
        grounds.append(SuspensionGround(id=ident, label=spec["label"].strip(), rule=spec["rule"].strip(), **lists))
    return tuple(grounds)


def _parse_clocks(path: Path, text: str, raw: dict) -> tuple[ClockSpec, ...]:
    clocks = []
    for kind, spec in raw.items():
        bad = _table_problems(path, text, f"clocks.{kind}", f"clock {kind!r}")
        _need_texts(spec, ("label", "rule", "unit", "starts", "acts"), bad)
        if spec["unit"] not in UNITS:
            raise bad(f"'unit' must be one of {', '.join(UNITS)}", "unit")
        if spec["starts"] not in CLOCK_STARTS:
            raise bad(f"'starts' must be one of {', '.join(CLOCK_STARTS)}", "starts")
        if spec["acts"] not in CLOCK_ACTORS:
            raise bad("'acts' must be provider or council", "acts")
        length = spec.get("length", "council-set")
        if length == "council-set":
            length = None
        elif not isinstance(length, int) or length <= 0:
            raise bad("'length' must be a positive whole number or \"council-set\"", "length")
        stops = spec.get("stops", [])
        if not isinstance(stops, list) or not all(isinstance(x, str) for x in stops):
            raise bad("'stops' must be a list of event names", "stops")
        seed_line = spec.get("seed_line")
        if seed_line is not None and (isinstance(seed_line, bool) or not isinstance(seed_line, int) or seed_line < 1):
            raise bad("'seed_line' must be the line number in the seed that gives the clock", "seed_line")
        clocks.append(ClockSpec(kind=kind, label=spec["label"], rule=spec["rule"], unit=spec["unit"], length=length,
                                starts=spec["starts"], stops=tuple(stops), acts=spec["acts"],
                                pausable=bool(spec.get("pausable", False)), on_breach=spec.get("on_breach"),
                                seed_line=seed_line))
    return tuple(clocks)


def _header_line(text: str, header: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == f"[{header}]":
            return number
    return None


def _line_after(text: str, start: int | None, key: str) -> int | None:
    lines = text.splitlines()
    for number in range((start or 1), len(lines) + 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[number - 1]):
            return number
        if number > (start or 1) and lines[number - 1].startswith("["):
            break
    return start


def load_rulebooks(folder: Path) -> dict[str, Rulebook]:
    """Load every rulebook in a folder (the template file, starting with an underscore, is skipped)."""
    books: dict[str, Rulebook] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        book = parse_rulebook(path)
        books[book.id] = book
    if not books:
        raise RulebookError(folder, None, "no rulebooks found")
    return books
