"""Firing timers: what a reminder or a breach does, in the transaction that claims it (clock-lessons 4.2, 4.3).

A breach is recorded at the due instant however late it is noticed; a reminder is never sent once its deadline
has passed, and after downtime only the most relevant reminder of a deadline goes out. Escalations the rulebook
attaches to a breach become proposals for a person to confirm, with the rule that proposed them.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from models import db
from models.audit_store import record_event
from models.case_store import consider_termination, propose_suspension
from models.cases import Case, Deadline, Suspension, Termination
from models.deadline_store import is_paused
from models.engine import fire_system
from models.entities import Provider, User
from models.outbox_store import enqueue
from models.registry import KINDS, RESTRICTED, page_for
from models.rulebook_store import rulebook_for
from models.scheduling import Timer
from workflows.access import PROVIDER_ROLES, Role
from workflows.case import OPEN
from workflows.clock import LONDON
from workflows.messages import CONSEQUENCES, breach, reminder
from workflows.suspension import SuspensionState
from workflows.termination import TerminationState


def pending_due_count(now: datetime) -> int:
    """How many timers are due and not yet fired."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count(Timer.id)).where(Timer.status == "pending", Timer.due_at <= now)) or 0


def oldest_pending_due(now: datetime) -> datetime | None:
    """The due instant of the oldest timer still waiting (how far behind the scheduler is)."""
    from sqlalchemy import func

    return db.session.scalar(select(func.min(Timer.due_at)).where(Timer.status == "pending", Timer.due_at <= now))


def _base_url() -> str:
    return current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")


def _link(deadline) -> str:
    """The address of the page of the record a deadline belongs to (the registry knows every kind's page)."""
    return _base_url() + page_for(deadline.entity_type, deadline.entity_id, deadline.case_id)


def recipients(deadline: Deadline, who: str) -> list[User]:
    """Who must act: the provider's people for its obligations, the contract manager for the council's.

    Safeguarding deadlines go only to safeguarding officers: their existence is restricted."""
    if deadline.entity_type in RESTRICTED:
        return list(db.session.scalars(select(User).where(
            User.council_id == deadline.council_id, User.role == Role.SAFEGUARDING_OFFICER,
            User.active.is_(True)).order_by(User.id)))
    return people_for(deadline.council_id, deadline.provider_id, deadline.contract_id, who)


def people_for(council_id: int, provider_id: int, contract_id: int | None, who: str) -> list[User]:
    """The provider's active people ("provider"), the contract's manager or else every contract manager
    ("council"), or both, each once."""
    people: list[User] = []
    if who in ("provider", "both"):
        people += list(db.session.scalars(select(User).where(
            User.provider_id == provider_id, User.active.is_(True),
            User.role.in_(list(PROVIDER_ROLES))).order_by(User.id)))
    if who in ("council", "both"):
        manager = None
        if contract_id:
            from models.entities import Contract

            contract = db.session.get(Contract, contract_id)
            manager = contract.contract_manager if contract else None
        if manager is not None and manager.active:
            people.append(manager)
        else:
            people += list(db.session.scalars(select(User).where(
                User.council_id == council_id, User.role == Role.CONTRACT_MANAGER,
                User.active.is_(True)).order_by(User.id)))
    seen, unique = set(), []
    for person in people:
        if person.id not in seen:
            seen.add(person.id)
            unique.append(person)
    return unique


def _reference(deadline: Deadline) -> tuple[str, str]:
    provider = db.session.get(Provider, deadline.provider_id)
    if deadline.case_id:
        return db.session.get(Case, deadline.case_id).reference, provider.name
    return f"{deadline.entity_type} {deadline.entity_id}", provider.name


def fire_timer(timer: Timer, now: datetime) -> str:
    """Apply one due timer; returns what happened: fired, cancelled, skipped or superseded."""
    deadline = timer.deadline
    outcome = _reminder(timer, deadline, now) if timer.kind == "reminder" else _breach(timer, deadline, now)
    if timer.status == "pending":
        timer.status = outcome
    timer.fired_at = now
    return outcome


