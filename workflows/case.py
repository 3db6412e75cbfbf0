"""The under-performance case: one contract of one provider, from concern to resolution (rules.md 2.1.2).

The case shows the current rung of the ladder. Its state moves when a person acts on the records attached to it
(a notice issued, a default served, a suspension started) and when a manager resolves or withdraws it.
"""

from __future__ import annotations

import enum

from workflows.machine import COMMISSIONERS, MANAGERS, Workflow, need_text, table


class CaseState(enum.Enum):
    """Where a case stands on the ladder."""

    CONCERN = "concern"  # enhanced monitoring (T1)
    NOTICE = "notice"  # improvement notice, formal warning or warning notice issued (T3, T5)
    ACTION_PLAN = "action_plan"  # an action plan is required or agreed (T2, T4, T6)
    DEFAULT = "default"  # a default notice served (T10)
    SUSPENDED = "suspended"  # referrals, part or all of the service suspended (T8, T12-T15)
    REINSTATING = "reinstating"  # phased resumption (T22, CE-40)
    TERMINATION_CONSIDERED = "termination_considered"  # T16-T19
    RESOLVED = "resolved"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"


OPEN = (CaseState.CONCERN, CaseState.NOTICE, CaseState.ACTION_PLAN, CaseState.DEFAULT, CaseState.SUSPENDED,
        CaseState.REINSTATING, CaseState.TERMINATION_CONSIDERED)
CLOSED = (CaseState.RESOLVED, CaseState.TERMINATED, CaseState.WITHDRAWN)

CASE_TRANSITIONS = table([
    {"trigger": "escalate_to_notice", "source": (CaseState.CONCERN, CaseState.ACTION_PLAN),
     "dest": CaseState.NOTICE, "roles": MANAGERS, "event": "CASE_NOTICE_STAGE", "label": "Move to the notice stage",
     "rung": "notice", "via": "a notice is issued"},
    {"trigger": "require_action_plan", "source": (CaseState.CONCERN, CaseState.NOTICE),
     "dest": CaseState.ACTION_PLAN, "roles": MANAGERS, "event": "CASE_ACTION_PLAN_STAGE",
     "label": "Move to the action plan stage", "rung": "action_plan",
     "via": "both parties sign the action plan, or the council requires one"},
    {"trigger": "escalate_to_default", "source": (CaseState.CONCERN, CaseState.NOTICE, CaseState.ACTION_PLAN),
     "dest": CaseState.DEFAULT, "roles": COMMISSIONERS, "event": "CASE_DEFAULT_STAGE",
     "label": "Move to the default stage", "rung": "default_notice", "legally_significant": True,
     "via": "a default notice is served"},
    {"trigger": "suspend", "source": (CaseState.CONCERN, CaseState.NOTICE, CaseState.ACTION_PLAN, CaseState.DEFAULT),
     "dest": CaseState.SUSPENDED, "roles": COMMISSIONERS, "event": "CASE_SUSPENDED", "label": "Suspend",
     "rung": "suspension", "legally_significant": True, "via": "a suspension is confirmed"},
    {"trigger": "begin_reinstatement", "source": CaseState.SUSPENDED, "dest": CaseState.REINSTATING,
     "roles": COMMISSIONERS, "event": "CASE_REINSTATING", "label": "Begin phased reinstatement",
     "rung": "suspension", "via": "phased reinstatement starts on the suspension"},
    {"trigger": "lift_suspension", "source": (CaseState.SUSPENDED, CaseState.REINSTATING),
     "dest": CaseState.ACTION_PLAN, "roles": COMMISSIONERS, "event": "CASE_SUSPENSION_LIFTED",
     "label": "Lift the suspension", "rung": "suspension", "via": "the suspension is lifted"},
    {"trigger": "consider_termination",
     "source": (CaseState.NOTICE, CaseState.ACTION_PLAN, CaseState.DEFAULT, CaseState.SUSPENDED,
                CaseState.REINSTATING),
     "dest": CaseState.TERMINATION_CONSIDERED, "roles": MANAGERS, "event": "CASE_TERMINATION_CONSIDERED",
     "label": "Consider termination", "rung": "termination", "via": "termination is put forward on the case"},
    # A termination the system proposed leaves the rung alone until the decision, so it may come from any rung.
    {"trigger": "terminate",
     "source": (CaseState.NOTICE, CaseState.ACTION_PLAN, CaseState.DEFAULT, CaseState.SUSPENDED,
                CaseState.REINSTATING, CaseState.TERMINATION_CONSIDERED), "dest": CaseState.TERMINATED,
     "roles": COMMISSIONERS, "event": "CASE_TERMINATED", "label": "Terminate the contract", "rung": "termination",
     "legally_significant": True, "via": "the commissioning manager decides to terminate"},
    {"trigger": "not_terminate", "source": CaseState.TERMINATION_CONSIDERED, "dest": CaseState.ACTION_PLAN,
     "roles": COMMISSIONERS, "event": "CASE_TERMINATION_NOT_PURSUED", "label": "Decide not to terminate",
     "rung": "termination", "via": "the commissioning manager decides not to terminate"},
    {"trigger": "resolve",
     "source": (CaseState.CONCERN, CaseState.NOTICE, CaseState.ACTION_PLAN, CaseState.DEFAULT,
                CaseState.REINSTATING),
     "dest": CaseState.RESOLVED, "roles": MANAGERS, "event": "CASE_RESOLVED", "label": "Close the case as resolved"},
    {"trigger": "withdraw", "source": (CaseState.CONCERN, CaseState.NOTICE, CaseState.ACTION_PLAN),
     "dest": CaseState.WITHDRAWN, "roles": MANAGERS, "event": "CASE_WITHDRAWN", "label": "Withdraw the case"},
])


class CaseWorkflow(Workflow):
    """The case's ladder: the rulebook decides which rungs exist (Cornwall's cases can only be monitored)."""

    NAME = "case"
    STATES = CaseState
    TRANSITIONS = CASE_TRANSITIONS
    FINAL = CLOSED
    OPEN_ROLES = MANAGERS

    def validate_resolve(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the case is resolved")}

    def validate_withdraw(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the case is withdrawn")}

