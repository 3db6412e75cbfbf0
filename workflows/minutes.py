"""Minutes of contract monitoring meetings (KT-16, rules.md 2.6): the council sends them; the provider approves or
withholds approval within ten Business Days of receiving them; with no reply they are deemed approved.

The clock is the contract's own ([clocks] starting on "minutes_sent"): only Kent's rulebook has it, so other
contracts' minutes are approved or withheld but never deemed approved. It counts from deemed receipt
(workflows/service.py), not from sending."""

from __future__ import annotations

import enum
from dataclasses import replace

from workflows.clock import ClockSpec, start_clock
from workflows.machine import MANAGERS, PROVIDER_MANAGERS, Workflow, need_choice, need_date, need_text, table
from workflows.rulebook import SERVICE_METHODS
from workflows.service import STANDARD, deemed_receipt


class MinutesState(enum.Enum):
    """Where a meeting's minutes stand."""

    DRAFTED = "drafted"
    SENT = "sent"
    APPROVED = "approved"
    WITHHELD = "withheld"
    DEEMED_APPROVED = "deemed_approved"


# KT-16 "ten Business Days"; A21: the same working-day calendar as the other clocks. The rulebook's clock is the one
# used; this constant names the kind for deadline rows written before the clock moved into Kent's rulebook.
MINUTES_CLOCK = ClockSpec(kind="minutes_response", label="Minutes approved or approval withheld", rule="KT-16",
                          unit="working_days", length=10, starts="minutes_sent",
                          stops=("MINUTES_APPROVED", "MINUTES_WITHHELD"), acts="provider",
                          on_breach="deem_minutes_approved")

MINUTES_TRANSITIONS = table([
    {"trigger": "send", "source": MinutesState.DRAFTED, "dest": MinutesState.SENT, "roles": MANAGERS,
     "event": "MINUTES_SENT", "label": "Send the minutes to the provider"},
    {"trigger": "approve", "source": MinutesState.SENT, "dest": MinutesState.APPROVED, "roles": PROVIDER_MANAGERS,
     "event": "MINUTES_APPROVED", "label": "Approve the minutes"},
    {"trigger": "withhold", "source": MinutesState.SENT, "dest": MinutesState.WITHHELD, "roles": PROVIDER_MANAGERS,
     "event": "MINUTES_WITHHELD", "label": "Withhold approval, with reasons"},
    {"trigger": "deem_approved", "source": MinutesState.SENT, "dest": MinutesState.DEEMED_APPROVED,
     "roles": frozenset(), "event": "MINUTES_DEEMED_APPROVED", "label": "Deem the minutes approved",
     "system": True},
])


class MinutesWorkflow(Workflow):
    """Minutes from drafting to approved, withheld or deemed approved; only the scheduler deems approval."""

    NAME = "minutes"
    STATES = MinutesState
    TRANSITIONS = MINUTES_TRANSITIONS
    FINAL = (MinutesState.APPROVED, MinutesState.WITHHELD, MinutesState.DEEMED_APPROVED)

    def validate_send(self, data: dict) -> dict:
        sent_on = need_date(data, "sent_on", "Enter the date the minutes were sent", self.ctx.today)
        method = need_choice({"method": data.get("method") or "email"}, "method", SERVICE_METHODS,
                             "Select how the minutes were sent")
        book = self.ctx.rulebook
        receipt = deemed_receipt(method, sent_on, self.ctx.calendar, None, book.receipt_days(),
                                 book.deemed_receipt_source or STANDARD)
        return {"sent_on": sent_on, "method": method, "received_on": receipt.on, "receipt_rule": receipt.explanation}

    def validate_withhold(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why approval of the minutes is withheld")}

    def clocks_send(self, data: dict):
        clocks = []
        for spec in self.ctx.rulebook.clocks_starting("minutes_sent"):  # KT-16: Kent's contracts only
            clock = start_clock(spec, data["received_on"], self.ctx.calendar)
            clocks.append(replace(clock, explanation=(data["receipt_rule"], *clock.explanation)))
        return tuple(clocks), (), ()