def _reminder(timer: Timer, deadline: Deadline, now: datetime) -> str:
    if deadline.status != "running":
        timer.note = f"The deadline is {deadline.status}"
        return "cancelled"
    if is_paused(deadline):
        timer.note = "The clock is paused"
        return "cancelled"
    if deadline.due_at <= now:
        timer.note = "The deadline has passed: no 'due soon' after a breach"
        return "skipped"
    due_now = list(db.session.scalars(select(Timer).where(
        Timer.deadline_id == deadline.id, Timer.kind == "reminder", Timer.status == "pending",
        Timer.due_at <= now)))
    nearest = min((t.threshold for t in due_now), default=timer.threshold)
    if timer.threshold != nearest:
        timer.note = "A nearer reminder was due at the same time"
        return "superseded"
    reference, provider = _reference(deadline)
    message = reminder(deadline.label, deadline.rule, reference, provider, deadline.due_on, timer.threshold,
                       list(deadline.explanation), _link(deadline))
    for person in recipients(deadline, deadline.acts):
        enqueue(deadline.council_id, timer.fire_key, person, message, _link(deadline), now)
    return "fired"


def _breach(timer: Timer, deadline: Deadline, now: datetime) -> str:
    if deadline.status in ("met", "cancelled", "superseded"):
        timer.note = f"The deadline is {deadline.status}"
        return "cancelled"
    if deadline.status == "breached":
        timer.note = "Already recorded as breached"
        return "skipped"
    if is_paused(deadline):
        timer.note = "The clock is paused"
        return "cancelled"
    if deadline.due_at > now:
        timer.note = "The due date has moved"
        return "superseded"
    deadline.status, deadline.breached_at = "breached", deadline.due_at
    for other in db.session.scalars(select(Timer).where(Timer.deadline_id == deadline.id, Timer.status == "pending",
                                                        Timer.id != timer.id)):
        other.status, other.note = "skipped", "The deadline has passed"
    case = db.session.get(Case, deadline.case_id) if deadline.case_id else None
    if case is not None and case.state in OPEN:
        case.overdue = True
    consequence = _consequence(deadline, case, now)
    record_event(council_id=deadline.council_id, actor=None, entity_type="deadline", entity_id=deadline.id,
                 event_name="DEADLINE_BREACHED", at=now, case_id=deadline.case_id,
                 reason=f"{deadline.label} ({deadline.rule}) not done by the end of {deadline.due_on:%-d %B %Y}",
                 data={"breached_at": deadline.due_at.isoformat(), "noticed_at": now.isoformat(),
                       "timer_id": timer.id, "consequence": deadline.on_breach})
    reference, provider = _reference(deadline)
    message = breach(deadline.label, deadline.rule, reference, provider, deadline.due_on,
                     CONSEQUENCES.get(consequence) if consequence else None, list(deadline.explanation),
                     _link(deadline))
    for person in recipients(deadline, "both"):
        enqueue(deadline.council_id, timer.fire_key, person, message, _link(deadline), now)
    return "fired"


def _consequence(deadline: Deadline, case: Case | None, now: datetime) -> str | None:
    """Apply what the rulebook attaches to a breach; legally significant steps are only ever proposed."""
    action = deadline.on_breach
    today = now.astimezone(LONDON).date()
    system_step = SYSTEM_STEPS.get(action)
    if system_step is not None and deadline.entity_type == system_step[0]:
        # A system transition of the record's own machine, with the rule that fires it (KT-19, KT-16).
        kind, trigger, reason = system_step
        record = db.session.get(KINDS[kind].model, deadline.entity_id)
        fire_system(kind, record, trigger, now, today, rule=deadline.rule, reason=reason)
        return action
    if case is None or case.state not in OPEN:
        return action if action == "mark_overdue" else None
    book = rulebook_for(case.contract)
    reason = f"{deadline.label} not done by the end of {deadline.due_on:%-d %B %Y} ({deadline.rule})"
    if action == "propose_suspension" and book.has_rung("suspension"):
        open_proposal = db.session.scalar(select(Suspension.id).where(
            Suspension.case_id == case.id, Suspension.state.in_([SuspensionState.PROPOSED, SuspensionState.ACTIVE])))
        if open_proposal is None:
            propose_suspension(None, None, case.id, reason, now, rule=deadline.rule)
        return action
    if action == "propose_termination" and book.has_rung("termination"):
        pending = db.session.scalar(select(Termination.id).where(
            Termination.case_id == case.id, Termination.state == TerminationState.CONSIDERED))
        if pending is None:
            consider_termination(None, None, case.id, reason, now, today, rule=deadline.rule)
        return action
    return "mark_overdue"


# What a breach of these clocks does to the record itself: a system step of its machine.
SYSTEM_STEPS = {"milestone_overdue": ("milestone", "mark_overdue", None),
                "deem_minutes_approved": ("meeting", "deem_approved", "No reply within ten Business Days (KT-16)")}


