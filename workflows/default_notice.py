"""Default notices (CE-35, CE-36; HF "default", A37): served by the authorised officer, numbered per contract,
stating the default, the remedial action, the remedy period and that the provider bears the cost.

CE-38: two or more defaults in any consecutive 6 months make a serious default (A9, A59: any default counts).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

from workflows.clock import add_months, start_clock
from workflows.machine import COMMISSIONERS, MANAGERS, Workflow, need_choice, need_date, need_int, need_text, table
from workflows.rulebook import SERVICE_METHODS

AT_PROVIDERS_COST = "The remedial action is to be carried out at the Provider's sole cost (CE-36)."


class DefaultState(enum.Enum):
    """Where a default notice stands."""

    DRAFTED = "drafted"
    SERVED = "served"
    REMEDIED = "remedied"
    NOT_REMEDIED = "not_remedied"
    WITHDRAWN = "withdrawn"  # the record is kept


DEFAULT_TRANSITIONS = table([
    {"trigger": "serve", "source": DefaultState.DRAFTED, "dest": DefaultState.SERVED, "roles": COMMISSIONERS,
     "event": "DEFAULT_SERVED", "label": "Serve the default notice", "rung": "default_notice",
     "legally_significant": True, "letter": True},
    {"trigger": "confirm_remedied", "source": (DefaultState.SERVED, DefaultState.NOT_REMEDIED),
     "dest": DefaultState.REMEDIED, "roles": MANAGERS, "event": "DEFAULT_REMEDIED",
     "label": "Confirm the default is remedied"},
    {"trigger": "record_not_remedied", "source": DefaultState.SERVED, "dest": DefaultState.NOT_REMEDIED,
     "roles": MANAGERS, "event": "DEFAULT_NOT_REMEDIED", "label": "Record that the default was not remedied"},
    {"trigger": "withdraw", "source": (DefaultState.DRAFTED, DefaultState.SERVED), "dest": DefaultState.WITHDRAWN,
     "roles": COMMISSIONERS, "event": "DEFAULT_WITHDRAWN", "label": "Withdraw the default notice"},
])


class DefaultNoticeWorkflow(Workflow):
    """A default notice from drafting to remedied, not remedied or withdrawn."""

    NAME = "default notice"
    STATES = DefaultState
    TRANSITIONS = DEFAULT_TRANSITIONS
    FINAL = (DefaultState.REMEDIED, DefaultState.WITHDRAWN)
    CREATE_ROLES = MANAGERS

    def validate_serve(self, data: dict) -> dict:
        cleaned = {
            "served_on": need_date(data, "served_on", "Enter the date the default notice was served", self.ctx.today),
            "method": need_choice(data, "method", SERVICE_METHODS, "Select how the notice was served"),
            "default_description": need_text(data, "default_description", "Describe the default"),
            "remedial_action": need_text(data, "remedial_action", "Enter the remedial action the provider must take"),
        }
        spec = self.remedy_clock()
        if spec is None or spec.length is None:
            cleaned["remedy_days"] = need_int(data, "remedy_days",
                                              "Enter the number of working days allowed for the remedy", 1, 120)
        cleaned["cost_statement"] = AT_PROVIDERS_COST
        return cleaned

    def validate_record_not_remedied(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter what was not remedied")}

    def validate_withdraw(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the default notice is withdrawn")}

    def remedy_clock(self):
        """The rulebook's remedy-period clock (CE-36), if any."""
        specs = self.ctx.rulebook.clocks_starting("default_served")
        return specs[0] if specs else None

    def clocks_serve(self, data: dict):
        spec = self.remedy_clock()
        if spec is None:
            return (), (), ()
        return (start_clock(spec, data["served_on"], self.ctx.calendar, length=data.get("remedy_days")),), (), ()

    def clocks_withdraw(self, data: dict):
        return (), (), ("*",)


def defaults_in_window(served: Iterable[date], on: date, months: int = 6) -> int:
    """How many defaults were served in the `months` up to and including `on` (CE-38's rolling window)."""
    start = add_months(on, -months)
    return sum(1 for day in served if start < day <= on)


def is_serious_default(served: Iterable[date], months: int = 6, count: int = 2) -> bool:
    """Whether any consecutive window of `months` holds `count` or more defaults (CE-38, A9)."""
    days = sorted(served)
    return any(defaults_in_window(days, day, months) >= count for day in days)
