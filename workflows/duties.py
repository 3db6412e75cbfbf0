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

from dataclasses import dataclass, replace
from datetime import date, datetime

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart, start_clock
from workflows.rulebook_entries import TableError, entries, finish, one_of, whole

DUTY_TABLES = ("duties", "requests")
DEFAULT_EVENTS = {"duties": "late-notice", "requests": "late-answer"}
IMMEDIATELY = "immediately"
COUNCIL_SET = "council-set"
_KEYS = frozenset({"within", "within_working_days", "within_days", "within_hours", "event"})


class DutyError(TableError):
    """A [[duties]] or [[requests]] entry that does not make sense, with its line."""


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
    specs: list[DutySpec] = []
    for entry, bad in entries(text, data, table, DutyError):
        key = one_of(entry, ("within", "within_working_days", "within_days", "within_hours"), bad,
                     "give exactly one of within = \"immediately\" or \"council-set\", within_working_days = N, "
                     "within_days = N" + (" or within_hours = N" if table == "requests" else ""))
        length = None
        if key == "within":
            if entry[key] not in (IMMEDIATELY, COUNCIL_SET):
                raise bad("'within' must be \"immediately\" or \"council-set\"", key)
            within = entry[key]
        else:
            length = whole(entry, key, 1, 365, bad)
            if key == "within_hours" and table != "requests":
                raise bad("a duty to notify counts working days or \"immediately\", not hours", key)
            within = key.removeprefix("within_")
        event = entry.get("event", DEFAULT_EVENTS[table])
        if "event" in entry and (not isinstance(event, str) or event not in events):
            raise bad("'event' must be one of the rulebook's [monitoring] events"
                      + (f" ({', '.join(events)})" if events else " (it has none)"), "event")
        finish(entry, _KEYS, bad)
        specs.append(DutySpec(table=table, id=entry["id"], rule=entry["rule"], what=entry["what"].strip(),
                              within=within, length=length, event=event, seed_line=entry.get("seed_line")))
    return tuple(specs)


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
