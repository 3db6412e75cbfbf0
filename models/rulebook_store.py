"""Rulebook access: the rulebooks loaded at start-up, and the one a contract (or a council without one) runs on."""

from __future__ import annotations

from functools import cache

from flask import current_app

from models import db
from models.entities import Contract, Council
from workflows.rulebook import Rulebook


def rulebooks() -> dict[str, Rulebook]:
    """Every loaded rulebook by id."""
    return current_app.extensions["rulebooks"]


def rulebook_for(contract: Contract) -> Rulebook:
    """The contract's rulebook, as loaded at start-up."""
    return rulebooks()[contract.rulebook_id]


@cache
def _no_contract(region: str) -> Rulebook:
    return Rulebook(id="none", title="No contract", council="", seed="", service="", region=region, source="")


def council_region(council_id: int) -> str:
    """The bank-holiday region of a council (England and Wales, Scotland or Northern Ireland)."""
    return db.session.get(Council, council_id).region


def rulebook_or_council(contract: Contract | None, council_id: int) -> Rulebook:
    """The contract's rulebook; for a record under no contract (a complaint, a concern, an incident), an empty one
    on the council's own region, so its clocks count the council's bank holidays."""
    if contract is not None:
        return rulebook_for(contract)
    return _no_contract(council_region(council_id))
