"""A duty to notify (issue 15): something the provider must tell the council, by a deadline or "immediately".

The council (or the provider) records what happened and when; the provider records when it told the council. The
clock is the contract's: its rulebook's [[duties]] entry gives the rule and the period (workflows/duties.py; an
"immediately" duty is due by the end of the same working day, A52). Notice not given by then is marked late by the
scheduler (`mark_late`, a system step), and late or missing notice records the duty's breach event.
"""

from __future__ import annotations

import enum
from datetime import date

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart
from workflows.duties import DutySpec, due_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_date, need_text, table


class NotificationState(enum.Enum):
    """Where a duty to notify stands."""

    AWAITED = "awaited"  # it happened; the council has not yet been told
    NOTIFIED = "notified"  # the provider told the council (by the deadline, or late: see `late`)
    LATE = "late"  # the deadline passed with no notice (the scheduler's step)
    NOTIFIED_LATE = "notified_late"  # notice given after the scheduler marked it late


# The rule, label and period come from the rulebook's duty; this is the shape every notification clock shares.
NOTIFY_CLOCK = ClockSpec(kind="notification_due", label="Notice given to the council", rule="issue 15",
                         unit="working_days", length=None, starts="notification", stops=("NOTIFICATION_GIVEN",),
                         acts="provider", on_breach="notification_late", contractual=True)

NOTIFICATION_TRANSITIONS = table([
    {"trigger": "notify", "source": NotificationState.AWAITED, "dest": NotificationState.NOTIFIED,
     "roles": PROVIDERS | MANAGERS, "event": "NOTIFICATION_GIVEN",
     "label": "Record when the council was told"},
    {"trigger": "notify", "source": NotificationState.LATE, "dest": NotificationState.NOTIFIED_LATE,
     "roles": PROVIDERS | MANAGERS, "event": "NOTIFICATION_GIVEN",
     "label": "Record when the council was told"},
    {"trigger": "mark_late", "source": NotificationState.AWAITED, "dest": NotificationState.LATE,
     "roles": frozenset(), "event": "NOTIFICATION_LATE", "label": "Mark the notice as late", "system": True},
])


def validate_notification(data: dict, today: date) -> dict:
    """What happened and the date it happened (never in the future): what recording a duty to notify needs."""
    return {"what_happened": need_text(data, "what_happened", "Describe what happened (no names)"),
            "occurred_on": need_date(data, "occurred_on", "Enter the date it happened", today)}


def notify_deadline(duty: DutySpec, occurred_on: date, calendar: WorkingCalendar) -> ClockStart:
    """The duty's deadline, counted from the day it happened, with the explanation of the date."""
    return due_clock(NOTIFY_CLOCK, duty, occurred_on, calendar)


class NotificationWorkflow(Workflow):
    """A duty to notify, from the event to the notice given (on time or late); the provider or the council's
    managers record the notice, and the scheduler marks it late."""

    NAME = "notification"
    STATES = NotificationState
    TRANSITIONS = NOTIFICATION_TRANSITIONS
    FINAL = (NotificationState.NOTIFIED, NotificationState.NOTIFIED_LATE)

    def validate_notify(self, data: dict) -> dict:
        notified_on = need_date(data, "notified_on", "Enter the date the council was told", self.ctx.today)
        occurred_on = self.ctx.facts.get("occurred_on")
        if occurred_on is not None and notified_on < occurred_on:
            raise ValidationProblem(f"The date the council was told cannot be before it happened "
                                    f"({occurred_on:%-d %B %Y})", "notified_on")
        how = str(data.get("how") or "").strip()[:500]
        due_on = self.ctx.facts.get("due_on")
        return {"notified_on": notified_on, "how": how,
                "late": bool(due_on is not None and notified_on > due_on)}
