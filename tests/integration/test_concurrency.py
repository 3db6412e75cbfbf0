"""Two people act on one record at the same moment, each through their own app context and database session:
exactly one change lands, the other person gets the store's Conflict from `apply_transition` (never a failed
commit), and the audit trail, deadlines and timers show the one change only. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from models import db
from models.audit_store import events_for
from models.case_store import draft_notice, open_case
from models.cases import Case, Deadline, Notice
from models.engine import fire
from models.entities import Contract
from models.scheduling import Timer
from models.user_store import find_user_by_email
from workflows.errors import Conflict
from workflows.machine import TransitionNotAllowed

NOW = datetime(2026, 12, 18, 14, 0, tzinfo=UTC)
TODAY = date(2026, 12, 18)
RACES = 10
WAIT = 30  # seconds; a thread stuck longer than this is a deadlock, and the test says so instead of hanging


@dataclass(frozen=True)
class Move:
    """One person's attempt: who, on which record, which trigger, with what, and the version their page showed."""

    email: str
    kind: str
    record_id: int
    trigger: str
    data: dict
    expected_version: int | None = None


@dataclass
class Outcome:
    """What happened to one attempt: won, conflict (at apply or at commit) or refused by the workflow."""

    result: str = "unfinished"
    where: str = ""
    message: str = ""
    unexpected: BaseException | None = None


