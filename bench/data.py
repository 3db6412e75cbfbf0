"""The one data generator every benchmark uses, and the smoke test (tests/integration/test_bench_generator.py).

`generate` makes the case workflow's data: the demo council and its contracts, cases spread over the ladder with
their notices, action plans, milestones, defaults, suspensions, terminations, deadlines and timers, and audit events.
`scheduler_data` makes the scheduler's: cases at the notice rung, each with its notice, and many running deadlines
with their breach timers, some of them due. Both bulk-insert for speed but take their values from the domain:
references from the reference counter's format (and the counters are left where the store would have left them),
due dates and instants from the contract's working calendar, timers from `plan_timers` (so fire keys are the real
ones), sequences moved past the ids given here (PostgreSQL), and planner statistics gathered (PostgreSQL always,
SQLite on request).

A database is named by a SQLAlchemy URL: `sqlite:///path` or `postgresql+psycopg://user@host:port/name` (its public
schema is DROPPED first by `fresh_database`).
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from workflows.case import CaseState

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

SEED = 20261218
MANAGER = "contract.manager@remedy.example"
COMMISSIONER = "commissioning.manager@remedy.example"
PASSWORD = "remedy-demo-password"

# How the cases are spread over the ladder (closed cases pile up over the years; few reach suspension).
STATE_WEIGHTS = {
    CaseState.CONCERN: 22, CaseState.NOTICE: 14, CaseState.ACTION_PLAN: 12, CaseState.DEFAULT: 4,
    CaseState.SUSPENDED: 2, CaseState.REINSTATING: 1, CaseState.TERMINATION_CONSIDERED: 1, CaseState.RESOLVED: 30,
    CaseState.WITHDRAWN: 10, CaseState.TERMINATED: 4,
}
# The rung a state needs on the contract's ladder (Cornwall's cases can only be monitored).
STATE_RUNGS = {CaseState.NOTICE: "notice", CaseState.ACTION_PLAN: "action_plan", CaseState.DEFAULT: "default_notice",
               CaseState.SUSPENDED: "suspension", CaseState.REINSTATING: "suspension",
               CaseState.TERMINATION_CONSIDERED: "termination", CaseState.TERMINATED: "termination"}
LADDER = [CaseState.CONCERN, CaseState.NOTICE, CaseState.ACTION_PLAN, CaseState.DEFAULT, CaseState.SUSPENDED,
          CaseState.REINSTATING, CaseState.TERMINATION_CONSIDERED, CaseState.TERMINATED]


# -- the database ------------------------------------------------------------------------------------------------


def fresh_database(url: str | None, name: str = "workflow") -> str:
    """An empty database: a new SQLite file bench/out/NAME.sqlite3, or the named database with its schema dropped."""
    from sqlalchemy import create_engine

    from app import database_url

    if not url:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = database_url(url, OUT)
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


class Rows:
    """Rows to bulk-insert, table by table, with ids handed out here so rows can point at each other."""

    def __init__(self, start_ids: dict[str, int]):
        self.tables: dict[str, list[dict]] = {}
        self.next_id = dict(start_ids)

    def add(self, table: str, row: dict, with_id: bool = True) -> int | None:
        if with_id:
            row["id"] = self.next_id[table] = self.next_id.get(table, 0) + 1
        self.tables.setdefault(table, []).append(row)
        return row.get("id")


def generate(app, cases: int, events: int, now: datetime, today: date, analyze: bool = False) -> dict:
    """Bulk-insert `cases` cases and `events` audit events, realistic enough for the pages and the store to work on.

    Returns the ids the rest of the benchmark needs (pools of cases by state, the case shown on the case page).
    """
    from models import db
    from models.cases import Case
    from models.demo import load_demo
    from models.entities import AuditEvent, Contract, User
    from models.reference_store import format_reference
    from models.registry import KINDS
    from workflows.calendar import calendar_for
    from workflows.clock import end_of_day
    from workflows.deadline import plan_timers
    from workflows.milestone import MILESTONE_CLOCK

    rng = random.Random(SEED)
    case_prefix = KINDS["case"].reference_prefix
    load_demo()
    db.session.commit()
    council_id = db.session.scalar(select(Contract.council_id).limit(1))
    users = {u.email: u for u in db.session.scalars(select(User))}
    manager, commissioner = users[MANAGER], users[COMMISSIONER]
    labels = {u.id: f"{u.name} ({u.role.label})" for u in users.values()}
    books = app.extensions["rulebooks"]
    contracts = []
    for contract in db.session.scalars(select(Contract).order_by(Contract.id)):
        book = books[contract.rulebook_id]
        allowed = [s for s in STATE_WEIGHTS if s not in STATE_RUNGS or book.has_rung(STATE_RUNGS[s])]
        contracts.append({"id": contract.id, "provider_id": contract.provider_id, "book": book,
                          "manager_id": contract.contract_manager_id,
                          "calendar": calendar_for(book.region), "states": allowed,
                          "weights": [STATE_WEIGHTS[s] for s in allowed], "defaults": 0})
    start_ids = {"case_file": db.session.scalar(select(func.max(Case.id))) or 0}
    rows = Rows(start_ids)
    pools: dict[CaseState, list[int]] = {s: [] for s in CaseState}
    overdue_notice_cases: list[tuple[int, int]] = []  # (case id, lifecycle events) on the page the bench shows
    lifecycle: list[tuple[int, datetime, list[tuple]]] = []  # per case: id, opened, its lifecycle events

    def deadline(case: dict, kind: str, entity: tuple[str, int], spec, start_on: date, length: int,
                 status: str, created: datetime) -> dict:
        calendar = contracts_by_id[case["contract_id"]]["calendar"]
        due_on = calendar.add_working_days(start_on, length) if spec.unit == "working_days" else \
            start_on + timedelta(days=length)
        due_at = end_of_day(due_on).astimezone(UTC)
        if status == "auto":  # running, or breached if the due instant has passed (the scheduler has swept)
            status = "breached" if due_at < now else "running"
        row = {"council_id": council_id, "case_id": case["id"], "contract_id": case["contract_id"],
               "provider_id": case["provider_id"], "entity_type": entity[0], "entity_id": entity[1], "kind": kind,
               "label": spec.label, "rule": spec.rule, "unit": spec.unit, "length": length,
               "region": contracts_by_id[case["contract_id"]]["book"].region, "start_on": start_on, "due_on": due_on,
               "due_at": due_at, "status": status, "acts": spec.acts, "pausable": spec.pausable,
               "on_breach": spec.on_breach, "frozen": True,
               "explanation": [f"{length} working days from {start_on:%-d %B %Y} ({spec.rule})",
                               "The day the clock starts does not count"],
               "met_at": created + timedelta(days=length) if status == "met" else None,
               "original_due_on": None, "extension_days": 0,
               "breached_at": due_at if status == "breached" else None, "created_at": created}
        deadline_id = rows.add("deadline", row)
        if status in ("running", "breached"):
            for plan in plan_timers(deadline_id, start_on, due_on, due_at, calendar):
                fired = status == "breached" or plan.due_at < now
                rows.add("timer", {"council_id": council_id, "deadline_id": deadline_id, "kind": plan.kind,
                                   "threshold": plan.threshold, "due_on": plan.due_on,
                                   "due_at": plan.due_at.astimezone(UTC), "status": "fired" if fired else "pending",
                                   "fire_key": plan.fire_key, "fired_at": plan.due_at if fired else None,
                                   "note": None, "attempts": 1 if fired else 0, "last_error": None}, with_id=False)
        return row

    contracts_by_id = {c["id"]: c for c in contracts}
    for n in range(cases):
        contract = contracts[n % len(contracts)]
        book = contract["book"]
        state = rng.choices(contract["states"], contract["weights"])[0]
        closed = state in (CaseState.RESOLVED, CaseState.WITHDRAWN, CaseState.TERMINATED)
        opened = now - timedelta(days=rng.randint(60, 1100) if closed else rng.randint(3, 400),
                                 minutes=rng.randint(0, 600))
        # How far up the ladder the case went before it was closed (or where it stands).
        if state in (CaseState.RESOLVED, CaseState.WITHDRAWN):
            reachable = [s for s in LADDER[:3] if s is CaseState.CONCERN or book.has_rung(STATE_RUNGS[s])]
            peak = rng.choice(reachable)
        else:
            peak = state
        case = {"council_id": council_id, "provider_id": contract["provider_id"], "contract_id": contract["id"],
                "reference": "", "summary": f"KPI below target for two quarters (bench case {n + 1})",
                "state": state.value, "overdue": False, "opened_by_id": manager.id, "closed_at": None,
                "created_at": opened, "updated_at": opened, "version_id": 1}
        case_id = rows.add("case_file", case)
        case["reference"] = format_reference(case_prefix, case_id)
        at = opened
        trail = [("case", case_id, "CASE_OPENED", None, "concern", case["summary"], manager)]

        def step(days: int) -> datetime:
            nonlocal at
            at = min(at + timedelta(days=days, minutes=rng.randint(1, 300)), now - timedelta(minutes=1))
            return at

        rank = LADDER.index(peak)
        if rank >= 1 and book.has_rung("notice"):
            spec = (book.clocks_starting("notice_received") or [None])[0]
            current = peak is CaseState.NOTICE and not closed
            served = (step(rng.randint(5, 40))).date()
            notice_id = rows.add("notice", {
                "council_id": council_id, "provider_id": case["provider_id"], "case_id": case_id,
                "title": book.rung_name("notice"), "state": "plan_due" if current else "closed",
                "findings": "Attendance 71% against the 95% target", "required_action": "An action plan",
                "served_on": served, "method": "hand", "received_on": served,
                "plan_due_days": None if spec is None or spec.length else 10, "created_at": at, "updated_at": at,
                "version_id": 3})
            trail += [("notice", notice_id, "NOTICE_DRAFTED", None, "draft", None, manager),
                      ("notice", notice_id, "NOTICE_ISSUED", "draft", "plan_due", None, manager),
                      ("case", case_id, "CASE_NOTICE_STAGE", "concern", "notice", "Because of notice issued", manager)]
            if spec is not None:
                # A current notice's clock: a recent one runs; an older one breached and the case is overdue.
                if current:
                    served = today - timedelta(days=rng.randint(0, 40))
                row = deadline(case, spec.kind, ("notice", notice_id), spec, served, spec.length or 10,
                               "auto" if current else "met", at)
                if row["status"] == "breached":
                    trail.append(("deadline", row["id"], "DEADLINE_BREACHED", None, None,
                                  f"{spec.label} ({spec.rule}) not done", None))
        if rank >= 2 and book.has_rung("action_plan"):
            current = peak is CaseState.ACTION_PLAN and not closed
            plan_id = rows.add("action_plan", {
                "council_id": council_id, "provider_id": case["provider_id"], "case_id": case_id,
                "notice_id": None, "title": book.rung_name("action_plan"), "plan_version": 1,
                "state": "in_progress" if current or not closed else "completed", "due_on": None,
                "council_comment": None, "council_signed_by_id": manager.id, "council_signed_at": step(10),
                "provider_signed_by_id": None, "provider_signed_at": step(2), "frozen": {"rows": []},
                "created_at": at, "updated_at": at, "version_id": 5})
            trail += [("action_plan", plan_id, event, None, None, None, manager) for event in
                      ("PLAN_STARTED", "PLAN_SUBMITTED", "PLAN_AGREED", "PLAN_SIGNED_OFF")]
            trail.append(("case", case_id, "CASE_ACTION_PLAN_STAGE", "notice", "action_plan", None, manager))
            for m in range(2):
                due = (today if current else at.date()) + timedelta(days=rng.randint(-30, 60) if current else 30 * m)
                milestone_id = rows.add("milestone", {
                    "council_id": council_id, "provider_id": case["provider_id"], "case_id": case_id,
                    "plan_id": plan_id, "title": f"Milestone {m + 1}", "due_on": due,
                    "state": "in_progress" if current else "verified", "evidence": None, "created_at": at,
                    "updated_at": at, "version_id": 1})
                trail.append(("milestone", milestone_id, "MILESTONE_ADDED", None, "planned", None, manager))
                length = max((due - at.date()).days, 0)
                row = deadline(case, "milestone_due", ("milestone", milestone_id), MILESTONE_CLOCK, at.date(),
                               length, "auto" if current else "met", at)
        if rank >= 3 and book.has_rung("default_notice"):
            contract["defaults"] += 1
            default_id = rows.add("default_notice", {
                "council_id": council_id, "provider_id": case["provider_id"], "case_id": case_id,
                "contract_id": contract["id"], "number": contract["defaults"], "state": "served",
                "default_description": "Repeated failure", "remedial_action": "Remedy it", "remedy_days": 10,
                "served_on": step(20).date(), "method": "hand", "created_at": at, "updated_at": at,
                "version_id": 2})
            trail += [("default_notice", default_id, "DEFAULT_DRAFTED", None, "drafted", None, commissioner),
                      ("default_notice", default_id, "DEFAULT_SERVED", "drafted", "served", None, commissioner),
                      ("case", case_id, "CASE_DEFAULT_STAGE", "action_plan", "default", None, commissioner)]
        if rank >= 4 and book.has_rung("suspension"):
            suspension_id = rows.add("suspension", {
                "council_id": council_id, "provider_id": case["provider_id"], "case_id": case_id,
                "state": "phased_reinstatement" if peak is CaseState.REINSTATING else "active",
                "proposed_reason": "Remedial action not taken", "proposed_by_rule": None, "scope": "referrals",
                "scope_detail": None, "starts_on": step(10).date(), "lift_conditions": "KPIs green", "phases": None,
                "created_at": at, "updated_at": at, "version_id": 2})
            trail += [("suspension", suspension_id, "SUSPENSION_PROPOSED", None, "proposed", None, commissioner),
                      ("suspension", suspension_id, "SUSPENSION_STARTED", "proposed", "active", None, commissioner),
                      ("case", case_id, "CASE_SUSPENDED", "default", "suspended", None, commissioner)]
        if rank >= 6 and book.has_rung("termination"):
            termination_id = rows.add("termination", {
                "council_id": council_id, "provider_id": case["provider_id"], "case_id": case_id,
                "state": "decided" if state is CaseState.TERMINATED else "considered",
                "considered_reason": "No improvement", "proposed_by_rule": None,
                "decided_on": step(15).date() if state is CaseState.TERMINATED else None, "effective_on": None,
                "grounds": None, "exit_plan": None, "created_at": at, "updated_at": at, "version_id": 1})
            trail.append(("termination", termination_id, "TERMINATION_CONSIDERED", None, "considered", None,
                          commissioner))
        if closed:
            case["closed_at"] = step(rng.randint(10, 90))
            event_name = {CaseState.RESOLVED: "CASE_RESOLVED", CaseState.WITHDRAWN: "CASE_WITHDRAWN",
                          CaseState.TERMINATED: "CASE_TERMINATED"}[state]
            trail.append(("case", case_id, event_name, peak.value, state.value, "Closed", manager))
        case["updated_at"] = at
        case["overdue"] = not closed and any(t[2] == "DEADLINE_BREACHED" for t in trail)
        pools[state].append(case_id)
        if state is CaseState.NOTICE and case["overdue"]:
            overdue_notice_cases.append((case_id, len(trail)))
        lifecycle.append((case_id, opened, trail))

    # The rest of the events are monitoring meetings recorded on the cases, a few cases having many.
    spare = max(events - sum(len(t) for *_, t in lifecycle), 0)
    weights = [min(rng.paretovariate(1.6), 40.0) for _ in lifecycle]
    scale = spare / sum(weights)
    extra = [int(w * scale) for w in weights]
    for i in range(spare - sum(extra)):
        extra[i % len(extra)] += 1
    event_rows = 0
    generated_events = []

    def flush_events(force: bool = False) -> None:
        nonlocal generated_events, event_rows
        if generated_events and (force or len(generated_events) >= 50_000):
            bulk_insert(db, AuditEvent.__table__, generated_events)
            event_rows += len(generated_events)
            generated_events = []

    concerns_and_breaches(rows, rng, contracts, council_id, cases, now)
    insert_order = ["case_file", "notice", "action_plan", "milestone", "default_notice", "suspension",
                    "termination", "deadline", "timer", "complaint", "safeguarding_concern", "concern_officer",
                    "breach_record"]
    models = {t.name: t for t in db.metadata.sorted_tables}
    for name in insert_order:
        batch = rows.tables.get(name, [])
        for start in range(0, len(batch), 50_000):
            bulk_insert(db, models[name], batch[start:start + 50_000])
    meeting_id = 0
    for (case_id, opened, trail), more in zip(lifecycle, extra, strict=True):
        span = max((now - opened).total_seconds(), 60.0)
        step_seconds = span / (len(trail) + more + 1)
        at = opened
        for entity_type, entity_id, name, from_state, to_state, reason, actor in trail:
            at = at + timedelta(seconds=step_seconds)
            generated_events.append({
                "council_id": council_id, "at": at, "actor_id": actor.id if actor else None,
                "actor_label": labels[actor.id] if actor else "Remedy (automatic)", "entity_type": entity_type,
                "entity_id": entity_id, "case_id": case_id, "event": name, "from_state": from_state,
                "to_state": to_state, "reason": reason, "data": {}})
        for _ in range(more):
            at = at + timedelta(seconds=step_seconds)
            meeting_id += 1
            generated_events.append({
                "council_id": council_id, "at": at, "actor_id": manager.id, "actor_label": labels[manager.id],
                "entity_type": "meeting", "entity_id": meeting_id, "case_id": case_id, "event": "MEETING_RECORDED",
                "from_state": None, "to_state": None, "reason": "Contract monitoring meeting (KT-16)", "data": {}})
        flush_events()
    flush_events(force=True)
    db.session.commit()

    finish(db, council_id, analyze=analyze)

    # The case page shown: an overdue case at the notice rung with an ordinary-length timeline.
    counts = {case_id: len(trail) + more for (case_id, _, trail), more in zip(lifecycle, extra, strict=True)}
    mean = events / cases
    shown = min(overdue_notice_cases, key=lambda pair: abs(counts[pair[0]] - mean))[0]
    return {"pools": pools, "shown_case": shown, "shown_events": counts[shown], "event_rows": event_rows,
            "rows": {name: len(rows.tables.get(name, [])) for name in insert_order},
            "overdue_notice": len(overdue_notice_cases), "max_events": max(counts.values())}


# Beside the cases, in proportion to them: the complaints, safeguarding concerns and breaches the lists show
# (at 100,000 cases: 5,000, 1,000 and 2,000), spread over the contracts and three years, most of them closed.
COMPLAINTS_PER_CASE, CONCERNS_PER_CASE, BREACHES_PER_CASE = 1 / 20, 1 / 100, 1 / 50
COMPLAINT_STATES = {"closed": 60, "resolved_informally": 15, "escalated_to_ombudsman": 2, "received": 8,
                    "with_provider": 8, "draft_submitted": 4, "logged_informal": 3}
CONCERN_STATES = {"concluded": 55, "closed_no_enquiry": 25, "raised": 8, "triaged": 6, "enquiry": 6}
BREACH_STATUSES = {"confirmed": 55, "dismissed": 20, "advisory": 12, "withdrawn": 5, "proposed": 8}
CONCERN_NAMING_MANAGER = 10  # one concern in ten names its contract's manager, who then sees it in full


def concerns_and_breaches(rows: Rows, rng: random.Random, contracts: list[dict], council_id: int, cases: int,
                          now: datetime) -> None:
    """Complaints, safeguarding concerns and breach records for the lists (no clocks: their lists read each row's
    deadlines by index whether it has any or not)."""
    from models.reference_store import format_reference
    from models.registry import KINDS

    def pick(weights: dict[str, int]) -> str:
        return rng.choices(list(weights), list(weights.values()))[0]

    def when() -> datetime:
        return now - timedelta(days=rng.randint(0, 1100), minutes=rng.randint(0, 1440))

    for n in range(math.ceil(cases * COMPLAINTS_PER_CASE)):
        contract, received, state = contracts[n % len(contracts)], when(), pick(COMPLAINT_STATES)
        closed = state in ("closed", "resolved_informally", "escalated_to_ombudsman")
        complaint_id = rows.next_id.get("complaint", 0) + 1
        rows.add("complaint", {
            "council_id": council_id, "provider_id": contract["provider_id"], "contract_id": contract["id"],
            "reference": format_reference(KINDS["complaint"].reference_prefix, complaint_id), "state": state,
            "received_at": received, "channel": rng.choice(["phone", "email", "letter", "in_person"]),
            "complainant_type": rng.choice(["service_user", "family_member", "advocate"]),
            "formal": state != "logged_informal" and state != "resolved_informally", "by_council": n % 5 == 0,
            "summary": f"Care worker did not arrive (bench complaint {n + 1})", "draft": None,
            "council_comment": None, "checklist": None, "outcome": "upheld" if closed else None, "lessons": None,
            "resolution": "Apology and rota changed" if closed else None,
            "resolved_on": (received + timedelta(days=rng.randint(3, 45))).date() if closed else None,
            "safeguarding_concern_id": None, "created_at": received, "updated_at": received, "version_id": 1})
    for n in range(math.ceil(cases * CONCERNS_PER_CASE)):
        contract, raised, state = contracts[n % len(contracts)], when(), pick(CONCERN_STATES)
        concern_id = rows.next_id.get("safeguarding_concern", 0) + 1
        rows.add("safeguarding_concern", {
            "council_id": council_id, "provider_id": contract["provider_id"], "contract_id": contract["id"],
            "reference": format_reference(KINDS["safeguarding_concern"].reference_prefix, concern_id),
            "state": state, "kind": rng.choice(["first_account", "care_concern"]), "raised_on": raised.date(),
            "details": f"Unexplained bruising reported by a relative (bench concern {n + 1})", "decision": None,
            "outcome": None, "outcome_summary": None, "regulator_informed_on": None, "dbs_referral_on": None,
            "dbs_council_told_on": None, "investigation_requested_on": None, "investigation_request": None,
            "shared_with_provider": None, "meetings": None, "created_at": raised, "updated_at": raised,
            "version_id": 1})
        if n % CONCERN_NAMING_MANAGER == 0 and contract["manager_id"]:
            # The contract's manager named on some concerns: they see those in full, the rest restricted.
            rows.add("concern_officer", {"concern_id": concern_id, "user_id": contract["manager_id"]})
    for n in range(math.ceil(cases * BREACHES_PER_CASE)):
        contract, found, status = contracts[n % len(contracts)], when(), pick(BREACH_STATUSES)
        rows.add("breach_record", {
            "council_id": council_id, "provider_id": contract["provider_id"], "contract_id": contract["id"],
            "key": f"bench:{n + 1}", "rule_id": "KT-10", "cites": "KT S3 attendance", "actions": ["notice"],
            "subject": "Attendance at planned visits", "summary": f"Attendance 71% against 95% (bench breach {n + 1})",
            "figures": [], "occurred_on": found.date(), "immediate": False, "advisory": status == "advisory",
            "status": status, "case_id": None, "proposals": [], "found_at": found,
            "decided_by_id": None, "decided_at": None if status == "proposed" else found, "version_id": 1})


def finish(db, council_id: int, analyze: bool = False) -> None:
    """Leave the database as the stores would have: the case reference counter at the last number given (cases are
    numbered by id here, so the next case the store opens takes the next number), PostgreSQL's sequences past the
    ids given here, and planner statistics (PostgreSQL always, as autovacuum soon would; SQLite when asked)."""
    from models.cases import Case
    from models.concerns import Complaint, SafeguardingConcern
    from models.entities import ReferenceCounter
    from models.registry import KINDS

    # Cases, complaints and concerns are numbered by id here: each counter stands at the last number given.
    for kind, model in (("case", Case), ("complaint", Complaint), ("safeguarding_concern", SafeguardingConcern)):
        prefix = KINDS[kind].reference_prefix
        last = db.session.scalar(select(func.max(model.id)).where(model.council_id == council_id)) or 0
        counter = db.session.get(ReferenceCounter, (council_id, prefix))
        if counter is None:
            db.session.add(ReferenceCounter(council_id=council_id, prefix=prefix, last=last))
        else:
            counter.last = max(counter.last, last)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                      f"COALESCE((SELECT max(id) FROM \"{table.name}\"), 0) + 1, false)"))
        quieten(db.engine)
    elif analyze:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def quieten(engine) -> None:
    """On PostgreSQL, VACUUM ANALYZE the whole database: statistics for the planner, and the vacuum that autovacuum
    would otherwise start a minute later, on the millions of rows just loaded or the rows an earlier mixed load wrote,
    in the middle of the next measurement on this 2-CPU machine (the first page measured after the workflow's data
    was generated lost a quarter of its throughput to it). A database long in service is in this state."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def bulk_insert(db, table, rows: list[dict]) -> None:
    """One executemany of an INSERT (SQLite), or one COPY (PostgreSQL: several times faster than executemany)."""
    if not rows:
        return
    if db.engine.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    raw = db.session.connection().connection.driver_connection  # psycopg, inside the session's transaction
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in (row[c] for c in columns)])



