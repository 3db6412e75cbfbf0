"""What has already happened on a contract's ladder, for rules that must respect its order (KT-17 -> KT-19 ->
KT-14/KT-08). Reads only; the breach store asks before it proposes a suspension or a termination."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models import db
from models.audit_store import record_event
from models.cases import ActionPlan, Case, Notice
from workflows.action_plan import PlanState
from workflows.breach import ladder_actions
from workflows.notice import NoticeState
from workflows.rulebook import Rulebook


def ladder_held(contract_id: int) -> frozenset[str]:
    """Which of the ladder's conditions hold on the contract now: a formal warning served (and not withdrawn) on
    any of its cases, an action plan the council agreed and later recorded as failed."""
    held = set()
    on_contract = select(Case.id).where(Case.contract_id == contract_id)
    served = select(Notice.id).where(Notice.case_id.in_(on_contract), Notice.served_on.is_not(None),
                                     Notice.state != NoticeState.WITHDRAWN).limit(1)
    if db.session.scalar(served) is not None:
        held.add("warning-served")
    # KT-08: "any of the agreed action plans have failed": a plan the council agreed, later recorded as failed.
    failed = select(ActionPlan.id).where(ActionPlan.case_id.in_(on_contract), ActionPlan.state == PlanState.FAILED,
                                         ActionPlan.council_signed_at.is_not(None)).limit(1)
    if db.session.scalar(failed) is not None:
        held.add("plan-failed")
    return frozenset(held)


def actions_now(book: Rulebook, row, now: datetime) -> tuple[str, ...]:
    """The breach's actions the contract's ladder allows now; what must wait is said once on the breach's trail."""
    rule = next((b for b in book.monitoring.breaches if b.id == row.rule_id), None)
    actions, waiting = ladder_actions(rule, row.actions, ladder_held(row.contract_id))
    if waiting:
        record_event(council_id=row.council_id, actor=None, entity_type="breach", entity_id=row.id,
                     event_name="BREACH_ESCALATION_WAITS", at=now, case_id=row.case_id, reason=waiting,
                     data={"rule": row.rule_id, "allowed": list(actions)})
    return actions


def held_back(row, problem: str, action: str, now: datetime) -> None:
    """A rule's proposal the contract does not allow now (CE-38's precondition): said on the breach's trail."""
    record_event(council_id=row.council_id, actor=None, entity_type="breach", entity_id=row.id,
                 event_name="BREACH_PROPOSAL_REFUSED", at=now, case_id=row.case_id, reason=problem,
                 data={"rule": row.rule_id, "action": action})
