"""Two people fire conflicting transitions on one record at the same moment: exactly one wins, the other is told
what changed, and the audit trail shows one change (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models import db
from models.audit_store import events_for
from models.case_store import apply_transition, draft_notice, open_case
from models.cases import Case, Notice
from models.user_store import find_user_by_email
from workflows.errors import Conflict

NOW = datetime(2026, 12, 18, 14, 0, tzinfo=UTC)
TODAY = date(2026, 12, 18)


def race(app, first: tuple[str, str, int, str, dict], second: tuple[str, str, int, str, dict]) -> list[str]:
    """Run two transitions in two threads released together; returns 'won' or 'conflict' for each."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = [None, None]

    def run(slot: int, email: str, kind: str, record_id: int, trigger: str, data: dict) -> None:
        with app.app_context():
            user = find_user_by_email(email)
            barrier.wait()
            try:
                apply_transition(user.viewer, user, kind, record_id, trigger, data, NOW, TODAY)
                db.session.commit()
                outcomes[slot] = "won"
            except Conflict:
                db.session.rollback()
                outcomes[slot] = "conflict"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n, *args)) for n, args in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("attempt", range(8))
def test_resolve_and_withdraw_at_once_exactly_one_wins(app, demo, attempt):
    with app.app_context():
        manager = find_user_by_email(demo["contract_manager"])
        case_id = open_case(manager.viewer, manager, "HC-2024-05", "Race", NOW).id
        db.session.commit()
    outcomes = race(app, (demo["contract_manager"], "case", case_id, "resolve", {"reason": "Fixed"}),
                    (demo["commissioning_manager"], "case", case_id, "withdraw", {"reason": "In error"}))
    assert sorted(outcomes) == ["conflict", "won"]
    with app.app_context():
        case = db.session.get(Case, case_id)
        events = [e.event for e in events_for(case.council_id, "case", case_id)]
        winner = "resolve" if outcomes[0] == "won" else "withdraw"
        assert case.state.value == {"resolve": "resolved", "withdraw": "withdrawn"}[winner]
        assert events.count("CASE_RESOLVED") + events.count("CASE_WITHDRAWN") == 1


@pytest.mark.parametrize("attempt", range(4))
def test_issue_and_withdraw_a_notice_at_once(app, demo, attempt):
    with app.app_context():
        manager = find_user_by_email(demo["contract_manager"])
        case_id = open_case(manager.viewer, manager, "LDDS-2023-07", "Race", NOW).id
        notice_id = draft_notice(manager.viewer, manager, case_id, "f", "a", NOW).id
        db.session.commit()
    outcomes = race(app, (demo["contract_manager"], "notice", notice_id, "issue",
                          {"served_on": "2026-12-18", "method": "hand"}),
                    (demo["commissioning_manager"], "notice", notice_id, "withdraw", {"reason": "Not needed"}))
    assert sorted(outcomes) == ["conflict", "won"]
    with app.app_context():
        notice = db.session.get(Notice, notice_id)
        events = [e.event for e in events_for(notice.council_id, "notice", notice_id)]
        assert events.count("NOTICE_ISSUED") + events.count("NOTICE_WITHDRAWN") == 1
        from models.cases import Deadline

        deadlines = list(db.session.scalars(select(Deadline).where(Deadline.entity_id == notice_id)))
        assert len(deadlines) == (1 if notice.state.value == "issued" else 0)
