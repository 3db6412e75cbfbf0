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
