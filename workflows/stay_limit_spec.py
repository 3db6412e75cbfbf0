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

from dataclasses import dataclass

from workflows.rulebook_entries import TableError, entries, finish, one_of, whole

STARTS = {"moved_in": "the day the person moved in", "priority_awarded": "the day the priority was awarded"}
_KEYS = frozenset({"years", "months", "starts", "agreeable"})


class StayLimitError(TableError):
    """A [[stay_limits]] entry that does not make sense, with its line."""


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
    specs: list[StayLimitSpec] = []
    for entry, bad in entries(text, data, "stay_limits", StayLimitError, "TH-11"):
        key = one_of(entry, ("years", "months"), bad, "give exactly one of years = N or months = N")
        value = whole(entry, key, 1, 10 if key == "years" else 120, bad)
        if entry.get("starts") not in STARTS:
            raise bad(f"'starts' must be one of {', '.join(STARTS)}", "starts")
        if not isinstance(entry.get("agreeable", False), bool):
            raise bad("'agreeable' must be true or false", "agreeable")
        finish(entry, _KEYS, bad)
        specs.append(StayLimitSpec(id=entry["id"], rule=entry["rule"], what=entry["what"].strip(),
                                   months=value * 12 if key == "years" else value, starts=entry["starts"],
                                   agreeable=entry.get("agreeable", False), seed_line=entry.get("seed_line")))
    return tuple(specs)
