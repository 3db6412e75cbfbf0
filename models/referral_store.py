"""H&F referrals and packages of care (issue 15, item 2): recorded under a contract whose rulebook has [referrals]
and [packages] windows, about one pseudonymous Person; every step goes through the engine, which stops the clocks a
step meets. A window that runs out makes the scheduler fire the kind's `mark_late` (or, for a hospital stay over 48
hours, `suspend`, HF-64); a window missed, by the scheduler or by a step taken after it, breaches its deadline and
records the contract's breach event, which the rolling-window rules can count."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import db
from models.cases import Deadline
from models.deadline_store import cancel_deadline_timers
from models.engine import clock_spec, fire, load, new_record, start_clocks
from models.entities import Contract, User
from models.monitoring import KpiResult
from models.people import Person
from models.people_store import person_for
from models.provider_store import get_contract, list_contracts
from models.reference_store import reference_for
from models.referrals import CapacityConfirmation, CarePackage, Referral
from models.registry import KINDS, scoped
from models.return_store import record_breach_event
from models.rulebook_store import rulebook_for
from workflows.access import Viewer
from workflows.capacity import CapacityState, capacity_deadline, week_due
from workflows.care_package import PackageState
from workflows.care_package import start_clocks as package_clocks
from workflows.clock import LONDON, end_of_day
from workflows.errors import NotFound, ValidationProblem
from workflows.home_care import HomeCareRules, Window, need_instant, window_clock
from workflows.home_care_kpis import MEASURES, compute
from workflows.home_care_kpis import Window as Due
from workflows.machine import MANAGERS, TransitionNotAllowed, need_date
from workflows.referral import ACK_CLOCK, RESPONSE_CLOCK, START_CLOCK, ReferralState

# -- reading -------------------------------------------------------------------------------------------------------


def referrals_query(viewer: Viewer, contract_id: int | None = None):
    """The statement of the referrals the viewer may see, with what their items show (a list's page)."""
    query = scoped(Referral, viewer).options(selectinload(Referral.person), selectinload(Referral.contract))
    if contract_id is not None:
        query = query.where(Referral.contract_id == contract_id)
    return query


def list_referrals(viewer: Viewer, contract_id: int | None = None) -> list[Referral]:
    """Referrals the viewer may see (a provider: those sent to it), newest first."""
    return list(db.session.scalars(referrals_query(viewer, contract_id).order_by(
        Referral.received_at.desc(), Referral.id.desc())))


def packages_query(viewer: Viewer, contract_id: int | None = None):
    """The statement of the packages of care the viewer may see, with what their items show (a list's page)."""
    query = scoped(CarePackage, viewer).options(selectinload(CarePackage.person), selectinload(CarePackage.contract))
    if contract_id is not None:
        query = query.where(CarePackage.contract_id == contract_id)
    return query


def list_packages(viewer: Viewer, contract_id: int | None = None) -> list[CarePackage]:
    """Packages of care the viewer may see (a provider: its own), newest first."""
    return list(db.session.scalars(packages_query(viewer, contract_id).order_by(
        CarePackage.started_on.desc(), CarePackage.id.desc())))


def get_referral(viewer: Viewer, referral_id: int) -> Referral:
    """One referral the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "referral", referral_id)


def get_package(viewer: Viewer, package_id: int) -> CarePackage:
    """One package the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "package", package_id)


def can_refer(viewer: Viewer) -> bool:
    """Brokerage (the council's contract managers) sends a referral or records a package."""
    return not viewer.is_provider and viewer.role in MANAGERS


def home_care_rules(contract: Contract) -> HomeCareRules:
    """The contract's referral and package windows, or a problem saying it has none (only H&F's rulebook does)."""
    book = rulebook_for(contract)
    if book.home_care is None:
        raise ValidationProblem(f"The {book.title} contract has no referral or package windows: choose a contract "
                                "whose rulebook has them (Hammersmith & Fulham home care)", "contract_id")
    return book.home_care


def home_care_contracts(viewer: Viewer) -> list[Contract]:
    """The contracts the viewer may see whose rulebook has referral and package windows."""
    return [c for c in list_contracts(viewer) if rulebook_for(c).home_care is not None]


