"""A resident's annual soft-outcome check (issue 15, item 5; TH-S01 to TH-S09, TH-21): planned for a resident under
a contract whose rulebook has [soft_outcomes], due its months after the resident moved in (or after the last check),
recorded through the engine with one rating per outcome (which plans the next check), and marked overdue by the
scheduler when its date passes. Only the council's managers (the Contract Compliance Team) plan and record checks;
the provider sees its residents' checks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import db
from models.calendar_store import working_calendar
from models.engine import fire, load, new_record, start_clocks
from models.entities import User
from models.people import Person
from models.people_store import live_person
from models.reference_store import reference_for
from models.registry import scoped
from models.rulebook_store import rulebook_for
from models.soft_outcome import SoftOutcomeCheck
from workflows.access import Viewer
from workflows.clock import LONDON
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.soft_outcome import CheckState, check_clock

OPEN = (CheckState.DUE, CheckState.OVERDUE)


def checks_query(viewer: Viewer, person_id: int | None = None):
    """The statement of the checks the viewer may see, with their people and contracts (a list's page)."""
    query = scoped(SoftOutcomeCheck, viewer).options(selectinload(SoftOutcomeCheck.person),
                                                     selectinload(SoftOutcomeCheck.contract))
    if person_id is not None:
        query = query.where(SoftOutcomeCheck.person_id == person_id)
    return query


def list_checks(viewer: Viewer, person_id: int | None = None) -> list[SoftOutcomeCheck]:
    """Checks the viewer may see (a provider: its residents'), soonest due first."""
    return list(db.session.scalars(checks_query(viewer, person_id).order_by(SoftOutcomeCheck.due_on,
                                                                            SoftOutcomeCheck.id)))


def get_check(viewer: Viewer, check_id: int) -> SoftOutcomeCheck:
    """One check the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "soft_outcome_check", check_id)


def _plan(actor: User | None, person: Person, counted_from: date, first: bool, now: datetime) -> SoftOutcomeCheck:
    contract = person.contract
    book = rulebook_for(contract)
    clock = check_clock(book.soft_outcomes, counted_from, working_calendar(contract.council_id, book.region),
                        first=first)
    record = SoftOutcomeCheck(council_id=person.council_id, provider_id=person.provider_id, contract_id=contract.id,
                              contract=contract, person_id=person.id, person=person,
                              reference=reference_for("soft_outcome_check", person.council_id),
                              state=CheckState.DUE, rule=clock.rule, counted_from=counted_from, due_on=clock.due_on,
                              created_at=now, updated_at=now)
    new_record(actor, "soft_outcome_check", record, "SOFT_OUTCOME_CHECK_PLANNED", now,
               data={"person": person.reference, "counted_from": counted_from, "due_on": clock.due_on,
                     "rule": clock.rule})
    start_clocks("soft_outcome_check", record, lambda _ctx: (clock,), now)
    return record


def plan_check(viewer: Viewer, actor: User, data: dict, now: datetime) -> SoftOutcomeCheck:
    """Plan a resident's next check (the council's managers): its months after the last check recorded, or after
    the resident moved in."""
    if viewer.is_provider or viewer.role not in MANAGERS:
        raise TransitionNotAllowed("Only the council's contract managers plan soft-outcome checks", forbidden=True)
    person = live_person(viewer, data.get("person_id"))
    book = rulebook_for(person.contract)
    if book.soft_outcomes is None:
        raise ValidationProblem(f"The {book.title} contract sets no soft outcomes", "person_id")
    if db.session.scalar(select(SoftOutcomeCheck.id).where(SoftOutcomeCheck.person_id == person.id,
                                                           SoftOutcomeCheck.state.in_(OPEN))) is not None:
        raise ValidationProblem(f"{person.reference} already has a check planned", "person_id")
    last = db.session.scalar(select(SoftOutcomeCheck.checked_on).where(
        SoftOutcomeCheck.person_id == person.id, SoftOutcomeCheck.state == CheckState.RECORDED)
        .order_by(SoftOutcomeCheck.checked_on.desc()).limit(1))
    if last is None and person.started_on is None:
        raise ValidationProblem(f"Record the day {person.reference} moved in first: the first check counts from "
                                "it", "person_id")
    return _plan(actor, person, last or person.started_on, last is None, now)


def record_check(viewer: Viewer, actor: User, check_id: int, data: dict, now: datetime,
                 expected_version=None) -> SoftOutcomeCheck:
    """Record the check: its date and one rating per outcome (through the engine, which meets its deadline)."""
    return fire(viewer, actor, "soft_outcome_check", check_id, "record", data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def check_facts(record: SoftOutcomeCheck) -> dict:
    """What the machine checks a record against: the day the count started."""
    return {"counted_from": record.counted_from}


def after_check(step) -> None:
    """A recorded check plans the resident's next one, counted from the day of this one (TH-21: annually)."""
    if step.result.trigger != "record":
        return
    record = step.record
    if record.person.erased_at is None and record.person.ended_on is None:
        _plan(step.actor, record.person, record.checked_on, False, step.now)
