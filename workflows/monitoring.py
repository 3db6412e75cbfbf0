"""KPIs, monitoring returns and breach rules as rulebook data (rulebook format 2).

A rulebook lists the returns a contract requires ([[returns]]), the KPIs those returns carry ([[kpis]]) and the
breach rules that turn figures into proposals ([[breaches]]), each citing its rule id in shared/domain/rules.md.
The shapes are rules.md section 2.3: a single miss (S1), RAG bands (S2), N consecutive periods (S4), still not met at
the next period (S5, TH-20), K occurrences in a rolling window (S6, CE-C04, CE-38), critical and immediate (S9),
rating events (S15) and late or missing returns in consecutive periods (CE-47). This module only reads and checks the
data; workflows/returns.py builds period schedules and workflows/breach.py evaluates the rules.

Targets change over time (KT-04: after year one, "changes to target service levels" go through Change Control, seed
001 l.822; CW-25 and A62: annual targets are reviewed in quarter 4 "for the forthcoming financial year", seed 002
l.540; TH-18: KPIs "reviewed annually", seed 003 l.219). A KPI may carry dated versions ([[kpis.from]] in the
rulebook, or the council's `kpi_targets` setting, workflows/settings.py); `kpi_in_force()` is the one function that
says which target and bands judge a period: the version in force on the day the period starts.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from types import CodeType
from typing import overload

CADENCES = ("4-weekly", "monthly", "quarterly", "six-monthly", "annual")
QUARTER_BASES = ("calendar", "financial", "contract-anniversary")
KPI_UNITS = ("percent", "count", "years", "rating")
DIRECTIONS = ("higher", "lower")
SHAPES = ("single", "critical", "consecutive", "next-period", "rolling", "rating", "late-returns")
WHEN = ("red", "not-green", "amber")
GAPS = ("break", "skip")
RATING_SCHEMES = ("cqc", "local")
# KPIs Remedy computes itself from the returns' own records rather than asking the provider (CE-K14, CE-K15).
COMPUTED = ("timeliness", "accuracy")
# What a breach rule may propose, and the ladder rung (rulebook [rungs]) the contract needs for it; None: any contract.
ACTIONS: dict[str, str | None] = {
    "concern": None,
    "case": None,
    "notice": "notice",
    "action-plan": "action_plan",
    "default": "default_notice",
    "embargo": "suspension",
    "suspension": "suspension",
    "termination": "termination",
}
ACTION_WORDS = {
    "concern": "record a concern for the next monitoring meeting",
    "case": "open a performance case",
    "notice": "propose a notice",
    "action-plan": "propose an action plan",
    "default": "propose a Default Notice",
    "embargo": "propose a referral embargo",
    "suspension": "propose a suspension",
    "termination": "propose termination",
}
# What must already have happened on the contract before a rule's suspension or termination is proposed (KT-17 ->
# KT-19 -> KT-14/KT-08: a formal warning served, then an agreed action plan failed). Empty: no order imposed.
LADDER_CONDITIONS = {
    "warning-served": "a formal warning has been served (KT-17)",
    "plan-failed": "an agreed action plan has failed (KT-19, KT-08)",
}
ESCALATIONS = ("suspension", "termination")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class MonitoringError(ValueError):
    """A problem in a rulebook's KPI, return or breach tables, with the line it is on (None: not known)."""

    def __init__(self, line: int | None, problem: str):
        self.line, self.problem = line, problem
        super().__init__(problem)


@dataclass(frozen=True)
class ReturnSpec:
    """A monitoring return the contract requires: what it is, how often, and when it is due after each period."""

    id: str
    name: str
    rule: str
    cadence: str
    quarter_basis: str = "calendar"
    due_after_working_days: int | None = None
    due_after_days: int | None = None
    due_on: tuple[int, int] | None = None  # (month, day): the first such date after the period ends
    note: str = ""
    # A4: a due date the council set on the contract (workflows/settings.py), for periods ending from this date.
    due_from: date | None = None
    due_source: str = ""  # "" (the contract's own) or "council setting"
    seed_line: int | None = None  # the seed line that gives the due date, cited as its source (contract settings)
    # Structured items the return carries besides KPI figures (TH-22's Management Information): (id, kind, label),
    # kind "count" (a whole number, 0 or more) or "text" (required words, no names); and totals, each
    # (total id, part ids...): the parts must add up to the total (complaints upheld + not upheld + ongoing).
    fields: tuple[tuple[str, str, str], ...] = ()
    totals: tuple[tuple[str, ...], ...] = ()

    @property
    def has_deadline(self) -> bool:
        """Whether a due date can be computed (A4: without one, timeliness is never counted)."""
        return any(x is not None for x in (self.due_after_working_days, self.due_after_days, self.due_on))

    def due_text(self) -> str:
        """When it is due, in plain English."""
        if self.due_after_working_days is not None:
            text = f"{self.due_after_working_days} working days after the period ends"
            if self.due_source:
                text += f" ({self.due_source}, for periods ending from {self.due_from:%-d %B %Y})"
            return text
        if self.due_after_days is not None:
            return f"{self.due_after_days} days after the period ends"
        if self.due_on is not None:
            return f"by {self.due_on[1]} {_MONTHS[self.due_on[0] - 1]} after the period ends"
        return "no due date set: set it on the contract (the contract states none, A4)"

    def cadence_text(self) -> str:
        """How often, in plain English, with the quarter basis where it matters."""
        if self.cadence in ("quarterly", "six-monthly", "annual"):
            basis = {"calendar": "calendar year", "financial": "financial year from April",
                     "contract-anniversary": "contract anniversary"}[self.quarter_basis]
            return f"{self.cadence.capitalize()} ({basis})"
        if self.cadence == "4-weekly":
            return "Every 4 weeks from the contract start (13 a year)"
        return self.cadence.capitalize()