def scheduler_data(app, cases: int, deadlines: int, due: int, now: datetime, analyze: bool = True) -> dict:
    """The scheduler's data: `cases` cases at the notice rung, each with its issued notice, and `deadlines` running
    notice clocks (the contract rulebook's own clock that starts when a notice is received) with their breach
    timers, the first `due` of them due by `now` and the rest months later. Returns the row counts."""
    from models import db
    from models.cases import Case, Deadline, Notice
    from models.demo import load_demo
    from models.entities import Contract, User
    from models.reference_store import format_reference
    from models.registry import KINDS
    from models.scheduling import Timer
    from workflows.calendar import calendar_for
    from workflows.clock import end_of_day
    from workflows.deadline import plan_timers

    load_demo()
    db.session.commit()
    manager = db.session.scalar(select(User).where(User.email == MANAGER))
    books = app.extensions["rulebooks"]
    contracts = []
    for contract in db.session.scalars(select(Contract).order_by(Contract.id)):
        book = books[contract.rulebook_id]
        clocks = book.clocks_starting("notice_received") if book.has_rung("notice") else []
        if clocks:
            contracts.append((contract, book, clocks[0], calendar_for(book.region)))
    council_id = contracts[0][0].council_id
    case_prefix = KINDS["case"].reference_prefix
    first_case = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
    first_notice = (db.session.scalar(select(func.max(Notice.id))) or 0) + 1
    first_deadline = (db.session.scalar(select(func.max(Deadline.id))) or 0) + 1
    created = now - timedelta(days=30)
    case_rows, notice_rows = [], []
    for n in range(cases):
        contract, book, _spec, _calendar = contracts[n % len(contracts)]
        case_id, notice_id = first_case + n, first_notice + n
        case_rows.append({"id": case_id, "council_id": council_id, "provider_id": contract.provider_id,
                          "contract_id": contract.id, "reference": format_reference(case_prefix, case_id),
                          "summary": f"Bench case {n + 1}", "state": CaseState.NOTICE.value, "overdue": False,
                          "opened_by_id": manager.id, "created_at": created, "updated_at": created,
                          "version_id": 1})
        notice_rows.append({"id": notice_id, "council_id": council_id, "provider_id": contract.provider_id,
                            "case_id": case_id, "title": book.rung_name("notice"), "state": "plan_due",
                            "findings": "Attendance 71% against the 95% target", "required_action": "An action plan",
                            "served_on": created.date(), "method": "hand", "received_on": created.date(),
                            "plan_due_days": 10, "created_at": created, "updated_at": created, "version_id": 3})
    for start in range(0, cases, 50_000):
        bulk_insert(db, Case.__table__, case_rows[start:start + 50_000])
        bulk_insert(db, Notice.__table__, notice_rows[start:start + 50_000])
    due_start, later = (now - timedelta(days=30)).date(), (now + timedelta(days=150)).date()
    made = 0
    while made < deadlines:
        deadline_rows, timer_rows = [], []
        for n in range(made, min(made + 50_000, deadlines)):
            case, notice = case_rows[n % cases], notice_rows[n % cases]
            contract, book, spec, calendar = contracts[(case["id"] - first_case) % len(contracts)]
            length = spec.length or 10
            start_on = due_start if n < due else later + timedelta(days=n % 180)
            due_on = calendar.add_working_days(start_on, length)
            due_at = end_of_day(due_on).astimezone(UTC)
            deadline_id = first_deadline + n
            deadline_rows.append({
                "id": deadline_id, "council_id": council_id, "case_id": case["id"], "contract_id": contract.id,
                "provider_id": contract.provider_id, "entity_type": "notice", "entity_id": notice["id"],
                "kind": spec.kind, "label": spec.label, "rule": spec.rule, "unit": spec.unit, "length": length,
                "region": book.region, "start_on": start_on, "due_on": due_on, "due_at": due_at, "status": "running",
                "acts": spec.acts, "pausable": spec.pausable, "on_breach": spec.on_breach, "frozen": True,
                "explanation": [f"{length} working days from {start_on:%-d %B %Y} ({spec.rule})",
                                "The day the clock starts does not count"],
                "met_at": None, "original_due_on": None, "extension_days": 0, "breached_at": None,
                "created_at": created})
            breach = plan_timers(deadline_id, start_on, due_on, due_at, calendar, reminders=())[0]
            timer_rows.append({"council_id": council_id, "deadline_id": deadline_id, "kind": breach.kind,
                               "threshold": breach.threshold, "due_on": breach.due_on,
                               "due_at": breach.due_at.astimezone(UTC), "status": "pending",
                               "fire_key": breach.fire_key, "fired_at": None, "note": None, "attempts": 0,
                               "last_error": None})
        bulk_insert(db, Deadline.__table__, deadline_rows)
        bulk_insert(db, Timer.__table__, timer_rows)
        made += len(deadline_rows)
    db.session.commit()
    finish(db, council_id, analyze=analyze)
    due_now = db.session.scalar(select(func.count(Timer.id)).where(Timer.status == "pending", Timer.due_at <= now))
    return {"cases": cases, "notices": cases, "deadlines": deadlines, "timers": deadlines, "due": due_now}


