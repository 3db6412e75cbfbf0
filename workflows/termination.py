"""Termination: considered, then decided by the commissioning manager only (KT-08 Clause 48, TH-20, HF 8.16,
CE-34 clause 26.1(b) per A6), with the effective date and an exit plan (HF-48: the transfer of residents and their
information to other providers); or not pursued."""

from __future__ import annotations

import enum

from workflows.errors import ValidationProblem
from workflows.machine import COMMISSIONERS, Workflow, need_date, need_text, table


class TerminationState(enum.Enum):
    """Where a termination stands."""

    CONSIDERED = "considered"
    DECIDED = "decided"
    NOT_PURSUED = "not_pursued"


TERMINATION_TRANSITIONS = table([
    {"trigger": "decide", "source": TerminationState.CONSIDERED, "dest": TerminationState.DECIDED,
     "roles": COMMISSIONERS, "event": "TERMINATION_DECIDED", "label": "Decide to terminate",
     "rung": "termination", "legally_significant": True, "letter": True},
    {"trigger": "withdraw", "source": TerminationState.CONSIDERED, "dest": TerminationState.NOT_PURSUED,
     "roles": frozenset(), "event": "PROPOSAL_WITHDRAWN", "label": "Withdraw the proposal", "system": True},
    {"trigger": "not_pursue", "source": TerminationState.CONSIDERED, "dest": TerminationState.NOT_PURSUED,
     "roles": COMMISSIONERS, "event": "TERMINATION_NOT_PURSUED", "label": "Decide not to terminate"},
])


class TerminationWorkflow(Workflow):
    """A termination decision; only the authorised officer decides."""

    NAME = "termination"
    STATES = TerminationState
    TRANSITIONS = TERMINATION_TRANSITIONS
    FINAL = (TerminationState.DECIDED, TerminationState.NOT_PURSUED)

    def validate_decide(self, data: dict) -> dict:
        decided_on = need_date(data, "decided_on", "Enter the date of the decision", self.ctx.today)
        effective_on = need_date(data, "effective_on", "Enter the date the termination takes effect", self.ctx.today,
                                 allow_future=True)
        if effective_on < decided_on:
            raise ValidationProblem("The termination cannot take effect before it is decided", "effective_on")
        return {"decided_on": decided_on, "effective_on": effective_on,
                "grounds": need_text(data, "grounds", "Enter the contractual grounds for termination"),
                "exit_plan": need_text(data, "exit_plan", "Enter the exit plan (transfer of residents, data, keys)")}

    def validate_not_pursue(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why termination is not being pursued")}