# -- the fast path: a whole batch of reminders and plain breaches with a handful of queries ---------------------

SIMPLE_BREACHES = (None, "mark_overdue")


def _insert_ignoring_duplicates(table, rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, so a key already queued is never queued twice."""
    if not rows:
        return
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    db.session.execute(dialect_insert(table).on_conflict_do_nothing(), rows)


def claim_due_rows(now: datetime, limit: int):
    """Pending timers due by `now`, oldest first, as plain rows, locked for this tick (on PostgreSQL skipping
    rows another tick holds)."""
    query = (select(Timer.id, Timer.deadline_id, Timer.kind, Timer.threshold, Timer.fire_key, Timer.due_at)
             .where(Timer.status == "pending", Timer.due_at <= now).order_by(Timer.due_at, Timer.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.execute(query))


def fire_batch(timers: list, now: datetime) -> tuple[dict, list[int]]:
    """Fire a batch of due timers (rows from claim_due_rows) together, with a handful of set-based queries.

    Returns the counts and the ids of the timers that need the full path (breaches with a consequence beyond
    marking the case overdue), which the caller fires one by one.
    """
    from collections import Counter, defaultdict

    from sqlalchemy import insert, update

    from models.entities import AuditEvent, Contract
    from models.scheduling import DeadlinePause, OutboxMessage

    counts: Counter = Counter()
    ids = {t.deadline_id for t in timers}
    deadlines = {d.id: d for d in db.session.execute(select(
        Deadline.id, Deadline.council_id, Deadline.case_id, Deadline.contract_id, Deadline.provider_id,
        Deadline.entity_type, Deadline.entity_id, Deadline.label, Deadline.rule, Deadline.due_on, Deadline.due_at,
        Deadline.status, Deadline.acts, Deadline.on_breach, Deadline.explanation).where(Deadline.id.in_(ids)))}
    status = {d.id: d.status for d in deadlines.values()}
    paused = set(db.session.scalars(select(DeadlinePause.deadline_id).where(
        DeadlinePause.deadline_id.in_(ids), DeadlinePause.ends_on.is_(None))))
    due_reminders: dict[int, list[int]] = defaultdict(list)
    for deadline_id, threshold in db.session.execute(select(Timer.deadline_id, Timer.threshold).where(
            Timer.deadline_id.in_(ids), Timer.kind == "reminder", Timer.status == "pending", Timer.due_at <= now)):
        due_reminders[deadline_id].append(threshold)
    case_ids = {d.case_id for d in deadlines.values() if d.case_id}
    cases = {row.id: row for row in db.session.execute(
        select(Case.id, Case.reference, Case.state).where(Case.id.in_(case_ids)))}
    providers = {p.id: p.name for p in db.session.execute(select(Provider.id, Provider.name).where(
        Provider.id.in_({d.provider_id for d in deadlines.values()})))}
    provider_people: dict[int, list] = defaultdict(list)
    for person in db.session.execute(select(User.id, User.email, User.provider_id).where(
            User.provider_id.in_(list(providers)), User.active.is_(True),
            User.role.in_(list(PROVIDER_ROLES))).order_by(User.id)):
        provider_people[person.provider_id].append(person)
    managers = {row.id: row for row in db.session.execute(
        select(Contract.id, User.id.label("user_id"), User.email, User.active)
        .join(User, User.id == Contract.contract_manager_id)
        .where(Contract.id.in_({d.contract_id for d in deadlines.values() if d.contract_id})))}
    fallback: list | None = None

    def people(deadline, who: str) -> list:
        nonlocal fallback
        if deadline.entity_type in RESTRICTED:
            return [(u.id, u.email) for u in db.session.execute(select(User.id, User.email).where(
                User.council_id == deadline.council_id, User.role == Role.SAFEGUARDING_OFFICER,
                User.active.is_(True)).order_by(User.id))]
        found = [(p.id, p.email) for p in provider_people[deadline.provider_id]] if who in ("provider", "both") else []
        if who in ("council", "both"):
            manager = managers.get(deadline.contract_id)
            if manager is not None and manager.active:
                found.append((manager.user_id, manager.email))
            else:
                if fallback is None:
                    fallback = [(u.id, u.email) for u in db.session.execute(select(User.id, User.email).where(
                        User.council_id == deadline.council_id, User.role == Role.CONTRACT_MANAGER,
                        User.active.is_(True)).order_by(User.id))]
                found += fallback
        return list(dict(found).items())

    audit_rows, outbox_rows, timer_rows, deadline_rows, full_path = [], [], [], [], []
    overdue_cases, breached = set(), set()

    def queue(fire_key: str, deadline, message, who: str) -> None:
        link = _link(deadline)
        for person_id, email in people(deadline, who):
            for channel in ("email", "in_app"):
                outbox_rows.append({
                    "council_id": deadline.council_id, "key": f"{fire_key}:{channel}:{person_id}",
                    "channel": channel, "user_id": person_id, "to_address": email if channel == "email" else None,
                    "subject": message.subject, "body_text": message.text,
                    "body_html": message.html if channel == "email" else None, "link": link, "status": "pending",
                    "attempts": 0, "next_attempt_at": now, "created_at": now})

    for timer in timers:
        deadline = deadlines[timer.deadline_id]
        current = status[deadline.id]
        case = cases.get(deadline.case_id)
        reference = case.reference if case else f"{deadline.entity_type} {deadline.entity_id}"
        provider = providers[deadline.provider_id]
        link = _link(deadline)
        if timer.kind == "reminder":
            if current != "running":
                outcome, note = "cancelled", f"The deadline is {current}"
            elif deadline.id in paused:
                outcome, note = "cancelled", "The clock is paused"
            elif deadline.due_at <= now:
                outcome, note = "skipped", "The deadline has passed: no 'due soon' after a breach"
            elif timer.threshold != min(due_reminders[deadline.id], default=timer.threshold):
                outcome, note = "superseded", "A nearer reminder was due at the same time"
            else:
                outcome, note = "fired", None
                queue(timer.fire_key, deadline, reminder(deadline.label, deadline.rule, reference, provider,
                                                         deadline.due_on, timer.threshold, deadline.explanation, link),
                      deadline.acts)
        else:
            if deadline.on_breach not in SIMPLE_BREACHES:
                full_path.append(timer.id)
                continue
            if current in ("met", "cancelled", "superseded"):
                outcome, note = "cancelled", f"The deadline is {current}"
            elif current == "breached":
                outcome, note = "skipped", "Already recorded as breached"
            elif deadline.id in paused:
                outcome, note = "cancelled", "The clock is paused"
            elif deadline.due_at > now:
                outcome, note = "superseded", "The due date has moved"
            else:
                outcome, note = "fired", None
                status[deadline.id] = "breached"
                breached.add(deadline.id)
                deadline_rows.append({"id": deadline.id, "status": "breached", "breached_at": deadline.due_at})
                if case is not None and case.state in OPEN:
                    overdue_cases.add(case.id)
                audit_rows.append({
                    "council_id": deadline.council_id, "at": now, "actor_id": None,
                    "actor_label": "Remedy (automatic)", "entity_type": "deadline", "entity_id": deadline.id,
                    "case_id": deadline.case_id, "event": "DEADLINE_BREACHED", "from_state": None,
                    "to_state": None,
                    "reason": f"{deadline.label} ({deadline.rule}) not done by the end of "
                              f"{deadline.due_on:%-d %B %Y}",
                    "data": {"breached_at": deadline.due_at.isoformat(), "noticed_at": now.isoformat(),
                             "timer_id": timer.id, "consequence": deadline.on_breach}})
                queue(timer.fire_key, deadline, breach(deadline.label, deadline.rule, reference, provider,
                                                       deadline.due_on, CONSEQUENCES["mark_overdue"] if case else None,
                                                       deadline.explanation, link), "both")
        timer_rows.append({"id": timer.id, "status": outcome, "note": note, "fired_at": now})
        counts[outcome] += 1
    # Bulk UPDATE by primary key: one executemany per table.
    if timer_rows:
        db.session.execute(update(Timer), timer_rows)
    if deadline_rows:
        db.session.execute(update(Deadline), deadline_rows)
    if breached:
        # Reminders still pending for a deadline that has just breached will never be sent.
        db.session.execute(update(Timer).where(
            Timer.deadline_id.in_(breached), Timer.status == "pending", Timer.kind == "reminder")
            .values(status="skipped", note="The deadline has passed"),
            execution_options={"synchronize_session": False})
    if audit_rows:
        db.session.execute(insert(AuditEvent), audit_rows)
    _insert_ignoring_duplicates(OutboxMessage.__table__, outbox_rows)
    if overdue_cases:
        db.session.execute(update(Case).where(Case.id.in_(overdue_cases)).values(overdue=True),
                           execution_options={"synchronize_session": False})
    return dict(counts), full_path
