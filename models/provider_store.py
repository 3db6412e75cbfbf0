"""Providers, their CQC rating history and their contracts, always scoped to what the viewer may see."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from flask import current_app
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from models import db, fixed
from models.audit_store import record_event
from models.entities import Contract, CqcRating, CqcRatingValue, Provider, User
from models.kept import kept
from models.statement_cache import built
from workflows.access import Viewer
from workflows.errors import NotFound, ValidationProblem


def scope_providers(query: Select, viewer: Viewer) -> Select:
    """Limit a query that involves Provider to the viewer's council, and to their own provider for provider staff."""
    query = query.where(Provider.council_id == viewer.council_id)
    if viewer.is_provider:
        query = query.where(Provider.id == viewer.provider_id)
    return query


def providers_query(viewer: Viewer):
    """The statement of the providers this person may see, with their contracts and CQC ratings (a list's page)."""
    return scope_providers(select(Provider), viewer).options(
        selectinload(Provider.contracts), selectinload(Provider.ratings)
    )


def list_providers(viewer: Viewer) -> list[Provider]:
    """The providers this person may see, by name."""
    return list(db.session.scalars(providers_query(viewer).order_by(Provider.name)))


@cache
def _filter_choices_statement(for_provider: bool):
    # Built once per shape: the case list runs it on every view, and building it costs more than running it.
    query = select(Provider.id, Provider.name, Contract.id.label("contract_id"), Contract.reference).outerjoin(
        Contract, (Contract.provider_id == Provider.id) & (Contract.council_id == Provider.council_id)).where(
            Provider.council_id == bindparam("council_id"))
    return query.where(Provider.id == bindparam("provider_id")) if for_provider else query


Choices = tuple[tuple[int, str], ...]


def filter_choices(viewer: Viewer) -> tuple[Choices, Choices]:
    """(id, name) of the providers and (id, "reference: provider") of the contracts the viewer may see, for the
    lists' two filters, from one light query, kept by each worker for a minute (models/kept.py: every list page read
    them, 0.09 ms of a 2.2 ms list on SQLite and a round trip on PostgreSQL)."""
    return kept(("filter choices", viewer.council_id, viewer.provider_id if viewer.is_provider else None),
                lambda: _read_filter_choices(viewer))


def _read_filter_choices(viewer: Viewer) -> tuple[Choices, Choices]:
    params = {"council_id": viewer.council_id}
    if viewer.is_provider:
        params["provider_id"] = viewer.provider_id
    rows = db.session.execute(_filter_choices_statement(viewer.is_provider), params).all()
    providers = sorted({(r.id, r.name) for r in rows}, key=lambda p: (p[1], p[0]))
    contracts = sorted(((r.contract_id, r.reference, r.name) for r in rows if r.contract_id is not None),
                       key=lambda c: (c[1], c[0]))
    return tuple(providers), tuple((i, f"{reference}: {name}") for i, reference, name in contracts)


def contract_choices(viewer: Viewer) -> list[tuple[int, str]]:
    """(id, "reference: provider") of the contracts the viewer may see, for filters and pickers (one light query)."""
    query = scope_providers(select(Contract.id, Contract.reference, Provider.name).join(Contract.provider), viewer)
    query = query.where(Contract.council_id == viewer.council_id).order_by(Contract.reference)
    return [(row.id, f"{row.reference}: {row.name}") for row in db.session.execute(query)]


def get_provider(viewer: Viewer, provider_id: int, with_ratings: bool = False) -> Provider:
    """One provider, or NotFound if it does not exist or the viewer may not see it; with_ratings, its CQC rating
    history and its contracts (as list_contracts reads them: a provider's contracts are its council's) read in the
    same statement, as the provider page shows them: a provider has a few of each, so the rows the join multiplies
    cost less than a round trip."""
    query = scope_providers(select(Provider).where(Provider.id == provider_id), viewer)
    if with_ratings:
        query = query.options(joinedload(Provider.ratings),
                              joinedload(Provider.contracts).joinedload(Contract.contract_manager))
    provider = db.session.scalars(query).unique().first()
    if provider is None:
        raise NotFound("There is no provider with that id that you can see")
    return provider


