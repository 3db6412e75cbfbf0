"""A person's stay limit on the engine (issue 15, item 5; TH-11, TH-12): running until it ends or, for the length of
stay, a longer stay is agreed; marked overstayed by the scheduler when its date passes (workflows/stay_limit_spec.py
reads the rulebook's [[stay_limits]])."""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart, start_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_date, need_text, table
from workflows.stay_limit_spec import STARTS, StayLimitSpec


class StayState(enum.Enum):
    """Where a person's stay limit stands."""

    RUNNING = "running"  # within the limit
    OVERSTAYED = "overstayed"  # the limit passed with the stay (or the priority) not ended (the scheduler's step)
    ENDED = "ended"  # the person moved on, or the priority was used
    AGREED = "agreed"  # the care practitioner agreed a longer stay (TH-11)


STAY_CLOCK = ClockSpec(kind="stay_limit", label="Stay limit", rule="issue 15", unit="months", length=None,
                       starts="stay_started", stops=("STAY_ENDED", "STAY_AGREED"), acts="both",
                       on_breach="stay_overstayed", contractual=True)

STAY_TRANSITIONS = table([
    {"trigger": "end", "source": (StayState.RUNNING, StayState.OVERSTAYED), "dest": StayState.ENDED,
     "roles": MANAGERS | PROVIDERS, "event": "STAY_ENDED", "label": "Record that it ended"},
    {"trigger": "agree", "source": (StayState.RUNNING, StayState.OVERSTAYED), "dest": StayState.AGREED,
     "roles": MANAGERS, "event": "STAY_AGREED", "label": "Record that the care practitioner agreed a longer stay"},
    {"trigger": "mark_overstayed", "source": StayState.RUNNING, "dest": StayState.OVERSTAYED,
     "roles": frozenset(), "event": "STAY_OVERSTAYED", "label": "Mark the limit as passed", "system": True},
])


def stay_clock(spec: StayLimitSpec, started_on: date, calendar: WorkingCalendar) -> ClockStart:
    """The limit's date: its months after the start (the start day itself is day 0), with its rule."""
    clock = start_clock(replace(STAY_CLOCK, rule=spec.rule, label=f"{spec.what} ({spec.period})"), started_on,
                        calendar, length=spec.months)
    note = f"{spec.what}: {spec.period} from {STARTS[spec.starts]}, {started_on:%-d %B %Y} ({spec.rule})"
    return replace(clock, explanation=(note, *clock.explanation))


class StayWorkflow(Workflow):
    """A person's stay (or priority) limit, from running to ended, agreed longer (TH-11) or overstayed."""

    NAME = "stay limit"
    STATES = StayState
    TRANSITIONS = STAY_TRANSITIONS
    FINAL = (StayState.ENDED, StayState.AGREED)

    def validate_end(self, data: dict) -> dict:
        ended_on = need_date(data, "ended_on", "Enter the date it ended", self.ctx.today)
        started = self.ctx.facts.get("started_on")
        if started is not None and ended_on < started:
            raise ValidationProblem(f"The date it ended cannot be before it started ({started:%-d %B %Y})",
                                    "ended_on")
        return {"ended_on": ended_on}

    def validate_agree(self, data: dict) -> dict:
        if not self.ctx.facts.get("agreeable"):
            raise ValidationProblem("This limit cannot be agreed longer: only the length of stay can (TH-11)",
                                    "reason")
        return {"reason": need_text(data, "reason", "Enter what the care practitioner agreed (no names)")}
