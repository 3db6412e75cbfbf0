"""Milestones of an action plan (KT-19: key tasks, milestones and timescales): planned, in progress, done with
evidence, verified by the council, or overdue."""

from __future__ import annotations

import enum

from workflows.clock import ClockSpec
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_text, table


class MilestoneState(enum.Enum):
    """Where a milestone stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"  # the provider says it is done, with evidence
    VERIFIED = "verified"  # the council checked the evidence
    OVERDUE = "overdue"


# KT-19: the agreed plan's milestones are deadlines too (fixed dates agreed by both parties).
MILESTONE_CLOCK = ClockSpec(kind="milestone_due", label="Milestone completed", rule="KT-19", unit="calendar_days",
                            length=0, starts="plan_agreed", stops=("MILESTONE_DONE",), acts="provider",
                            on_breach="milestone_overdue")

MILESTONE_TRANSITIONS = table([
    {"trigger": "start", "source": MilestoneState.PLANNED, "dest": MilestoneState.IN_PROGRESS,
     "roles": PROVIDERS | MANAGERS, "event": "MILESTONE_STARTED", "label": "Mark as in progress"},
    {"trigger": "mark_done", "source": (MilestoneState.PLANNED, MilestoneState.IN_PROGRESS, MilestoneState.OVERDUE),
     "dest": MilestoneState.DONE, "roles": PROVIDERS | MANAGERS, "event": "MILESTONE_DONE",
     "label": "Mark as done, with evidence"},
    {"trigger": "verify", "source": MilestoneState.DONE, "dest": MilestoneState.VERIFIED, "roles": MANAGERS,
     "event": "MILESTONE_VERIFIED", "label": "Verify the evidence"},
    {"trigger": "reject_evidence", "source": MilestoneState.DONE, "dest": MilestoneState.IN_PROGRESS,
     "roles": MANAGERS, "event": "MILESTONE_EVIDENCE_REJECTED", "label": "Reject the evidence"},
    {"trigger": "mark_overdue", "source": (MilestoneState.PLANNED, MilestoneState.IN_PROGRESS),
     "dest": MilestoneState.OVERDUE, "roles": MANAGERS, "event": "MILESTONE_OVERDUE", "label": "Mark as overdue",
     "system": True},
])


class MilestoneWorkflow(Workflow):
    """A milestone's progress; only the council verifies."""

    NAME = "milestone"
    STATES = MilestoneState
    TRANSITIONS = MILESTONE_TRANSITIONS
    FINAL = (MilestoneState.VERIFIED,)

    def extra_refusal(self, row):
        if self.ctx.facts.get("plan_state") != "in_progress":
            return "Milestones are tracked once both parties have signed the plan"
        return None

    def validate_mark_done(self, data: dict) -> dict:
        return {"evidence": need_text(data, "evidence", "Describe the evidence that the milestone is done")}

    def validate_reject_evidence(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the evidence is not accepted")}
