"""A worker keeps each provider's picture (its open cases, newest happenings, a year of counts and its audit trail,
rendered) under the provider's picture version, which moves in the same transaction as any change to the rows it is
drawn from (models/picture_versions.py, issue 17). What these tests hold to: every kind of change moves it, and only
the provider's own; a rolled-back change moves nothing; a second view draws nothing; and a change, made through this
worker or another one, is on the very next view of the page, for every person."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import event, select

from tests.integration.test_work_queues import _people

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def _version(pid: int) -> int:
    from models import db
    from models.entities import Provider

    db.session.expire_all()
    return db.session.scalar(select(Provider.picture_version).where(Provider.id == pid))


def _setup(demo):
    """The demo's people and the provider manager's provider, its first contract and another provider."""
    from models import db
    from models.entities import Contract, Provider

    people = _people(demo)
    pid = people["provider_manager"].provider_id
    contract = db.session.scalar(select(Contract.id).where(Contract.provider_id == pid).limit(1))
    other = db.session.scalar(select(Provider.id).where(Provider.id != pid).limit(1))
    return people, pid, contract, other


def _complaint(person, pid: int, summary: str, now: datetime = NOW):
    from models.concern_store import record_complaint

    return record_complaint(person.viewer, person, pid, {
        "received_at": now, "channel": "phone", "complainant_type": "family_member", "formal": True,
        "summary": summary}, now)


def _complaints_this_quarter(response) -> str:
    """The provider page's count of complaints in the newest quarter (the first column of its row)."""
    found = re.search(r'scope="row" class="govuk-table__header">Complaints</th>\s*<td[^>]*>([^<]*)</td>',
                      response.get_data(as_text=True))
    assert found is not None
    return found.group(1)


CHANGES = ["case opened", "notice served", "complaint received", "complaint resolved", "incident recorded",
           "concern raised", "concern shared", "officer named", "officer row added", "CQC rating recorded",
           "provider event", "provider renamed", "contract changed"]


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_the_picture_is_drawn_from_moves_the_providers_version_once_a_commit(app, demo, change):
    from models import db
    from models.case_store import open_case
    from models.cases import Notice
    from models.concern_store import name_officer, raise_concern, record_incident, share_with_provider
    from models.concerns import ConcernOfficer
    from models.engine import audit
    from models.entities import Contract, CqcRatingValue, Provider
    from models.provider_store import record_cqc_rating
    from workflows.notice import NoticeState

    with time_machine.travel(NOW, tick=False), app.app_context():
        people, pid, contract, other = _setup(demo)
        manager, provider, officer = (people[r] for r in ("contract_manager", "provider_manager",
                                                           "safeguarding_officer"))
        # What each change needs in place first (committed: it moves the version itself).
        case = open_case(manager.viewer, manager, contract, "Missed calls", NOW)
        complaint = _complaint(provider, pid, "Carer did not arrive")
        concern = raise_concern(officer.viewer, officer, pid, "care_concern", "A concern", NOW.date(), NOW)
        db.session.add(Notice(council_id=case.council_id, provider_id=pid, case_id=case.id, title="Warning notice",
                              state=NoticeState.DRAFT, findings="Late calls", required_action="A plan"))
        db.session.commit()
        notice_id = db.session.scalar(select(Notice.id).where(Notice.case_id == case.id))
        before, other_before = _version(pid), _version(other)

        if change == "case opened":
            open_case(manager.viewer, manager, contract, "Another case", NOW)
        elif change == "notice served":
            db.session.get(Notice, notice_id).served_on = NOW.date()
        elif change == "complaint received":
            _complaint(provider, pid, "Another complaint")
        elif change == "complaint resolved":
            db.session.merge(complaint).resolved_on = NOW.date()
        elif change == "incident recorded":
            record_incident(provider.viewer, provider, pid, {
                "kind": "accident", "occurred_at": NOW, "description": "A fall", "action_taken": "GP called"}, NOW)
        elif change == "concern raised":
            raise_concern(officer.viewer, officer, pid, "care_concern", "Another concern", NOW.date(), NOW)
        elif change == "concern shared":
            share_with_provider(officer.viewer, officer, concern.id, "Shared summary", NOW)
        elif change == "officer named":  # who may see a concern's details
            name_officer(officer.viewer, officer, concern.id, manager.id, NOW)
        elif change == "officer row added":  # the officer row alone, its concern not in the session: read its provider
            concern_id, user_id = concern.id, manager.id
            db.session.expunge_all()
            db.session.add(ConcernOfficer(concern_id=concern_id, user_id=user_id))
        elif change == "CQC rating recorded":
            record_cqc_rating(manager.viewer, manager, pid, CqcRatingValue.GOOD, date(2026, 7, 1), None,
                              NOW.date(), NOW)
        elif change == "provider event":
            audit(manager, "provider", db.session.get(Provider, pid), "details_checked", NOW)
        elif change == "provider renamed":  # the page names it
            db.session.get(Provider, pid).name = "Renamed Care Ltd"
        elif change == "contract changed":  # an open case names its contract
            db.session.get(Contract, contract).reference = "C-RENAMED"
        db.session.flush()
        db.session.flush()  # two flushes, one transaction: one move
        assert _version(pid) == before  # not yet: the version moves when the transaction commits
        db.session.commit()
        assert (_version(pid), _version(other)) == (before + 1, other_before)