@dataclass(frozen=True)
class Bands:
    """RAG bands as the contract writes them (Kent, rules.md S2), read by A19: compare to one decimal place."""

    red: str
    amber: str
    green: str
    direction: str
    red_limit: float
    green_limit: float
    green_inclusive: bool
    one_decimal: bool = False  # A19: Kent's bands compare to one decimal place; nobody else's say so

    def rag(self, value: float) -> str:
        """Red, amber or green for a value."""
        v = round(value, 1) if self.one_decimal else value
        if self.direction == "higher":
            if v < self.red_limit:
                return "red"
            if v > self.green_limit or (self.green_inclusive and v >= self.green_limit):
                return "green"
            return "amber"
        if v > self.red_limit:
            return "red"
        if v < self.green_limit or (self.green_inclusive and v <= self.green_limit):
            return "green"
        return "amber"


@dataclass(frozen=True)
class TargetVersion:
    """A KPI's target (or bands) from a date forward (KT-04, CW-25, A62, TH-18): a dated [[kpis.from]] entry of the
    rulebook, or one the council set on the contract (source "council setting"), with the reason on the audit trail.
    """

    on: date
    target: float | None = None
    disputed_target: float | None = None
    bands: Bands | None = None
    source: str = ""  # "" (the contract's rulebook) or "council setting"
    rule: str = ""
    note: str = ""


class TargetProblem(ValueError):
    """What is wrong with a target, its bands or a dated version, and the key it is about (None: the entry)."""

    def __init__(self, key: str | None, problem: str):
        self.key, self.problem = key, problem
        super().__init__(problem)


@dataclass(frozen=True)
class KpiSpec:
    """A KPI as the contract defines it: its own id, the figures it is computed from, its target and consequence."""

    id: str
    rule: str
    name: str
    numerator: str
    denominator: str
    unit: str
    direction: str
    frequency: str
    return_id: str
    consequence: str
    source: str
    target: float | None = None
    disputed_target: float | None = None
    bands: Bands | None = None
    critical: bool = False
    monitor_only: bool = False
    lots: tuple[str, ...] = ()
    formula: str = ""
    note: str = ""
    computed: str = ""  # "timeliness" or "accuracy": figures from submission dates and queries, not the provider
    one_decimal: bool = False  # A19 (Kent only): compare to one decimal place; elsewhere 84.96% misses 85%
    # Dated targets, in date order (KT-04, CW-25, A62): before the first, the target and bands above apply.
    versions: tuple[TargetVersion, ...] = ()
    target_from: date | None = None  # set on the KPI kpi_in_force() gives when a dated version applies
    target_source: str = ""

    def value(self, x: float | None, y: float | None) -> float | None:
        """The KPI's value from the provider's numerator x and denominator y (None if it cannot be computed)."""
        if self.unit == "rating" or x is None:
            return None
        try:
            return _evaluate(self.formula, x, y)
        except (ZeroDivisionError, TypeError):
            return None

    def largest_numerator(self, y: float) -> float:
        """The most a percentage's numerator can be: the denominator, unless the formula scales it (TH-K11, A33:
        the total of six answers over six times the people surveyed, so up to 6y)."""
        at_y = self.value(y, y)
        return round(y * 100 / at_y, 9) if at_y is not None and 0 < at_y < 100 else y

    def rag(self, value: float | None) -> str | None:
        """Red, amber or green; None for monitor-only indicators and missing values (S16).

        A single target gives green when met and red when missed; exactly at target is met. A disputed target (A2)
        shows amber between the formal target and the stricter one: met for breach purposes, below for display.
        """
        if value is None or self.monitor_only or self.unit == "rating":
            return None
        if self.bands is not None:
            return self.bands.rag(value)
        if self.target is None:
            return None
        v = round(value, 1) if self.one_decimal else value
        met = v >= self.target if self.direction == "higher" else v <= self.target
        if not met:
            return "red"
        if self.disputed_target is not None:
            strict = v >= self.disputed_target if self.direction == "higher" else v <= self.disputed_target
            return "green" if strict else "amber"
        return "green"

    def target_text(self) -> str:
        """The target in plain English."""
        if self.monitor_only:
            return "Monitor only"
        if self.bands is not None:
            return f"Red {self.bands.red}, Amber {self.bands.amber}, Green {self.bands.green}" + self._since()
        if self.target is None:
            return "No target" if self.unit != "rating" else "Rating event"
        word = "at least" if self.direction == "higher" else "at most"
        text = f"{word} {_figure(self.target, self.unit)}"
        if self.disputed_target is not None:
            text += f" (the contract also says {_figure(self.disputed_target, self.unit)}; shown against the stricter)"
        return text + self._since()

    def _since(self) -> str:
        if self.target_from is None:
            return ""
        source = f", {self.target_source}" if self.target_source else ""
        return f" (from {self.target_from:%-d %B %Y}{source})"

    def versions_text(self) -> str:
        """The dated targets in plain English, "" when the KPI has none."""
        return "; ".join(f"from {v.on:%-d %B %Y}: {replace(kpi_in_force(self, v.on), target_from=None).target_text()}"
                         + (f" ({v.source})" if v.source else "") for v in self.versions)

    def format_value(self, value: float | None) -> str:
        """A value with its unit, for tables and proposals."""
        return "no data" if value is None else _figure(value, self.unit)