def contracts_query(viewer: Viewer, provider_id: int | None = None, manager_id: int | None = None):
    """The statement of the contracts this person may see (optionally for one provider, or one contract manager's),
    joined to their provider; the caller says what else it loads (CONTRACT_ROWS for a table of them)."""
    query = scope_providers(select(Contract).join(Contract.provider), viewer).where(
        Contract.council_id == viewer.council_id
    )
    if provider_id is not None:
        query = query.where(Contract.provider_id == provider_id)
    if manager_id is not None:
        query = query.where(Contract.contract_manager_id == manager_id)
    return query


# What a table of contracts shows besides the contract: its provider (from the scope's own join) and its contract
# manager (joined), in the one statement (issue 17: the home page and the provider page read them in three).
CONTRACT_ROWS = (contains_eager(Contract.provider), joinedload(Contract.contract_manager))


def list_contracts(viewer: Viewer, provider_id: int | None = None, manager_id: int | None = None,
                   limit: int | None = None) -> list[Contract]:
    """The contracts this person may see (optionally for one provider, or one contract manager's), by reference, at
    most `limit` of them."""
    statement = built(("contracts", viewer, provider_id, manager_id, limit), lambda: contracts_query(
        viewer, provider_id, manager_id).options(*CONTRACT_ROWS).order_by(Contract.reference)
        .limit(None if limit is None else fixed(limit)))
    return list(db.session.scalars(statement))


def get_contract(viewer: Viewer, key: int | str) -> Contract:
    """One contract by id or reference, or NotFound if it does not exist or the viewer may not see it."""
    query = scope_providers(select(Contract).join(Contract.provider), viewer).where(
        Contract.council_id == viewer.council_id
    )
    if isinstance(key, bool) or not isinstance(key, int | str):  # a JSON body can send anything: not a contract
        raise NotFound("There is no contract with that id or reference that you can see")
    text = str(key).strip()
    if text.isascii() and text.isdigit():  # an id; one the integer column cannot hold is no contract's
        if len(text) > 10 or not 1 <= int(text) <= 2**31 - 1:
            raise NotFound("There is no contract with that id or reference that you can see")
        query = query.where(Contract.id == int(text))
    else:
        query = query.where(Contract.reference == text)
    contract = db.session.scalar(
        query.options(selectinload(Contract.escalation_contacts), selectinload(Contract.contract_manager))
    )
    if contract is None:
        raise NotFound("There is no contract with that id or reference that you can see")
    return contract


def record_cqc_rating(
    viewer: Viewer, actor: User, provider_id: int, rating: CqcRatingValue, rated_on: date,
    report_url: str | None, today: date, now: datetime,
) -> CqcRating:
    """Add a CQC rating to a provider's history, audited; the rating date cannot be in the future."""
    provider = get_provider(viewer, provider_id)
    if rated_on > today:
        raise ValidationProblem("The date of the rating must be today or in the past", "rated_on")
    if report_url and not report_url.startswith(("https://", "http://")):
        raise ValidationProblem("Enter the report link as a web address starting with https://", "report_url")
    previous = provider.current_rating
    row = CqcRating(council_id=provider.council_id, provider_id=provider.id, rating=rating, rated_on=rated_on,
                    report_url=report_url or None, recorded_by_id=actor.id, recorded_at=now)
    db.session.add(row)
    db.session.flush()
    db.session.refresh(provider, ["ratings"])
    record_event(
        council_id=provider.council_id, actor=actor, entity_type="provider", entity_id=provider.id,
        event_name="CQC_RATING_RECORDED", at=now,
        from_state=previous.rating.value if previous else None, to_state=rating.value,
        data={"rated_on": rated_on.isoformat(), "report_url": report_url or None},
    )
    # "Immediate effect" (CE-52): the rating rules are evaluated as the rating is recorded, not at the next day's
    # first scheduler tick.
    from models.return_store import evaluate_contract  # (it imports this module)

    for contract in provider.contracts:
        if contract.rulebook_id in current_app.extensions["rulebooks"]:
            evaluate_contract(contract, today, now)
    return row
