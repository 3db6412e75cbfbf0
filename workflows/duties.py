"""Duties to notify and request types, as a rulebook lists them (issue 15, item 1).

A rulebook's `[[duties]]` are the things the provider must tell the council, by a deadline or "immediately"
(CE-05, CE-20, CE-41, TH-16, TH-17, HF-14, HF-57, HF-84, HF-86); its `[[requests]]` are the kinds of thing the
council may ask for with a date to answer by (CE-46, CE-03, CE-07, CE-15, CE-19, CE-50, KT-12, KT-21, HF-45). Only a
contract whose rulebook lists a duty or request type offers it. Each entry says how long the provider has:

* `within_working_days = N`: the N-th working day after the day it happened or was asked (that day never counts);
* `within_hours = N` (requests only): N real hours from the moment the council asks (Europe/London);
* `within_days = N`: N calendar days after the day it happened or was asked, for a seed that counts in days or weeks
  (HF-67 and HF-73: "within two weeks after the contract award", 14 days);
* `within = "immediately"`: no number (rules.md A52). Remedy counts it as **the same working day**: due by the end of
  the day it happened, or of the next working day when it happened on a weekend, bank holiday or closure day. A52's
  "within 24 h if out of hours" is read the same way (the next working day), so the date never depends on a time
  nobody records;
* `within = "council-set"`: the council gives the date when it asks (CE-19, CE-50, HF-45 "agreed", KT-12
  "prescribed timescales"; CE-03, CE-07, CE-15, KT-21 name no period at all).

Late or missing notice, or an answer not given by its date, is a breach event the contract's rules can count: the
entry's `event` (one of the rulebook's [monitoring] events, or "late-notice" / "late-answer" when it names none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart, start_clock

DUTY_TABLES = ("duties", "requests")
DEFAULT_EVENTS = {"duties": "late-notice", "requests": "late-answer"}
IMMEDIATELY = "immediately"
COUNCIL_SET = "council-set"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_RULE = re.compile(r"^[A-Z]{1,3}-[A-Z]?\d{2,3}$")


class DutyError(ValueError):
    """A [[duties]] or [[requests]] entry that does not make sense, with its line."""

    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class DutySpec:
    """One duty to notify or one request type: what it is, the rule that gives it and how long the provider has."""

    table: str  # "duties" or "requests"
    id: str
    rule: str
    what: str
    within: str  # "working_days", "days" (calendar), "hours", "immediately" or "council-set"
    length: int | None = None  # working days, calendar days or hours; None for immediately and council-set
    event: str = ""  # the breach event a late or missing answer records
    seed_line: int | None = None

    @property
    def period(self) -> str:
        """How long, in words: "within 2 working days", "immediately (the same working day, A52)"."""
        if self.within == IMMEDIATELY:
            return "immediately (the same working day, A52)"
        if self.within == COUNCIL_SET:
            return "by the date the council sets"
        unit = {"working_days": "working day", "days": "day"}.get(self.within, "hour")
        return f"within {self.length} {unit}{'' if self.length == 1 else 's'}"


def parse_duties(text: str, data: dict, table: str, events: tuple[str, ...]) -> tuple[DutySpec, ...]:
    """Read one of the [[duties]] or [[requests]] arrays, each problem reported with its line."""
    raw = data.get(table, [])
    lines = text.splitlines()

    def header(index: int) -> int | None:
        seen = -1
        for number, line in enumerate(lines, start=1):
            if line.strip() == f"[[{table}]]":
                seen += 1
                if seen == index:
                    return number
        return None

    def key_line(start: int | None, key: str) -> int | None:
        if start is None:
            return None
        for number in range(start + 1, len(lines) + 1):
            line = lines[number - 1]
            if line.strip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
        return start

    if not isinstance(raw, list):
        return _fail(lines, table, f"'{table}' must be written as [[{table}]] entries")
    specs: list[DutySpec] = []
    for index, entry in enumerate(raw):
        top = header(index)

        def bad(problem: str, key: str | None = None, top=top, entry=entry) -> DutyError:
            ident = entry.get("id") if isinstance(entry, dict) else None
            return DutyError(key_line(top, key) if key else top,
                             f"[[{table}]] {ident!r}: {problem}" if ident else f"[[{table}]]: {problem}")

        for key in ("id", "rule", "what"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise bad(f"'{key}' must be a non-empty string", key)
        if not _ID.match(entry["id"]):
            raise bad("'id' must be lower-case letters, digits and hyphens", "id")
        if any(s.id == entry["id"] for s in specs):
            raise bad(f"id {entry['id']!r} is used twice", "id")
        if not _RULE.match(entry["rule"]):
            raise bad("'rule' must be a rule id from shared/domain/rules.md, like CE-46", "rule")
        given = [k for k in ("within", "within_working_days", "within_days", "within_hours") if k in entry]
        if len(given) != 1:
            raise bad("give exactly one of within = \"immediately\" or \"council-set\", within_working_days = N, "
                      "within_days = N" + (" or within_hours = N" if table == "requests" else ""),
                      given[1] if given else None)
        key = given[0]
        value = entry[key]
        length = None
        if key == "within":
            choices = (IMMEDIATELY, COUNCIL_SET)
            if value not in choices:
                raise bad("'within' must be \"immediately\" or \"council-set\"", key)
            within = value
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
                raise bad(f"'{key}' must be a whole number from 1 to 365", key)
            if key == "within_hours" and table != "requests":
                raise bad("a duty to notify counts working days or \"immediately\", not hours", key)
            within, length = key.removeprefix("within_"), value
        event = entry.get("event", DEFAULT_EVENTS[table])
        if "event" in entry and (not isinstance(event, str) or event not in events):
            raise bad("'event' must be one of the rulebook's [monitoring] events"
                      + (f" ({', '.join(events)})" if events else " (it has none)"), "event")
        seed_line = entry.get("seed_line")
        if seed_line is not None and (isinstance(seed_line, bool) or not isinstance(seed_line, int) or seed_line < 1):
            raise bad("'seed_line' must be the line number in the seed that gives it", "seed_line")
        unknown = set(entry) - {"id", "rule", "what", "within", "within_working_days", "within_days", "within_hours",
                                "event", "seed_line"}
        if unknown:
            raise bad(f"unknown key {sorted(unknown)[0]!r}", sorted(unknown)[0])
        specs.append(DutySpec(table=table, id=entry["id"], rule=entry["rule"], what=entry["what"].strip(),
                              within=within, length=length, event=event, seed_line=seed_line))
    return tuple(specs)


def _fail(lines: list[str], table: str, problem: str):
    line = next((n for n, text in enumerate(lines, start=1) if re.match(rf"\s*\[*{table}\b", text)), None)
    raise DutyError(line, problem)


def due_clock(template: ClockSpec, duty: DutySpec, start: date, calendar: WorkingCalendar, *,
              due_on: date | None = None, start_at: datetime | None = None) -> ClockStart:
    """The deadline of one notification or request, with its explanation: counted from the day it happened or was
    asked (never counted itself), or the date the council set."""
    spec = replace(template, rule=duty.rule, label=f"{template.label}: {duty.what}")
    if duty.within == IMMEDIATELY:
        clock = start_clock(replace(spec, unit="working_days", length=0), start, calendar)
        note = (f"\"Immediately\" has no number ({duty.rule}, rules.md A52): Remedy counts it as the same working "
                "day, or the next working day when it happened on a day nobody works")
        return replace(clock, explanation=(clock.explanation[0], note, *clock.explanation[1:]))
    if duty.within == COUNCIL_SET:
        if due_on is None:
            raise ValueError("A council-set period needs the date the council set")
        days = (due_on - start).days
        clock = start_clock(replace(spec, unit="calendar_days", length=days), start, calendar)
        note = f"The council set the date when it asked ({duty.rule}: the contract gives no fixed period)"
        return replace(clock, explanation=(clock.explanation[0], note, *clock.explanation[1:]))
    unit = {"working_days": "working_days", "days": "calendar_days"}.get(duty.within, "hours")
    return start_clock(replace(spec, unit=unit, length=duty.length), start, calendar, start_at=start_at)
