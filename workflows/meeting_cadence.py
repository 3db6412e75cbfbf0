"""Meeting cadences (issue 15, item 6): how often a contract's monitoring meetings must be held, and the planned
next meeting that Remedy keeps for each.

Each rulebook names its cadence in `[[meetings]]` entries, with the rule that gives it:

* Cheshire East: quarterly contract monitoring meetings (CE-10, CE-48: "at least every quarter");
* Hammersmith & Fulham: contract monitoring meetings every six weeks (HF-38);
* Kent: one annual county-wide contract meeting and quarterly provider forums (KT-13);
* Cornwall: quarterly contract monitoring meetings (CW-13).

Thurrock's specification names meetings among its monitoring methods but gives no frequency (TH-13), so its rulebook
lists none. The next meeting is due one cadence after the last one held (or, with none held, after the day Remedy
started monitoring the contract), by the end of that day; it is a date, not a count of working days, because the
contracts say "quarterly" and "every six weeks". Reminders go to the people who should attend (the contract manager
and the provider's staff) the usual working days before; a planned meeting not held by its date is marked overdue by
the scheduler (`mark_overdue`), and holding it (recording the meeting) plans the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_RULE = re.compile(r"^[A-Z]{1,3}-[A-Z]?\d{2,3}$")
_KEYS = {"id", "rule", "what", "every_months", "every_weeks", "seed_line"}


class CadenceError(ValueError):
    """A [[meetings]] entry that does not make sense, with its line."""

    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class MeetingCadence:
    """One kind of meeting a contract must hold, and how often: every N calendar months or every N weeks."""

    id: str
    rule: str
    what: str
    unit: str  # "months" or "weeks"
    every: int
    seed_line: int | None = None

    @property
    def period(self) -> str:
        """How often, in words: "every 3 months", "every 6 weeks", "every 12 months"."""
        noun = "month" if self.unit == "months" else "week"
        return f"every {self.every} {noun}{'' if self.every == 1 else 's'}"


def parse_meetings(text: str, data: dict) -> tuple[MeetingCadence, ...]:
    """Read a rulebook's [[meetings]] array, each problem reported with its line."""
    raw = data.get("meetings", [])
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines, start=1) if line.strip() == "[[meetings]]"]
    if not isinstance(raw, list):
        first = next((n for n, line in enumerate(lines, start=1) if re.match(r"\s*\[*meetings\b", line)), None)
        raise CadenceError(first, "'meetings' must be written as [[meetings]] entries")

    def key_line(top: int | None, key: str) -> int | None:
        if top is None:
            return None
        for number in range(top + 1, len(lines) + 1):
            if lines[number - 1].strip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[number - 1]):
                return number
        return top

    cadences: list[MeetingCadence] = []
    for index, entry in enumerate(raw):
        top = headers[index] if index < len(headers) else None

        def bad(problem: str, key: str | None = None, top=top, entry=entry) -> CadenceError:
            ident = entry.get("id") if isinstance(entry, dict) else None
            where = f"[[meetings]] {ident!r}" if isinstance(ident, str) else "[[meetings]]"
            return CadenceError(key_line(top, key) if key else top, f"{where}: {problem}")

        for key in ("id", "rule", "what"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise bad(f"'{key}' must be a non-empty string", key)
        if not _ID.match(entry["id"]):
            raise bad("'id' must be lower-case letters, digits and hyphens", "id")
        if any(c.id == entry["id"] for c in cadences):
            raise bad(f"id {entry['id']!r} is used twice", "id")
        if not _RULE.match(entry["rule"]):
            raise bad("'rule' must be a rule id from shared/domain/rules.md, like CE-10", "rule")
        given = [k for k in ("every_months", "every_weeks") if k in entry]
        if len(given) != 1:
            raise bad("give exactly one of every_months = N or every_weeks = N", given[1] if given else None)
        value = entry[given[0]]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 52:
            raise bad(f"'{given[0]}' must be a whole number from 1 to 52", given[0])
        seed_line = entry.get("seed_line")
        if seed_line is not None and (isinstance(seed_line, bool) or not isinstance(seed_line, int) or seed_line < 1):
            raise bad("'seed_line' must be the line number in the seed that gives it", "seed_line")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise bad(f"unknown key {unknown[0]!r}", unknown[0])
        cadences.append(MeetingCadence(id=entry["id"], rule=entry["rule"], what=entry["what"].strip(),
                                       unit=given[0].removeprefix("every_"), every=value, seed_line=seed_line))
    return tuple(cadences)
