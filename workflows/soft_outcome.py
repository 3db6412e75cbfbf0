"""A resident's annual soft-outcome check (issue 15, item 5; TH-S01 to TH-S09, TH-21) on the engine: due a year
after the resident moved in or after the last check, recorded by the council's Contract Compliance Team with one
rating per outcome, or marked overdue by the scheduler when its date passes (workflows/soft_outcome_spec.py reads the
rulebook's [soft_outcomes])."""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart, start_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, Workflow, need_date, table
from workflows.soft_outcome_spec import SoftOutcomes


class CheckState(enum.Enum):
    """Where a resident's soft-outcome check stands."""

    DUE = "due"
    OVERDUE = "overdue"  # its date passed with no check recorded (the scheduler's step)
    RECORDED = "recorded"


CHECK_CLOCK = ClockSpec(kind="soft_outcome_check", label="Soft-outcome check recorded", rule="TH-21",
                        unit="months", length=None, starts="check_planned", stops=("SOFT_OUTCOMES_RECORDED",),
                        acts="council", on_breach="soft_outcomes_overdue", contractual=True)

CHECK_TRANSITIONS = table([
    {"trigger": "record", "source": (CheckState.DUE, CheckState.OVERDUE), "dest": CheckState.RECORDED,
     "roles": MANAGERS, "event": "SOFT_OUTCOMES_RECORDED", "label": "Record the soft-outcome check"},
    {"trigger": "mark_overdue", "source": CheckState.DUE, "dest": CheckState.OVERDUE, "roles": frozenset(),
     "event": "SOFT_OUTCOMES_OVERDUE", "label": "Mark the check as overdue", "system": True},
])


def check_clock(spec: SoftOutcomes, counted_from: date, calendar: WorkingCalendar, *, first: bool) -> ClockStart:
    """When the next check is due: its months after the last check (or after the resident moved in)."""
    clock = start_clock(replace(CHECK_CLOCK, rule=spec.rule), counted_from, calendar, length=spec.every_months)
    since = "the day the resident moved in" if first else "the last check"
    note = (f"Soft outcomes TH-S01 to TH-S09 are checked every {spec.every_months} months ({spec.rule}): counted "
            f"from {since}, {counted_from:%-d %B %Y}")
    return replace(clock, explanation=(note, *clock.explanation))


class SoftOutcomeWorkflow(Workflow):
    """A check from due (or overdue) to recorded, with a rating for every outcome the contract lists."""

    NAME = "soft-outcome check"
    STATES = CheckState
    TRANSITIONS = CHECK_TRANSITIONS
    FINAL = (CheckState.RECORDED,)

    def validate_record(self, data: dict) -> dict:
        spec: SoftOutcomes | None = self.ctx.rulebook.soft_outcomes
        if spec is None:
            raise ValidationProblem("The contract sets no soft outcomes")
        checked_on = need_date(data, "checked_on", "Enter the date of the check", self.ctx.today)
        counted_from = self.ctx.facts.get("counted_from")
        if counted_from is not None and checked_on < counted_from:
            raise ValidationProblem(f"The date of the check cannot be before {counted_from:%-d %B %Y}", "checked_on")
        given = data.get("ratings")
        if not isinstance(given, dict):
            raise ValidationProblem("Give a rating for each soft outcome, TH-S01 to TH-S09", "ratings")
        values = dict(spec.scale)
        ratings = {}
        for ident, name in spec.outcomes:
            value = given.get(ident)
            if value not in values:
                raise ValidationProblem(f"Select a rating for {ident} {name}: "
                                        + ", ".join(label.lower() for label in values.values()), f"rating-{ident}")
            ratings[ident] = value
        extra = sorted(set(given) - set(ratings))
        if extra:
            raise ValidationProblem(f"{extra[0]} is not one of the contract's soft outcomes", "ratings")
        notes = data.get("notes")
        if notes is not None and (not isinstance(notes, str) or len(notes) > 5000):
            raise ValidationProblem("Notes must be text of 5,000 characters or fewer", "notes")
        return {"checked_on": checked_on, "ratings": ratings, "notes": (notes or "").strip() or None}