def kpi_in_force(kpi: KpiSpec, period_start: date) -> KpiSpec:
    """The KPI as it judges the period starting on `period_start`: with the target and bands of the latest dated
    version on or before that day, else its own (KT-04, CW-25, A62, TH-18).

    The period's **start** decides. CW-25 reviews targets in quarter 4 "for the forthcoming financial year" (seed 002
    l.540) and KT-04 changes target service levels by Change Control (seed 001 l.822): a target is agreed ahead of the
    period it judges. A provider works a whole period to the target in force when it began, so a change part-way
    through a period (a 4-weekly period across 1 April, say) first applies to the next period, and never to one
    already under way or past."""
    applying = None
    for version in kpi.versions:
        if version.on > period_start:
            break
        applying = version
    if applying is None:
        return kpi
    return replace(kpi, target=applying.target, disputed_target=applying.disputed_target, bands=applying.bands,
                   target_from=applying.on, target_source=applying.source, versions=())


def merge_versions(own: tuple[TargetVersion, ...], council: tuple[TargetVersion, ...]) -> tuple[TargetVersion, ...]:
    """The rulebook's dated targets and the council's in one timeline, in date order; on the same date the
    council's (the later decision) replaces the rulebook's."""
    dates = {v.on for v in council}
    return tuple(sorted([v for v in own if v.on not in dates] + list(council), key=lambda v: v.on))


@dataclass(frozen=True)
class BreachRule:
    """When figures or events become a breach, and what Remedy proposes then (a person always confirms, A53)."""

    id: str
    rule: str
    shape: str
    says: str
    actions: tuple[str, ...]
    kpis: tuple[str, ...] = ()
    together: bool = False  # the listed KPIs are the tiers of one measure: missing either misses it (A44)
    when: str = "red"
    periods: int = 1
    gaps: str = "break"
    windows: tuple[tuple[int, int], ...] = ()  # (at least N events, within M months)
    event: str = ""
    scheme: str = ""
    values: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    immediate: bool = False
    escalate_after: tuple[str, ...] = ()  # LADDER_CONDITIONS that must hold before a suspension or termination

    def describe(self, returns: dict[str, str] | None = None) -> str:
        """The rule in one plain-English sentence (returns: return id to name, for late-return rules)."""
        names = (f"any of {', '.join(self.kpis[:-1])} or {self.kpis[-1]}" if len(self.kpis) > 1
                 else "".join(self.kpis))
        miss = {"red": "misses its target (Red)", "amber": "is Amber",
                "not-green": "is below target (Amber or Red)"}[self.when]
        if self.together:
            names = " and ".join(self.kpis) + " (tiers of one measure)"
            miss = "misses either tier"
        if self.shape in ("single", "critical"):
            condition = f"If {names} {miss} in a period"
        elif self.shape in ("consecutive", "next-period"):
            condition = f"If {names} {miss} in {self.periods} consecutive periods (the same KPI each time)"
            if self.gaps == "skip":
                condition += ", a period with no data neither breaking nor extending the run"
        elif self.shape == "rolling":
            windows = " or ".join(f"{n} or more times within {m} months" for n, m in self.windows)
            condition = f"If '{self.event.replace('-', ' ')}' is recorded {windows}"
        elif self.shape == "rating":
            label = "CQC" if self.scheme == "cqc" else "local quality"
            condition = f"If the {label} rating is {' or '.join(self.values)}"
        else:
            streams = [(returns or {}).get(r, r) for r in self.returns]
            which = f"any of: {'; '.join(streams)}" if len(streams) > 1 else streams[0]
            times = "" if self.periods == 1 else f" in {self.periods} consecutive periods of the same return"
            condition = f"If a return ({which}) is late or missing{times}"
        actions = " and ".join(ACTION_WORDS[a] for a in self.actions)
        timing = ", with immediate effect" if self.immediate else ""
        order = ""
        if self.escalate_after:
            order = (" A suspension or termination is proposed only once "
                     + " and ".join(LADDER_CONDITIONS[c] for c in self.escalate_after) + ".")
        return f"{condition}: {actions}{timing} ({self.rule}). {self.says[0].upper()}{self.says[1:]}.{order}"


