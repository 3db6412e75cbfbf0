"""Monitoring returns, KPI results and breaches: the only code that queries them. Functions flush; callers commit.

A contract's return periods are rows (one per return and period, from its rulebook's [[returns]]), created as the
periods open. Figures arrive by form, API or upload (all or nothing); every submission is kept and a correction
supersedes the last. When the council accepts a return, its KPI results are computed and every breach rule of the
rulebook is evaluated over closed periods (workflows/breach.py). Breaches are recorded under a stable key, so
evaluating again never records one twice; one that a correction cures is withdrawn, audited, with the proposal it
caused. Escalations are proposals: suspensions and terminations through the same records the scheduler proposes
(models/timer_store.py), everything else through the breach record a person confirms or dismisses (A53).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from models import db
from models.audit_store import events_for, record_event
from models.bulk_store import among, insert_many, insert_with_ids, plain_rows
from models.calendar_store import working_calendar
from models.case_queries import get_case
from models.case_store import draft_default_notice, draft_notice, open_case, propose_unless_pending
from models.cases import Case, DefaultNotice
from models.deadline_store import create_deadline, meet_deadlines
from models.engine import allowed_triggers, fire, fire_system, jsonable, load, new_record, workflow_for
from models.entities import AuditEvent, Contract, CqcRating, User
from models.kept import kept
from models.ladder_store import actions_now, held_back  # KT-17 -> KT-19 -> KT-14/KT-08; CE-38's precondition
from models.monitoring import BreachRecord, KpiResult, MonitoringOccurrence, MonitoringReturn, ReturnSubmission
from models.picture_versions import council_pictures_changed
from models.provider_store import get_contract
from models.registry import KINDS, scoped
from models.rulebook_store import rulebook_for, rulebooks
from workflows.access import Viewer
from workflows.breach import Breach, Occurrence, Rating, evaluate, reconcile
from workflows.breach_record import OPEN_BREACH, BreachState
from workflows.case import OPEN
from workflows.clock import LONDON, ClockStart, end_of_day
from workflows.default_notice import DefaultState
from workflows.errors import NotFound, ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.monitoring import KpiSpec, kpi_in_force
from workflows.returns import CellError, Period, ReturnState, due_date, schedule, validate_rows

# -- the schedule ------------------------------------------------------------------------------------------------

def contract_schedules(contract: Contract, until: date, explain: bool = True) -> dict[str, list[Period]]:
    """Every return's periods for a contract from its start (or from the day Remedy began monitoring it) to the
    period containing `until`. Periods keep the contract's own anchor (4-weekly and anniversary cadences count
    from its start), so a later monitoring start only leaves out the periods that ended before it."""
    book = rulebook_for(contract)
    calendar = working_calendar(contract.council_id, book.region)
    end = min(until, contract.end_on) if contract.end_on else until
    since = contract.monitoring_from or contract.start_on
    return {spec.id: [p for p in schedule(spec, contract.start_on, end, calendar, explain) if p.end >= since]
            for spec in book.monitoring.returns}


def ensure_schedule(contract: Contract, today: date, now: datetime | None = None,
                    schedules: dict[str, list[Period]] | None = None, existing: set | None = None) -> int:
    """Create the return rows for every period that has started by `today` (safe to run again); how many were new.

    With `now`, a period whose due date is still ahead gets a deadline, so the scheduler reminds the provider as
    it does for every other clock (past due dates are the late-return rules' business, CE-47)."""
    book = rulebook_for(contract)
    if existing is None:  # the (return, period start) pairs it has rows for; the sweep reads them for many at once
        existing = set(db.session.execute(select(MonitoringReturn.return_id, MonitoringReturn.period_start).where(
            MonitoringReturn.contract_id == contract.id)).all())
    specs = {s.id: s for s in book.monitoring.returns}
    added = 0
    new_due: list[tuple[MonitoringReturn, object]] = []
    calendars: list = []

    def explained(spec, period: Period) -> tuple[str, ...]:
        """How a new period's due date was worked out, when `schedules` came without it."""
        if period.due_explanation:
            return period.due_explanation
        if not calendars:
            calendars.append(working_calendar(contract.council_id, book.region))
        return due_date(spec, period.end, calendars[0])[1]

    for return_id, periods in (schedules or contract_schedules(contract, today)).items():
        spec = specs[return_id]
        for period in periods:
            if (return_id, period.start) in existing:
                continue
            row = MonitoringReturn(
                council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                return_id=return_id, name=spec.name, rule=spec.rule[:60], period_start=period.start,
                period_end=period.end, label=period.label[:120], due_on=period.due_on,
                due_explanation=list(explained(spec, period)), state=ReturnState.DUE, queries=0)
            db.session.add(row)
            added += 1
            if now is not None and period.due_on is not None and period.due_on >= today:
                new_due.append((row, spec))
    db.session.flush()
    for row, spec in new_due:
        _plan_due_deadline(row, spec, book.region, now)
    return added


def _plan_due_deadline(row: MonitoringReturn, spec, region: str, now: datetime) -> None:
    if spec.due_after_working_days is not None:
        unit, length = "working_days", spec.due_after_working_days
    else:
        unit, length = "calendar_days", (row.due_on - row.period_end).days
    clock = ClockStart(kind="return_due", label=f"{row.name} for {row.label} submitted"[:200],
                       rule=_rule_ref(spec), unit=unit, length=length, start_on=row.period_end, due_on=row.due_on,
                       due_at=end_of_day(row.due_on), acts="provider", pausable=False, on_breach=None,
                       explanation=tuple(row.due_explanation))
    create_deadline(record=row, entity_type="return", case=None, clock=clock, region=region, now=now)


def ensure_schedules(viewer: Viewer, today: date, now: datetime | None = None) -> None:
    """Bring the return rows of every contract the viewer can see up to `today`."""
    for contract in db.session.scalars(scoped(Contract, viewer)):
        ensure_schedule(contract, today, now)


def contracts_marker(viewer: Viewer) -> tuple:
    """How many contracts the viewer can see and the newest one's id: what changes when a contract is added (one
    statement), so periods already opened today for the same contracts need not be worked out again."""
    return tuple(db.session.execute(scoped(Contract, viewer).with_only_columns(
        func.count(Contract.id), func.max(Contract.id)).order_by(None)).one())


def open_periods(viewer: Viewer, today: date, now: datetime) -> None:
    """Create the return rows of periods that have started, for the returns list and the API's (the scheduler does
    too, at its first sweep of each day; whichever is first wins), committed on their own. Periods start on days, so
    a worker does it once a day for the same contracts: the returns list did it for every contract on every view
    (issue 17). Which contracts there are is read at most once a minute by each worker (models/kept.py), as the
    lists' filter choices are: a new contract's periods open within a minute, when it joins the contract filter."""
    opened = current_app.extensions.setdefault("returns_opened", {})
    scope = (viewer.council_id, viewer.provider_id)
    marker = (today, kept(("contracts marker", *scope), lambda: contracts_marker(viewer)))
    if opened.get(scope) == marker:
        return
    try:
        ensure_schedules(viewer, today, now)
        db.session.commit()
    except IntegrityError:  # another request or the scheduler created the same period a moment ago
        db.session.rollback()
    opened[scope] = marker


# -- reading -----------------------------------------------------------------------------------------------------

def returns_query(viewer: Viewer, contract_id: int | None = None, state: ReturnState | None = None,
                  until: date | None = None):
    """The statement of the return periods the viewer may see, filtered (a list's page)."""
    query = scoped(MonitoringReturn, viewer)
    if contract_id is not None:
        query = query.where(MonitoringReturn.contract_id == contract_id)
    if state is not None:
        query = query.where(MonitoringReturn.state == state)
    if until is not None:
        query = query.where(MonitoringReturn.period_start <= until)
    return query


def list_returns(viewer: Viewer, contract_id: int | None = None, state: ReturnState | None = None,
                 until: date | None = None) -> list[MonitoringReturn]:
    """Return periods the viewer may see (providers: their own), latest due first."""
    return list(db.session.scalars(returns_query(viewer, contract_id, state, until).order_by(
        MonitoringReturn.period_end.desc(), MonitoringReturn.return_id, MonitoringReturn.id)))


def get_return(viewer: Viewer, row_id: int) -> MonitoringReturn:
    """One return period, or NotFound if it does not exist or is not the viewer's."""
    row = db.session.scalar(scoped(MonitoringReturn, viewer).where(MonitoringReturn.id == row_id))
    if row is None:
        raise NotFound("There is no such return")
    return row


def submissions_for(row: MonitoringReturn) -> list[ReturnSubmission]:
    """Every set of figures sent for a return, newest first (the history a correction keeps)."""
    return list(db.session.scalars(select(ReturnSubmission).where(ReturnSubmission.return_row_id == row.id)
                                   .order_by(ReturnSubmission.number.desc())))


def current_submission(row: MonitoringReturn) -> ReturnSubmission | None:
    """The figures that stand now."""
    return db.session.scalar(select(ReturnSubmission).where(ReturnSubmission.return_row_id == row.id,
                                                            ReturnSubmission.current.is_(True)))


def return_events(viewer: Viewer, row: MonitoringReturn):
    """The return's audit trail."""
    return events_for(viewer.council_id, "return", row.id)


def kpis_for(row_or_contract, return_id: str | None = None) -> list[KpiSpec]:
    """The KPIs a return carries for this contract's lots (ratings and monitor-only included)."""
    contract = row_or_contract.contract if isinstance(row_or_contract, MonitoringReturn) else row_or_contract
    return_id = return_id or row_or_contract.return_id
    return rulebook_for(contract).monitoring.kpis_in(return_id, tuple(contract.lots or ()) or None)


def provided_kpis(row_or_contract, return_id: str | None = None) -> list[KpiSpec]:
    """The KPIs the provider gives figures for in a return (not ratings, not those Remedy computes, CE-K14)."""
    return [k for k in kpis_for(row_or_contract, return_id) if k.unit != "rating" and not k.computed]


def computed_figures(row: MonitoringReturn, kpi: KpiSpec) -> tuple[float | None, float | None]:
    """Numerator and denominator of a KPI Remedy computes for the return's period, from the contract's returns due
    in that period: submitted by the due date (timeliness, CE-K14), or accepted without a query of those the
    council accepted or queried (accuracy, CE-K15)."""
    due = list(db.session.execute(select(
        MonitoringReturn.submitted_on, MonitoringReturn.due_on, MonitoringReturn.state, MonitoringReturn.queries)
        .where(MonitoringReturn.contract_id == row.contract_id, MonitoringReturn.due_on.is_not(None),
               MonitoringReturn.due_on >= row.period_start, MonitoringReturn.due_on <= row.period_end)))
    if kpi.computed == "timeliness":
        on_time = sum(1 for r in due if r.submitted_on is not None and r.submitted_on <= r.due_on)
        return (float(on_time), float(len(due))) if due else (None, None)
    checked = [r for r in due if r.state is ReturnState.ACCEPTED or r.queries]
    clean = sum(1 for r in checked if r.state is ReturnState.ACCEPTED and not r.queries)
    return (float(clean), float(len(checked))) if checked else (None, None)


def results_query(viewer: Viewer, contract_id: int | None = None):
    """The statement of the KPI period results the viewer may see (a list's page)."""
    query = scoped(KpiResult, viewer)
    if contract_id is not None:
        query = query.where(KpiResult.contract_id == contract_id)
    return query


def results_for(viewer: Viewer, contract_id: int | None = None) -> list[KpiResult]:
    """KPI period results the viewer may see, by contract, KPI and period."""
    return list(db.session.scalars(results_query(viewer, contract_id).order_by(KpiResult.contract_id,
                                                                               KpiResult.period_start, KpiResult.id)))


def breaches_query(viewer: Viewer, contract_id: int | None = None, status: str | None = None):
    """The statement of the breaches the viewer may see, filtered (the API's list)."""
    query = scoped(BreachRecord, viewer)
    if contract_id is not None:
        query = query.where(BreachRecord.contract_id == contract_id)
    if status:
        query = query.where(BreachRecord.status == status)
    return query


def list_breaches(viewer: Viewer, contract_id: int | None = None, status: str | None = None) -> list[BreachRecord]:
    """Breaches the engine recorded, newest first, each with its contract (named beside it) read in the same
    statement."""
    return list(db.session.scalars(breaches_query(viewer, contract_id, status)
                                   .options(joinedload(BreachRecord.contract).load_only(Contract.reference))
                                   .order_by(BreachRecord.occurred_on.desc(), BreachRecord.id.desc())))


def get_breach(viewer: Viewer, breach_id: int) -> BreachRecord:
    """One breach record, or NotFound."""
    return load(viewer, "breach", breach_id)


# -- acting on a return ------------------------------------------------------------------------------------------

def return_triggers(viewer: Viewer, row: MonitoringReturn, now: datetime, today: date) -> list[tuple[str, str]]:
    """(trigger, label) pairs the viewer may fire on a return now."""
    return allowed_triggers(viewer, "return", row, now, today)


def check_figures(row: MonitoringReturn, figures: dict) -> dict[str, list[float | None]]:
    """Figures for a return, checked: every KPI it carries, numbers only (ValidationProblem naming the first fault)."""
    kpis = {k.id: k for k in provided_kpis(row)}
    if not isinstance(figures, dict):
        raise ValidationProblem("Give figures as {\"KPI id\": [numerator, denominator]}", "figures")
    cells = [["period_start", "kpi", "name", "numerator", "denominator"]]
    for kpi_id, pair in figures.items():
        pair = pair if isinstance(pair, list | tuple) else [pair, None]
        pair = (list(pair) + [None, None])[:2]
        cells.append([row.period_start.isoformat(), kpi_id, "", *("" if v is None else v for v in pair)])
    parsed, errors = validate_rows(cells, kpis, {row.period_start})
    if errors:
        first = errors[0]
        kpi_id = cells[first.row - 1][1]
        raise ValidationProblem(f"{kpi_id}: {first.message}", "figures")
    missing = [k for k, kpi in kpis.items() if (row.period_start, k) not in parsed and not kpi.monitor_only]
    if missing:
        raise ValidationProblem(f"Enter figures for every KPI in the return: {', '.join(missing)} missing", "figures")
    return {kpi_id: list(pair) for (_start, kpi_id), pair in parsed.items()}


def return_fields(row: MonitoringReturn) -> tuple[tuple[tuple[str, str, str], ...], tuple[tuple[str, ...], ...]]:
    """The structured items a return carries (TH-22's Management Information) and the totals they must add up to."""
    spec = rulebook_for(row.contract).monitoring.return_spec(row.return_id)
    return (spec.fields, spec.totals) if spec is not None else ((), ())


def check_fields(row: MonitoringReturn, given) -> dict | None:
    """A return's structured items, checked: every count a whole number of 0 or more, every text filled in (no
    names), each total the sum of its parts; None for a return without items (ValidationProblem naming the first
    fault, with the item's id as its field)."""
    fields, totals = return_fields(row)
    if not fields:
        return None
    if not isinstance(given, dict):
        raise ValidationProblem(f"Give the return's items as {{\"item id\": value}}: {row.name} has {len(fields)}",
                                "fields")
    out: dict = {}
    for ident, kind, label in fields:
        value = given.get(ident)
        if kind == "count":
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
                raise ValidationProblem(f"Enter {label} as a whole number, 0 or more", ident)
        else:
            if not isinstance(value, str) or not value.strip():
                raise ValidationProblem(f"Enter {label}", ident)
            if len(value) > 10_000:
                raise ValidationProblem(f"{label} must be 10,000 characters or fewer", ident)
            value = value.strip()
        out[ident] = value
    unknown = sorted(set(given) - set(out))
    if unknown:
        raise ValidationProblem(f"{unknown[0]} is not an item of {row.name}", "fields")
    labels = {ident: label for ident, _kind, label in fields}
    for total, *parts in totals:
        if sum(out[p] for p in parts) != out[total]:
            raise ValidationProblem(f"{labels[total]} ({out[total]}) must equal the sum of its parts "
                                    f"({sum(out[p] for p in parts)}): check the breakdown", total)
    return out


def apply_return(viewer: Viewer, actor: User, row_id: int, trigger: str, data: dict, now: datetime,
                 today: date, source: str = "api", expected_version=None) -> MonitoringReturn:
    """Submit, correct, accept or query a return; accepting computes its results and evaluates every breach rule."""
    row = get_return(viewer, row_id)
    data = dict(data)
    expected = expected_version
    figures = check_figures(row, data.get("figures")) if trigger in ("submit", "correct") else None
    items = check_fields(row, data.pop("fields", None)) if trigger in ("submit", "correct") else None
    _fire(viewer, actor, row, trigger, data, figures, source, now, today,
          len(submissions_for(row)) if figures is not None else 0, expected, items=items)
    if trigger == "accept":
        compute_results(row)
        evaluate_contract(row.contract, today, now)
    return row


def _fire(viewer: Viewer, actor: User, row: MonitoringReturn, trigger: str, data: dict, figures: dict | None,
          source: str, now: datetime, today: date, earlier: int, expected_version=None,
          items: dict | None = None) -> None:
    """Fire a trigger on a loaded return through the engine, with checked figures (`earlier`: how many submissions
    it already has)."""
    data = dict(data)
    data.pop("figures", None)
    if figures is not None and items is None and return_fields(row)[0]:
        raise ValidationProblem(f"{row.name} has items as well as figures: enter them on the return's page or send "
                                "them as \"fields\" through the API", "fields")
    workflow = workflow_for(viewer, "return", row, now, today)
    problem = workflow.why_not(trigger)
    if problem:  # refused before the date is judged, so a council step names the role, not the date
        raise TransitionNotAllowed(*problem)
    submitted_on = _submitted_on(data, today) if figures is not None else None
    fire(viewer, actor, "return", row.id, trigger, data, now, today, expected_version=expected_version,
         load_with=lambda _viewer, _id: row,
         extra={"figures": figures, "source": source, "submitted_on": submitted_on, "earlier": earlier,
                "items": items})


def on_return_step(step) -> None:
    """A submission keeps its figures (every one, the last current); a query is counted with its reason."""
    row, extra = step.record, step.extra
    figures = extra.get("figures")
    if figures is not None:
        _store_submission(row, step.actor, figures, extra["source"], extra["submitted_on"], step.now,
                          extra["earlier"], extra.get("items"))
    if step.result.trigger == "query":
        row.queries += 1
        row.query_reason = step.result.data.get("reason")
    step.event_data = {"period": row.label, "return": row.return_id, "late": row.late,
                       **({"figures": figures, "source": extra["source"]} if figures else {}),
                       **({"fields": extra["items"]} if extra.get("items") else {})}


def _submitted_on(data: dict, today: date) -> date:
    raw = data.pop("submitted_on", None)
    if raw in (None, ""):
        return today
    try:
        on = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationProblem("Give submitted_on as a date written YYYY-MM-DD", "submitted_on") from None
    if on > today:
        raise ValidationProblem("The date the return was submitted cannot be in the future", "submitted_on")
    return on


def _store_submission(row: MonitoringReturn, actor: User, figures: dict, source: str, submitted_on: date,
                      now: datetime, earlier: int, items: dict | None = None) -> None:
    if earlier:
        db.session.execute(update(ReturnSubmission).where(ReturnSubmission.return_row_id == row.id)
                           .values(current=False))
    db.session.add(ReturnSubmission(council_id=row.council_id, return_row_id=row.id, number=earlier + 1,
                                    figures=figures, fields=items, source=source, submitted_on=submitted_on,
                                    submitted_by_id=actor.id if actor else None, submitted_at=now, current=True))
    if row.submitted_on is None:
        meet_deadlines("return", row.id, {"return_due"}, now)
        # Timeliness is the first submission's (CE-K14); a later correction does not make a return late (A15).
        row.submitted_on = submitted_on
        row.late = None if row.due_on is None else submitted_on > row.due_on


def import_rows(viewer: Viewer, actor: User, contract_id: int, return_id: str, rows, source: str, now: datetime,
                today: date) -> tuple[list[MonitoringReturn], list[CellError]]:
    """Submit figures from an uploaded file for one or more periods of a return: all or nothing.

    Returns the updated rows, or no rows and every problem by row and column (and nothing is changed).
    """
    contract = get_contract(viewer, contract_id)
    ensure_schedule(contract, today, now)
    periods = {r.period_start: r for r in list_returns(viewer, contract_id=contract.id)
               if r.return_id == return_id and r.period_end < today}
    kpis = {k.id: k for k in provided_kpis(contract, return_id)}
    figures, errors = validate_rows(rows, kpis, set(periods))
    if errors:
        return [], errors
    by_period: dict[date, dict] = {}
    for (start, kpi_id), pair in figures.items():
        by_period.setdefault(start, {})[kpi_id] = list(pair)
    for start, given in sorted(by_period.items()):
        missing = [k for k in kpis if k not in given and not kpis[k].monitor_only]
        if missing:
            errors.append(CellError(1, "kpi", f"{', '.join(missing)} missing for the period starting {start}"))
    if errors:
        return [], errors
    # One query for how many submissions each period already has, and one flush per period (the audit event's).
    counts = dict(db.session.execute(
        select(ReturnSubmission.return_row_id, func.count(ReturnSubmission.id))
        .where(ReturnSubmission.return_row_id.in_([periods[start].id for start in by_period]))
        .group_by(ReturnSubmission.return_row_id)).all())
    updated = []
    for start, given in sorted(by_period.items()):
        row = periods[start]
        trigger = "correct" if row.state in (ReturnState.SUBMITTED, ReturnState.ACCEPTED) else "submit"
        _fire(viewer, actor, row, trigger, {}, given, source, now, today, counts.get(row.id, 0))
        updated.append(row)
    db.session.flush()
    return updated, []


def compute_results(row: MonitoringReturn) -> list[KpiResult]:
    """The return's KPI results from its accepted figures: value, RAG and the target they were judged against, the
    one in force when the period started (kpi_in_force: KT-04, CW-25, A62), replacing earlier ones. The breach engine
    reads this judgement back, so a target changed later never re-judges the period."""
    submission = current_submission(row)
    figures = submission.figures if submission else {}
    existing = {r.kpi_id: r for r in db.session.scalars(select(KpiResult).where(
        KpiResult.contract_id == row.contract_id, KpiResult.period_start == row.period_start,
        KpiResult.return_row_id == row.id))}
    out = []
    for kpi in kpis_for(row):
        if kpi.unit == "rating":
            continue
        if kpi.computed:
            x, y = computed_figures(row, kpi)
        else:
            x, y = (list(figures.get(kpi.id) or [None, None]) + [None, None])[:2]
        value = kpi.value(x, y)
        judged = kpi_in_force(kpi, row.period_start)  # the target in force when the period started (KT-04, A62)
        result = existing.get(kpi.id) or KpiResult(
            council_id=row.council_id, provider_id=row.provider_id, contract_id=row.contract_id,
            return_row_id=row.id, kpi_id=kpi.id, period_start=row.period_start)
        result.period_end, result.label = row.period_end, row.label
        result.numerator, result.denominator, result.value = x, y, value
        result.target, result.rag = judged.target_text()[:200], judged.rag(value)
        db.session.add(result)
        out.append(result)
    db.session.flush()
    return out


# -- the breach engine, persisted --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Evaluation:
    """What one evaluation changed."""

    new: int
    withdrawn: int
    kept: int


@dataclass
class _Facts:
    """What the breach engine reads about one contract, gathered for many contracts at once (`_facts`)."""

    values: dict = field(default_factory=dict)
    judged: dict = field(default_factory=dict)
    submissions: dict = field(default_factory=dict)
    occurrences: list = field(default_factory=list)
    ratings: list = field(default_factory=list)
    recorded: dict = field(default_factory=dict)  # key -> (id, status, figures) of the breaches already recorded


def _facts(contracts: list[Contract]) -> dict[int, _Facts]:
    """Every contract's accepted KPI results (one query for all of them, columns only), return submissions,
    monitoring occurrences, ratings, served default notices and recorded breaches: one query per table, however
    many contracts, instead of six per contract.

    The column-only queries run on the session's connection, not through the ORM (after one flush, as the ORM's
    autoflush would), and are fetched whole as plain rows (bulk_store.plain_rows): the ORM's handling of 273,000
    of them was a third of a sweep's reading, and SQLAlchemy's rows half of what was left on PostgreSQL (issue 17)."""
    ids = [c.id for c in contracts]
    facts = {c.id: _Facts() for c in contracts}
    db.session.flush()
    for contract_id, kpi_id, start, value, rag, target in plain_rows(
            select(KpiResult.contract_id, KpiResult.kpi_id, KpiResult.period_start, KpiResult.value, KpiResult.rag,
                   KpiResult.target)
            .join(MonitoringReturn, MonitoringReturn.id == KpiResult.return_row_id).where(
                KpiResult.contract_id.in_(ids), MonitoringReturn.state == ReturnState.ACCEPTED)):
        one = facts[contract_id]
        one.values[kpi_id, start] = value
        # How each accepted period was judged, against the target in force then: kept when a target changes later.
        one.judged[kpi_id, start] = (rag, target)
    for contract_id, return_id, start, submitted_on in plain_rows(
            select(MonitoringReturn.contract_id, MonitoringReturn.return_id, MonitoringReturn.period_start,
                   MonitoringReturn.submitted_on).where(
                MonitoringReturn.contract_id.in_(ids), MonitoringReturn.submitted_on.is_not(None))):
        facts[contract_id].submissions[return_id, start] = submitted_on
    for o in db.session.scalars(select(MonitoringOccurrence).where(MonitoringOccurrence.contract_id.in_(ids))):
        if o.kind.startswith("rating:"):
            facts[o.contract_id].ratings.append(Rating(scheme=o.kind.split(":", 1)[1], value=o.value or "", on=o.on))
        else:
            facts[o.contract_id].occurrences.append(Occurrence(kind=o.kind, on=o.on, ref=o.ref))
    by_provider: dict[int, list[Rating]] = {}
    for rating in db.session.scalars(select(CqcRating).where(
            CqcRating.provider_id.in_({c.provider_id for c in contracts}))):
        by_provider.setdefault(rating.provider_id, []).append(
            Rating(scheme="cqc", value=rating.rating.label.lower(), on=rating.rated_on))
    for c in contracts:
        facts[c.id].ratings.extend(by_provider.get(c.provider_id, []))
    # A default notice served on the contract is a default for CE-38's count, whether or not someone also recorded
    # it as a monitoring event (then it counts once: the event names the notice in its reference).
    for notice in db.session.scalars(select(DefaultNotice).where(
            DefaultNotice.contract_id.in_(ids), DefaultNotice.served_on.is_not(None),
            DefaultNotice.state != DefaultState.WITHDRAWN)):
        one = facts[notice.contract_id]
        ref = f"Default notice {notice.number}"
        one.occurrences = [o for o in one.occurrences if not (o.kind == "default" and o.ref == ref)]
        one.occurrences.append(Occurrence(kind="default", on=notice.served_on, ref=ref))
    for row_id, contract_id, key, status, figures in plain_rows(
            select(BreachRecord.id, BreachRecord.contract_id, BreachRecord.key, BreachRecord.status,
                   BreachRecord.figures).where(BreachRecord.contract_id.in_(ids))):
        facts[contract_id].recorded[key] = (row_id, status, figures)
    return facts


def evaluate_contract(contract: Contract, today: date, now: datetime) -> Evaluation:
    """Evaluate every breach rule of the contract's rulebook over closed periods; record what is new, withdraw what
    a correction cured. Running it again changes nothing."""
    return evaluate_contracts([contract], today, now)[contract.id]


def evaluate_contracts(contracts: list[Contract], today: date, now: datetime,
                       schedules: dict[int, dict[str, list[Period]]] | None = None) -> dict[int, Evaluation]:
    """`evaluate_contract` for many contracts at once: their facts read together, the pure engine run on each
    (workflows/breach.py), and the new breaches recorded in bulk (`_record_new`). A breach reopened under its key,
    a withdrawal and a changed run's figures go through the ORM one by one, as they always did."""
    books = {c.id: rulebook_for(c) for c in contracts}
    out = {c.id: Evaluation(0, 0, 0) for c in contracts}
    contracts = [c for c in contracts if books[c.id].monitoring.breaches]
    facts = _facts(contracts) if contracts else {}
    new: list[tuple[Contract, Breach]] = []
    for contract in contracts:
        one = facts[contract.id]
        found = evaluate(books[contract.id].monitoring,
                         (schedules or {}).get(contract.id) or contract_schedules(contract, today), one.values,
                         today, contract.start_on, submissions=one.submissions, occurrences=one.occurrences,
                         ratings=one.ratings, lots=tuple(contract.lots or ()) or None, judged=one.judged)
        recorded = one.recorded
        change = reconcile([k for k, (_, status, _) in recorded.items() if BreachState(status) in OPEN_BREACH],
                           found)
        for breach in change.new:
            if breach.key in recorded:
                _record_breach(contract, breach, db.session.get(BreachRecord, recorded[breach.key][0]), now)
            else:
                new.append((contract, breach))
        for breach in change.kept:
            row_id, _, figures = recorded[breach.key]
            if list(breach.figures) != list(figures):  # a run that goes on: its figures brought up to date
                row = db.session.get(BreachRecord, row_id)
                row.figures, row.summary = list(breach.figures), breach.summary
        for key in change.withdrawn:
            _withdraw(db.session.get(BreachRecord, recorded[key][0]), now)
        out[contract.id] = Evaluation(len(change.new), len(change.withdrawn), len(change.kept))
    _record_new(new, now)
    db.session.flush()
    return out


def _record_new(new: list[tuple[Contract, Breach]], now: datetime) -> None:
    """Record breaches found for the first time: one INSERT (COPY on PostgreSQL) for the records and one for their
    BREACH_FOUND audit events, the same rows `new_record` writes one at a time. Where the contract has an open case,
    suspensions and terminations are then proposed at once (`_propose_on_case`), as the scheduler proposes them."""
    if not new:
        return
    cases = _open_cases({contract.id for contract, _ in new})
    rows = []
    for contract, breach in new:
        case = cases.get(contract.id)
        rows.append({
            "council_id": contract.council_id, "provider_id": contract.provider_id, "contract_id": contract.id,
            "key": breach.key[:300], "proposals": [],
            "status": (BreachState.ADVISORY if breach.advisory else BreachState.PROPOSED).value,
            "rule_id": breach.rule_id, "cites": breach.cites[:60], "actions": list(breach.actions),
            "subject": breach.subject[:300], "summary": breach.summary, "figures": list(breach.figures),
            "occurred_on": breach.occurred_on, "immediate": breach.immediate, "advisory": breach.advisory,
            "found_at": now, "case_id": case.id if case else None, "version_id": 1})
    ids = insert_with_ids(BreachRecord.__table__, rows)
    # Core writes: the councils' lists of breaches and their work queues move when the sweep commits.
    council_pictures_changed(db.session, {row["council_id"] for row in rows})
    insert_many(AuditEvent.__table__, ({
        "council_id": row["council_id"], "at": now, "actor_id": None, "actor_label": "Remedy (automatic)",
        "entity_type": "breach", "entity_id": row_id, "case_id": row["case_id"], "event": "BREACH_FOUND",
        "from_state": None, "to_state": row["status"], "reason": breach.proposal_text(),
        "data": jsonable({"rule": breach.rule_id, "cites": breach.cites, "figures": list(breach.figures)})}
        for row_id, row, (_, breach) in zip(ids, rows, new, strict=True)))
    for row_id, row, (_, breach) in zip(ids, rows, new, strict=True):
        if row["case_id"] is not None and not breach.advisory:
            _propose_on_case(None, None, db.session.get(BreachRecord, row_id), cases[row["contract_id"]], now,
                             system_only=True)


def _open_case(contract: Contract) -> Case | None:
    """The contract's newest open case, which a breach found on the contract belongs to, if it has one."""
    return _open_cases([contract.id]).get(contract.id)


def _open_cases(contract_ids) -> dict[int, Case]:
    """`_open_case` for many contracts in one query (the sweep's new breaches: one query, not one per contract)."""
    newest: dict[int, Case] = {}
    for case in db.session.scalars(select(Case).where(among(Case.contract_id, contract_ids),
                                                      Case.state.in_(list(OPEN))).order_by(Case.id)):
        newest[case.contract_id] = case  # in id order: the newest is the last one kept
    return newest


def _rule_ref(record) -> str:
    """The first rule id a breach or return spec cites (deadlines and proposals keep one, 20 characters)."""
    return str(getattr(record, "cites", None) or record.rule).split(",")[0].strip()[:20]


def _record_breach(contract: Contract, breach: Breach, row: BreachRecord | None, now: datetime) -> None:
    if row is not None and row.state is BreachState.DISMISSED:
        return  # a person decided this breach needs no action; the same facts do not ask again
    reopened = row is not None
    if row is None:
        row = BreachRecord(council_id=contract.council_id, provider_id=contract.provider_id,
                           contract_id=contract.id, key=breach.key[:300], proposals=[],
                           status=(BreachState.ADVISORY if breach.advisory else BreachState.PROPOSED).value)
    row.rule_id, row.cites, row.actions = breach.rule_id, breach.cites[:60], list(breach.actions)
    row.subject, row.summary, row.figures = breach.subject[:300], breach.summary, list(breach.figures)
    row.occurred_on, row.immediate, row.advisory = breach.occurred_on, breach.immediate, breach.advisory
    row.found_at = now
    case = _open_case(contract)
    row.case_id = case.id if case else None
    facts = {"rule": breach.rule_id, "cites": breach.cites, "figures": list(breach.figures)}
    if reopened:
        fire_system("breach", row, "reopen_advisory" if breach.advisory else "reopen", now, now.date(),
                    reason=breach.proposal_text(), data=facts)
    else:
        new_record(None, "breach", row, "BREACH_FOUND", now, reason=breach.proposal_text(), data=facts)
    if case is not None and not breach.advisory:
        # An open case: suspensions and terminations are proposed at once, as the scheduler proposes them.
        _propose_on_case(None, None, row, case, now, system_only=True)


def _propose_on_case(viewer: Viewer | None, actor: User | None, row: BreachRecord, case: Case, now: datetime,
                     system_only: bool = False) -> None:
    book = rulebook_for(case.contract)
    reason = f"{row.summary} ({row.cites}). " + " ".join(row.figures)
    made = list(row.proposals or [])
    kinds = {p["kind"] for p in made}

    for action in actions_now(book, row, now):
        kind = "suspension" if action == "embargo" else action  # a referral embargo is a suspension of referrals
        if kind in ("suspension", "termination") and kind not in kinds:
            try:
                record = propose_unless_pending(case, kind, reason, _rule_ref(row), now, actor)
            except (TransitionNotAllowed, ValidationProblem) as refused:
                held_back(row, str(refused), action, now)
                continue
            if record is not None:
                made.append({"kind": kind, "id": record.id})
        elif system_only:
            continue
        elif action == "default" and book.has_rung("default_notice") and "default_notice" not in kinds:
            record = draft_default_notice(viewer, actor, case.id, now)
            made.append({"kind": "default_notice", "id": record.id})
        elif action == "notice" and book.has_rung("notice") and "notice" not in kinds:
            record = draft_notice(viewer, actor, case.id, reason[:2000], "Remedy the breach set out above", now)
            made.append({"kind": "notice", "id": record.id})
    row.proposals = made


def _withdraw(row: BreachRecord, now: datetime) -> None:
    """A corrected return cured the breach: withdraw it and any proposal it caused that nobody has acted on
    (system steps of their machines)."""
    reason = f"A corrected return cured the breach ({row.cites})"
    for proposal in row.proposals or []:
        if proposal["kind"] in ("suspension", "termination"):
            record = db.session.get(KINDS[proposal["kind"]].model, proposal["id"])
            if record is not None:
                fire_system(proposal["kind"], record, "withdraw", now, now.date(), reason=reason)
    fire_system("breach", row, "withdraw", now, now.date(),
                reason=f"A corrected return cured the breach: {row.summary} ({row.cites})")


def decide_breach(viewer: Viewer, actor: User, breach_id: int, trigger: str, data: dict, now: datetime,
                  expected_version=None) -> BreachRecord:
    """Confirm a proposed breach (opening a case if none is open, then making its proposals) or dismiss it."""
    return fire(viewer, actor, "breach", breach_id, trigger, data, now, now.date(), expected_version=expected_version)


def on_breach_step(step) -> None:
    """A person's decision: who and when; confirming opens a case if none is open and makes the proposals."""
    row, viewer, actor = step.record, step.viewer, step.actor
    if step.result.system:
        return
    row.decided_by_id, row.decided_at = actor.id, step.now
    if step.result.trigger == "confirm":
        case = db.session.get(Case, row.case_id) if row.case_id else None
        if case is None or case.state not in OPEN:
            case = _open_case(row.contract)
        if case is None:
            case = open_case(viewer, actor, row.contract_id, f"{row.summary} ({row.cites})"[:2000], step.now)
        get_case(viewer, case.id)
        row.case_id = case.id
        _propose_on_case(viewer, actor, row, case, step.now)
    step.event_data = {"proposals": row.proposals}


def list_occurrences(viewer: Viewer, contract_id: int) -> list[MonitoringOccurrence]:
    """What has been recorded for a contract's rolling-window and rating rules, newest first (council staff)."""
    contract = get_contract(viewer, contract_id)
    if viewer.is_provider:
        return []
    return list(db.session.scalars(select(MonitoringOccurrence).where(
        MonitoringOccurrence.contract_id == contract.id).order_by(MonitoringOccurrence.on.desc(),
                                                                  MonitoringOccurrence.id.desc())))


def record_occurrence(viewer: Viewer, actor: User, contract_id: int, kind: str, on: date, today: date,
                      now: datetime, ref: str = "", value: str | None = None) -> MonitoringOccurrence:
    """Record something a rolling-window or rating rule counts, then evaluate the contract's rules."""
    contract = get_contract(viewer, contract_id)  # someone else's contract is not there at all (404)
    if viewer.role not in MANAGERS:
        raise TransitionNotAllowed("Only the council's managers can record this", forbidden=True)
    book = rulebook_for(contract)
    kinds = {k for k, _ in book.monitoring.events} | {"rating:local"}
    if kind not in kinds:
        raise ValidationProblem(f"kind must be one of {', '.join(sorted(kinds))}", "kind")
    if on > today:
        raise ValidationProblem("The date cannot be in the future", "on")
    if value is not None and len(value) > 60:  # the column's size: longer would fail on PostgreSQL
        raise ValidationProblem("Enter the value in 60 characters or fewer", "value")
    row = MonitoringOccurrence(council_id=contract.council_id, contract_id=contract.id, kind=kind, on=on,
                               ref=(ref or "")[:200], value=value, recorded_by_id=actor.id, recorded_at=now)
    db.session.add(row)
    db.session.flush()
    record_event(council_id=contract.council_id, actor=actor, entity_type="contract", entity_id=contract.id,
                 event_name="MONITORING_EVENT_RECORDED", at=now, reason=f"{kind} on {on.isoformat()}",
                 data={"kind": kind, "on": on.isoformat(), "ref": ref, "value": value})
    evaluate_contract(contract, today, now)
    return row


def record_breach_event(contract: Contract, kind: str, on: date, ref: str, reason: str, now: datetime,
                        actor: User | None = None) -> MonitoringOccurrence:
    """Remedy's own record of something the rolling-window rules count (a late or missing notice, a request answered
    late: issue 15), then the contract's rules evaluated as after any other occurrence."""
    row = MonitoringOccurrence(council_id=contract.council_id, contract_id=contract.id, kind=kind, on=on,
                               ref=ref[:200], value=None, recorded_by_id=actor.id if actor else None,
                               recorded_at=now)
    db.session.add(row)
    db.session.flush()
    record_event(council_id=contract.council_id, actor=actor, entity_type="contract", entity_id=contract.id,
                 event_name="MONITORING_EVENT_RECORDED", at=now, reason=reason,
                 data={"kind": kind, "on": on.isoformat(), "ref": ref, "value": None})
    evaluate_contract(contract, now.astimezone(LONDON).date(), now)
    return row


def close_periods(today: date, now: datetime) -> dict:
    """The scheduler's sweep: open new return periods and evaluate every contract (returns not submitted count).

    Contracts go in groups: each group's facts are read together and its new breaches recorded in bulk."""
    counts = {"returns_opened": 0, "breaches_found": 0, "breaches_withdrawn": 0}
    contracts = [c for c in db.session.scalars(select(Contract).order_by(Contract.id))
                 if c.rulebook_id in rulebooks()]
    for first in range(0, len(contracts), SWEEP_GROUP):
        group = contracts[first:first + SWEEP_GROUP]
        # Due dates without their explanations: a new return row gets its own (ensure_schedule).
        schedules = {c.id: contract_schedules(c, today, explain=False) for c in group}
        existing: dict[int, set] = {c.id: set() for c in group}
        for contract_id, return_id, start in db.session.execute(select(
                MonitoringReturn.contract_id, MonitoringReturn.return_id, MonitoringReturn.period_start).where(
                MonitoringReturn.contract_id.in_(list(existing)))):
            existing[contract_id].add((return_id, start))
        for contract in group:
            counts["returns_opened"] += ensure_schedule(contract, today, now, schedules[contract.id],
                                                        existing[contract.id])
        for result in evaluate_contracts(group, today, now, schedules).values():
            counts["breaches_found"] += result.new
            counts["breaches_withdrawn"] += result.withdrawn
    return counts


SWEEP_GROUP = 250  # contracts whose facts are read together: 200 in one go, memory bounded beyond
