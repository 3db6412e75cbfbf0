"""Firing timers: what a reminder or a breach does, in the transaction that claims it (clock-lessons 4.2, 4.3).

A breach is recorded at the due instant however late it is noticed; a reminder is never sent once its deadline
has passed, and after downtime only the most relevant reminder of a deadline goes out. Escalations the rulebook
attaches to a breach become proposals for a person to confirm, with the rule that proposed them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import Text, cast, func, select, update

from models import db
from models.audit_store import record_event
from models.bulk_store import among, insert_many
from models.case_store import propose_unless_pending
from models.cases import Case, Deadline
from models.deadline_store import is_paused
from models.engine import fire_system
from models.entities import AuditEvent, Contract, Provider, User
from models.outbox_store import enqueue
from models.picture_versions import council_pictures_changed
from models.registry import KINDS, RESTRICTED, page_for
from models.scheduling import DeadlinePause, OutboxMessage, Timer
from workflows.access import PROVIDER_ROLES, Role
from workflows.case import OPEN
from workflows.clock import LONDON
from workflows.deadline import SIMPLE_BREACHES, DueTimer, TimerDecision, decide_timer, record_name
from workflows.messages import CONSEQUENCES, Message, breach, reminder


def pending_due_count(now: datetime) -> int:
    """How many timers are due and not yet fired."""
    return db.session.scalar(select(func.count(Timer.id)).where(Timer.status == "pending", Timer.due_at <= now)) or 0


def _base_url() -> str:
    return current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")


def _link(deadline) -> str:
    """The address of the page of the record a deadline belongs to (the registry knows every kind's page)."""
    return _base_url() + page_for(deadline.entity_type, deadline.entity_id, deadline.case_id)


def recipients(deadline: Deadline, audience: str) -> list[User]:
    """The people a fired timer reaches, for the audience `decide_timer` chose: a restricted record's safeguarding
    officers ("safeguarding"), or the provider's people and/or the contract manager ("provider", "council", "both")."""
    if audience == "safeguarding":
        return list(db.session.scalars(select(User).where(
            User.council_id == deadline.council_id, User.role == Role.SAFEGUARDING_OFFICER,
            User.active.is_(True)).order_by(User.id)))
    return people_for(deadline.council_id, deadline.provider_id, deadline.contract_id, audience)


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


# -- what both paths share: the facts, the decision's words and the record's name ------------------------------
# `deadline` below is a Deadline or a row with the same columns: the full path reads objects, the fast path rows.
# (The fast path's rows hold the explanation as its JSON text, `explained`: fire_batch decodes each text once.)


def _facts(timer, deadline, status: str, paused: bool, due_reminders, now: datetime) -> DueTimer:
    """The facts `decide_timer` needs about one due timer (status passed apart: the fast path tracks its own)."""
    return DueTimer(kind=timer.kind, threshold=timer.threshold, status=status, paused=paused,
                    due_at=deadline.due_at, now=now, due_reminders=tuple(due_reminders),
                    on_breach=deadline.on_breach, acts=deadline.acts, restricted=deadline.entity_type in RESTRICTED)


def _name(deadline, case_reference: str | None, record_reference: str | None) -> tuple[str, str | None]:
    """How messages name the deadline's record: the case ("case", its reference), else the record by its own
    reference ("complaint", CMP-00012), else its kind's noun and id ("meeting 12")."""
    if deadline.case_id:
        return case_reference, "case"
    kind = KINDS.get(deadline.entity_type)
    return record_name(kind.noun if kind else deadline.entity_type, deadline.entity_id, record_reference)


def _has_reference(entity_type: str) -> bool:
    kind = KINDS.get(entity_type)
    return kind is not None and hasattr(kind.model, "reference")


def _case_open(case) -> bool:
    """Whether a breach marks the deadline's case overdue (a case, and still open)."""
    return case is not None and case.state in OPEN


def _message(timer, deadline, name: tuple[str, str | None], provider: str, consequence: str | None,
             link: str | None = None, explanation: tuple[str, ...] | None = None) -> Message:
    """The reminder or breach notice for a fired timer, with the link to the record's page (`explanation`: the
    deadline's, when the caller has it already)."""
    reference, noun = name
    due_at = deadline.due_at if deadline.unit == "hours" else None  # a clock of real hours names the time
    if explanation is None:
        explanation = tuple(deadline.explanation)
    if timer.kind == "reminder":
        return reminder(deadline.label, deadline.rule, reference, provider, deadline.due_on, timer.threshold,
                        explanation, link or _link(deadline), noun, due_at)
    return breach(deadline.label, deadline.rule, reference, provider, deadline.due_on,
                  CONSEQUENCES.get(consequence) if consequence else None, explanation,
                  link or _link(deadline), noun, due_at)


def _breach_audit(deadline, timer_id: int, now: datetime) -> dict:
    """The reason and data of a DEADLINE_BREACHED event: breached at the due instant, noticed now (4.2)."""
    return {"reason": f"{deadline.label} ({deadline.rule}) not done by the end of {_day(deadline.due_on)}",
            "data": {"breached_at": _instant(deadline.due_at), "noticed_at": _instant(now),
                     "timer_id": timer_id, "consequence": deadline.on_breach}}


@lru_cache(maxsize=1024)
def _day(day) -> str:
    """'7 January 2027': a batch's deadlines fall due on a few dozen days."""
    return f"{day:%-d %B %Y}"


@lru_cache(maxsize=1024)
def _instant(at: datetime) -> str:
    return at.isoformat()


# -- the full path: one timer at a time, through the ORM --------------------------------------------------------


def _reference(deadline: Deadline) -> tuple[tuple[str, str | None], str]:
    """The record's name in messages, and the provider's name."""
    provider = db.session.get(Provider, deadline.provider_id)
    case_reference = db.session.get(Case, deadline.case_id).reference if deadline.case_id else None
    record = None
    if not deadline.case_id and _has_reference(deadline.entity_type):
        record = db.session.get(KINDS[deadline.entity_type].model, deadline.entity_id)
    return _name(deadline, case_reference, getattr(record, "reference", None)), provider.name


def fire_timer(timer: Timer, now: datetime) -> str:
    """Apply one due timer; returns what happened: fired, cancelled, skipped or superseded."""
    deadline = timer.deadline
    due_now = []
    if timer.kind == "reminder":
        due_now = list(db.session.scalars(select(Timer.threshold).where(
            Timer.deadline_id == deadline.id, Timer.kind == "reminder", Timer.status == "pending",
            Timer.due_at <= now)))
    decision = decide_timer(_facts(timer, deadline, deadline.status, is_paused(deadline), due_now, now))
    if decision.fired:
        (_reminder if timer.kind == "reminder" else _breach)(timer, deadline, decision, now)
    elif decision.note is not None:
        timer.note = decision.note
    if timer.status == "pending":
        timer.status = decision.outcome
    timer.fired_at = now
    return decision.outcome


def _reminder(timer: Timer, deadline: Deadline, decision: TimerDecision, now: datetime) -> None:
    """Write a fired reminder: one message to each person it reaches."""
    name, provider = _reference(deadline)
    message = _message(timer, deadline, name, provider, None)
    for person in recipients(deadline, decision.audience):
        enqueue(deadline.council_id, timer.fire_key, person, message, _link(deadline), now)


def _breach(timer: Timer, deadline: Deadline, decision: TimerDecision, now: datetime) -> None:
    """Write a fired breach: breached at the due instant, the other timers skipped, the consequence applied,
    the audit event and the messages."""
    deadline.status, deadline.breached_at = "breached", deadline.due_at
    for other in db.session.scalars(select(Timer).where(Timer.deadline_id == deadline.id, Timer.status == "pending",
                                                        Timer.id != timer.id)):
        other.status, other.note = "skipped", "The deadline has passed"
    case = db.session.get(Case, deadline.case_id) if deadline.case_id else None
    if _case_open(case):
        case.overdue = True
    consequence = _consequence(deadline, case, now)
    record_event(council_id=deadline.council_id, actor=None, entity_type="deadline", entity_id=deadline.id,
                 event_name="DEADLINE_BREACHED", at=now, case_id=deadline.case_id,
                 **_breach_audit(deadline, timer.id, now))
    name, provider = _reference(deadline)
    message = _message(timer, deadline, name, provider, consequence)
    for person in recipients(deadline, decision.audience):
        enqueue(deadline.council_id, timer.fire_key, person, message, _link(deadline), now)


def _consequence(deadline: Deadline, case: Case | None, now: datetime) -> str | None:
    """Apply what the rulebook attaches to a breach; legally significant steps are only ever proposed."""
    action = deadline.on_breach
    if action in SIMPLE_BREACHES:
        # The same as the fast path: the case is marked overdue if there is an open one, and nothing else.
        return "mark_overdue" if _case_open(case) else None
    today = now.astimezone(LONDON).date()
    system_step = SYSTEM_STEPS.get(action)
    if system_step is not None and deadline.entity_type == system_step[0]:
        # A system transition of the record's own machine, with the rule that fires it (KT-19, KT-16).
        kind, trigger, reason = system_step
        record = db.session.get(KINDS[kind].model, deadline.entity_id)
        fire_system(kind, record, trigger, now, today, rule=deadline.rule, reason=reason)
        return action
    if not _case_open(case):
        return None
    reason = f"{deadline.label} not done by the end of {deadline.due_on:%-d %B %Y} ({deadline.rule})"
    if action in ESCALATIONS:
        propose_unless_pending(case, ESCALATIONS[action], reason, deadline.rule, now)
        return action
    return "mark_overdue"


# A breach that puts an escalation on the table: proposed for a person to decide (A53), never taken.
ESCALATIONS = {"propose_suspension": "suspension", "propose_termination": "termination"}


# What a breach of these clocks does to the record itself: a system step of its machine.
SYSTEM_STEPS = {"milestone_overdue": ("milestone", "mark_overdue", None),
                "deem_minutes_approved": ("meeting", "deem_approved", "No reply within ten Business Days (KT-16)"),
                "notification_late": ("notification", "mark_late", "No notice given by the deadline"),
                "request_overdue": ("request", "mark_overdue", "No answer by the due date"),
                # H&F referrals and packages (issue 15, item 2): a window missed; a hospital stay over 48 h (HF-64).
                "referral_late": ("referral", "mark_late", "A referral window ran out"),
                "package_late": ("package", "mark_late", "A package window ran out"),
                "package_suspend": ("package", "suspend", "In hospital for more than 48 hours (HF-64)"),
                "capacity_missed": ("capacity", "mark_missed", "No written capacity confirmation (HF-B02)"),
                "meeting_overdue": ("planned_meeting", "mark_overdue", "No meeting held by the date its cadence sets"),
                "stay_overstayed": ("stay_limit", "mark_overstayed", "The limit passed and it has not ended"),
                "soft_outcomes_overdue": ("soft_outcome_check", "mark_overdue", "No check recorded by its date")}


# -- the fast path: a whole batch of reminders and plain breaches with a handful of queries ---------------------


def claim_due_rows(now: datetime, limit: int):
    """Pending timers due by `now`, oldest first, as plain rows, locked for this tick (on PostgreSQL skipping
    rows another tick holds)."""
    return list(db.session.execute(claim_query(now, limit)))


def claim_query(now: datetime, limit: int):
    """The query claim_due_rows runs (bench/scheduler.py prints its plan): along ix_timer_status_due_at."""
    query = (select(Timer.id, Timer.deadline_id, Timer.kind, Timer.threshold, Timer.fire_key, Timer.due_at)
             .where(Timer.status == "pending", Timer.due_at <= now).order_by(Timer.due_at, Timer.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


class DeadlinesChanged(RuntimeError):
    """A deadline the fast path read as running was no longer running when it came to breach it."""


# The columns of the fast path's rows, in the order its tuples give them.
AUDIT_COLUMNS = ("council_id", "at", "actor_id", "actor_label", "entity_type", "entity_id", "case_id", "event",
                 "from_state", "to_state", "reason", "data")
OUTBOX_COLUMNS = ("council_id", "key", "channel", "user_id", "to_address", "subject", "body_text", "body_html",
                  "link", "status", "attempts", "next_attempt_at", "created_at")


def fire_batch(timers: list, now: datetime) -> tuple[dict, list[int]]:
    """Fire a batch of due timers (rows from claim_due_rows) together, with a handful of set-based queries.

    Returns the counts and the ids of the timers that need the full path (breaches with a consequence beyond
    marking the case overdue), which the caller fires one by one.
    """
    counts: Counter = Counter()
    ids = {t.deadline_id for t in timers}
    deadlines = {d.id: d for d in db.session.execute(select(
        Deadline.id, Deadline.council_id, Deadline.case_id, Deadline.contract_id, Deadline.provider_id,
        Deadline.entity_type, Deadline.entity_id, Deadline.label, Deadline.rule, Deadline.due_on, Deadline.due_at,
        Deadline.status, Deadline.acts, Deadline.on_breach, cast(Deadline.explanation, Text).label("explained"),
        Deadline.unit).where(among(Deadline.id, ids)))}
    status = {d.id: d.status for d in deadlines.values()}
    paused = set(db.session.scalars(select(DeadlinePause.deadline_id).where(
        among(DeadlinePause.deadline_id, ids), DeadlinePause.ends_on.is_(None))))
    due_reminders: dict[int, list[int]] = defaultdict(list)
    for deadline_id, threshold in db.session.execute(select(Timer.deadline_id, Timer.threshold).where(
            among(Timer.deadline_id, ids), Timer.kind == "reminder", Timer.status == "pending", Timer.due_at <= now)):
        due_reminders[deadline_id].append(threshold)
    case_ids = {d.case_id for d in deadlines.values() if d.case_id}
    cases = {row.id: row for row in db.session.execute(
        select(Case.id, Case.reference, Case.state).where(among(Case.id, case_ids)))}
    # Records not on a case are named by their own reference (complaints, concerns, incidents).
    record_ids: dict[str, set[int]] = defaultdict(set)
    for d in deadlines.values():
        if not d.case_id and _has_reference(d.entity_type):
            record_ids[d.entity_type].add(d.entity_id)
    references: dict[tuple[str, int], str] = {}
    for entity_type, entity_ids in record_ids.items():
        model = KINDS[entity_type].model
        for row in db.session.execute(select(model.id, model.reference).where(among(model.id, entity_ids))):
            references[(entity_type, row.id)] = row.reference
    providers = {p.id: p.name for p in db.session.execute(select(Provider.id, Provider.name).where(
        among(Provider.id, {d.provider_id for d in deadlines.values()})))}
    provider_people: dict[int, list] = defaultdict(list)
    for person in db.session.execute(select(User.id, User.email, User.provider_id).where(
            among(User.provider_id, list(providers)), User.active.is_(True),
            User.role.in_(list(PROVIDER_ROLES))).order_by(User.id)):
        provider_people[person.provider_id].append(person)
    managers = {row.id: row for row in db.session.execute(
        select(Contract.id, User.id.label("user_id"), User.email, User.active)
        .join(User, User.id == Contract.contract_manager_id)
        .where(among(Contract.id, {d.contract_id for d in deadlines.values() if d.contract_id})))}
    by_role: dict[tuple[int, Role], list] = {}

    def council_people(council_id: int, role: Role) -> list:
        """A council's active people in one role (contract managers, safeguarding officers), read once a batch."""
        if (council_id, role) not in by_role:
            by_role[council_id, role] = [(u.id, u.email) for u in db.session.execute(select(User.id, User.email).where(
                User.council_id == council_id, User.role == role, User.active.is_(True)).order_by(User.id))]
        return by_role[council_id, role]

    reached: dict[tuple, list] = {}

    def people(deadline, audience: str) -> list:
        """The same rule as `recipients` and `people_for`, on the rows read above; worked out once a batch for each
        council, provider, contract and audience (a batch's thousands of deadlines share a few dozen)."""
        key = (deadline.council_id, deadline.provider_id, deadline.contract_id, audience)
        if key in reached:
            return reached[key]
        if audience == "safeguarding":
            found = council_people(deadline.council_id, Role.SAFEGUARDING_OFFICER)
        else:
            found = [(p.id, p.email) for p in provider_people[deadline.provider_id]] \
                if audience in ("provider", "both") else []
            if audience in ("council", "both"):
                manager = managers.get(deadline.contract_id)
                if manager is not None and manager.active:
                    found.append((manager.user_id, manager.email))
                else:
                    found += council_people(deadline.council_id, Role.CONTRACT_MANAGER)
        reached[key] = list(dict(found).items())
        return reached[key]

    timer_rows, deadline_rows, full_path, breaches, notices = [], [], [], [], []
    overdue_cases, breached = set(), set()

    # decide_timer is a pure function of the facts, and a batch's thousands of timers share a few dozen sets of
    # them (the same kind, status and due instant): each set is decided once.
    decided: dict[tuple, TimerDecision] = {}
    for timer in timers:
        deadline = deadlines[timer.deadline_id]
        facts = (timer.kind, timer.threshold, status[deadline.id], deadline.id in paused, deadline.due_at,
                 tuple(due_reminders[deadline.id]), deadline.on_breach, deadline.acts, deadline.entity_type)
        decision = decided.get(facts)
        if decision is None:
            decision = decided[facts] = decide_timer(_facts(timer, deadline, facts[2], facts[3], facts[5], now))
        if decision.full_path:
            full_path.append(timer.id)
            continue
        if decision.fired:
            case = cases.get(deadline.case_id)
            consequence = None
            if timer.kind == "breach":
                status[deadline.id] = "breached"
                breached.add(deadline.id)
                deadline_rows.append(deadline.id)
                if _case_open(case):
                    overdue_cases.add(case.id)
                    consequence = "mark_overdue"
                breaches.append((timer.id, deadline))
            notices.append((timer, deadline, case, consequence, people(deadline, decision.audience)))
        timer_rows.append((timer.id, decision.outcome, decision.note))
        counts[decision.outcome] += 1

    def audit_rows():
        for timer_id, deadline in breaches:
            audit = _breach_audit(deadline, timer_id, now)
            yield (deadline.council_id, now, None, "Remedy (automatic)", "deadline", deadline.id, deadline.case_id,
                   "DEADLINE_BREACHED", None, None, audit["reason"], audit["data"])

    base = _base_url()  # read once a batch; each record's page from the registry as `_link` gives it
    # Each deadline's explanation is read as its JSON text and decoded once for each distinct text: a batch's
    # deadlines share a few dozen (the same rule, start and length), and their messages its rendering (_counted).
    explanations: dict[str, tuple[str, ...]] = {}

    def explained(deadline) -> tuple[str, ...]:
        found = explanations.get(deadline.explained)
        if found is None:
            found = explanations[deadline.explained] = tuple(json.loads(deadline.explained))
        return found

    def outbox_rows():
        """Each fired timer's message to each person it reaches, by email and in the app."""
        for timer, deadline, case, consequence, reached in notices:
            name = _name(deadline, case.reference if case else None,
                         references.get((deadline.entity_type, deadline.entity_id)))
            link = base + page_for(deadline.entity_type, deadline.entity_id, deadline.case_id)
            message = _message(timer, deadline, name, providers[deadline.provider_id], consequence, link,
                               explained(deadline))
            council_id, subject, text, key = deadline.council_id, message.subject, message.text, timer.fire_key
            for person_id, email in reached:
                yield (council_id, f"{key}:email:{person_id}", "email", person_id, email, subject, text,
                       message.html, link, "pending", 0, now, now)
                yield (council_id, f"{key}:in_app:{person_id}", "in_app", person_id, None, subject, text, None,
                       link, "pending", 0, now, now)

    def write_changes() -> None:
        """The batch's UPDATEs: the timers, the deadlines breached, reminders that will never be sent, the cases."""
        # Set-based: one UPDATE per outcome for the timers, one for the deadlines (breached at their own due instant).
        by_outcome: dict[tuple, list[int]] = defaultdict(list)
        for timer_id, outcome, note in timer_rows:
            by_outcome[outcome, note].append(timer_id)
        for (outcome, note), timer_ids in by_outcome.items():
            db.session.execute(update(Timer).where(among(Timer.id, timer_ids)).values(status=outcome, note=note,
                                                                                    fired_at=now),
                               execution_options={"synchronize_session": False})
        if deadline_rows:
            # Only deadlines still running: one changed since it was read above (a person's step committed meanwhile,
            # on PostgreSQL) fails the batch, which the caller then fires the slow way, timer by timer, from fresh rows.
            changed = db.session.execute(update(Deadline).where(among(Deadline.id, deadline_rows),
                                                                Deadline.status == "running")
                                         .values(status="breached", breached_at=Deadline.due_at,
                                                 version_id=Deadline.version_id + 1),
                                         execution_options={"synchronize_session": False})
            if changed.rowcount != len(set(deadline_rows)):
                raise DeadlinesChanged(f"{len(set(deadline_rows)) - changed.rowcount} deadline(s) changed meanwhile")
            # Core writes: the councils' lists (a deadline breached, a case overdue) move when the tick commits.
            council_pictures_changed(db.session, {deadline.council_id for _, deadline in breaches})
        if breached:
            # Reminders still pending for a deadline that has just breached will never be sent.
            db.session.execute(update(Timer).where(
                among(Timer.deadline_id, breached), Timer.status == "pending", Timer.kind == "reminder")
                .values(status="skipped", note="The deadline has passed"),
                execution_options={"synchronize_session": False})
        if overdue_cases:
            # A case already overdue is left alone (the same end state, one row write fewer).
            db.session.execute(update(Case).where(among(Case.id, overdue_cases), Case.overdue.is_not(True))
                               .values(overdue=True),
                               execution_options={"synchronize_session": False})

    # The messages and audit rows are built on another thread while this one's UPDATEs run in the database (sqlite3
    # and psycopg let go of the GIL while they wait on it: SQLite's tick 0.05-0.07 s faster), then inserted.
    with ThreadPoolExecutor(1, thread_name_prefix="rows") as builder:
        built = builder.submit(lambda: (list(audit_rows()), list(outbox_rows())))
        write_changes()
        audit, outbox = built.result()
    insert_many(AuditEvent.__table__, audit, AUDIT_COLUMNS)
    insert_many(OutboxMessage.__table__, outbox, OUTBOX_COLUMNS)
    return dict(counts), full_path
