"""The weekly written capacity confirmation (BCM 2.1, HF-B02, HF-06): every Tuesday the provider tells Brokerage, in
writing, its total capacity and the hours it has available, at least a week ahead (issue 15, item 2).

One record per contract per week, awaited from the start of the week and due by the end of its Tuesday (a calendar
day: a bank holiday Tuesday is still the day, as the contract names no exception). Confirming it awaits the next
week's; no confirmation by the end of Tuesday makes the scheduler mark it missed (`mark_missed`, a system step),
which records the rulebook's `missed-capacity-confirmation` event, as does availability given with less than a
week's notice. The contract's rolling rule `capacity-not-confirmed` counts those events (a warning notice and no
new packages of care, HF-B02).
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from workflows.calendar import WorkingCalendar
from workflows.clock import LONDON, ClockSpec, ClockStart, start_clock
from workflows.errors import ValidationProblem
from workflows.home_care import WEEKDAYS, need_instant
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_date, need_int, table

NOTICE_DAYS = 7  # HF-06, HF-B02: available hours declared at least one week in advance


class CapacityState(enum.Enum):
    """Where one week's capacity confirmation stands."""

    AWAITED = "awaited"
    CONFIRMED = "confirmed"  # in writing by the end of the Tuesday
    MISSED = "missed"  # the Tuesday passed with none (the scheduler's step)
    CONFIRMED_LATE = "confirmed_late"  # given after the scheduler marked it missed


CAPACITY_CLOCK = ClockSpec(kind="capacity_confirmed", label="Weekly capacity confirmed in writing", rule="HF-B02",
                           unit="calendar_days", length=None, starts="capacity_week", stops=("CAPACITY_CONFIRMED",),
                           acts="provider", on_breach="capacity_missed")

CAPACITY_TRANSITIONS = table([
    {"trigger": "confirm", "source": CapacityState.AWAITED, "dest": CapacityState.CONFIRMED,
     "roles": PROVIDERS | MANAGERS, "event": "CAPACITY_CONFIRMED", "label": "Record the capacity confirmation"},
    {"trigger": "confirm", "source": CapacityState.MISSED, "dest": CapacityState.CONFIRMED_LATE,
     "roles": PROVIDERS | MANAGERS, "event": "CAPACITY_CONFIRMED", "label": "Record the capacity confirmation"},
    {"trigger": "mark_missed", "source": CapacityState.AWAITED, "dest": CapacityState.MISSED,
     "roles": frozenset(), "event": "CAPACITY_MISSED", "label": "Mark the week's confirmation as missed",
     "system": True},
])


def week_due(day: date, weekday: int) -> date:
    """The confirmation day of the week that contains `day` (weeks start on Monday): its Tuesday."""
    return day - timedelta(days=day.weekday()) + timedelta(days=weekday)


def capacity_deadline(due_on: date, weekday: int, calendar: WorkingCalendar) -> ClockStart:
    """The week's deadline: the end of its confirmation day, counted in calendar days from the Monday before."""
    monday = due_on - timedelta(days=due_on.weekday())
    start = monday - timedelta(days=1)  # the day before the week: its first day is counted
    clock = start_clock(CAPACITY_CLOCK, start, calendar, length=(due_on - start).days)
    note = (f"Written confirmation every {WEEKDAYS[weekday]} (HF-B02, HF-06): due by the end of "
            f"{due_on:%A %-d %B %Y}, a calendar day (a bank holiday is not skipped)")
    return replace(clock, explanation=(note, *clock.explanation[1:]))


class CapacityWorkflow(Workflow):
    """One week's capacity confirmation: confirmed (on time or late) or marked missed by the scheduler."""

    NAME = "capacity"
    STATES = CapacityState
    TRANSITIONS = CAPACITY_TRANSITIONS
    FINAL = (CapacityState.CONFIRMED, CapacityState.CONFIRMED_LATE)

    def validate_confirm(self, data: dict) -> dict:
        """The hours available, from which date, and when it was confirmed; under a week's notice is flagged."""
        confirmed_at = need_instant(data, "confirmed_at", "Enter when the capacity was confirmed", self.ctx.now)
        hours = need_int(data, "available_hours", "Enter the hours available for new packages", 0, 10000)
        available_from = need_date(data, "available_from", "Enter the date the hours are available from",
                                   self.ctx.today, allow_future=True)
        confirmed_on = confirmed_at.astimezone(LONDON).date()
        if available_from < confirmed_on:
            raise ValidationProblem("The hours cannot be available from before the day they were confirmed",
                                    "available_from")
        due_on = self.ctx.facts.get("due_on")
        late = bool(due_on is not None and confirmed_at > datetime.combine(due_on, time(23, 59, 59), tzinfo=LONDON))
        return {"confirmed_at": confirmed_at, "available_hours": hours, "available_from": available_from,
                "short_notice": (available_from - confirmed_on).days < NOTICE_DAYS, "late": late}