def test_a_rolled_back_change_moves_nothing_and_a_change_elsewhere_nothing_of_this_provider(app, demo):
    from models import db

    with time_machine.travel(NOW, tick=False), app.app_context():
        people, pid, _contract, other = _setup(demo)
        provider = people["provider_manager"]
        before, other_before = _version(pid), _version(other)
        _complaint(provider, pid, "Written, then rolled back")
        db.session.flush()
        db.session.rollback()
        db.session.commit()
        assert (_version(pid), _version(other)) == (before, other_before)


def test_changes_in_savepoints_move_versions_once_when_the_whole_transaction_commits(app, demo):
    """The scheduler fires its batches in savepoints of one transaction, and rolls back a failed one: what a released
    savepoint changed is moved when the whole transaction commits, not before (no provider row is locked while the
    transaction goes on), even when a later savepoint is rolled back."""
    from models import db

    with time_machine.travel(NOW, tick=False), app.app_context():
        people, pid, _contract, other = _setup(demo)
        provider = people["provider_manager"]
        before, other_before = _version(pid), _version(other)
        released = db.session.begin_nested()
        _complaint(provider, pid, "Kept")
        released.commit()
        failed = db.session.begin_nested()
        db.session.get(type(people["contract_manager"]), people["contract_manager"].id).name = "Rolled back"
        failed.rollback()
        assert _version(pid) == before  # nothing moved (or locked) while the transaction goes on
        db.session.commit()
        assert (_version(pid), _version(other)) == (before + 1, other_before)


def _main(response) -> str:
    """The page's main content, without what changes at every request (a script's nonce, a form's token)."""
    html = response.get_data(as_text=True)
    html = html[html.index("<main"):html.index("</main>")]
    return re.sub(r'(nonce|value)="[^"]*"', "", html)


def _statements(app) -> list[str]:
    from models import db

    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: seen.append(statement))
    return seen


def test_a_second_view_draws_nothing_and_a_change_is_on_the_next_view_of_every_worker(app, demo, login_as,
                                                                                        database_uri, tmp_path):
    """Two apps on one database are two workers: each keeps its own pictures, and each sees the other's change on
    its next view. A person whose view of a safeguarding concern differs keeps a picture of their own."""
    from app import create_app
    from models import db
    from models.concern_store import raise_concern
    from tests.conftest import Browser

    with app.app_context():
        people, pid, _contract, other = _setup(demo)
        officer = people["safeguarding_officer"]
        raise_concern(officer.viewer, officer, pid, "care_concern", "Bruising seen on a visit", NOW.date(), NOW)
        db.session.commit()
    page = f"/providers/{pid}"
    manager, safeguarding = login_as("contract_manager"), login_as("safeguarding_officer")
    seen = _statements(app)

    first = manager.get(page)
    assert first.status_code == 200
    assert any("FROM complaint" in statement for statement in seen)
    seen.clear()
    again = manager.get(page)
    # The same page from one statement (the person, with their council's versions): the whole page was kept.
    assert _main(again) == _main(first)
    assert len(seen) == 1, seen
    # A change elsewhere in the council (a complaint about another provider) redraws the page around this
    # provider's picture, still kept: three statements (the person, the provider with its ratings and contracts, its
    # Large Scale Enquiries), none of them the open cases', the timeline's, the counts' or the events'.
    with app.app_context():
        _complaint(_setup(demo)[0]["contract_manager"], other, "Late visit at the other provider")
        db.session.commit()
    seen.clear()
    again = manager.get(page)
    assert _main(again) == _main(first)
    assert len(seen) == 3, seen
    assert not any(table in statement for statement in seen for table in (
        "FROM case_file", "FROM complaint", "FROM incident", "FROM audit_event", "FROM safeguarding_concern"))
    # The safeguarding officer sees the concern's details; the contract manager only that it exists.
    assert "Bruising seen on a visit" in safeguarding.get(page).get_data(as_text=True)
    assert "Bruising seen on a visit" not in manager.get(page).get_data(as_text=True)

    second = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": database_uri})
    try:
        elsewhere = Browser(second.test_client())
        assert elsewhere.sign_in(demo["contract_manager"]).status_code == 303
        assert "Complaint CMP-" not in elsewhere.get(page).get_data(as_text=True)
        assert _complaints_this_quarter(elsewhere.get(page)) == _complaints_this_quarter(first) == "0"

        # A complaint recorded through the first worker is on the next view of both, and counted.
        with app.app_context():
            complaint = _complaint(_people(demo)["provider_manager"], pid, "Carer did not arrive",
                                   datetime.now(UTC))
            db.session.commit()
            reference = complaint.reference
        for browser in (manager, elsewhere, safeguarding):
            shown = browser.get(page)
            assert f"Complaint {reference} received" in shown.get_data(as_text=True)
            assert "Formal: Carer did not arrive" in shown.get_data(as_text=True)
            assert _complaints_this_quarter(shown) == "1"
    finally:
        with second.app_context():
            db.engine.dispose()