def _contract(viewer: Viewer, data: dict) -> tuple[Contract, HomeCareRules]:
    if not can_refer(viewer):
        raise TransitionNotAllowed("Only the council's contract managers (Brokerage) can record this", forbidden=True)
    key = data.get("contract_id")
    if key in (None, ""):
        raise ValidationProblem("Select the contract", "contract_id")
    contract = get_contract(viewer, key)
    return contract, home_care_rules(contract)


def _whole(value, field: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or len(text) > 9:
        raise ValidationProblem(f"Give {field} as a record's id, a whole number", field)
    return int(text)


# -- referrals -----------------------------------------------------------------------------------------------------


def record_referral(viewer: Viewer, actor: User, data: dict, now: datetime) -> Referral:
    """Brokerage sends a referral: its acknowledgement (HF-R01), response (HF-R02..R05, or the hours Brokerage sets,
    HF-R09) and implementation (HF-R06..R08) clocks start from the moment it was received, in real hours."""
    contract, rules = _contract(viewer, data)
    person = person_for(viewer, actor, contract, data, now)
    summary = str(data.get("summary") or "").strip()
    if not summary:
        raise ValidationProblem("Describe the package of care needed (no names)", "summary")
    received_at = need_instant(data, "received_at", "Enter when the referral was received", now)
    starts_at = need_instant(data, "starts_at", "Enter when the package is to start", now, not_before=received_at,
                             allow_future=True, default_now=False)
    discharge = data.get("hospital_discharge") in (True, "yes", "true", "on")
    grade = rules.grade(str(data.get("grade") or (rules.discharge_grade if discharge else "")))
    if grade is None:
        raise ValidationProblem("Select the implementation grade (" + ", ".join(
            f"{g.id}: {g.label or g.words}" for g in rules.grades) + ")", "grade")
    slowest = rules.grade(rules.discharge_grade)
    if discharge and slowest is not None and grade.length > slowest.length:
        raise ValidationProblem(f"A hospital discharge needs at least a {slowest.words} response ({slowest.rule}): "
                                f"grade it {slowest.id} or faster", "grade")
    response = rules.response_for(received_at, starts_at)
    if data.get("response_hours") not in (None, ""):  # HF-R09: Brokerage sets the response time case by case
        hours = data["response_hours"]
        if isinstance(hours, bool) or not str(hours).strip().isdigit() or not 1 <= int(str(hours)) <= 168:
            raise ValidationProblem("Enter the response time Brokerage set as a whole number of hours from 1 to 168",
                                    "response_hours")
        response = Window(rule="HF-R09", length=int(str(hours)), unit="hours")
    record = Referral(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                      contract=contract, person_id=person.id, reference=reference_for("referral", contract.council_id),
                      state=ReferralState.RECEIVED, summary=summary[:5000], received_at=received_at,
                      starts_at=starts_at, grade=grade.id, hospital_discharge=discharge,
                      response_rule=response.rule, response_hours=response.length, late=False, created_at=now,
                      updated_at=now)
    # The audit trail names the person by id, never by reference: erasure replaces the reference (models/people.py)
    # and the append-only trail cannot be blanked.
    new_record(actor, "referral", record, "REFERRAL_RECEIVED", now,
               data={"person_id": person.id, "received_at": received_at, "starts_at": starts_at,
                     "grade": grade.id, "response_rule": response.rule, "contract": contract.reference})

    def clocks(ctx):
        ahead = starts_at - received_at
        return (window_clock(ACK_CLOCK, rules.acknowledge, received_at, ctx.calendar),
                window_clock(RESPONSE_CLOCK, response, received_at, ctx.calendar,
                             label=f"Referral accepted or declined (the package starts {_ahead(ahead)} after it "
                                   "was received)" if response.rule != "HF-R09" else
                                   "Referral accepted or declined (the time Brokerage set)"),
                window_clock(START_CLOCK, grade, received_at, ctx.calendar,
                             label=f"Package implemented ({grade.label or grade.id})"))

    start_clocks("referral", record, clocks, now)
    return record


def _ahead(delta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def step_referral(viewer: Viewer, actor: User, referral_id: int, trigger: str, data: dict, now: datetime,
                  expected_version=None) -> Referral:
    """Any person's step on a referral (acknowledge, accept, decline, start, withdraw), through the engine."""
    return fire(viewer, actor, "referral", referral_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def referral_facts(record: Referral) -> dict:
    """What the machine checks a step's time against: when the referral was received."""
    return {"received_at": record.received_at}


_STEP_TIME = {"acknowledge": "acknowledged_at", "accept": "decided_at", "decline": "decided_at",
              "start": "started_at"}


def on_referral_step(step) -> None:
    """Accepting also acknowledges; a step taken after its window, or the scheduler's `mark_late`, breaches the
    window and records the contract's breach event (HF-R01..R08)."""
    record = step.record
    data = step.result.data
    if step.result.trigger in ("accept", "decline") and record.acknowledged_at is None:
        record.acknowledged_at = data["decided_at"]
    when = data.get(_STEP_TIME.get(step.result.trigger, ""))
    _lateness(step, "referral", home_care_rules(record.contract).referral_event, when)


def referral_consequences(step) -> None:
    """A referral that starts becomes a package of care, with its own clocks (HF-18, HF-30, HF-24)."""
    if step.result.trigger != "start":
        return
    referral = step.record
    started_on = referral.started_at.astimezone(LONDON).date()
    _new_package(step.actor, referral.contract, referral.person_id, referral.summary, referral.received_at,
                 started_on, step.now, referral_id=referral.id)


# -- packages ------------------------------------------------------------------------------------------------------


def record_package(viewer: Viewer, actor: User, data: dict, now: datetime) -> CarePackage:
    """Record a package of care already running (one not referred through Remedy): its clocks start from the
    referral (the plan, HF-18) and its start (the key worker, HF-30, and the first review, HF-24)."""
    contract, _rules = _contract(viewer, data)
    person = person_for(viewer, actor, contract, data, now)
    summary = str(data.get("summary") or "").strip()
    if not summary:
        raise ValidationProblem("Describe the package of care (no names)", "summary")
    today = now.astimezone(LONDON).date()
    referred_at = need_instant(data, "referred_at", "Enter when the package was referred", now)
    started_on = need_date(data, "started_on", "Enter the date the package started", today)
    if started_on < referred_at.astimezone(LONDON).date():
        raise ValidationProblem("The package cannot start before it was referred", "started_on")
    return _new_package(actor, contract, person.id, summary[:5000], referred_at, started_on, now)


def _new_package(actor, contract: Contract, person_id: int, summary: str, referred_at: datetime, started_on,
                 now: datetime, referral_id: int | None = None) -> CarePackage:
    rules = home_care_rules(contract)
    record = CarePackage(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                         contract=contract, person_id=person_id, referral_id=referral_id,
                         reference=reference_for("package", contract.council_id), state=PackageState.ACTIVE,
                         summary=summary, referred_at=referred_at, started_on=started_on, unpaid_visits=0,
                         unpaid_extra_hours=0,
                         late=False, created_at=now, updated_at=now)
    new_record(actor, "package", record, "PACKAGE_STARTED", now,
               data={"referral_id": referral_id, "person_id": person_id, "started_on": started_on,
                     "contract": contract.reference})
    start_clocks("package", record, lambda ctx: package_clocks(rules, referred_at, started_on, ctx.calendar), now)
    return record


def step_package(viewer: Viewer, actor: User, package_id: int, trigger: str, data: dict, now: datetime,
                 expected_version=None) -> CarePackage:
    """Any person's step on a package (agree_plan, allocate_key_worker, review, record_manual_entry,
    admit_to_hospital, return_home, end), through the engine."""
    return fire(viewer, actor, "package", package_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def package_facts(record: CarePackage) -> dict:
    """What the machine checks a step's date against: the referral, the start and the hospital admission."""
    return {"referred_on": record.referred_at.astimezone(LONDON).date(), "started_on": record.started_on,
            "admitted_at": record.admitted_at}


_PACKAGE_DAY = {"agree_plan": "plan_agreed_on", "allocate_key_worker": "key_worker_on", "review": "last_review_on"}


def on_package_step(step) -> None:
    """The first review is kept; a late manual entry leaves its visit unpaid (HF-53), late-agreed extra hours stay
    unpaid (HF-54); a step taken after its
    window, or the scheduler's `mark_late`, breaches the window and records the contract's breach event."""
    record = step.record
    data = step.result.data
    trigger = step.result.trigger
    if trigger == "review" and record.first_review_on is None:
        record.first_review_on = data["last_review_on"]
    if trigger == "record_manual_entry" and data.get("unpaid"):
        record.unpaid_visits = (record.unpaid_visits or 0) + 1
    if trigger == "record_extra_hours" and data.get("unpaid"):
        record.unpaid_extra_hours = (record.unpaid_extra_hours or 0) + data["extra_hours"]
    day = data.get(_PACKAGE_DAY.get(trigger, ""))
    _lateness(step, "package", home_care_rules(record.contract).package_event,
              end_of_day(day) if day is not None else None)


# -- lateness, shared by both kinds -----------------------------------------------------------------------------


def _lateness(step, kind: str, event: str, when: datetime | None) -> None:
    """Breach what this step finds late and record the contract's breach event for each window missed: the window
    the scheduler just breached (`mark_late`, carrying its rule), or the running windows this step meets after their
    due instant."""
    record = step.record
    missed: list[Deadline] = []
    if step.result.trigger in ("mark_late", "mark_missed"):
        # The tick breaches in due order: the window it just breached is the latest breached one with this rule (an
        # earlier review cycle's window of the same rule was counted when it was breached).
        missed = list(db.session.scalars(select(Deadline).where(
            Deadline.entity_type == kind, Deadline.entity_id == record.id, Deadline.status == "breached",
            Deadline.rule == step.result.data.get("rule"), Deadline.due_at <= step.now)
            .order_by(Deadline.due_at.desc(), Deadline.id.desc()).limit(1)))
    elif when is not None:
        rulebook = step.workflow.ctx.rulebook
        for deadline in db.session.scalars(select(Deadline).where(
                Deadline.entity_type == kind, Deadline.entity_id == record.id, Deadline.status == "running")):
            spec = clock_spec(KINDS[kind], rulebook, deadline.kind)
            if spec is not None and step.result.event in spec.stops and when > deadline.due_at:
                deadline.status, deadline.breached_at = "breached", deadline.due_at
                cancel_deadline_timers(deadline, "Done after the deadline")
                missed.append(deadline)
    for deadline in missed:
        record.late = True
        step.event_data.setdefault("windows_missed", []).append(deadline.rule)
        record_breach_event(record.contract, event, deadline.due_on, record.reference,
                            f"{record.reference}: {deadline.label} not done by "
                            f"{deadline.due_at.astimezone(LONDON):%H:%M on %-d %B %Y} ({deadline.rule}; "
                            f"{'real hours' if deadline.unit == 'hours' else 'calendar days'})", step.now,
                            actor=step.actor)


# -- the weekly capacity confirmation (BCM 2.1) ----------------------------------------------------------------


def confirmations_query(viewer: Viewer, contract_id: int | None = None):
    """The statement of the capacity confirmations the viewer may see, with what their items show (a list's page)."""
    query = scoped(CapacityConfirmation, viewer).options(selectinload(CapacityConfirmation.contract))
    if contract_id is not None:
        query = query.where(CapacityConfirmation.contract_id == contract_id)
    return query


def list_confirmations(viewer: Viewer, contract_id: int | None = None) -> list[CapacityConfirmation]:
    """Weekly capacity confirmations the viewer may see (a provider: its own), latest week first."""
    return list(db.session.scalars(confirmations_query(viewer, contract_id).order_by(
        CapacityConfirmation.due_on.desc(), CapacityConfirmation.id.desc())))


def get_confirmation(viewer: Viewer, confirmation_id: int) -> CapacityConfirmation:
    """One week's confirmation the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "capacity", confirmation_id)


def start_confirmations(viewer: Viewer, actor: User, data: dict, now: datetime) -> CapacityConfirmation:
    """Start awaiting the weekly written confirmation on a contract, from the week of the given day (HF-B02): each
    week's, confirmed or missed, awaits the next."""
    contract, rules = _contract(viewer, data)
    today = now.astimezone(LONDON).date()
    day = need_date(data, "week_of", "Enter a day in the first week to await", today, allow_future=True) if data.get(
        "week_of") not in (None, "") else today
    due_on = week_due(day, rules.capacity_weekday)
    if db.session.scalar(select(CapacityConfirmation.id).where(CapacityConfirmation.contract_id == contract.id,
                                                               CapacityConfirmation.due_on >= due_on).limit(1)):
        raise ValidationProblem(f"Confirmations on {contract.reference} are already awaited from that week",
                                "week_of")
    return _await_week(actor, contract, due_on, now)


def _await_week(actor, contract: Contract, due_on, now: datetime) -> CapacityConfirmation:
    rules = home_care_rules(contract)
    record = CapacityConfirmation(council_id=contract.council_id, provider_id=contract.provider_id,
                                  contract_id=contract.id, contract=contract,
                                  reference=reference_for("capacity", contract.council_id), state=CapacityState.AWAITED,
                                  due_on=due_on, summary=f"Week of {due_on:%A %-d %B %Y}", short_notice=False,
                                  late=False, created_at=now, updated_at=now)
    new_record(actor, "capacity", record, "CAPACITY_AWAITED", now,
               data={"due_on": due_on, "contract": contract.reference})
    start_clocks("capacity", record, lambda ctx: (capacity_deadline(due_on, rules.capacity_weekday, ctx.calendar),),
                 now)
    return record


def step_confirmation(viewer: Viewer, actor: User, confirmation_id: int, trigger: str, data: dict, now: datetime,
                      expected_version=None) -> CapacityConfirmation:
    """Record the week's confirmation (either side), through the engine."""
    return fire(viewer, actor, "capacity", confirmation_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def capacity_facts(record: CapacityConfirmation) -> dict:
    """The week's confirmation day, which a confirmation is checked against."""
    return {"due_on": record.due_on}


def on_capacity_step(step) -> None:
    """A missed Tuesday (the scheduler's `mark_missed`), a confirmation after it, or hours declared with less than a
    week's notice record the contract's `missed-capacity-confirmation` event (HF-B02, HF-06)."""
    record = step.record
    rules = home_care_rules(record.contract)
    if step.result.data.get("short_notice") and not record.short_notice:
        record.short_notice = True
        record_breach_event(record.contract, rules.capacity_event, record.due_on, record.reference,
                            f"{record.reference}: available hours given with less than a week's notice (HF-06)",
                            step.now, actor=step.actor)
    _lateness(step, "capacity", rules.capacity_event, step.result.data.get("confirmed_at"))


def capacity_consequences(step) -> None:
    """A week confirmed or missed awaits the next week's confirmation."""
    if step.result.trigger not in ("confirm", "mark_missed"):
        return
    record = step.record
    following = record.due_on + timedelta(days=7)
    if db.session.scalar(select(CapacityConfirmation.id).where(CapacityConfirmation.contract_id == record.contract_id,
                                                               CapacityConfirmation.due_on == following)) is None:
        _await_week(step.actor, record.contract, following, step.now)


# -- KPIs Remedy computes itself -------------------------------------------------------------------------------


def computed_kpis(viewer: Viewer, contract_key, start, end, today) -> tuple[Contract, list]:
    """The KPIs the contract's referral, package and capacity records prove for a period (workflows/home_care_kpis),
    each beside the figure the provider reported for the same period, if any, and flagged where they differ."""
    contract = get_contract(viewer, contract_key)
    home_care_rules(contract)
    if end < start:
        raise ValidationProblem("The end of the period must not be before its start", "to")
    windows = [Due(rule, due_on, status) for rule, due_on, status in db.session.execute(
        select(Deadline.rule, Deadline.due_on, Deadline.status).where(
            Deadline.council_id == contract.council_id, Deadline.contract_id == contract.id,
            Deadline.entity_type.in_(("referral", "package", "capacity")), Deadline.due_on >= start,
            Deadline.due_on <= end))]
    refusals = db.session.scalar(select(func.count(Referral.id)).where(
        Referral.contract_id == contract.id, Referral.state == ReferralState.DECLINED,
        Referral.within_capacity.is_(True), Referral.decided_at >= datetime.combine(start, time.min, LONDON),
        Referral.decided_at <= end_of_day(end))) or 0
    units = {m.id: m.unit for m in MEASURES}
    sums: dict[str, list[float]] = {}
    for result in db.session.scalars(select(KpiResult).where(
            KpiResult.contract_id == contract.id, KpiResult.kpi_id.in_(units), KpiResult.period_start >= start,
            KpiResult.period_end <= end, KpiResult.value.is_not(None))):
        total = sums.setdefault(result.kpi_id, [0.0, 0.0, 0.0])
        total[0] += result.numerator or 0
        total[1] += result.denominator or 0
        total[2] += result.value or 0
    reported = {kpi: (100 * n / d if units[kpi] == "percent" and d else v) for kpi, (n, d, v) in sums.items()}
    return contract, compute(windows, refusals, start, end, today, reported)


def person_reference(record) -> str:
    """The council's reference for the person a record is about (never a name)."""
    person = db.session.get(Person, record.person_id)
    if person is None:
        raise NotFound("No such person")
    return person.reference
