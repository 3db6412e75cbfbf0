"""Suspension: of new referrals only (an embargo), of part of the service (by lot, service or area), of all of it,
or from a framework (KT-14, A25). Proposed by a person or the system, made active only by the authorised officer.

CE-33/34: once a suspension starts, the provider has 10 working days to complete the remedial action before the
council may apply clause 26.1(b); that right is proposed to a person, never exercised by the system (A6, A53).
CE-40: reinstatement is phased, each phase with its dates and conditions.
"""

from __future__ import annotations

import enum
from datetime import date

from workflows.clock import start_clock
from workflows.errors import ValidationProblem
from workflows.machine import COMMISSIONERS, MANAGERS, TransitionNotAllowed, Workflow, need_date, need_text, table
from workflows.rulebook import SUSPENSION_GROUNDS, Rulebook

SCOPE_LABELS = {"referrals": "New referrals only (embargo)", "partial": "Part of the service",
                "full": "The whole service", "framework": "Suspension from the framework agreement"}


class SuspensionState(enum.Enum):
    """Where a suspension stands."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    PHASED_REINSTATEMENT = "phased_reinstatement"
    LIFTED = "lifted"
    TERMINATION_CONSIDERED = "termination_considered"
    CANCELLED = "cancelled"  # proposed but not made


SUSPENSION_TRANSITIONS = table([
    {"trigger": "suspend", "source": SuspensionState.PROPOSED, "dest": SuspensionState.ACTIVE,
     "roles": COMMISSIONERS, "event": "SUSPENSION_STARTED", "label": "Confirm the suspension", "rung": "suspension",
     "legally_significant": True, "letter": True},
    {"trigger": "withdraw", "source": SuspensionState.PROPOSED, "dest": SuspensionState.CANCELLED,
     "roles": frozenset(), "event": "PROPOSAL_WITHDRAWN", "label": "Withdraw the proposal", "system": True},
    {"trigger": "cancel", "source": SuspensionState.PROPOSED, "dest": SuspensionState.CANCELLED,
     "roles": COMMISSIONERS, "event": "SUSPENSION_CANCELLED", "label": "Decide not to suspend"},
    {"trigger": "begin_reinstatement", "source": SuspensionState.ACTIVE,
     "dest": SuspensionState.PHASED_REINSTATEMENT, "roles": COMMISSIONERS, "event": "REINSTATEMENT_STARTED",
     "label": "Begin phased reinstatement"},
    {"trigger": "lift", "source": (SuspensionState.ACTIVE, SuspensionState.PHASED_REINSTATEMENT),
     "dest": SuspensionState.LIFTED, "roles": COMMISSIONERS, "event": "SUSPENSION_LIFTED",
     "label": "Lift the suspension"},
    {"trigger": "consider_termination", "source": SuspensionState.ACTIVE,
     "dest": SuspensionState.TERMINATION_CONSIDERED, "roles": MANAGERS, "event": "SUSPENSION_TERMINATION_CONSIDERED",
     "label": "Consider termination", "rung": "termination"},
])


RULE_GROUND = "proposed_by_rule"


def missing_grounds(rulebook: Rulebook, present: frozenset[str] | set[str]) -> str | None:
    """Why this contract does not allow a suspension now, or None if it does. CE-38: Cheshire East may suspend
    "whereby an active informal Improvement Notice or formal Default Notice is in place or the Provider is under Large
    Scale Safeguarding Enquiry"; a serious default (two defaults in six months) or a CQC "inadequate" rating is a
    ground of its own, which Remedy's rules find and propose the suspension for (RULE_GROUND)."""
    requires = rulebook.suspension_requires
    if not requires or set(requires) & set(present) or RULE_GROUND in present:
        return None
    grounds = [SUSPENSION_GROUNDS[r] for r in requires]
    listed = grounds[0] if len(grounds) == 1 else ", ".join(grounds[:-1]) + " or " + grounds[-1]
    return (f"The {rulebook.title} contract allows a suspension only while {listed}, or when a rule proposes it "
            "(a serious default)")


class SuspensionWorkflow(Workflow):
    """A suspension from proposal to lifted, or to termination being considered."""

    NAME = "suspension"
    STATES = SuspensionState
    TRANSITIONS = SUSPENSION_TRANSITIONS
    FINAL = (SuspensionState.LIFTED, SuspensionState.CANCELLED)
    CREATE_ROLES = MANAGERS

    def validate_suspend(self, data: dict) -> dict:
        # The grounds are checked again on confirming: a notice closed since the proposal takes them away.
        problem = missing_grounds(self.ctx.rulebook, self.ctx.facts.get("suspension_grounds", frozenset()))
        if problem:
            raise TransitionNotAllowed(problem)
        scopes = self.ctx.rulebook.suspension_scopes
        scope = str(data.get("scope") or "").strip()
        if scope not in scopes:
            names = ", ".join(f"{s} ({SCOPE_LABELS[s].lower()})" for s in scopes)
            raise ValidationProblem(f"Select the scope of the suspension: {names}", "scope")
        detail = str(data.get("scope_detail") or "").strip()
        if scope == "partial" and not detail:
            raise ValidationProblem("Enter which lots, services or areas are suspended", "scope_detail")
        return {
            "scope": scope,
            "scope_detail": detail,
            "starts_on": need_date(data, "starts_on", "Enter the date the suspension starts", self.ctx.today),
            "reason": need_text(data, "reason", "Enter why the service is being suspended"),
            "lift_conditions": need_text(data, "lift_conditions", "Enter what the provider must do for it to be lifted"),
        }

    def validate_cancel(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the suspension is not going ahead")}

    def validate_begin_reinstatement(self, data: dict) -> dict:
        phases = data.get("phases") or []
        if not phases:
            raise ValidationProblem("Add at least one phase, with its dates and conditions", "phases")
        cleaned = []
        previous_end: date | None = None
        for number, phase in enumerate(phases, start=1):
            starts = need_date(phase, "starts_on", f"Enter when phase {number} starts", self.ctx.today,
                               allow_future=True)
            ends_raw = phase.get("ends_on")
            ends = need_date(phase, "ends_on", f"Enter when phase {number} ends", self.ctx.today,
                             allow_future=True) if ends_raw else None
            if ends and ends < starts:
                raise ValidationProblem(f"Phase {number} cannot end before it starts", "phases")
            if previous_end and starts < previous_end:
                raise ValidationProblem(f"Phase {number} starts before phase {number - 1} ends", "phases")
            cleaned.append({
                "starts_on": starts, "ends_on": ends,
                "scope": need_text(phase, "scope", f"Enter what phase {number} reinstates"),
                "conditions": need_text(phase, "conditions", f"Enter the conditions for phase {number}"),
            })
            previous_end = ends or starts
        return {"phases": cleaned}

    def validate_lift(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the suspension is lifted")}

    def clocks_suspend(self, data: dict):
        specs = self.ctx.rulebook.clocks_starting("suspension_started")
        return tuple(start_clock(s, data["starts_on"], self.ctx.calendar) for s in specs), (), ()
