"""Whose turn it is on a notice and its action plan: with the council or with the provider (issue 16).

The notice and plan machines let both sides take some steps (a council manager may submit a plan, CE-32 lets the
council add actions), but a page shows a shared step, and the plan's editing controls, only to the side whose turn
it is, so nobody is left wondering who acts next. KT-19: the provider writes and signs the plan, the council agrees
or returns it; HF-14 and CE-45: the notice waits on the provider's plan once it is served.
"""

from __future__ import annotations

import enum

from workflows.access import Viewer
from workflows.action_plan import PlanState
from workflows.machine import Transition
from workflows.notice import NoticeState


class Side(enum.Enum):
    """One side of the contract."""

    COUNCIL = "council"
    PROVIDER = "provider"

    @property
    def label(self) -> str:
        """The status people read: "With the council", "With the provider"."""
        return f"With the {self.value}"


_PLAN = {PlanState.DRAFT: Side.PROVIDER, PlanState.RETURNED: Side.PROVIDER, PlanState.SUBMITTED: Side.COUNCIL,
         PlanState.AGREED: Side.PROVIDER, PlanState.IN_PROGRESS: Side.PROVIDER}
_NOTICE = {NoticeState.DRAFT: Side.COUNCIL, NoticeState.ISSUED: Side.PROVIDER, NoticeState.PLAN_DUE: Side.PROVIDER,
           NoticeState.PLAN_SUBMITTED: Side.COUNCIL}
_TURNS: dict[str, dict] = {"action_plan": _PLAN, "notice": _NOTICE}
# Kinds whose shared steps show only to the side whose turn it is (a notice's receipt may be recorded by either).
_TURN_TAKING = ("action_plan",)


def whose_turn(kind: str, state: enum.Enum) -> Side | None:
    """The side that acts next on a record, or None when it is history or the kind takes no turns."""
    return _TURNS.get(kind, {}).get(state)


def side_of(viewer: Viewer) -> Side:
    """The side a person works for."""
    return Side.PROVIDER if viewer.is_provider else Side.COUNCIL


def my_turn(viewer: Viewer, kind: str, state: enum.Enum) -> bool:
    """Whether it is this person's side's turn on the record (True for kinds that take no turns)."""
    turn = whose_turn(kind, state)
    return turn is None or turn is side_of(viewer)


def shown(viewer: Viewer, kind: str, state: enum.Enum, row: Transition) -> bool:
    """Whether a step the person may take is offered to them: a step only one side takes always is, a step both
    sides may take only while it is their side's turn."""
    if kind not in _TURN_TAKING:
        return True
    both = any(r.is_provider for r in row.roles) and any(not r.is_provider for r in row.roles)
    return not both or my_turn(viewer, kind, state)


# What a person is told once a step on a notice or plan has landed: what happened, to whom, and what happens next.
_NEXT = {
    ("action_plan", "submit"): "{name} submitted to the council. What happens next: the council's contract manager "
                               "has been told, and will agree the plan or return it with comments. You will be "
                               "told either way.",
    ("action_plan", "return_for_changes"): "{name} returned to {provider} for changes. They have been told, with "
                                           "your comments.",
    ("action_plan", "agree"): "{name} agreed. {provider} has been told, and signs it to put it in force.",
    ("action_plan", "sign_off"): "{name} signed by both parties and now in force. Report progress on each "
                                 "milestone by its date.",
    ("notice", "issue"): "{name} issued to {provider}.",
}


def outcome(kind: str, trigger: str, label: str, name: str, provider: str, plan_due_on=None) -> str:
    """The banner after a step: "Warning notice issued to Riverside Home Care. The action plan is due by Monday
    14 December 2026." (HF-14, KT-19); a step with no sentence of its own says it was done."""
    sentence = _NEXT.get((kind, trigger))
    if sentence is None:
        return f"{label}: done"
    text = sentence.format(name=name[:1].upper() + name[1:], provider=provider)
    if (kind, trigger) == ("notice", "issue") and plan_due_on is not None:
        text += f" The action plan is due by {plan_due_on:%A} {plan_due_on.day} {plan_due_on:%B %Y}."
    return text


def what_happens_next(kind: str, state: enum.Enum, viewer: Viewer) -> str | None:
    """For the side that has just handed a record over: what the other side does now."""
    if kind == "action_plan" and state is PlanState.SUBMITTED and viewer.is_provider:
        return ("What happens next: the council's contract manager has been told, and will agree the plan or "
                "return it with comments. You will be told either way, by email and in Remedy.")
    if kind == "action_plan" and state in (PlanState.RETURNED, PlanState.AGREED) and not viewer.is_provider:
        return "What happens next: the provider has been told, and acts next."
    return None
