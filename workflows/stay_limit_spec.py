"""Per-person stay limits (issue 15, item 5): how long a person may stay, or a priority lasts, under a contract.

A rulebook lists its limits in `[[stay_limits]]`, with the rule that gives each:

* Thurrock TH-11: "the individual's length of stay be no more than 2 years, unless agreed by the individuals care
  practitioner" (seed 003 §5.4.1), counted from the day the resident moved in (`Person.started_on`);
* Thurrock TH-12: a move-on priority (Band 3) "will be for a period of one year" (§5.4.4), counted from the day the
  priority was awarded (not from moving in).

The limit is a date (calendar months from the start, end-of-month clamped: 29 February + 1 year is 28 February).
Reminders go to the contract manager and the provider the usual working days before; when the date passes with the
person still there (or the priority unused) the scheduler marks the stay `overstayed` (TH-11) or the priority
`lapsed` in words, the same state. The council records that it ended (`end`: moved on, or the priority was used), or
(TH-11 only) that the care practitioner agreed a longer stay (`agree`), which stops the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STARTS = {"moved_in": "the day the person moved in", "priority_awarded": "the day the priority was awarded"}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_RULE = re.compile(r"^[A-Z]{1,3}-[A-Z]?\d{2,3}$")
_KEYS = {"id", "rule", "what", "years", "months", "starts", "agreeable", "seed_line"}


class StayLimitError(ValueError):
    """A [[stay_limits]] entry that does not make sense, with its line."""

    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class StayLimitSpec:
    """One per-person limit: what it is, its rule, how many months, what starts it, and whether it can be agreed
    longer (TH-11 "unless agreed by the individual's care practitioner")."""

    id: str
    rule: str
    what: str
    months: int
    starts: str
    agreeable: bool = False
    seed_line: int | None = None

    @property
    def period(self) -> str:
        """"2 years", "1 year", "18 months"."""
        if self.months % 12 == 0:
            years = self.months // 12
            return f"{years} year{'' if years == 1 else 's'}"
        return f"{self.months} months"


def parse_stay_limits(text: str, data: dict) -> tuple[StayLimitSpec, ...]:
    """Read a rulebook's [[stay_limits]] array, each problem reported with its line."""
    raw = data.get("stay_limits", [])
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines, start=1) if line.strip() == "[[stay_limits]]"]
    if not isinstance(raw, list):
        raise StayLimitError(None, "'stay_limits' must be written as [[stay_limits]] entries")

    def key_line(top: int | None, key: str) -> int | None:
        if top is None:
            return None
        for number in range(top + 1, len(lines) + 1):
            if lines[number - 1].strip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[number - 1]):
                return number
        return top

    specs: list[StayLimitSpec] = []
    for index, entry in enumerate(raw):
        top = headers[index] if index < len(headers) else None

        def bad(problem: str, key: str | None = None, top=top, entry=entry) -> StayLimitError:
            ident = entry.get("id") if isinstance(entry, dict) else None
            where = f"[[stay_limits]] {ident!r}" if isinstance(ident, str) else "[[stay_limits]]"
            return StayLimitError(key_line(top, key) if key else top, f"{where}: {problem}")

        for key in ("id", "rule", "what"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise bad(f"'{key}' must be a non-empty string", key)
        if not _ID.match(entry["id"]) or any(s.id == entry["id"] for s in specs):
            raise bad("'id' must be lower-case letters, digits and hyphens, used once", "id")
        if not _RULE.match(entry["rule"]):
            raise bad("'rule' must be a rule id from shared/domain/rules.md, like TH-11", "rule")
        given = [k for k in ("years", "months") if k in entry]
        if len(given) != 1:
            raise bad("give exactly one of years = N or months = N", given[1] if given else None)
        value = entry[given[0]]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= (10 if given[0] == "years"
                                                                                      else 120):
            raise bad(f"'{given[0]}' must be a whole number from 1 to {10 if given[0] == 'years' else 120}",
                      given[0])
        if entry.get("starts") not in STARTS:
            raise bad(f"'starts' must be one of {', '.join(STARTS)}", "starts")
        if not isinstance(entry.get("agreeable", False), bool):
            raise bad("'agreeable' must be true or false", "agreeable")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise bad(f"unknown key {unknown[0]!r}", unknown[0])
        specs.append(StayLimitSpec(id=entry["id"], rule=entry["rule"], what=entry["what"].strip(),
                                   months=value * 12 if given[0] == "years" else value, starts=entry["starts"],
                                   agreeable=entry.get("agreeable", False), seed_line=entry.get("seed_line")))
    return tuple(specs)
