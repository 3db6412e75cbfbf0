"""Per-person stay limits (issue 15, item 5): a limit the contract's rulebook lists ([[stay_limits]]: Thurrock's
TH-11 length of stay, two years from moving in, and TH-12 move-on priority, one year from its award), started for
one person, reminded before its date, marked overstayed by the scheduler after it, and ended (or, for TH-11, agreed
longer by the care practitioner) through the engine."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import selectinload

from models import db
from models.calendar_store import working_calendar
from models.engine import fire, load, new_record, start_clocks
from models.entities import User
from models.people_store import live_person
from models.reference_store import reference_for
from models.registry import scoped
from models.rulebook_store import rulebook_for
from models.stay_limit import StayLimit
from workflows.access import Viewer
from workflows.clock import LONDON
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed, need_date
from workflows.stay_limit import StayState, stay_clock


def stays_query(viewer: Viewer, person_id: int | None = None):
    """The statement of the stay limits the viewer may see, with their people and contracts (a list's page)."""
    query = scoped(StayLimit, viewer).options(selectinload(StayLimit.person), selectinload(StayLimit.contract))
    if person_id is not None:
        query = query.where(StayLimit.person_id == person_id)
    return query


def list_stays(viewer: Viewer, person_id: int | None = None) -> list[StayLimit]:
    """Stay limits the viewer may see (a provider: its own), soonest due first."""
    return list(db.session.scalars(stays_query(viewer, person_id).order_by(StayLimit.due_on, StayLimit.id)))


def get_stay(viewer: Viewer, stay_id: int) -> StayLimit:
    """One stay limit the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "stay_limit", stay_id)


def start_stay(viewer: Viewer, actor: User, data: dict, now: datetime) -> StayLimit:
    """Start one of the contract's per-person limits for a person (the council's managers): from the day they moved
    in (`Person.started_on`, TH-11) or the day the priority was awarded (`started_on`, TH-12)."""
    if viewer.is_provider or viewer.role not in MANAGERS:
        raise TransitionNotAllowed("Only the council's contract managers start a stay limit", forbidden=True)
    person = live_person(viewer, data.get("person_id"))
    contract = person.contract
    book = rulebook_for(contract)
    spec = book.stay_limit(str(data.get("limit") or ""))
    if spec is None:
        listed = ", ".join(f"{s.id} ({s.rule})" for s in book.stay_limits)
        raise ValidationProblem(f"Select one of the limits the {book.title} contract lists"
                                + (f": {listed}" if listed else " (it lists none)"), "limit")
    today = now.astimezone(LONDON).date()
    if spec.starts == "moved_in":
        if person.started_on is None:
            raise ValidationProblem(f"Record the day {person.reference} moved in first: the {spec.what.lower()} "
                                    f"counts from it ({spec.rule})", "person_id")
        started_on: date = person.started_on
    else:
        started_on = need_date(data, "started_on", f"Enter the date the {spec.what.lower()} was awarded", today)
    if db.session.scalar(scoped(StayLimit, viewer).where(
            StayLimit.person_id == person.id, StayLimit.limit == spec.id,
            StayLimit.state.in_((StayState.RUNNING, StayState.OVERSTAYED))).limit(1)) is not None:
        raise ValidationProblem(f"{person.reference} already has a {spec.what.lower()} running", "limit")
    clock = stay_clock(spec, started_on, working_calendar(contract.council_id, book.region))
    record = StayLimit(council_id=person.council_id, provider_id=person.provider_id, contract_id=contract.id,
                       contract=contract, person_id=person.id, person=person,
                       reference=reference_for("stay_limit", person.council_id), state=StayState.RUNNING,
                       limit=spec.id, rule=spec.rule, started_on=started_on, due_on=clock.due_on,
                       created_at=now, updated_at=now)
    new_record(actor, "stay_limit", record, "STAY_STARTED", now,
               data={"limit": spec.id, "rule": spec.rule, "person": person.reference, "started_on": started_on,
                     "due_on": clock.due_on})
    start_clocks("stay_limit", record, lambda _ctx: (clock,), now)
    return record


def step_stay(viewer: Viewer, actor: User, stay_id: int, trigger: str, data: dict, now: datetime,
              expected_version=None) -> StayLimit:
    """A person's step on a stay limit (end; agree, for TH-11)."""
    return fire(viewer, actor, "stay_limit", stay_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def stay_facts(record: StayLimit) -> dict:
    """What the machine checks a step against: when it started, and whether a longer stay can be agreed."""
    spec = rulebook_for(record.contract).stay_limit(record.limit)
    return {"started_on": record.started_on, "agreeable": bool(spec and spec.agreeable)}
