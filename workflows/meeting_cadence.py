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

from dataclasses import dataclass

from workflows.rulebook_entries import TableError, entries, finish, one_of, whole

_KEYS = frozenset({"every_months", "every_weeks"})


class CadenceError(TableError):
    """A [[meetings]] entry that does not make sense, with its line."""


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
    cadences: list[MeetingCadence] = []
    for entry, bad in entries(text, data, "meetings", CadenceError, "CE-10"):
        key = one_of(entry, ("every_months", "every_weeks"), bad,
                     "give exactly one of every_months = N or every_weeks = N")
        every = whole(entry, key, 1, 52, bad)
        finish(entry, _KEYS, bad)
        cadences.append(MeetingCadence(id=entry["id"], rule=entry["rule"], what=entry["what"].strip(),
                                       unit=key.removeprefix("every_"), every=every,
                                       seed_line=entry.get("seed_line")))
    return tuple(cadences)