def race(app, first: Move, second: Move, *, overlap: bool) -> list[Outcome]:
    """Run two moves in two threads released together by a barrier, each then committing.

    With `overlap`, each thread also waits at its first flush until the other has got there: both have read the
    record and fired its workflow before either writes, the lost-update case the optimistic lock exists for. Without
    it the threads run as the interpreter schedules them, and the second may only start once the first has
    committed: then the version its page showed (`expected_version`, as every transition form sends) is what stops
    it, since some moves are valid from the winner's state too (a notice can be withdrawn once issued).
    """
    start = threading.Barrier(2, timeout=WAIT)
    read = threading.Barrier(2, timeout=WAIT)
    outcomes = [Outcome(), Outcome()]

    def run(outcome: Outcome, move: Move) -> None:
        try:
            with app.app_context():
                user = find_user_by_email(move.email)
                session = db.session()  # this app context's own session (and, once it writes, connection)
                if overlap:
                    waited = []

                    @event.listens_for(session, "before_flush")
                    def hold_until_both_have_read(*_args):
                        if not waited:
                            waited.append(True)
                            read.wait()

                start.wait()
                try:
                    try:
                        fire(user.viewer, user, move.kind, move.record_id, move.trigger, move.data, NOW,
                                         TODAY, expected_version=move.expected_version)
                    except Conflict as exc:
                        db.session.rollback()
                        outcome.result, outcome.where, outcome.message = "conflict", "apply_transition", str(exc)
                        return
                    except TransitionNotAllowed as exc:
                        db.session.rollback()
                        outcome.result, outcome.where, outcome.message = "refused", "apply_transition", str(exc)
                        return
                    try:
                        db.session.commit()
                    except (StaleDataError, OperationalError) as exc:
                        # Counted as the loser, but the store should have said so inside apply_transition.
                        db.session.rollback()
                        outcome.result, outcome.where, outcome.message = "conflict", "commit", repr(exc)
                        return
                    outcome.result = "won"
                finally:
                    db.session.remove()
        except BaseException as exc:  # handed to the main thread, which fails the test with it
            outcome.unexpected = exc
            start.abort()
            read.abort()

    threads = [threading.Thread(target=run, args=(outcome, move), daemon=True)
               for outcome, move in zip(outcomes, (first, second), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * WAIT)
    assert not any(t.is_alive() for t in threads), f"deadlock: a thread did not finish in {2 * WAIT} s"
    for outcome in outcomes:
        if outcome.unexpected is not None:
            raise outcome.unexpected
    return outcomes


def winner_of(outcomes: list[Outcome], moves: tuple[Move, Move]) -> Move:
    """The one move that landed, after checking the other lost the way the store promises."""
    assert sorted(o.result for o in outcomes) == ["conflict", "won"], outcomes
    loser = next(o for o in outcomes if o.result != "won")
    assert loser.where == "apply_transition", (
        f"store issue: the loser's failure surfaced at commit ({loser.message}), not as Conflict from "
        "apply_transition; every view commits outside its try block, so a person would get a 500")
    assert loser.message.startswith("Someone else"), loser.message
    return moves[[o.result for o in outcomes].index("won")]


def seen(move: Move, model, overlap: bool) -> Move:
    """The move as sent: from a page showing the record's current version, or (overlap) with no version at all,
    so that only the optimistic lock on the row stands between the two."""
    if overlap:
        return move
    return replace(move, expected_version=db.session.get(model, move.record_id).version_id)


def _events(council_id: int, kind: str, record_id: int) -> list[str]:
    return [e.event for e in events_for(council_id, kind, record_id)]


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled-with-page-version"])
def test_resolve_and_withdraw_one_case_at_once_exactly_one_wins(app, demo, overlap):
    tally = {"resolve": 0, "withdraw": 0}
    for attempt in range(RACES):
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            case_id = open_case(manager.viewer, manager, "HC-2024-05", f"Race {attempt}", NOW).id
            db.session.commit()
            resolve = seen(Move(demo["contract_manager"], "case", case_id, "resolve", {"reason": "Capacity confirmed"}),
                           Case, overlap)
            withdraw = seen(Move(demo["commissioning_manager"], "case", case_id, "withdraw",
                                 {"reason": "Opened in error"}), Case, overlap)
        moves = (resolve, withdraw) if attempt % 2 == 0 else (withdraw, resolve)  # either may be started first
        winner = winner_of(race(app, *moves, overlap=overlap), moves)
        tally[winner.trigger] += 1

        with app.app_context():
            case = db.session.get(Case, case_id)
            assert case.state.value == {"resolve": "resolved", "withdraw": "withdrawn"}[winner.trigger]
            assert case.version_id == 2  # opened, then changed exactly once
            events = _events(case.council_id, "case", case_id)
            assert events.count("CASE_RESOLVED") + events.count("CASE_WITHDRAWN") == 1, events
            assert events == ["CASE_OPENED", {"resolve": "CASE_RESOLVED", "withdraw": "CASE_WITHDRAWN"}[winner.trigger]]
    assert sum(tally.values()) == RACES


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled-with-page-version"])
def test_issue_and_withdraw_one_draft_notice_at_once_exactly_one_wins(app, demo, overlap):
    for attempt in range(RACES):
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            case_id = open_case(manager.viewer, manager, "LDDS-2023-07", f"Race {attempt}", NOW).id
            notice_id = draft_notice(manager.viewer, manager, case_id, "Attendance 71% against 95%",
                                     "An action plan under section 11.3", NOW).id
            db.session.commit()
            issue = seen(Move(demo["contract_manager"], "notice", notice_id, "issue",
                              {"served_on": TODAY, "method": "hand"}), Notice, overlap)
            withdraw = seen(Move(demo["commissioning_manager"], "notice", notice_id, "withdraw",
                                 {"reason": "Not needed"}), Notice, overlap)
        moves = (issue, withdraw) if attempt % 2 == 0 else (withdraw, issue)
        winner = winner_of(race(app, *moves, overlap=overlap), moves)

        with app.app_context():
            notice = db.session.get(Notice, notice_id)
            case = db.session.get(Case, case_id)
            issued = winner.trigger == "issue"
            assert notice.state.value == ("issued" if issued else "withdrawn")
            events = _events(notice.council_id, "notice", notice_id)
            assert events.count("NOTICE_ISSUED") + events.count("NOTICE_WITHDRAWN") == 1, events
            # Issuing moves the case to the notice rung and starts the KT-19 clock; withdrawing a draft does neither.
            assert case.state.value == ("notice" if issued else "concern")
            assert _events(case.council_id, "case", case_id).count("CASE_NOTICE_STAGE") == (1 if issued else 0)
            deadlines = list(db.session.scalars(select(Deadline).where(Deadline.entity_type == "notice",
                                                                       Deadline.entity_id == notice_id)))
            assert [(d.kind, d.status) for d in deadlines] == ([("plan_agreed", "running")] if issued else [])
            timers = db.session.scalar(select(func.count(Timer.id)).join(Deadline, Timer.deadline_id == Deadline.id)
                                       .where(Deadline.case_id == case_id))
            assert (timers > 0) is issued


def test_issue_a_notice_while_the_case_is_withdrawn_exactly_one_wins(app, demo):
    """Two records, one case: issuing the notice moves the case, so it must lose to (or beat) a withdrawal that
    lands while it is in flight. (Only the overlapping interleaving: the notice's version does not change when the
    case is withdrawn, so a notice issued after the withdrawal has committed is not a race but a missing check.)"""
    for attempt in range(RACES):
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            case_id = open_case(manager.viewer, manager, "LDDS-2023-07", f"Race {attempt}", NOW).id
            notice_id = draft_notice(manager.viewer, manager, case_id, "Attendance 71% against 95%",
                                     "An action plan under section 11.3", NOW).id
            db.session.commit()
        issue = Move(demo["contract_manager"], "notice", notice_id, "issue", {"served_on": TODAY, "method": "hand"})
        withdraw = Move(demo["commissioning_manager"], "case", case_id, "withdraw", {"reason": "Opened in error"})
        moves = (issue, withdraw) if attempt % 2 == 0 else (withdraw, issue)
        winner = winner_of(race(app, *moves, overlap=True), moves)

        with app.app_context():
            case = db.session.get(Case, case_id)
            notice = db.session.get(Notice, notice_id)
            issued = winner.trigger == "issue"
            assert (case.state.value, notice.state.value) == (("notice", "issued") if issued
                                                              else ("withdrawn", "draft"))
            assert _events(case.council_id, "notice", notice_id).count("NOTICE_ISSUED") == (1 if issued else 0)
            assert _events(case.council_id, "case", case_id).count("CASE_WITHDRAWN") == (0 if issued else 1)
            running = db.session.scalar(select(func.count(Deadline.id)).where(Deadline.case_id == case_id,
                                                                              Deadline.status == "running"))
            assert running == (1 if issued else 0)


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled-with-page-version"])
def test_accept_and_decline_one_referral_at_once_exactly_one_wins(app, demo, overlap):
    """H&F referrals (issue 15, item 2) run on the same engine: one answer lands, its clocks are met once."""
    from models.referral_store import record_referral
    from models.referrals import Referral

    for attempt in range(RACES // 2):
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            referral = record_referral(manager.viewer, manager, {
                "contract_id": "HC-2024-05", "person": f"SU-RACE-{attempt}", "summary": "Race",
                "starts_at": "2026-12-25T09:00", "grade": "standard"}, NOW)
            db.session.commit()
            accept = seen(Move(demo["contract_manager"], "referral", referral.id, "accept", {}), Referral, overlap)
            decline = seen(Move(demo["commissioning_manager"], "referral", referral.id, "decline",
                                {"refusal_reason": "no_capacity", "within_capacity": False}), Referral, overlap)
        moves = (accept, decline) if attempt % 2 == 0 else (decline, accept)
        winner = winner_of(race(app, *moves, overlap=overlap), moves)
        with app.app_context():
            referral = db.session.get(Referral, referral.id)
            assert referral.state.value == {"accept": "accepted", "decline": "declined"}[winner.trigger]
            assert referral.version_id == 2
            assert _events(referral.council_id, "referral", referral.id) == [
                "REFERRAL_RECEIVED", {"accept": "REFERRAL_ACCEPTED", "decline": "REFERRAL_DECLINED"}[winner.trigger]]
            statuses = dict(db.session.execute(select(Deadline.kind, Deadline.status).where(
                Deadline.entity_type == "referral", Deadline.entity_id == referral.id)).all())
            assert (statuses["referral_acknowledged"], statuses["referral_response"]) == ("met", "met")
            assert statuses["referral_started"] == ("running" if winner.trigger == "accept" else "cancelled")


@pytest.mark.parametrize("overlap", [True, False], ids=["both-read-then-write", "as-scheduled-with-page-version"])
def test_ending_and_agreeing_one_stay_limit_at_once_exactly_one_wins(app, demo, overlap):
    """Thurrock's per-person stay limits (issue 15, item 5: TH-11) run on the same engine: one decision lands, and
    the limit's clock is stopped once."""
    from models.people_store import record_person
    from models.stay_limit import StayLimit
    from models.stay_limit_store import start_stay

    for attempt in range(RACES // 2):
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            contract = db.session.scalar(select(Contract.id).where(Contract.reference == "SL-2025-02"))
            person = record_person(manager.viewer, manager, {
                "contract_id": contract, "reference": f"TH-RACE-{attempt}", "role": "resident",
                "started_on": "2026-01-05"}, NOW)
            stay = start_stay(manager.viewer, manager, {"person_id": person.id, "limit": "length-of-stay"}, NOW)
            db.session.commit()
            end = seen(Move(demo["contract_manager"], "stay_limit", stay.id, "end", {"ended_on": "2026-12-18"}),
                       StayLimit, overlap)
            agree = seen(Move(demo["commissioning_manager"], "stay_limit", stay.id, "agree",
                              {"reason": "The practitioner agreed six more months"}), StayLimit, overlap)
        moves = (end, agree) if attempt % 2 == 0 else (agree, end)
        winner = winner_of(race(app, *moves, overlap=overlap), moves)
        with app.app_context():
            stay = db.session.get(StayLimit, stay.id)
            assert stay.state.value == {"end": "ended", "agree": "agreed"}[winner.trigger]
            assert stay.version_id == 2
            assert _events(stay.council_id, "stay_limit", stay.id)[-1] == {"end": "STAY_ENDED",
                                                                            "agree": "STAY_AGREED"}[winner.trigger]
            statuses = db.session.scalars(select(Deadline.status).where(
                Deadline.entity_type == "stay_limit", Deadline.entity_id == stay.id)).all()
            assert len(statuses) == 1 and statuses[0] in ("met", "cancelled")
