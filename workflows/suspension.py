"""Suspension: of new referrals only (an embargo), of part of the service (by lot, service or area), of all of it,
or from a framework (KT-14, A25). Proposed by a person or the system, made active only by the authorised officer.

A suspension records its ground: the route the contract gives for it (rulebook [suspension.grounds]). CE-34: only
a suspension of the service because the SIAP failed (CE-33) starts the 10 working days after which the council may
apply clause 26.1(b); a referral embargo (CE-53, CE-54) or a suspension of the contract (CE-37, CE-38, CE-52) does
not. That right is proposed to a person, never exercised by the system (A6, A53). A14: CE-33, CE-37 and CE-52 need no
precondition; CE-38 (a serious default) needs a live improvement notice, a default notice in force or a Large Scale
Enquiry, checked when it is proposed and again when it is confirmed.
CE-40: reinstatement is phased, each phase with its dates and conditions.
"""

from __future__ import annotations

import enum
from datetime import date

from workflows.clock import start_clock
from workflows.errors import ValidationProblem
from workflows.machine import COMMISSIONERS, MANAGERS, TransitionNotAllowed, Workflow, need_date, need_text, table
from workflows.rulebook import SUSPENSION_GROUNDS, Rulebook, SuspensionGround

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


RULE_GROUND = "proposed_by_rule"  # kept for callers; a rule's proposal no longer skips a precondition (A14)


def _listed(rulebook: Rulebook, requires) -> str:
    grounds = [SUSPENSION_GROUNDS[r] for r in requires]
    return grounds[0] if len(grounds) == 1 else ", ".join(grounds[:-1]) + " or " + grounds[-1]


def suspension_check(rulebook: Rulebook, ground_id: str | None, present) -> tuple[str | None, str]:
    """Whether a suspension on this ground is allowed now: (the problem or None, the sentence saying which condition
    held, or why none did). CE-38's precondition applies to a serious default only; CE-33, CE-37 and CE-52 have none
    (A14). A contract that names no grounds keeps its single [suspension] requires list."""
    present = set(present) - {RULE_GROUND}
    if rulebook.suspension_grounds:
        ground = rulebook.suspension_ground(ground_id)
        if ground is None:
            names = "; ".join(f"{g.id} ({g.label}, {g.rule})" for g in rulebook.suspension_grounds)
            return f"Select the ground for the suspension: {names}", ""
        requires, cite = ground.requires, ground.rule
    else:
        ground, requires, cite = None, rulebook.suspension_requires, "the contract"
    if not requires:
        why = (f"{ground.rule}: {ground.label}; this route needs no precondition (A14)" if ground
               else "the contract sets no precondition for a suspension")
        return None, why
    held = [r for r in requires if r in present]
    if held:
        return None, f"{cite} precondition met: {_listed(rulebook, held)}"
    return (f"The {rulebook.title} contract allows this suspension ({cite}) only while {_listed(rulebook, requires)}; "
            "none is the case now", "")


def missing_grounds(rulebook: Rulebook, present: frozenset[str] | set[str], ground_id: str | None = None) -> str | None:
    """Why this contract does not allow a suspension on that ground now, or None if it does (see suspension_check)."""
    if rulebook.suspension_grounds and ground_id is None:
        # Without a named ground only the strictest route can be checked: a precondition is then needed.
        strict = next((g for g in rulebook.suspension_grounds if g.requires), None)
        ground_id = strict.id if strict else rulebook.suspension_grounds[0].id
    return suspension_check(rulebook, ground_id, present)[0]


def ground_for(rulebook: Rulebook, ground_id: str | None) -> SuspensionGround | None:
    """The ground's definition, if the contract lists it."""
    return rulebook.suspension_ground(ground_id)


class SuspensionWorkflow(Workflow):
    """A suspension from proposal to lifted, or to termination being considered."""

    NAME = "suspension"
    STATES = SuspensionState
    TRANSITIONS = SUSPENSION_TRANSITIONS
    FINAL = (SuspensionState.LIFTED, SuspensionState.CANCELLED)
    CREATE_ROLES = MANAGERS

    def validate_suspend(self, data: dict) -> dict:
        # The grounds are checked again on confirming: a notice closed since the proposal takes them away (CE-38).
        book = self.ctx.rulebook
        ground_id = self.ctx.facts.get("ground") or (str(data.get("ground") or "").strip() or None)
        problem, held = suspension_check(book, ground_id, self.ctx.facts.get("suspension_grounds", frozenset()))
        if problem:
            if ground_id is None and book.suspension_grounds:
                raise ValidationProblem(problem, "ground")
            raise TransitionNotAllowed(problem)
        ground = book.suspension_ground(ground_id)
        scopes = (ground.scopes if ground and ground.scopes else book.suspension_scopes)
        scope = str(data.get("scope") or "").strip()
        if scope not in scopes:
            names = ", ".join(f"{s} ({SCOPE_LABELS[s].lower()})" for s in scopes)
            raise ValidationProblem(f"Select the scope of the suspension: {names}", "scope")
        detail = str(data.get("scope_detail") or "").strip()
        if scope == "partial" and not detail:
            raise ValidationProblem("Enter which lots, services or areas are suspended", "scope_detail")
        return {
            "ground": ground_id,
            "condition": held,
            "scope": scope,
            "scope_detail": detail,
            "starts_on": need_date(data, "starts_on", "Enter the date the suspension starts", self.ctx.today),
            "reason": need_text(data, "reason", "Enter why the service is being suspended"),
            "lift_conditions": need_text(data, "lift_conditions",
                                         "Enter what the provider must do for it to be lifted"),
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
        if self.ctx.rulebook.suspension_grounds:
            # CE-34: only the grounds that list a clock start it (the SIAP failure of CE-33, not an embargo).
            ground = self.ctx.rulebook.suspension_ground(data.get("ground"))
            specs = [s for s in specs if ground is not None and s.kind in ground.clocks]
        return tuple(start_clock(s, data["starts_on"], self.ctx.calendar) for s in specs), (), ()
