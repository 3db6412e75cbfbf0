"""People, with as little personal data as the work needs (issue 15, items 3 and 4).

A person is a pseudonymous reference the council chooses, under one provider's contract (models/people.py). This
store keeps them: list and get (scoped like every record: the council, and a provider its own contract's people),
record one, find every record linked to one across the registry's kinds (a kind whose model has `person_id`), export
them (UK GDPR, audited), erase them (on request, or when the contract's retention period has passed), and Cornwall's
leaving-care records with their CW-14, CW-16 and CW-10 clocks and the CW-08 caseload per adviser. Functions flush;
callers commit.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import db
from models.audit_store import events_for, record_event, scrub_events
from models.calendar_store import working_calendar
from models.cases import Deadline
from models.deadline_store import meet_deadlines
from models.engine import fire, jsonable, load, new_record, start_clocks
from models.entities import Contract, User
from models.people import LeavingCare, Person, PersonRole
from models.provider_store import get_contract
from models.reference_store import reference_for
from models.registry import KINDS, RecordKind, scoped
from models.rulebook_store import rulebook_for
from workflows.access import Permission, Viewer
from workflows.clock import LONDON, add_months
from workflows.errors import NotFound, ValidationProblem
from workflows.leaving_care import STEP_MEETS, LeavingCareState, allocation_deadline
from workflows.machine import MANAGERS, PROVIDERS, TransitionNotAllowed, need_date

NO_NAMES = "Do not include names: use the council's reference for the person."
TOMBSTONE = "ERASED-{id}"
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# -- people ---------------------------------------------------------------------------------------------------


def people_query(viewer: Viewer, contract_id: int | None = None, role: PersonRole | None = None):
    """The statement of the people the viewer may see, optionally of one contract or role (a list's page)."""
    query = scoped(Person, viewer)
    if contract_id is not None:
        query = query.where(Person.contract_id == contract_id)
    if role is not None:
        query = query.where(Person.role == role)
    return query


def list_people(viewer: Viewer, contract_id: int | None = None, role: PersonRole | None = None) -> list[Person]:
    """The people the viewer may see (a provider: its own contracts' people), by reference."""
    return list(db.session.scalars(people_query(viewer, contract_id, role).order_by(Person.reference)))


def get_person(viewer: Viewer, person_id: int) -> Person:
    """One person the viewer may see (NotFound otherwise, never told apart)."""
    person = db.session.scalar(scoped(Person, viewer).where(Person.id == person_id))
    if person is None:
        raise NotFound(f"There is no person {person_id} that you can see")
    return person


def can_record(viewer: Viewer) -> bool:
    """The council's contract managers add a person (the council chooses the reference)."""
    return not viewer.is_provider and viewer.role in MANAGERS


def can_manage_data(viewer: Viewer) -> bool:
    """Administrators export or erase one person's records (UK GDPR)."""
    return viewer.can(Permission.MANAGE_PERSONAL_DATA)


def _born_in(raw, role: PersonRole) -> date | None:
    """A young person's month of birth, written YYYY-MM (kept as the 1st); nobody else's is kept."""
    if raw in (None, ""):
        return None
    if role is not PersonRole.YOUNG_PERSON:
        raise ValidationProblem("Leave the month of birth empty: Remedy keeps it only for a young person (CW-14)",
                                "born_in")
    if isinstance(raw, date):
        return raw.replace(day=1)
    match = _MONTH.match(str(raw).strip()[:7]) if len(str(raw).strip()) in (7, 10) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValidationProblem("Enter the month of birth as a year and month, like 2010-03", "born_in")
    return date(int(match.group(1)), int(match.group(2)), 1)


def adviser_for(provider_id: int, raw) -> User | None:
    """A personal adviser: an active member of the provider's staff with a Remedy account (or none)."""
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not str(raw).isdigit() or len(str(raw)) > 9:
        raise ValidationProblem("Select the personal adviser", "adviser_id")
    user = db.session.get(User, int(raw))
    if user is None or not user.active or user.provider_id != provider_id:
        raise ValidationProblem("Select a personal adviser who works for the provider", "adviser_id")
    return user


def adviser_choices(provider_id: int) -> list[tuple[int, str]]:
    """The provider's active staff, for the adviser list."""
    return [(u.id, u.name) for u in db.session.scalars(select(User).where(
        User.provider_id == provider_id, User.active.is_(True)).order_by(User.name))]


def record_person(viewer: Viewer, actor: User, data: dict, now: datetime) -> Person:
    """Add a person under a contract: the council's reference (never a name), their role, a young person's month of
    birth if a clock needs it, when the service started and their adviser."""
    if not can_record(viewer):
        raise TransitionNotAllowed("Only the council's contract managers can add a person", forbidden=True)
    if data.get("contract_id") in (None, ""):
        raise ValidationProblem("Select the contract", "contract_id")
    contract = get_contract(viewer, data["contract_id"])
    try:
        role = PersonRole(str(data.get("role") or ""))
    except ValueError:
        raise ValidationProblem("Select the person's role (" + ", ".join(r.value for r in PersonRole) + ")",
                                "role") from None
    return _add_person(contract, actor, data, role, now)


def _reference(raw, field: str) -> str:
    """The council's reference for a person: letters, digits and a few marks, no spaces, so never a name."""
    reference = str(raw or "").strip()
    if not reference:
        raise ValidationProblem("Enter the council's reference for the person (not their name)", field)
    if not _REFERENCE.match(reference) or reference.upper().startswith("ERASED-"):
        raise ValidationProblem("Enter a reference of up to 40 letters, digits, hyphens, slashes, dots or "
                                "underscores, with no spaces (for example YP-0417): not a name", field)
    return reference


def _add_person(contract: Contract, actor: User, data: dict, role: PersonRole, now: datetime,
                field: str = "reference") -> Person:
    """The one place a person is added, audited: by record_person, or by a per-person record naming a new one."""
    reference = _reference(data.get(field), field)
    if db.session.scalar(select(Person.id).where(Person.council_id == contract.council_id,
                                                 Person.reference == reference)):
        raise ValidationProblem(f"The reference {reference} is already used: choose another", field)
    today = now.astimezone(LONDON).date()
    born_in = _born_in(data.get("born_in"), role)
    if born_in is not None and born_in > today:
        raise ValidationProblem("The month of birth cannot be in the future", "born_in")
    started_on = need_date(data, "started_on", "Enter the date the service started", today) \
        if data.get("started_on") not in (None, "") else None
    adviser = adviser_for(contract.provider_id, data.get("adviser_id"))
    person = Person(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                    reference=reference, role=role, born_in=born_in, started_on=started_on,
                    adviser_id=adviser.id if adviser else None, created_at=now, updated_at=now)
    db.session.add(person)
    db.session.flush()
    record_event(council_id=person.council_id, actor=actor, entity_type="person", entity_id=person.id,
                 event_name="PERSON_RECORDED", at=now,
                 data=jsonable({"reference": reference, "role": role, "contract": contract.reference}))
    return person


def live_person(viewer: Viewer, key, field: str = "person_id") -> Person:
    """A person the viewer may see, by id, who is under a contract and not erased: what a per-person record needs."""
    if key in (None, "") or isinstance(key, bool) or not str(key).strip().isdigit() or len(str(key).strip()) > 9:
        raise ValidationProblem("Select the person (their id)", field)
    person = db.session.scalar(scoped(Person, viewer).where(Person.id == int(str(key).strip())))
    if person is None or person.contract_id is None:
        raise ValidationProblem("Select a person under one of your contracts", field)
    if person.erased_at is not None:
        raise ValidationProblem("That person's record was erased: nothing more can be recorded about them", field)
    return person


def person_for(viewer: Viewer, actor: User, contract: Contract, data: dict, now: datetime,
               role: PersonRole = PersonRole.SERVICE_USER) -> Person:
    """The person a per-person record under this contract is about: `person_id`, or the council's reference in
    `person` (a reference not yet known is added under the contract, audited, as record_person adds one)."""
    if data.get("person_id") not in (None, ""):
        person = live_person(viewer, data["person_id"])
        if person.provider_id != contract.provider_id:
            raise ValidationProblem("There is no such person under this contract's provider", "person_id")
        return person
    reference = _reference(data.get("person"), "person")
    person = db.session.scalar(select(Person).where(Person.council_id == contract.council_id,
                                                    Person.reference == reference))
    if person is None:
        return _add_person(contract, actor, {"person": reference}, role, now, field="person")
    if person.provider_id != contract.provider_id:
        raise ValidationProblem(f"{reference} is a person under another provider's contract", "person")
    if person.erased_at is not None:
        raise ValidationProblem("That person's record was erased: nothing more can be recorded about them", "person")
    return person


def end_service(viewer: Viewer, actor: User, person_id: int, data: dict, now: datetime) -> Person:
    """Record the day the person's service, tenancy or placement ended (the contract's retention period counts from
    it), by the council's contract managers; audited."""
    person = get_person(viewer, person_id)
    if not can_record(viewer):
        raise TransitionNotAllowed("Only the council's contract managers can record that a service ended",
                                   forbidden=True)
    if person.erased_at is not None:
        raise TransitionNotAllowed(f"{person.reference} was erased: nothing more is recorded about them")
    ended_on = need_date(data, "ended_on", "Enter the date the service ended", now.astimezone(LONDON).date())
    if person.started_on is not None and ended_on < person.started_on:
        raise ValidationProblem(f"The date cannot be before the service started ({person.started_on:%-d %B %Y})",
                                "ended_on")
    before, person.ended_on, person.updated_at = person.ended_on, ended_on, now
    record_event(council_id=person.council_id, actor=actor, entity_type="person", entity_id=person.id,
                 event_name="PERSON_SERVICE_ENDED", at=now,
                 data=jsonable({"ended_on": ended_on, "before": before}))
    db.session.flush()
    return person


def person_kinds() -> list[RecordKind]:
    """The registry's kinds whose records point at a person (a `person_id` column)."""
    return [kind for kind in KINDS.values() if "person_id" in kind.model.__table__.c]


def records_of(viewer: Viewer, person: Person) -> list[tuple[RecordKind, object]]:
    """Every record linked to the person that the viewer may see, across every person-linked kind."""
    found: list[tuple[RecordKind, object]] = []
    for kind in person_kinds():
        found += [(kind, r) for r in db.session.scalars(scoped(kind.model, viewer).where(
            kind.model.person_id == person.id).order_by(kind.model.id))]
    return found


def _columns(record) -> dict:
    return {c.key: jsonable(getattr(record, c.key)) for c in record.__table__.columns}


def export_person(viewer: Viewer, actor: User, person_id: int, now: datetime) -> dict:
    """One person's records across every person-linked kind, with their deadlines and audit trails, as JSON (a
    subject access request); the export itself goes on the person's audit trail."""
    person = get_person(viewer, person_id)  # another provider's person is not there at all (404), then the role
    if not can_manage_data(viewer):
        raise TransitionNotAllowed("Only an administrator can export a person's records", forbidden=True)
    records = []
    for kind, record in records_of(viewer, person):
        deadlines = db.session.scalars(select(Deadline).where(
            Deadline.entity_type == kind.name, Deadline.entity_id == record.id).order_by(Deadline.id))
        records.append({"kind": kind.name, **_columns(record), "deadlines": [
            {"kind": d.kind, "rule": d.rule, "due_on": d.due_on.isoformat(), "status": d.status} for d in deadlines],
            "events": [_event(e) for e in events_for(person.council_id, kind.name, record.id)]})
    record_event(council_id=person.council_id, actor=actor, entity_type="person", entity_id=person.id,
                 event_name="PERSON_EXPORTED", at=now, data={"records": len(records)})
    return {"exported_at": now.isoformat(), "person": _columns(person), "records": records,
            "events": [_event(e) for e in events_for(person.council_id, "person", person.id)]}


def _event(e) -> dict:
    return {"at": jsonable(e.at), "event": e.event, "by": e.actor_label, "from_state": e.from_state,
            "to_state": e.to_state, "reason": e.reason, "data": e.data}


def erase_person(viewer: Viewer, actor: User, person_id: int, reason: str, now: datetime) -> Person:
    """Erase one person's personal data on request (UK GDPR), as one change: see `erase`."""
    person = get_person(viewer, person_id)
    if not can_manage_data(viewer):
        raise TransitionNotAllowed("Only an administrator can erase a person's records", forbidden=True)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationProblem("Enter why the person's records are erased (for example, the request's reference)",
                                "reason")
    if person.erased_at is not None:
        raise TransitionNotAllowed(f"{person.reference} was already erased on {person.erased_at:%-d %B %Y}")
    return erase(person, actor, reason, now)


def erase(person: Person, actor: User | None, reason: str, now: datetime) -> Person:
    """Blank the free text (each kind's `personal_text`) on every record linked to the person, replace the reference
    with a tombstone ("ERASED-<id>") and the month of birth with nothing, scrub the reference and that free text from
    the records' earlier audit events, and record the erasure (the tombstone) on the trail. The rows stay, so every
    count, deadline and caseload still adds up."""
    tombstone, old = TOMBSTONE.format(id=person.id), person.reference
    entities: list[tuple[str, int]] = [("person", person.id)]
    keys: set[str] = set()
    counts: dict[str, int] = {}
    for kind in person_kinds():
        keys.update(kind.personal_text)
        for record in db.session.scalars(select(kind.model).where(kind.model.person_id == person.id)):
            for column in kind.personal_text:
                nullable = kind.model.__table__.c[column].nullable
                setattr(record, column, None if nullable else "[erased]")
            if hasattr(record, "updated_at"):
                record.updated_at = now
            entities.append((kind.name, record.id))
            counts[kind.name] = counts.get(kind.name, 0) + 1
    person.reference, person.born_in, person.erased_at, person.updated_at = tombstone, None, now, now
    db.session.flush()
    scrubbed = scrub_events(person.council_id, entities, tuple(sorted(keys)), {old: tombstone})
    record_event(council_id=person.council_id, actor=actor, entity_type="person", entity_id=person.id,
                 event_name="PERSON_ERASED", at=now, reason=reason,
                 data={"tombstone": tombstone, "records": counts, "events_scrubbed": scrubbed})
    return person


# -- retention ----------------------------------------------------------------------------------------------------


def retention_months(contract: Contract | None) -> int | None:
    """The contract's retention period for people's records, in months after the service ended (a council setting;
    None: not set, so nothing is erased by age)."""
    value = ((contract.settings or {}).get("retention") or {}) if contract is not None else {}
    return value.get("months")


def past_retention(today: date, council_id: int | None = None) -> list[tuple[Person, date]]:
    """People not yet erased whose service ended longer ago than their contract's retention period, with the date
    it ran out."""
    query = select(Person).join(Contract, Person.contract_id == Contract.id).where(
        Person.erased_at.is_(None), Person.ended_on.is_not(None), Contract.settings.is_not(None))
    if council_id is not None:
        query = query.where(Person.council_id == council_id)
    due = []
    for person in db.session.scalars(query.order_by(Person.id)):
        months = retention_months(person.contract)
        if months is not None and person.ended_on is not None:
            until = add_months(person.ended_on, months)
            if until < today:
                due.append((person, until))
    return due


def apply_retention(now: datetime, dry_run: bool) -> list[tuple[Person, date]]:
    """Erase everyone past their contract's retention period (or, dry, only list them)."""
    today = now.astimezone(LONDON).date()
    due = past_retention(today)
    if not dry_run:
        for person, until in due:
            erase(person, None, f"Retention period ended on {until:%-d %B %Y} "
                                f"({retention_months(person.contract)} months after the service ended)", now)
    return due


# -- Cornwall: leaving-care records (CW-14, CW-16, CW-10) and caseloads (CW-08) -------------------------------------


def leaving_care_query(viewer: Viewer):
    """The statement of the leaving-care records the viewer may see, with their people and contracts (a list's
    page)."""
    return scoped(LeavingCare, viewer).options(selectinload(LeavingCare.person), selectinload(LeavingCare.contract))


def list_leaving_care(viewer: Viewer) -> list[LeavingCare]:
    """Leaving-care records the viewer may see, newest first."""
    return list(db.session.scalars(leaving_care_query(viewer).order_by(LeavingCare.id.desc())))


def get_leaving_care(viewer: Viewer, record_id: int) -> LeavingCare:
    """One leaving-care record the viewer may see (NotFound otherwise)."""
    return load(viewer, "leaving_care", record_id)


def refer_young_person(viewer: Viewer, actor: User, data: dict, now: datetime) -> LeavingCare:
    """A young person referred to the provider: the CW-14 clock starts (by 15 years 9 months, or 7 working days
    after a later referral), counted on the contract's calendar with the numbers from its rulebook."""
    if viewer.role not in MANAGERS | PROVIDERS:
        raise TransitionNotAllowed("Only contract managers or the provider's staff can record a referral",
                                   forbidden=True)
    raw = data.get("person_id")
    if isinstance(raw, bool) or not str(raw or "").isdigit() or len(str(raw)) > 9:
        raise ValidationProblem("Select the young person", "person_id")
    person = get_person(viewer, int(raw))
    if person.role is not PersonRole.YOUNG_PERSON or person.born_in is None:
        raise ValidationProblem(f"{person.reference} is not a young person with a month of birth: CW-14 counts "
                                "from it", "person_id")
    if person.erased_at is not None:
        raise ValidationProblem(f"{person.reference} was erased: nothing more is recorded about them", "person_id")
    book = rulebook_for(person.contract) if person.contract else None
    if book is None or book.leaving_care is None:
        raise ValidationProblem("The person's contract keeps no leaving-care records (its rulebook has no "
                                "[leaving_care] table)", "person_id")
    if db.session.scalar(select(LeavingCare.id).where(LeavingCare.person_id == person.id,
                                                      LeavingCare.state != LeavingCareState.CLOSED)):
        raise ValidationProblem(f"{person.reference} already has an open leaving-care record", "person_id")
    today = now.astimezone(LONDON).date()
    referred_on = need_date(data, "referred_on", "Enter the date the council referred the young person", today)
    clock = allocation_deadline(book.leaving_care, person.born_in, referred_on,
                                working_calendar(person.council_id, book.region))
    record = LeavingCare(council_id=person.council_id, provider_id=person.provider_id,
                         contract_id=person.contract_id, contract=person.contract, person_id=person.id,
                         reference=reference_for("leaving_care", person.council_id), state=LeavingCareState.REFERRED,
                         referred_on=referred_on, created_at=now, updated_at=now)
    new_record(actor, "leaving_care", record, "YOUNG_PERSON_REFERRED", now,
               data={"person": person.reference, "referred_on": referred_on, "due_on": clock.due_on})
    start_clocks("leaving_care", record, lambda _ctx: (clock,), now)
    return record


def step_leaving_care(viewer: Viewer, actor: User, record_id: int, trigger: str, data: dict, now: datetime,
                      expected_version=None) -> LeavingCare:
    """A step on a leaving-care record (allocate, record_review, record_contact, close) through the engine."""
    if trigger == "allocate":
        record = get_leaving_care(viewer, record_id)
        if data.get("adviser_id") in (None, ""):
            raise ValidationProblem("Select the personal adviser", "adviser_id")
        adviser_for(record.provider_id, data.get("adviser_id"))
    return fire(viewer, actor, "leaving_care", record_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def leaving_care_facts(record: LeavingCare) -> dict:
    """What the machine checks dates against: the referral and the allocation."""
    return {"referred_on": record.referred_on, "allocated_on": record.allocated_on}


def on_leaving_care_step(step) -> None:
    """The recurring clock a step answers is met before the step starts the next one; an allocation also names the
    person's adviser (for the CW-08 caseload)."""
    answered = STEP_MEETS.get(step.result.trigger)
    if answered:
        meet_deadlines("leaving_care", step.record.id, {answered}, step.now)
    if step.result.trigger == "allocate":
        person = db.session.get(Person, step.record.person_id)
        person.adviser_id, person.updated_at = step.result.data["adviser_id"], step.now
        step.event_data["person"] = person.reference


def caseloads_query(viewer: Viewer):
    """CW-08's caseloads as one statement of (contract, adviser, young people) rows: each personal adviser's open
    allocated young people per contract, by contract, most first, then by adviser (a list's page, read as rows and
    shown by caseload_row)."""
    allocated = scoped(LeavingCare, viewer).where(LeavingCare.state == LeavingCareState.ALLOCATED,
                                                  LeavingCare.adviser_id.is_not(None)).subquery()
    young = func.count().label("young_people")
    return (select(Contract, User, young).join(allocated, allocated.c.contract_id == Contract.id)
            .join(User, User.id == allocated.c.adviser_id).group_by(Contract.id, User.id)
            .order_by(Contract.reference, young.desc(), User.name, User.id))


def caseload_row(contract: Contract, adviser: User, count: int) -> dict:
    """One adviser's caseload on a contract against its cap (25 to 30 per full-time adviser; every adviser counted
    as one FTE), over-cap flagged (CW-08)."""
    rules = rulebook_for(contract).leaving_care
    lower, cap = (rules.caseload_lower, rules.caseload_cap) if rules else (None, None)
    return {"contract": contract.reference, "contract_id": contract.id, "adviser_id": adviser.id,
            "adviser": adviser.name, "young_people": count, "lower": lower, "cap": cap,
            "over_cap": cap is not None and count > cap,
            "in_range": lower is not None and cap is not None and lower <= count <= cap}


def caseloads(viewer: Viewer) -> list[dict]:
    """CW-08: each personal adviser's open allocated young people against the contract's cap, over-cap advisers
    flagged."""
    return [caseload_row(*row) for row in db.session.execute(caseloads_query(viewer))]
