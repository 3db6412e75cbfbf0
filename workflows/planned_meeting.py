"""The next meeting of a contract's cadence (issue 15, item 6): planned with its date, held when a meeting of that
kind is recorded, or marked overdue by the scheduler when its date passes (workflows/meeting_cadence.py reads the
cadences: CE-10, HF-38, KT-13, CW-13)."""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart, start_clock
from workflows.machine import MANAGERS, Workflow, need_text, table
from workflows.meeting_cadence import MeetingCadence


class PlannedMeetingState(enum.Enum):
    """Where the next meeting of a cadence stands."""

    PLANNED = "planned"  # due by its date
    OVERDUE = "overdue"  # its date passed with no meeting held (the scheduler's step)
    HELD = "held"  # a meeting of this cadence was recorded
    CANCELLED = "cancelled"  # the council no longer needs it (the contract ended, the cadence changed)


MEETING_CLOCK = ClockSpec(kind="meeting_due", label="Contract meeting held", rule="issue 15", unit="months",
                          length=None, starts="meeting_planned", stops=("PLANNED_MEETING_HELD",), acts="both",
                          on_breach="meeting_overdue", contractual=True)

PLANNED_MEETING_TRANSITIONS = table([
    {"trigger": "hold", "source": (PlannedMeetingState.PLANNED, PlannedMeetingState.OVERDUE),
     "dest": PlannedMeetingState.HELD, "roles": frozenset(), "event": "PLANNED_MEETING_HELD",
     "label": "Hold the meeting", "via": "a meeting of this kind is recorded for the contract"},
    {"trigger": "cancel", "source": (PlannedMeetingState.PLANNED, PlannedMeetingState.OVERDUE),
     "dest": PlannedMeetingState.CANCELLED, "roles": MANAGERS, "event": "PLANNED_MEETING_CANCELLED",
     "label": "Cancel the planned meeting"},
    {"trigger": "mark_overdue", "source": PlannedMeetingState.PLANNED, "dest": PlannedMeetingState.OVERDUE,
     "roles": frozenset(), "event": "PLANNED_MEETING_OVERDUE", "label": "Mark the meeting as overdue",
     "system": True},
])


def next_meeting_clock(cadence: MeetingCadence, last: date, calendar: WorkingCalendar, *,
                       from_contract: bool = False) -> ClockStart:
    """When the next meeting of a cadence is due: one cadence after the last meeting held (or the day monitoring
    began), by the end of that day, with its explanation and rule."""
    unit, length = ("months", cadence.every) if cadence.unit == "months" else ("calendar_days", cadence.every * 7)
    spec = replace(MEETING_CLOCK, rule=cadence.rule, label=f"{MEETING_CLOCK.label}: {cadence.what}", unit=unit)
    clock = start_clock(spec, last, calendar, length=length)
    since = (f"Counted from {last:%-d %B %Y}, when Remedy began monitoring the contract (no meeting recorded yet)"
             if from_contract else f"Counted from the last meeting held, on {last:%-d %B %Y}")
    note = f"{cadence.what}: {cadence.period} ({cadence.rule}). {since}"
    return replace(clock, explanation=(note, *clock.explanation))


class PlannedMeetingWorkflow(Workflow):
    """The next meeting of a cadence, from planned to held (or overdue first); the council may cancel it."""

    NAME = "planned meeting"
    STATES = PlannedMeetingState
    TRANSITIONS = PLANNED_MEETING_TRANSITIONS
    FINAL = (PlannedMeetingState.HELD, PlannedMeetingState.CANCELLED)

    def validate_cancel(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the planned meeting is cancelled")}

    def clocks_cancel(self, cleaned: dict):
        return (), (), ("*",)
