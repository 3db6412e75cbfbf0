"""A request with a due date (issue 15): something the council asks and the provider must answer by a date.

The rulebook's [[requests]] entry gives the rule and the period (a number of working days, real hours, or the date
the council sets when it asks: workflows/duties.py). Either side records the answer (the provider answering, or the
council recording an answer it received another way). An answer not given by the date is marked overdue by the
scheduler (`mark_overdue`, a system step), and a late answer records the request type's breach event.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart
from workflows.duties import COUNCIL_SET, DutySpec, due_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_date, need_text, table


class RequestState(enum.Enum):
    """Where a request stands."""

    OPEN = "open"  # asked; the answer is awaited
    ANSWERED = "answered"  # answered (by the due date, or late: see `late`)
    OVERDUE = "overdue"  # the due date passed with no answer (the scheduler's step)
    WITHDRAWN = "withdrawn"  # the council no longer needs it


REQUEST_CLOCK = ClockSpec(kind="request_due", label="Request answered", rule="issue 15", unit="working_days",
                          length=None, starts="request", stops=("REQUEST_ANSWERED",), acts="provider",
                          on_breach="request_overdue", contractual=True)

REQUEST_TRANSITIONS = table([
    {"trigger": "answer", "source": (RequestState.OPEN, RequestState.OVERDUE), "dest": RequestState.ANSWERED,
     "roles": PROVIDERS | MANAGERS, "event": "REQUEST_ANSWERED", "label": "Answer the request"},
    {"trigger": "withdraw", "source": (RequestState.OPEN, RequestState.OVERDUE), "dest": RequestState.WITHDRAWN,
     "roles": MANAGERS, "event": "REQUEST_WITHDRAWN", "label": "Withdraw the request"},
    {"trigger": "mark_overdue", "source": RequestState.OPEN, "dest": RequestState.OVERDUE, "roles": frozenset(),
     "event": "REQUEST_OVERDUE", "label": "Mark the request as overdue", "system": True},
])


def validate_request(data: dict, duty: DutySpec, today: date) -> dict:
    """What the council asks for, the day it asks (never in the future) and, for a council-set period, the date to
    answer by (after the day it asks)."""
    asked_on = need_date(data, "asked_on", "Enter the date the council asked", today)
    cleaned: dict = {"what_asked": need_text(data, "what_asked", "Describe what the council is asking for (no names)"),
                     "asked_on": asked_on}
    if duty.within == COUNCIL_SET:
        due_on = need_date(data, "due_on", f"Enter the date the answer is due by ({duty.rule}: the council sets it)",
                           today, allow_future=True)
        if due_on <= asked_on:
            raise ValidationProblem("The date the answer is due must be after the date the council asked", "due_on")
        cleaned["due_on"] = due_on
    return cleaned


def answer_deadline(duty: DutySpec, asked_on: date, calendar: WorkingCalendar, due_on: date | None = None,
                    asked_at: datetime | None = None) -> ClockStart:
    """The request's deadline, counted from the day it was asked (hours: from the moment), with its explanation."""
    return due_clock(REQUEST_CLOCK, duty, asked_on, calendar, due_on=due_on, start_at=asked_at)


class RequestWorkflow(Workflow):
    """A council request from being asked to being answered (on time or late), or withdrawn; the scheduler marks an
    unanswered request overdue."""

    NAME = "request"
    STATES = RequestState
    TRANSITIONS = REQUEST_TRANSITIONS
    FINAL = (RequestState.ANSWERED, RequestState.WITHDRAWN)

    def validate_answer(self, data: dict) -> dict:
        answer = need_text(data, "answer", "Enter the answer (no names)")
        answered_on = need_date(data, "answered_on", "Enter the date it was answered", self.ctx.today)
        asked_on = self.ctx.facts.get("asked_on")
        if asked_on is not None and answered_on < asked_on:
            raise ValidationProblem(f"The date it was answered cannot be before it was asked ({asked_on:%-d %B %Y})",
                                    "answered_on")
        due_on = self.ctx.facts.get("due_on")
        return {"answer": answer, "answered_on": answered_on,
                "late": bool(due_on is not None and answered_on > due_on)}

    def validate_withdraw(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the request is withdrawn")}

    def clocks_withdraw(self, cleaned: dict):
        return (), (), ("*",)
