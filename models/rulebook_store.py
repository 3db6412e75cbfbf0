"""Rulebook access: the rulebooks loaded at start-up, and the one a contract (or a council without one) runs on."""

from __future__ import annotations

import json
from functools import cache, lru_cache

from flask import current_app, g, has_app_context
from sqlalchemy import bindparam, or_, select

from models import db
from models.entities import Contract, Council
from workflows.rulebook import Rulebook
from workflows.settings import apply_settings


def rulebooks() -> dict[str, Rulebook]:
    """Every loaded rulebook by id."""
    return current_app.extensions["rulebooks"]


def rulebook_for(contract: Contract) -> Rulebook:
    """The rulebook a contract runs under: its regime's, as loaded at start-up, with the council's settings on the
    contract applied (A4: the dates the seeds do not give)."""
    return contract_rulebook(rulebooks()[contract.rulebook_id], contract.settings)


@lru_cache(maxsize=256)
def _applied(book: Rulebook, settings_json: str) -> Rulebook:
    return apply_settings(book, json.loads(settings_json))


def contract_rulebook(book: Rulebook, settings: dict | None) -> Rulebook:
    """The rulebook a contract runs under: its regime's, with the council's settings on the contract applied."""
    if not settings:
        return book
    return _applied(book, json.dumps(settings, sort_keys=True))


def complaint_rulebook(complaint) -> Rulebook | None:
    """The rulebook a complaint's clocks come from (HF-74 and HF-78 stay in Hammersmith & Fulham's contract): its
    contract's, else the provider's only contract's; None when the contract is unknown (then no clocks)."""
    contract = None
    if complaint.contract_id:
        contract = _page_contracts().get(complaint.contract_id) or db.session.get(Contract, complaint.contract_id)
    if contract is None:
        known = _only_contracts()
        key = (complaint.council_id, complaint.provider_id)
        if key in known:
            contract = known[key]
        else:
            contracts = list(db.session.scalars(select(Contract).where(Contract.provider_id == complaint.provider_id,
                                                                       Contract.council_id == complaint.council_id)
                                                .limit(2)))
            contract = contracts[0] if len(contracts) == 1 else None
    if contract is None or contract.rulebook_id not in rulebooks():
        return None
    return rulebook_for(contract)


def _only_contracts() -> dict:
    """Each provider's only contract (or None), as read for the list page being answered (complaints_with_contracts);
    empty outside one."""
    return g.get("provider_only_contract", {}) if has_app_context() else {}


def _page_contracts() -> dict:
    """The contracts read for the list page being answered, by id (complaints_with_contracts): held here, since the
    session keeps only what something else holds, and a page's complaints hold their contract by id alone."""
    return g.get("page_contracts", {}) if has_app_context() else {}


def complaints_with_contracts(complaints: list) -> list:
    """A page of complaints, with the contracts their clocks come from read in one statement (issue 17): each
    complaint's own and each provider's only one (complaint_rulebook), rather than a query per complaint."""
    ids = {c.contract_id for c in complaints if c.contract_id}
    providers = {(c.council_id, c.provider_id) for c in complaints if not c.contract_id}
    if not ids and not providers:
        return complaints
    found = list(db.session.scalars(_page_contracts_statement(), {
        "ids": sorted(ids), "providers": sorted({p for _c, p in providers})}))
    only = {}
    for council_id, provider_id in providers:
        theirs = [c for c in found if (c.council_id, c.provider_id) == (council_id, provider_id)]
        only[(council_id, provider_id)] = theirs[0] if len(theirs) == 1 else None
    g.provider_only_contract = only
    g.page_contracts = {c.id: c for c in found}
    return complaints


@cache
def _page_contracts_statement():
    # Built once (the ids expanding parameters): every page of the complaints API reads its complaints' contracts.
    return select(Contract).where(or_(Contract.id.in_(bindparam("ids", expanding=True)),
                                      Contract.provider_id.in_(bindparam("providers", expanding=True))))


@cache
def _no_contract(region: str) -> Rulebook:
    return Rulebook(id="none", title="No contract", council="", seed="", service="", region=region, source="")


def council_of(council_id: int) -> Council:
    """The council, held for the rest of the request: a list asks for its region or safeguarding timescales once per
    record, and the session keeps only a weak reference to a row nobody holds, so each ask would read it again."""
    held = g.setdefault("councils", {}) if has_app_context() else {}
    council = held.get(council_id)
    if council is None or council not in db.session:  # read again in a new session, or once it was expunged
        council = held[council_id] = db.session.get(Council, council_id)
    return council


def council_region(council_id: int) -> str:
    """The bank-holiday region of a council (England and Wales, Scotland or Northern Ireland)."""
    return council_of(council_id).region


def rulebook_or_council(contract: Contract | None, council_id: int) -> Rulebook:
    """The contract's rulebook; for a record under no contract (a complaint, a concern, an incident), an empty one
    on the council's own region, so its clocks count the council's bank holidays."""
    if contract is not None:
        return rulebook_for(contract)
    return _no_contract(council_region(council_id))
