"""A breach the rules found, from proposal to a person's decision (A53: Remedy proposes, a person decides).

The rules (workflows/breach.py) find breaches; this machine is what happens to one afterwards. A person confirms it
(the case and its proposals follow) or dismisses it with a reason. A correction that cures it withdraws it, and the
same facts found again reopen it: both are system steps. An advisory breach (KT-10, the first year) is shown and never
escalated.
"""

from __future__ import annotations

import enum

from workflows.machine import MANAGERS, Workflow, need_text, table


class BreachState(enum.Enum):
    """Where a recorded breach stands."""

    PROPOSED = "proposed"
    ADVISORY = "advisory"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


OPEN_BREACH = (BreachState.PROPOSED, BreachState.CONFIRMED, BreachState.ADVISORY)

BREACH_TRANSITIONS = table([
    {"trigger": "confirm", "source": BreachState.PROPOSED, "dest": BreachState.CONFIRMED, "roles": MANAGERS,
     "event": "BREACH_CONFIRMED", "label": "Confirm the breach"},
    {"trigger": "dismiss", "source": BreachState.PROPOSED, "dest": BreachState.DISMISSED, "roles": MANAGERS,
     "event": "BREACH_DISMISSED", "label": "Dismiss the breach"},
    {"trigger": "withdraw", "source": OPEN_BREACH, "dest": BreachState.WITHDRAWN, "roles": frozenset(),
     "event": "BREACH_WITHDRAWN", "label": "Withdraw the breach", "system": True},
    {"trigger": "reopen", "source": BreachState.WITHDRAWN, "dest": BreachState.PROPOSED, "roles": frozenset(),
     "event": "BREACH_REOPENED", "label": "Reopen the breach", "system": True},
    {"trigger": "reopen_advisory", "source": BreachState.WITHDRAWN, "dest": BreachState.ADVISORY,
     "roles": frozenset(), "event": "BREACH_REOPENED", "label": "Reopen the breach as advisory", "system": True},
])


class BreachWorkflow(Workflow):
    """A recorded breach: a manager confirms or dismisses a proposed one; the system withdraws and reopens."""

    NAME = "breach"
    STATES = BreachState
    TRANSITIONS = BREACH_TRANSITIONS
    INITIAL = (BreachState.PROPOSED, BreachState.ADVISORY)
    FINAL = (BreachState.DISMISSED,)

    def validate_confirm(self, data: dict) -> dict:
        reason = str(data.get("reason") or "").strip()
        return {"reason": reason} if reason else {}

    def validate_dismiss(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why no action is needed")}