@dataclass(frozen=True)
class Monitoring:
    """Everything a rulebook says about performance monitoring."""

    returns: tuple[ReturnSpec, ...] = ()
    kpis: tuple[KpiSpec, ...] = ()
    breaches: tuple[BreachRule, ...] = ()
    first_year_advisory: bool = False  # KT-10, A23: year-one breaches are shown but never escalated
    one_decimal: bool = False  # A19: values compared to one decimal place (Kent's [monitoring] says so)
    events: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (event kind, what a person records)

    def kpi(self, kpi_id: str) -> KpiSpec | None:
        """The KPI with the contract's own id."""
        return next((k for k in self.kpis if k.id == kpi_id), None)

    def return_spec(self, return_id: str) -> ReturnSpec | None:
        """The return with that id."""
        return next((r for r in self.returns if r.id == return_id), None)

    def kpis_in(self, return_id: str, lots: tuple[str, ...] | None = None) -> list[KpiSpec]:
        """The KPIs a return carries (for a provider's lots, when the contract has lots)."""
        return [k for k in self.kpis if k.return_id == return_id
                and (not k.lots or lots is None or set(k.lots) & set(lots))]


def _figure(value: float, unit: str) -> str:
    number = f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return {"percent": f"{number}%", "years": f"{number} years"}.get(unit, number)


# --- formulas: a tiny, safe arithmetic language over x (numerator) and y (denominator) ---

_FORMULA_NODES = (ast.Expression, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Name, ast.Constant, ast.Load,
                  ast.UnaryOp, ast.USub)


def check_formula(text: str) -> str | None:
    """The problem with a formula, or None if it is a valid sum over x, y and numbers."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return f"formula {text!r} is not valid arithmetic"
    for node in ast.walk(tree):
        if not isinstance(node, _FORMULA_NODES):
            return f"formula {text!r} may use only x, y, numbers, + - * / and brackets"
        if isinstance(node, ast.Name) and node.id not in ("x", "y"):
            return f"formula {text!r} uses {node.id!r}: only x (numerator) and y (denominator) are allowed"
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            return f"formula {text!r} may use only numbers"
    return None


_COMPILED: dict[str, CodeType] = {}


def _evaluate(text: str, x: float, y: float | None) -> float:
    code = _COMPILED.get(text)
    if code is None:
        code = _COMPILED[text] = compile(ast.parse(text, mode="eval"), "<formula>", "eval")
    return float(eval(code, {"__builtins__": {}}, {"x": x, "y": y}))  # noqa: S307 - checked by check_formula


# --- parsing, with the line of every problem ---

class _Lines:
    """Finds the line of the n-th [[table]] header and of a key inside it, for error messages."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def header(self, table: str, index: int) -> int | None:
        seen = -1
        for number, line in enumerate(self.lines, start=1):
            if line.strip() == f"[[{table}]]":
                seen += 1
                if seen == index:
                    return number
        return None

    def children(self, start: int | None, table: str, child: str) -> list[int]:
        """The lines of the [[table.child]] headers that belong to the [[table]] entry whose header is `start`."""
        out: list[int] = []
        if start is None:
            return out
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1].strip()
            if line == f"[[{table}.{child}]]":
                out.append(number)
            elif line.startswith("[") and not line.startswith(f"[{table}.") and not line.startswith(
                    f"[[{table}.{child}]]"):
                break
        return out

    def key(self, start: int | None, key: str) -> int | None:
        if start is None:
            return None
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if line.lstrip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
        return start