RETURNS_RULEBOOK = "bench-monthly"
RETURNS_KPIS = 18  # with Hammersmith & Fulham's two required monthly KPIs: 20 KPIs a monthly return


def returns_rulebooks(folder: Path) -> None:
    """The seed rulebooks plus 'bench-monthly': Hammersmith & Fulham's, with 18 more monthly percentage KPIs."""
    import re
    import shutil

    for path in (ROOT / "rulebooks").glob("*.toml"):
        shutil.copy(path, folder / path.name)
    source = (ROOT / "rulebooks" / "hammersmith-fulham-home-care.toml").read_text()
    source = re.sub(r'(?m)^id = "hammersmith-fulham-home-care"$', f'id = "{RETURNS_RULEBOOK}"', source, count=1)
    extra = "".join(f'''
[[kpis]]
id = "B{i:02d}"
rule = "HF-39"
name = "Bench KPI {i}"
numerator = "met"
denominator = "all"
unit = "percent"
target = 90
frequency = "monthly"
return = "monthly-template"
consequence = "Bench"
source = "Bench"
''' for i in range(1, RETURNS_KPIS + 1))
    (folder / f"{RETURNS_RULEBOOK}.toml").write_text(source + extra)


def returns_data(app, providers: int, periods: int, today: date, seed: int = 11) -> dict:
    """`providers` providers, each with one contract on the bench-monthly rulebook (the app's RULEBOOK_DIR must hold
    it: `returns_rulebooks`) that started `periods` months ago; every return period the store schedules
    (`ensure_schedule`), most of them submitted on time and accepted, with the KPI results the store would compute:
    each judged against the target in force when its period started (`kpi_in_force`). About one value in eight
    misses its 90% target, so the breach rules find breaches. Returns the row counts."""
    from sqlalchemy import update

    from models import db
    from models.contract_settings_store import change_setting
    from models.demo import load_demo
    from models.entities import Contract, Provider, User
    from models.monitoring import KpiResult, MonitoringReturn
    from models.return_store import ensure_schedule, kpis_for
    from workflows.access import Role
    from workflows.monitoring import kpi_in_force
    from workflows.returns import ReturnState, add_months

    rng = random.Random(seed)
    load_demo()
    db.session.commit()
    template = db.session.scalar(select(Contract).where(Contract.reference == "HC-2024-05"))
    start = add_months(today.replace(day=1), -(periods + 1))
    contracts = []
    for n in range(providers):
        provider = Provider(council_id=template.council_id, name=f"Bench provider {n + 1}",
                            reference=f"BENCH-P{n + 1:04d}")
        db.session.add(provider)
        db.session.flush()
        contract = Contract(council_id=template.council_id, provider_id=provider.id,
                            reference=f"BENCH-C{n + 1:04d}", title=f"Bench home care {n + 1}",
                            service=template.service, lots=list(template.lots or []),
                            rulebook_id=RETURNS_RULEBOOK, start_on=start,
                            contract_manager_id=template.contract_manager_id)
        db.session.add(contract)
        contracts.append(contract)
    db.session.flush()
    # A4: the seed gives the monthly return no due date; the council sets one on each contract, as an
    # administrator does, with the reason on the audit trail.
    admin = db.session.scalar(select(User).where(User.council_id == template.council_id, User.role == Role.ADMIN))
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    for contract in contracts:
        due = {"monthly-template": {"working_days": 10, "from": start.isoformat()}}
        change_setting(admin.viewer, admin, contract.id, "return_due", due,
                       "Bench: due 10 working days after the period ends", today, now)
        ensure_schedule(contract, today)  # the periods that have started, as the scheduler opens them
    db.session.commit()
    kpis = {}
    accepted, results = [], []
    for row in db.session.scalars(select(MonitoringReturn).where(
            MonitoringReturn.contract_id.in_([c.id for c in contracts]),
            MonitoringReturn.due_on.is_not(None), MonitoringReturn.due_on < today).order_by(MonitoringReturn.id)):
        # in id order: the same seed must give the same results on every database (unordered, PostgreSQL and
        # SQLite handed the periods to the random draws in different orders: 12,068 breaches against 12,067)
        if rng.random() >= 0.9:
            continue  # not sent: the late-returns rule's business
        accepted.append(row.id)
        if (row.contract_id, row.return_id) not in kpis:
            kpis[row.contract_id, row.return_id] = [k for k in kpis_for(row) if k.unit != "rating" and
                                                    not k.computed]
        for kpi in kpis[row.contract_id, row.return_id]:
            value = round(min(100.0, rng.gauss(95, 4)), 1)
            judged = kpi_in_force(kpi, row.period_start)
            results.append({"council_id": row.council_id, "provider_id": row.provider_id,
                            "contract_id": row.contract_id, "return_row_id": row.id, "kpi_id": kpi.id,
                            "period_start": row.period_start, "period_end": row.period_end, "label": row.label,
                            "numerator": value, "denominator": 100.0, "value": judged.value(value, 100.0),
                            "target": judged.target_text()[:200], "rag": judged.rag(judged.value(value, 100.0))})
    for first in range(0, len(accepted), 5_000):
        db.session.execute(update(MonitoringReturn).where(MonitoringReturn.id.in_(accepted[first:first + 5_000]))
                           .values(state=ReturnState.ACCEPTED, submitted_on=MonitoringReturn.due_on, late=False),
                           execution_options={"synchronize_session": False})
    for first in range(0, len(results), 50_000):
        bulk_insert(db, KpiResult.__table__, results[first:first + 50_000])
    db.session.commit()
    finish(db, template.council_id, analyze=True)
    return {"contracts": len(contracts), "returns": db.session.scalar(select(func.count(MonitoringReturn.id))),
            "accepted": len(accepted), "kpi_results": len(results),
            "kpis": max((len(k) for k in kpis.values()), default=0)}
