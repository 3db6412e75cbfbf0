"""Improvement notice, formal warning or warning letter: one machine, named by the contract's rulebook.

Cheshire East's informal Improvement Notice sets the SIAP deadline itself (CE-45, A13); Kent's formal warning
requires an action plan agreed within 10 working days of receipt (KT-17, KT-18, KT-19); Hammersmith & Fulham's
warning notice or letter is one type (A36). Issuing starts the rulebook's action-plan clock from the date the
notice is received: the provider's acknowledgement if earlier, otherwise the deemed date for the way it was sent.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date, datetime

from workflows.clock import LONDON, start_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_choice, need_date, need_int, need_text, table
from workflows.rulebook import SERVICE_METHODS
from workflows.service import STANDARD, Receipt, deemed_receipt


def need_instant(data: dict, key: str, on: date) -> datetime | None:
    """An optional time something was sent (ISO 8601 with an offset), on the date given for it."""
    raw = data.get(key)
    if raw in (None, ""):
        return None
    try:
        at = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError:
        raise ValidationProblem("Give the time it was sent as 2026-12-18T16:30:00+00:00", key) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=LONDON)
    if at.astimezone(LONDON).date() != on:
        raise ValidationProblem("The time it was sent must be on the date it was served", key)
    return at


class NoticeState(enum.Enum):
    """Where a notice stands."""

    DRAFT = "draft"
    ISSUED = "issued"  # served; not yet known to be received
    PLAN_DUE = "plan_due"  # received; the action plan clock runs
    PLAN_SUBMITTED = "plan_submitted"
    CLOSED = "closed"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"


NOTICE_TRANSITIONS = table([
    {"trigger": "issue", "source": NoticeState.DRAFT, "dest": NoticeState.ISSUED, "roles": MANAGERS,
     "event": "NOTICE_ISSUED", "label": "Issue the notice", "rung": "notice", "letter": True},
    {"trigger": "acknowledge", "source": NoticeState.ISSUED, "dest": NoticeState.PLAN_DUE,
     "roles": PROVIDERS | MANAGERS, "event": "NOTICE_RECEIVED", "label": "Record receipt of the notice",
     "system": True},
    # A plan written in Remedy moves the notice itself when it is submitted (models/case_records.py); this step is
    # the council's record of a plan that reached it another way, so only when no plan for the notice is in Remedy.
    {"trigger": "record_plan_submitted", "source": (NoticeState.ISSUED, NoticeState.PLAN_DUE),
     "dest": NoticeState.PLAN_SUBMITTED, "roles": MANAGERS, "event": "NOTICE_PLAN_SUBMITTED",
     "label": "Record a plan received outside Remedy"},
    {"trigger": "record_plan_returned", "source": NoticeState.PLAN_SUBMITTED, "dest": NoticeState.PLAN_DUE,
     "roles": MANAGERS, "event": "NOTICE_PLAN_RETURNED", "label": "Record that the plan was returned"},
    {"trigger": "close", "source": (NoticeState.PLAN_SUBMITTED,), "dest": NoticeState.CLOSED, "roles": MANAGERS,
     "event": "NOTICE_CLOSED", "label": "Close the notice"},
    {"trigger": "escalate", "source": (NoticeState.ISSUED, NoticeState.PLAN_DUE, NoticeState.PLAN_SUBMITTED),
     "dest": NoticeState.ESCALATED, "roles": MANAGERS, "event": "NOTICE_ESCALATED",
     "label": "Escalate (the notice was not answered well enough)"},
    {"trigger": "withdraw", "source": (NoticeState.DRAFT, NoticeState.ISSUED, NoticeState.PLAN_DUE),
     "dest": NoticeState.WITHDRAWN, "roles": MANAGERS, "event": "NOTICE_WITHDRAWN", "label": "Withdraw the notice"},
])


class NoticeWorkflow(Workflow):
    """A notice's life, from draft to closed or escalated."""

    NAME = "notice"
    STATES = NoticeState
    TRANSITIONS = NOTICE_TRANSITIONS
    FINAL = (NoticeState.CLOSED, NoticeState.ESCALATED, NoticeState.WITHDRAWN)
    CREATE_ROLES = MANAGERS

    def extra_refusal(self, row):
        if row.trigger == "record_plan_submitted" and self.ctx.facts.get("plan_in_remedy"):
            return ("This notice's action plan is being written in Remedy: it is recorded as submitted when the "
                    "provider submits it")
        return None

    def validate_issue(self, data: dict) -> dict:
        today = self.ctx.today
        served_on = need_date(data, "served_on", "Enter the date the notice was served", today)
        method = need_choice(data, "method", SERVICE_METHODS, "Select how the notice was served")
        sent_at = need_instant(data, "served_at", served_on)
        receipt = self.deemed_receipt(served_on, method, sent_at)
        cleaned = {"served_on": served_on, "method": method, "received_on": receipt.on,
                   "receipt_rule": receipt.explanation}
        spec = self.plan_clock()
        if spec is not None and spec.length is None:
            # Council-set (CE-45, HF-14): the notice states how long the provider has.
            cleaned["plan_due_days"] = need_int(data, "plan_due_days",
                                                "Enter the number of working days the provider has for the plan",
                                                1, 120)
        return cleaned

    def validate_acknowledge(self, data: dict) -> dict:
        """The day the notice arrived, as the provider (or the council) records it. The notice is treated as received
        that day when it is earlier than the deemed day for the way it was sent, otherwise on the deemed day (the
        notices clause; KT-19's 10 working days run from receipt). So a later acknowledgement moves neither the
        clock nor the record's `received_on`, which is always the day the clock counts from; the day acknowledged
        is kept in the audit trail as `acknowledged_on`."""
        facts = self.ctx.facts
        acknowledged_on = need_date(data, "received_on", "Enter the date the notice was received", self.ctx.today)
        if facts.get("served_on") and acknowledged_on < facts["served_on"]:
            raise ValidationProblem("The notice cannot be received before it was served", "received_on")
        deemed = facts.get("received_on")
        if deemed is None or acknowledged_on == deemed:
            said = f"Received on {acknowledged_on:%-d %B %Y}"
        elif acknowledged_on < deemed:
            said = (f"Received on {acknowledged_on:%-d %B %Y}, before its deemed day ({deemed:%-d %B %Y}): the plan's "
                    f"clock now counts from the day it was received")
        else:
            said = (f"Received on {acknowledged_on:%-d %B %Y}, as recorded; treated as received on its deemed day, "
                    f"{deemed:%-d %B %Y}, from which the plan's clock counts")
        return {"acknowledged_on": acknowledged_on, "reason": said,  # the reason is the timeline's line
                "received_on": acknowledged_on if deemed is None else min(acknowledged_on, deemed)}

    def validate_escalate(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the notice is being escalated")}

    def validate_withdraw(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the notice is being withdrawn")}

    def deemed_receipt(self, served_on, method: str, sent_at=None) -> Receipt:
        """When a notice sent this way counts as received: the council's setting, else the standard notices clause."""
        book = self.ctx.rulebook
        return deemed_receipt(method, served_on, self.ctx.calendar, sent_at, book.receipt_days(),
                              book.deemed_receipt_source or STANDARD)

    def plan_clock(self):
        """The rulebook's clock that a notice's receipt starts, if any."""
        specs = self.ctx.rulebook.clocks_starting("notice_received")
        return specs[0] if specs else None

    def clocks_issue(self, data: dict):
        spec = self.plan_clock()
        if spec is None:
            return (), (), ()
        clock = start_clock(spec, data["received_on"], self.ctx.calendar, length=data.get("plan_due_days"))
        # The deadline's explanation starts with the receipt rule it counted from.
        clock = replace(clock, explanation=(data["receipt_rule"], *clock.explanation))
        return (clock,), (), ()

    def clocks_acknowledge(self, data: dict):
        # An acknowledgement earlier than the deemed date moves the clock's start to the real receipt date.
        spec = self.plan_clock()
        deemed = self.ctx.facts.get("received_on")
        if spec is None or deemed is None or data["received_on"] >= deemed:
            return (), (), ()
        clock = start_clock(spec, data["received_on"], self.ctx.calendar, length=self.ctx.facts.get("plan_due_days"))
        return (clock,), (), ()

    def clocks_withdraw(self, data: dict):
        return (), (), ("*",)

    def clocks_escalate(self, data: dict):
        return (), (), ("*",)


# Representations: what the provider says about the notice's findings before the action plan is due. The seeds do
# not fix a window (rules.md section 4), so the notice's own plan clock is the window: from issue until the plan is
# due (KT-19's 10 working days from receipt on Kent's contracts).
REPRESENTATION_STATES = (NoticeState.ISSUED, NoticeState.PLAN_DUE)


def representation_refusal(state: NoticeState, today, window_ends_on) -> str | None:
    """Why the provider cannot make representations on this notice now, or None if the window is open."""
    if state not in REPRESENTATION_STATES:
        return (f"Representations can be made only while the notice is open (it is "
                f"{state.value.replace('_', ' ')})")
    if window_ends_on is not None and today > window_ends_on:
        return f"The window for representations closed on {window_ends_on:%-d %B %Y}"
    return None
