"""Significant adverse financial changes (TH-16): recorded by the provider or the council's managers, which starts
the 7-working-day clock on the contract's calendar, and reported through the engine, which stops it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import selectinload

from models import db
from models.engine import fire, load, new_record, start_clocks
from models.entities import User
from models.financial_change import FinancialChange
from models.provider_store import get_contract
from models.reference_store import reference_for
from models.registry import scoped
from workflows.access import Viewer
from workflows.clock import LONDON
from workflows.errors import ValidationProblem
from workflows.financial_change import FinancialChangeState, report_deadline, validate_change
from workflows.machine import MANAGERS, TransitionNotAllowed


def changes_query(viewer: Viewer, provider_id: int | None = None):
    """The statement of the financial changes the viewer may see, with their contracts (a list's page)."""
    query = scoped(FinancialChange, viewer).options(selectinload(FinancialChange.contract))
    if provider_id is not None:
        query = query.where(FinancialChange.provider_id == provider_id)
    return query


def list_changes(viewer: Viewer, provider_id: int | None = None) -> list[FinancialChange]:
    """Financial changes the viewer may see (a provider: its own), most recent change first."""
    return list(db.session.scalars(changes_query(viewer, provider_id).order_by(FinancialChange.occurred_on.desc(),
                                                                               FinancialChange.id.desc())))


def get_change(viewer: Viewer, change_id: int) -> FinancialChange:
    """One financial change the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "financial_change", change_id)


def can_record(viewer: Viewer) -> bool:
    """The provider's own staff and the council's contract managers record a change (TH-16)."""
    return viewer.is_provider or viewer.role in MANAGERS


def record_change(viewer: Viewer, actor: User, data: dict, now: datetime) -> FinancialChange:
    """Record a significant adverse financial change under a contract; TH-16's clock starts on the day it occurred
    and counts 7 working days on the contract's rulebook calendar."""
    if not can_record(viewer):
        raise TransitionNotAllowed("Only the provider or the council's contract managers can record a change in a "
                                   "provider's financial position", forbidden=True)
    contract_key = data.get("contract_id")
    if contract_key in (None, ""):
        raise ValidationProblem("Select the contract", "contract_id")
    contract = get_contract(viewer, contract_key)  # a provider's staff reach only their own contracts
    valid = validate_change(data, now.astimezone(LONDON).date())
    change = FinancialChange(council_id=contract.council_id, provider_id=contract.provider_id,
                             contract_id=contract.id, contract=contract,
                             reference=reference_for("financial_change", contract.council_id),
                             state=FinancialChangeState.RECORDED, what_changed=valid["what_changed"],
                             occurred_on=valid["occurred_on"], created_at=now, updated_at=now)
    new_record(actor, "financial_change", change, "FINANCIAL_CHANGE_RECORDED", now,
               data={"occurred_on": valid["occurred_on"], "contract": contract.reference})
    start_clocks("financial_change", change, lambda ctx: (report_deadline(valid["occurred_on"], ctx.calendar),), now)
    return change


def report_change(viewer: Viewer, actor: User, change_id: int, data: dict, now: datetime,
                  expected_version=None) -> FinancialChange:
    """Record that the change was reported to the council (a step of its machine, through the engine, which meets
    the TH-16 deadline)."""
    return fire(viewer, actor, "financial_change", change_id, "report", data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def change_facts(change: FinancialChange) -> dict:
    """What the machine checks a report against: the day the change occurred."""
    return {"occurred_on": change.occurred_on}
