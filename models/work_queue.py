"""What needs a person now, as counts: deadlines by when they fall due, the council's queue (plans to review,
evidence to check, breaches to confirm, proposals to decide, returns to accept), open cases and safeguarding concerns
by stage. Every function is one statement however many records there are (the dashboard's statement count is
tested), and every count is scoped through the registry like the lists it links to."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, bindparam, case, func, select, union_all

from models import UTCDateTime, db, fixed
from models.cases import ActionPlan, Case, Deadline, Milestone, Suspension, Termination
from models.concerns import SafeguardingConcern
from models.count_store import Count, about, cached, cap, capped, fresh, known_about
from models.deadline_store import ListedDeadline, listed_columns
from models.entities import Contract
from models.monitoring import BreachRecord, MonitoringReturn
from models.registry import concern_visible_where, scoped, visible_entities
from models.statement_cache import built
from workflows.access import Viewer
from workflows.action_plan import PlanState
from workflows.case import OPEN
from workflows.clock import LONDON
from workflows.milestone import MilestoneState
from workflows.returns import ReturnState
from workflows.safeguarding import ConcernState
from workflows.suspension import SuspensionState
from workflows.termination import TerminationState

LIVE = ("running", "breached")


def deadline_window(today: date) -> tuple[date, date]:
    """The last day of "this week" and of "next week": the next 7 days and the 7 after them, counted from today, so
    that on a Saturday "this week" is not already over."""
    return today + timedelta(days=6), today + timedelta(days=13)


WHEN = ("overdue", "this-week", "next-week", "later")
AHEAD = WHEN[1:]  # running and not yet due


def _deadlines(viewer: Viewer, manager_id: int | None, provider_id: int | None, kind: str | None,
               running_only: bool = False):
    """Live deadlines the viewer may see (the registry's rule), optionally on one person's contracts, one provider's
    records or one kind of record; with running_only, only running ones (an equality on status lets PostgreSQL read
    the (council, status, due_at, id) index in order and stop at the page, where IN would make it sort them all)."""
    status = Deadline.status == fixed("running") if running_only else Deadline.status.in_(fixed(LIVE))
    query = scoped(Deadline, viewer).where(visible_entities(viewer, Deadline.entity_type, Deadline.entity_id),
                                           status)
    if manager_id is not None:
        query = query.where(Deadline.contract_id.in_(select(Contract.id).where(
            Contract.contract_manager_id == manager_id)))
    if provider_id is not None:
        query = query.where(Deadline.provider_id == provider_id)
    if kind is not None:
        query = query.where(Deadline.entity_type == kind)
    return query


# The groups' bounds, given when a statement runs (the statements are built once: models/statement_cache.py).
NOW, WEEK_END, NEXT_END = (bindparam("dl_now", type_=UTCDateTime), bindparam("dl_week_end", type_=Date),
                           bindparam("dl_next_end", type_=Date))
WEEK_OVER, NEXT_OVER = bindparam("dl_week_over", type_=UTCDateTime), bindparam("dl_next_over", type_=UTCDateTime)


def _bounds(now: datetime, today: date) -> dict:
    """The values of the groups' bounds at this instant (see _when)."""
    week_end, next_end = deadline_window(today)
    return {"dl_now": now, "dl_week_end": week_end, "dl_next_end": next_end,
            "dl_week_over": _midnight_after(week_end), "dl_next_over": _midnight_after(next_end)}


def _when():
    """Each group's condition on a live deadline, its bounds bind parameters (_bounds)."""
    now, week_end, next_end = NOW, WEEK_END, NEXT_END
    overdue = (Deadline.status == fixed("breached")) | (Deadline.due_at < now)
    # Of live deadlines, the rest are running and not yet due: said as a range on due_at, so that the live deadlines'
    # index is read from now onwards (the negation of the overdue test would read every overdue one first).
    running = Deadline.status == fixed("running")
    ahead = running & (Deadline.due_at >= now)
    # A deadline's due_at always falls on its due_on in London (end_of_day, or an hours clock whose due_on is the
    # London date of its due_at: workflows/clock.py, models/deadline_store.py), so each week is also a range of
    # due_at: the index is read over that week only and stops there (issue 17: it read every later deadline).
    # Next week and later start at midnight after this week, always after now: their lower bound on due_at is that
    # midnight alone (with "due_at >= now" beside it SQLite read the index from now, through both weeks, to reach
    # later's first ten: 0.6 ms of the deadlines page).
    week_over, next_over = WEEK_OVER, NEXT_OVER
    return {"overdue": overdue,
            "this-week": ahead & (Deadline.due_on <= week_end) & (Deadline.due_at < week_over),
            "next-week": running & (Deadline.due_on > week_end) & (Deadline.due_on <= next_end)
            & (Deadline.due_at >= week_over) & (Deadline.due_at < next_over),
            "later": running & (Deadline.due_on > next_end) & (Deadline.due_at >= next_over)}


def _midnight_after(day: date) -> datetime:
    """The instant the day after `day` begins in London."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON)


def deadline_counts(viewer: Viewer, now: datetime, today: date, manager_id: int | None = None,
                    provider_id: int | None = None, kind: str | None = None) -> dict[str, Count]:
    """How many live deadlines the viewer may see are overdue, due this week, next week and later (one statement,
    each group read no further than the cap); with manager_id, only those on contracts that person manages. A group
    over the cap reads "about" from a full count made at most a few minutes ago (models/count_store.py)."""
    key = ("deadlines", viewer.council_id, viewer.user_id, viewer.provider_id, manager_id, provider_id, kind)
    known = fresh(key)  # full counts of every group, made at most CACHE_SECONDS ago when one was over the cap
    large = {name for name, n in zip(WHEN, known or (), strict=False) if n > cap()}
    counts = {name: Count(n, exact=False) for name, n in zip(WHEN, known or (), strict=False) if name in large}
    exact = [name for name in WHEN if name not in large]  # the groups over the cap are not read again until then
    if not exact:
        return {name: counts[name] for name in WHEN}  # no statement to build or run
    groups, bounds = _when(), _bounds(now, today)
    found = db.session.execute(built(("deadline counts", viewer, manager_id, provider_id, kind, tuple(exact),
                                      cap()), lambda: select(*(capped(
        _deadlines(viewer, manager_id, provider_id, kind, running_only=name in AHEAD).where(groups[name]))
        .scalar_subquery() for name in exact))), bounds).one()
    counts.update({name: Count(n) for name, n in zip(exact, found, strict=True)})
    if any(n > cap() for name, n in counts.items() if name in exact):
        query = _deadlines(viewer, manager_id, provider_id, kind)
        full = cached(key, lambda: tuple(db.session.execute(query.with_only_columns(
            *(func.count(case((groups[name], 1))) for name in WHEN)), bounds).one()))
        for name, n in zip(WHEN, full, strict=True):  # type: ignore[call-overload]
            if name in exact and counts[name] > cap():
                counts[name] = Count(max(n, cap() + 1), exact=False)
    return {name: counts[name] for name in WHEN}


def deadline_lists(viewer: Viewer, now: datetime, today: date, names: tuple[str, ...], limit: int,
                   manager_id: int | None = None, provider_id: int | None = None, kind: str | None = None,
                   offset: int = 0) -> dict[str, list[ListedDeadline]]:
    """Live deadlines soonest first in each of these groups, at most `limit` of each after the first `offset`: one
    statement however many groups (the groups' ids in one UNION, each part read along the index and stopped at its
    limit, joined to those deadlines' rows)."""
    def build():
        groups = _when()
        parts = [_deadlines(viewer, manager_id, provider_id, kind, running_only=name in AHEAD).where(groups[name])
                 .with_only_columns(fixed(name).label("grp"), Deadline.id.label("id"))
                 .order_by(Deadline.due_at, Deadline.id).limit(fixed(limit)).offset(fixed(offset)).subquery()
                 for name in names]
        found = union_all(*(select(part.c.grp, part.c.id) for part in parts)).subquery()
        return (select(*listed_columns(), found.c.grp).join_from(Deadline, found, found.c.id == Deadline.id)
                .order_by(Deadline.due_at, Deadline.id))

    key = ("deadline lists", viewer, manager_id, provider_id, kind, names, limit, offset)
    out: dict[str, list[ListedDeadline]] = {name: [] for name in names}
    for row in db.session.execute(built(key, build), _bounds(now, today)):
        out[row[-1]].append(ListedDeadline._make(row[:-1]))
    return out


def council_queue(viewer: Viewer) -> dict[str, Count]:
    """What waits for the council (one statement, each count read no further than the cap): plans submitted for
    agreement, evidence to check, breaches to confirm, suspensions and terminations proposed, returns to accept, open
    cases and open cases on the viewer's own contracts. A count over the cap reads "about" (models/count_store.py)."""
    parts = built(("queue parts", viewer), lambda: _queue_parts(viewer))

    def key(name: str) -> tuple:
        return "queue", name, viewer.council_id, viewer.user_id, viewer.provider_id

    counts = {name: known for name in parts if (known := known_about(key(name))) is not None}
    exact = [name for name in parts if name not in counts]  # a count over the cap is not read again for a while
    if exact:
        counted = built(("queue", viewer, tuple(exact), cap()), lambda: union_all(*(
            select(fixed(name).label("what"), capped(parts[name]).scalar_subquery().label("n")) for name in exact)))
        counts.update({row.what: Count(row.n) for row in db.session.execute(counted)})
    for name in exact:
        if counts[name] > cap():
            counts[name] = about(key(name), lambda query=parts[name]: db.session.scalar(
                query.with_only_columns(func.count()).order_by(None)) or 0)
    suspensions, terminations = counts.pop("suspensions"), counts.pop("terminations")
    counts["proposals"] = Count(suspensions + terminations, exact=suspensions.exact and terminations.exact)
    return counts


def _queue_parts(viewer: Viewer) -> dict:
    """The council queue's records, each kind a statement to count (council_queue)."""
    def on_open_case(case_id):
        # The record's own case looked up by its key, row by row: as IN (open cases), PostgreSQL hashed every open
        # case of the council (484,000 at 1,000,000 cases, 68 ms) to count a few hundred records (issue 17).
        return select(Case.state).where(Case.id == case_id, Case.council_id == viewer.council_id) \
            .scalar_subquery().in_(fixed(OPEN))

    mine = select(Contract.id).where(Contract.contract_manager_id == viewer.user_id)
    return {
        "plans": scoped(ActionPlan, viewer).where(ActionPlan.state == fixed(PlanState.SUBMITTED),
                                                  on_open_case(ActionPlan.case_id)),
        "evidence": scoped(Milestone, viewer).join(ActionPlan, ActionPlan.id == Milestone.plan_id).where(
            Milestone.state == fixed(MilestoneState.DONE), ActionPlan.state == fixed(PlanState.IN_PROGRESS),
            on_open_case(Milestone.case_id)),
        "breaches": scoped(BreachRecord, viewer).where(BreachRecord.status == fixed("proposed")),
        # A pending proposal always has an open case: closing a case withdraws them (case_records._withdraw_proposals,
        # and migration 0026 for those left before), so they are counted by their index alone (862 terminations
        # under consideration in the bench's council were each checked against their case: 0.9 ms, issue 17).
        "suspensions": scoped(Suspension, viewer).where(Suspension.state == fixed(SuspensionState.PROPOSED)),
        "terminations": scoped(Termination, viewer).where(Termination.state == fixed(TerminationState.CONSIDERED)),
        "returns": scoped(MonitoringReturn, viewer).where(MonitoringReturn.state == fixed(ReturnState.SUBMITTED)),
        "open_cases": scoped(Case, viewer).where(Case.state.in_(fixed(OPEN))),
        "my_cases": scoped(Case, viewer).where(Case.state.in_(fixed(OPEN)), Case.contract_id.in_(mine)),
    }


def concerns_by_stage(viewer: Viewer) -> list[tuple[ConcernState, int, date | None]]:
    """Open safeguarding concerns the viewer may see in full, by stage: how many, and the soonest live deadline among
    them (one statement)."""
    due = (select(func.min(Deadline.due_on)).where(Deadline.entity_type == "safeguarding_concern",
                                                    Deadline.entity_id == SafeguardingConcern.id,
                                                    Deadline.status.in_(LIVE))
           .correlate(SafeguardingConcern).scalar_subquery())
    final = (ConcernState.CONCLUDED, ConcernState.CLOSED_NO_ENQUIRY)
    query = (scoped(SafeguardingConcern, viewer)
             .with_only_columns(SafeguardingConcern.state, func.count(), func.min(due))
             .where(concern_visible_where(viewer, SafeguardingConcern.id), SafeguardingConcern.state.not_in(final))
             .group_by(SafeguardingConcern.state))
    order = {state: i for i, state in enumerate(ConcernState)}
    return sorted(((state, n, soonest) for state, n, soonest in db.session.execute(query)),
                  key=lambda row: order[row[0]])