class _Entry:
    """One [[table]] entry being read: typed getters that raise MonitoringError with the right line."""

    def __init__(self, lines: _Lines, table: str, index: int, raw: object):
        self.lines, self.table, self.index = lines, table, index
        self.at = lines.header(table, index)
        if not isinstance(raw, dict):
            raise MonitoringError(self.at, f"[[{table}]] entry {index + 1} must be a table")
        self.raw = raw
        ident = raw.get("id")
        self.name = f"[[{table}]] {ident!r}" if isinstance(ident, str) else f"[[{table}]] entry {index + 1}"

    def bad(self, key: str | None, problem: str) -> MonitoringError:
        return MonitoringError(self.lines.key(self.at, key) if key else self.at, f"{self.name}: {problem}")

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self.raw.get(key, None)
        if value is None:
            if required:
                raise self.bad(None, f"'{key}' is missing")
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.bad(key, f"'{key}' must be a non-empty string")
        return value.strip()

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if value is None:
            raise self.bad(None, f"'{key}' is missing (one of {', '.join(options)})")
        if value not in options:
            raise self.bad(key, f"'{key}' must be one of {', '.join(options)}, not {value!r}")
        return value

    def number(self, key: str, default: float | None = None) -> float | None:
        value = self.raw.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.bad(key, f"'{key}' must be a number")
        return float(value)

    @overload
    def whole(self, key: str, low: int, high: int, default: int) -> int: ...

    @overload
    def whole(self, key: str, low: int, high: int, default: None = None) -> int | None: ...

    def whole(self, key: str, low: int, high: int, default: int | None = None) -> int | None:
        value = self.raw.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.bad(key, f"'{key}' must be a whole number from {low} to {high}")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise self.bad(key, f"'{key}' must be true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.bad(key, f"'{key}' must be a list of strings")
        return tuple(v.strip() for v in value)

    def unknown(self, allowed: set[str]) -> None:
        for key in self.raw:
            if key not in allowed:
                raise self.bad(key, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")


_RETURN_KEYS = {"id", "name", "rule", "cadence", "quarter_basis", "due_after_working_days", "due_after_days", "due_on",
                "note", "seed_line", "fields", "totals"}
FIELD_KINDS = ("count", "text")
_KPI_KEYS = {"id", "rule", "name", "numerator", "denominator", "unit", "direction", "target", "disputed_target",
             "bands", "frequency", "return", "critical", "consequence", "source", "monitor_only", "lots", "formula",
             "note", "computed", "from"}
_VERSION_KEYS = {"on", "target", "disputed_target", "bands", "rule", "note"}
_BREACH_KEYS = {"id", "rule", "shape", "says", "actions", "kpis", "together", "when", "periods", "gaps", "windows",
                "event", "scheme", "values", "returns", "immediate", "escalate_after"}
_RULE_ID = re.compile(r"^(CE|KT|CW|TH|HF)-[A-Z]?\d+[a-z]?$|^A\d+$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_DUE_ON = re.compile(r"^(\d{1,2}) (" + "|".join(_MONTHS) + r")$")


def parse_monitoring(text: str, data: dict, version: int, rungs: tuple[str, ...], lots: tuple[str, ...],
                     path: Path | None = None) -> Monitoring:
    """Read the [[returns]], [[kpis]], [[breaches]] and [monitoring] tables of a rulebook (format 2)."""
    lines = _Lines(text)
    present = [t for t in ("returns", "kpis", "breaches", "monitoring") if t in data]
    if present and version < 2:
        raise MonitoringError(lines.header(present[0], 0) or _first_line(text, present[0]),
                              f"[{present[0]}] needs format = 2 in [rulebook]")
    for table in ("returns", "kpis", "breaches"):
        if table in data and not isinstance(data[table], list):
            raise MonitoringError(_first_line(text, table), f"'{table}' must be written as [[{table}]] entries")
    settings = data.get("monitoring", {})
    one_decimal = settings.get("round_to_one_decimal", False) if isinstance(settings, dict) else False
    if not isinstance(one_decimal, bool):
        raise MonitoringError(_first_line(text, "round_to_one_decimal"),
                              "'round_to_one_decimal' must be true or false")
    returns = tuple(_parse_return(_Entry(lines, "returns", i, raw)) for i, raw in enumerate(data.get("returns", [])))
    _unique(lines, "returns", [r.id for r in returns])
    by_return = {r.id: r for r in returns}
    kpis = tuple(_parse_kpi(_Entry(lines, "kpis", i, raw), by_return, lots, one_decimal)
                 for i, raw in enumerate(data.get("kpis", [])))
    _unique(lines, "kpis", [k.id for k in kpis])
    by_kpi = {k.id: k for k in kpis}
    breaches = tuple(_parse_breach(_Entry(lines, "breaches", i, raw), by_kpi, by_return, rungs)
                     for i, raw in enumerate(data.get("breaches", [])))
    _unique(lines, "breaches", [b.id for b in breaches])
    settings = data.get("monitoring", {})
    if not isinstance(settings, dict):
        raise MonitoringError(_first_line(text, "monitoring"), "[monitoring] must be a table")
    advisory = settings.get("first_year_advisory", False)
    if not isinstance(advisory, bool):
        raise MonitoringError(_first_line(text, "first_year_advisory"), "'first_year_advisory' must be true or false")
    events = settings.get("events", {})
    if not isinstance(events, dict) or not all(isinstance(v, str) for v in events.values()):
        raise MonitoringError(_first_line(text, "events"), "[monitoring] events must be a table of kind = \"meaning\"")
    for index, rule in enumerate(breaches):
        if rule.shape == "rolling" and rule.event not in events:
            raise MonitoringError(lines.key(lines.header("breaches", index), "event"),
                                  f"[[breaches]] {rule.id!r}: event {rule.event!r} is not listed in [monitoring] "
                                  "events")
    return Monitoring(returns=returns, kpis=kpis, breaches=breaches, first_year_advisory=advisory,
                      events=tuple(events.items()), one_decimal=one_decimal)


def _first_line(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*\[*{re.escape(key)}\b", line):
            return number
    return None


def _unique(lines: _Lines, table: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            raise MonitoringError(lines.key(lines.header(table, index), "id"),
                                  f"[[{table}]] id {ident!r} is used twice")
        seen.add(ident)


def _rule_id(entry: _Entry) -> str:
    rule = entry.text("rule")
    for part in re.split(r"\s*[,;]\s*", rule):
        if not _RULE_ID.match(part):
            raise entry.bad("rule", f"'rule' must cite rules.md ids such as CE-47, HF-B04 or A38, not {part!r}")
    return rule


def _parse_return(e: _Entry) -> ReturnSpec:
    e.unknown(_RETURN_KEYS)
    ident = e.text("id")
    if not _ID.match(ident):
        raise e.bad("id", "'id' must be lower-case letters, digits and hyphens")
    cadence = e.choice("cadence", CADENCES)
    basis = e.choice("quarter_basis", QUARTER_BASES, default="calendar")
    working = e.whole("due_after_working_days", 0, 120)
    days = e.whole("due_after_days", 0, 365)
    due_on = None
    if "due_on" in e.raw:
        match = _DUE_ON.match(str(e.raw["due_on"]))
        if not match:
            raise e.bad("due_on", "'due_on' must be a day and month such as \"30 April\"")
        month = _MONTHS.index(match.group(2)) + 1
        day = int(match.group(1))
        if not 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
            raise e.bad("due_on", f"'due_on' {e.raw['due_on']!r} is not a real date")
        due_on = (month, day)
    if sum(x is not None for x in (working, days, due_on)) > 1:
        raise e.bad(None, "give at most one of due_after_working_days, due_after_days and due_on")
    fields = _return_fields(e)
    return ReturnSpec(id=ident, name=e.text("name"), rule=_rule_id(e), cadence=cadence, quarter_basis=basis,
                      due_after_working_days=working, due_after_days=days, due_on=due_on,
                      note=e.text("note", required=False), seed_line=e.whole("seed_line", 1, 1_000_000),
                      fields=fields, totals=_return_totals(e, fields))


def _return_fields(e: _Entry) -> tuple[tuple[str, str, str], ...]:
    """A return's structured items: [id, "count" or "text", label] triples, each id once (TH-22)."""
    raw = e.raw.get("fields", [])
    ok = isinstance(raw, list) and all(
        isinstance(f, list) and len(f) == 3 and all(isinstance(x, str) and x.strip() for x in f)
        and _ID.match(f[0]) and f[1] in FIELD_KINDS for f in raw)
    if not ok or len({f[0] for f in raw}) != len(raw):
        raise e.bad("fields", "'fields' must list [id, kind, label] triples, kind \"count\" or \"text\", each id "
                              "once")
    return tuple((f[0], f[1], f[2].strip()) for f in raw)


def _return_totals(e: _Entry, fields: tuple[tuple[str, str, str], ...]) -> tuple[tuple[str, ...], ...]:
    """Totals over a return's count fields: [total, part, part...], every id one of its count fields."""
    raw = e.raw.get("totals", [])
    counts = {f[0] for f in fields if f[1] == "count"}
    if not isinstance(raw, list) or not all(isinstance(t, list) and len(t) >= 3 and all(x in counts for x in t)
                                            for t in raw):
        raise e.bad("totals", "'totals' must list [total, part, part...] of the return's count fields")
    return tuple(tuple(t) for t in raw)


_BAND = re.compile(r"^\s*([<>]?)\s*(\d+(?:\.\d+)?)\s*%?\s*$")
_AMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*-\s*(\d+(?:\.\d+)?)\s*%?\s*$")


def parse_bands(raw, direction: str, one_decimal: bool = False) -> Bands:
    """RAG bands as the contract writes them, checked against the KPI's direction (TargetProblem otherwise)."""
    if not isinstance(raw, dict) or set(raw) != {"red", "amber", "green"} or not all(
            isinstance(v, str) for v in raw.values()):
        raise TargetProblem("bands", "'bands' must be { red = \"<85\", amber = \"85-95\", green = \">95\" } as the "
                                     "contract writes them")
    red, amber, green = (_BAND.match(raw["red"]), _AMBER.match(raw["amber"]), _BAND.match(raw["green"]))
    if not red or not red.group(1) or not amber or not green:
        raise TargetProblem("bands", "'bands': red is \"<N\" or \">N\", amber \"N-M\", green \">N\", \"<N\" or \"N\"")
    implied = "higher" if red.group(1) == "<" else "lower"
    if implied != direction:
        raise TargetProblem("direction", f"'direction' is {direction!r} but the red band {raw['red']!r} means "
                                         f"{implied} is better")
    low, high = float(amber.group(1)), float(amber.group(2))
    edge = float(red.group(2))
    if (direction == "higher" and low != edge) or (direction == "lower" and high != edge):
        raise TargetProblem("bands", f"the amber band {raw['amber']!r} does not start where red {raw['red']!r} ends")
    if green.group(1) == ("<" if direction == "higher" else ">"):
        raise TargetProblem("bands", f"the green band {raw['green']!r} points the wrong way for {direction} is "
                                     "better")
    return Bands(red=raw["red"], amber=raw["amber"], green=raw["green"], direction=direction, red_limit=edge,
                 green_limit=float(green.group(2)), green_inclusive=not green.group(1), one_decimal=one_decimal)


def read_target(raw: dict, unit: str, direction: str, one_decimal: bool = False
                ) -> tuple[float | None, float | None, Bands | None]:
    """The target, disputed target (A2) and bands an entry gives, checked (TargetProblem naming the key): a KPI's
    own, a rulebook's dated version or the council's (one check for all three)."""
    values = []
    for key in ("target", "disputed_target"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TargetProblem(key, f"'{key}' must be a number")
        values.append(None if value is None else float(value))
    target, disputed = values
    bands = parse_bands(raw["bands"], direction, one_decimal) if "bands" in raw else None
    if bands is not None and target is not None:
        raise TargetProblem("target", "give either 'target' or 'bands', not both")
    if disputed is not None and target is None:
        raise TargetProblem("disputed_target", "'disputed_target' needs a 'target' (A2)")
    for key, value in (("target", target), ("disputed_target", disputed)):
        if unit == "percent" and value is not None and not 0 <= value <= 100:
            raise TargetProblem(key, "a percentage target must be from 0 to 100")
        if unit != "percent" and value is not None and value < 0:
            raise TargetProblem(key, "a target cannot be below 0")
    return target, disputed, bands


def read_version(raw: dict, on: date, kpi: KpiSpec, source: str = "") -> TargetVersion:
    """One dated target of a KPI (KT-04, CW-25, A62), checked like the KPI's own (TargetProblem naming the key)."""
    if kpi.monitor_only or kpi.unit == "rating":
        raise TargetProblem(None, "a monitor-only KPI or a rating has no target to change")
    target, disputed, bands = read_target(raw, kpi.unit, kpi.direction, kpi.one_decimal)
    if target is None and bands is None:
        raise TargetProblem(None, "a dated target needs a 'target' or 'bands'")
    return TargetVersion(on=on, target=target, disputed_target=disputed, bands=bands, source=source)


def out_of_order(dates: list[date]) -> int | None:
    """The index of the first date not after the one before it (dated targets run in date order), or None."""
    return next((i for i in range(1, len(dates)) if dates[i] <= dates[i - 1]), None)


def _parse_kpi(e: _Entry, returns: dict[str, ReturnSpec], lots: tuple[str, ...], one_decimal: bool = False
               ) -> KpiSpec:
    e.unknown(_KPI_KEYS)
    unit = e.choice("unit", KPI_UNITS)
    direction = e.choice("direction", DIRECTIONS, default="higher")
    # A rating (CQC, local quality rating) is an event the council records, not a figure in a return.
    return_id = e.text("return", required=unit != "rating")
    if return_id and return_id not in returns:
        raise e.bad("return", f"'return' {return_id!r} is not one of the [[returns]] ids "
                              f"({', '.join(returns) or 'none defined'})")
    frequency = e.choice("frequency", CADENCES)
    if return_id and frequency != returns[return_id].cadence:
        raise e.bad("frequency", f"'frequency' {frequency!r} differs from the cadence of return {return_id!r} "
                                 f"({returns[return_id].cadence!r}): put the KPI in a return of its own frequency")
    monitor_only = e.flag("monitor_only")
    try:
        target, disputed, bands = read_target(e.raw, unit, direction, one_decimal)
    except TargetProblem as refused:
        raise e.bad(refused.key if refused.key in e.raw else "bands" if "bands" in e.raw else None,
                    refused.problem) from None
    if unit != "rating" and not monitor_only and target is None and bands is None:
        raise e.bad(None, "needs a 'target' or 'bands' (or monitor_only = true)")
    formula = e.text("formula", required=False) or {"percent": "x / y * 100"}.get(unit, "x")
    problem = check_formula(formula)
    if problem:
        raise e.bad("formula", problem)
    kpi_lots = e.strings("lots")
    for lot in kpi_lots:
        if lot not in lots:
            raise e.bad("lots", f"lot {lot!r} is not one of the rulebook's lots ({', '.join(lots) or 'none'})")
    kpi = KpiSpec(id=e.text("id"), rule=_rule_id(e), name=e.text("name"), numerator=e.text("numerator"),
                  denominator=e.text("denominator", required=unit == "percent"), unit=unit, direction=direction,
                  frequency=frequency, return_id=return_id, consequence=e.text("consequence"),
                  source=e.text("source"), target=target, disputed_target=disputed, bands=bands,
                  critical=e.flag("critical"), monitor_only=monitor_only, lots=kpi_lots, formula=formula,
                  note=e.text("note", required=False), computed=_computed(e, unit), one_decimal=one_decimal)
    return replace(kpi, versions=_parse_versions(e, kpi)) if "from" in e.raw else kpi


def _parse_versions(e: _Entry, kpi: KpiSpec) -> tuple[TargetVersion, ...]:
    """A KPI's [[kpis.from]] entries: { on = 2027-04-01, target = 90 } or bands, dates ascending (KT-04, A62)."""
    raw = e.raw["from"]
    if not isinstance(raw, list) or not raw:
        raise e.bad("from", "'from' must be written as [[kpis.from]] entries with 'on' and a 'target' or 'bands'")
    headers = e.lines.children(e.at, e.table, "from")
    inline = e.lines.key(e.at, "from")  # from = [{ on = ..., ... }] written inline: every problem is on that line

    def line(index: int, key: str | None = None) -> int | None:
        if index >= len(headers):
            return inline
        return e.lines.key(headers[index], key) if key else headers[index]

    versions = []
    for index, item in enumerate(raw):
        def bad(key: str | None, problem: str, index=index) -> MonitoringError:
            return MonitoringError(line(index, key), f"{e.name} [[kpis.from]] entry {index + 1}: {problem}")

        if not isinstance(item, dict):
            raise bad(None, "must be a table")
        for key in item:
            if key not in _VERSION_KEYS:
                raise bad(key, f"unknown key {key!r} (allowed: {', '.join(sorted(_VERSION_KEYS))})")
        on = item.get("on")
        if isinstance(on, datetime) or not isinstance(on, date):
            raise bad("on" if "on" in item else None, "'on' must be a date written 2027-04-01 (no quotes)")
        for key in ("rule", "note"):
            if key in item and (not isinstance(item[key], str) or not item[key].strip()):
                raise bad(key, f"'{key}' must be a non-empty string")
        for part in re.split(r"\s*[,;]\s*", item.get("rule", "").strip()) if item.get("rule") else ():
            if not _RULE_ID.match(part):
                raise bad("rule", f"'rule' must cite rules.md ids such as CE-47, HF-B04 or A38, not {part!r}")
        try:
            version = read_version(item, on, kpi)
        except TargetProblem as problem:
            raise bad(problem.key if problem.key in item else "bands" if "bands" in item else None,
                      problem.problem) from None
        versions.append(replace(version, rule=item.get("rule", "").strip(), note=item.get("note", "").strip()))
    wrong = out_of_order([v.on for v in versions])
    if wrong is not None:
        raise MonitoringError(line(wrong, "on"), f"{e.name} [[kpis.from]] entry {wrong + 1}: dates must be in order, "
                              f"each after the one before: {versions[wrong].on.isoformat()} does not come after "
                              f"{versions[wrong - 1].on.isoformat()}")
    return tuple(versions)


def _computed(e: _Entry, unit: str) -> str:
    if "computed" not in e.raw:
        return ""
    value = e.choice("computed", COMPUTED)
    if unit != "percent":
        raise e.bad("computed", "a computed KPI is a percentage of returns")
    return value


def _parse_breach(e: _Entry, kpis: dict[str, KpiSpec], returns: dict[str, ReturnSpec],
                  rungs: tuple[str, ...]) -> BreachRule:
    e.unknown(_BREACH_KEYS)
    ident = e.text("id")
    if not _ID.match(ident):
        raise e.bad("id", "'id' must be lower-case letters, digits and hyphens")
    shape = e.choice("shape", SHAPES)
    actions = e.strings("actions")
    if not actions:
        raise e.bad("actions" if "actions" in e.raw else None, "'actions' must name at least one action")
    for action in actions:
        if action not in ACTIONS:
            raise e.bad("actions", f"action {action!r} must be one of {', '.join(ACTIONS)}")
        rung = ACTIONS[action]
        if rung is not None and rung not in rungs:
            raise e.bad("actions", f"action {action!r} needs the {rung!r} rung, which this contract's [rungs] "
                                   "does not have")
    names = e.strings("kpis")
    for name in names:
        kpi = kpis.get(name)
        if kpi is None:
            raise e.bad("kpis", f"KPI {name!r} is not one of the [[kpis]] ids")
        if kpi.monitor_only or kpi.unit == "rating":
            raise e.bad("kpis", f"KPI {name!r} is monitor-only or a rating, so it can never be missed")
    needs_kpis = shape in ("single", "critical", "consecutive", "next-period")
    if needs_kpis and not names:
        raise e.bad(None, f"a {shape!r} rule needs 'kpis'")
    if not needs_kpis and names:
        raise e.bad("kpis", f"a {shape!r} rule does not use 'kpis'")
    together = e.flag("together")
    if together and len({kpis[n].return_id for n in names}) > 1:
        raise e.bad("together", "KPIs evaluated together must come from the same return")
    default_periods = {"next-period": 2, "late-returns": 1}.get(shape, 1)
    periods = e.whole("periods", 1, 24, default=default_periods)
    if shape in ("consecutive",) and periods < 2:
        raise e.bad("periods", "a 'consecutive' rule needs 'periods' of 2 or more (use 'single' for one)")
    if shape == "next-period" and periods != 2:
        raise e.bad("periods", "a 'next-period' rule is the same KPI missed in two consecutive periods (TH-20)")
    windows: list[tuple[int, int]] = []
    if shape == "rolling":
        raw = e.raw.get("windows")
        if not isinstance(raw, list) or not raw or not all(
                isinstance(w, dict) and set(w) == {"at_least", "months"}
                and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in w.values()) for w in raw):
            raise e.bad("windows" if "windows" in e.raw else None,
                        "a 'rolling' rule needs windows = [{ at_least = 2, months = 3 }, ...]")
        windows = [(w["at_least"], w["months"]) for w in raw]
        if not e.raw.get("event"):
            raise e.bad(None, "a 'rolling' rule needs the 'event' it counts")
    elif "windows" in e.raw:
        raise e.bad("windows", "only a 'rolling' rule has 'windows'")
    scheme = ""
    values: tuple[str, ...] = ()
    if shape == "rating":
        scheme = e.choice("scheme", RATING_SCHEMES)
        values = tuple(v.lower() for v in e.strings("values"))
        if not values:
            raise e.bad(None, "a 'rating' rule needs the 'values' that trigger it")
    streams = e.strings("returns")
    if shape == "late-returns":
        if not streams:
            raise e.bad(None, "a 'late-returns' rule needs the 'returns' it watches")
        for stream in streams:
            if stream not in returns:
                raise e.bad("returns", f"return {stream!r} is not one of the [[returns]] ids")
    elif streams:
        raise e.bad("returns", "only a 'late-returns' rule has 'returns'")
    escalate_after = e.strings("escalate_after")
    for condition in escalate_after:
        if condition not in LADDER_CONDITIONS:
            raise e.bad("escalate_after", f"'escalate_after' must list some of {', '.join(LADDER_CONDITIONS)}")
    return BreachRule(id=ident, rule=_rule_id(e), shape=shape, says=e.text("says"), actions=actions, kpis=names,
                      together=together, when=e.choice("when", WHEN, default="red"), periods=periods,
                      gaps=e.choice("gaps", GAPS, default="break"), windows=tuple(windows),
                      event=e.text("event", required=False), scheme=scheme, values=values, returns=streams,
                      immediate=e.flag("immediate") or shape == "critical", escalate_after=escalate_after)
