"""A worker keeps each list page it drew (every list, `/deadlines`, the API's lists), the dashboard's counts and each
case page under the council's picture version, which moves in the same transaction as any change to the rows they are
drawn from (models/picture_versions.py, models/council_store.kept_for_viewer; issue 17). What these tests hold to:
every kind of change moves it, in the commit, and what no list shows (a sign-in, the audit trail, a message) does
not; the scheduler's and the monitoring sweep's own bulk writes move it; a second view draws nothing; and a change,
made through this worker or another one, is on the very next view, for every person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import Browser, statements
from tests.integration.test_provider_picture_kept import _complaint, _main, _setup

NOW = datetime(2027, 1, 11, 12, 0, tzinfo=UTC)  # a Monday
PAGES = ("/", "/cases", "/cases?stage=concern&sort=provider", "/complaints", "/deadlines", "/deadlines?when=later",
         "/safeguarding", "/breaches")


def _version(council_id: int) -> int:
    from models import db
    from models.entities import Council

    db.session.expire_all()
    return db.session.scalar(select(Council.picture_version).where(Council.id == council_id))


CHANGES = ["case opened", "complaint recorded", "deadline met", "provider renamed", "contract's manager changed",
           "contract manager renamed", "officer row added"]


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_what_the_lists_show_moves_the_councils_version_once_a_commit(app, demo, change):
    from models import db
    from models.case_store import open_case
    from models.cases import Deadline
    from models.concern_store import raise_concern
    from models.concerns import ConcernOfficer
    from models.entities import Contract, Provider

    with time_machine.travel(NOW, tick=False), app.app_context():
        people, pid, contract, _other = _setup(demo)
        manager, provider, officer = (people[r] for r in ("contract_manager", "provider_manager",
                                                           "safeguarding_officer"))
        council = manager.council_id
        concern = raise_concern(officer.viewer, officer, pid, "care_concern", "A concern", NOW.date(), NOW)
        db.session.commit()
        before = _version(council)

        if change == "case opened":
            open_case(manager.viewer, manager, contract, "Missed calls", NOW)
        elif change == "complaint recorded":
            _complaint(provider, pid, "Carer did not arrive")
        elif change == "deadline met":  # a list's next deadline and whether it is overdue
            deadline = db.session.scalar(select(Deadline).where(Deadline.council_id == council,
                                                                Deadline.status == "running").limit(1))
            deadline.status = "met"
        elif change == "provider renamed":  # every list names the provider
            db.session.get(Provider, pid).name = "Renamed Care Ltd"
        elif change == "contract's manager changed":  # "only contracts I manage"
            db.session.get(Contract, contract).contract_manager_id = people["admin"].id
        elif change == "contract manager renamed":  # the dashboard's contracts name their managers
            manager.name = "Renamed Manager"
        elif change == "officer row added":  # who may see a concern's details; its concern not in the session
            concern_id, user_id = concern.id, manager.id
            db.session.expunge_all()
            db.session.add(ConcernOfficer(concern_id=concern_id, user_id=user_id))
        db.session.flush()
        db.session.flush()  # two flushes, one transaction: one move
        assert _version(council) == before  # not yet: the version moves when the transaction commits
        db.session.commit()
        assert _version(council) == before + 1


def test_what_no_list_shows_moves_nothing_and_a_rolled_back_change_nothing(app, demo):
    from models import db
    from models.audit_store import record_event
    from models.entities import Provider
    from models.scheduling import Notification, OutboxMessage

    with time_machine.travel(NOW, tick=False), app.app_context():
        people, pid, _contract, _other = _setup(demo)
        manager = people["contract_manager"]
        council = manager.council_id
        before = _version(council)
        manager.last_sign_in_at = NOW  # a sign-in writes the person's row
        record_event(council_id=council, actor=manager, entity_type="provider", entity_id=pid,
                     event_name="DETAILS_CHECKED", at=NOW)
        message = OutboxMessage(council_id=council, key="test:1", channel="in_app", user_id=manager.id,
                                subject="A reminder", body_text="A deadline is near", status="sent",
                                next_attempt_at=NOW)
        db.session.add(message)
        db.session.flush()
        db.session.add(Notification(council_id=council, user_id=manager.id, outbox_id=message.id,
                                    subject="A reminder", body="A deadline is near"))
        db.session.commit()
        assert _version(council) == before
        db.session.get(Provider, pid).name = "Written, then rolled back"
        db.session.flush()
        db.session.rollback()
        db.session.commit()
        assert _version(council) == before


def test_the_schedulers_breaches_move_the_version(app, demo):
    """The scheduler's fast path writes deadlines breached and cases overdue with bulk statements the session's
    flush never sees: it notes the councils itself."""
    from models import db
    from models.user_store import find_user_by_email
    from scheduler.tick import tick
    from tests.integration.portal_setup import add_provider_b_manager

    with app.app_context():
        with time_machine.travel(NOW, tick=False):
            riverside = find_user_by_email(add_provider_b_manager())  # HF-74 and HF-78: a complaint's clocks
            db.session.commit()
            tick(NOW)  # what is already due is fired first
            _complaint(riverside, riverside.provider_id, "Carer did not arrive")
            db.session.commit()
            council = riverside.council_id
        before = _version(council)
        later = NOW + timedelta(days=5)
        with time_machine.travel(later, tick=False):
            fired = tick(later)
        assert fired["fired"] >= 1, fired
        assert _version(council) > before


def test_the_monitoring_sweeps_breaches_move_the_version(app, tmp_path):
    """The monitoring sweep records the breaches it finds in bulk (COPY on PostgreSQL): it notes the councils."""
    from bench.data import returns_data, returns_rulebooks
    from models import db
    from models.entities import Council
    from models.return_store import close_periods
    from workflows.rulebook import load_rulebooks

    returns_rulebooks(tmp_path)
    app.extensions["rulebooks"] = load_rulebooks(tmp_path)
    today = datetime(2026, 12, 18, tzinfo=UTC).date()
    with app.app_context():
        returns_data(app, 2, 6, today)
        council = db.session.scalar(select(Council.id))
        before = _version(council)
        counts = close_periods(today, datetime(2026, 12, 18, 6, tzinfo=UTC))
        db.session.commit()
        assert counts["breaches_found"] > 0
        assert _version(council) == before + 1


def test_a_second_view_draws_nothing_and_a_change_is_on_the_next_view_of_every_worker(app, demo, login_as, api_token,
                                                                                        database_uri):
    """Two apps on one database are two workers: each keeps its own lists, and each sees the other's change on its
    next view. A person whose view differs keeps lists of their own."""
    from app import create_app
    from models import db
    from models.concern_store import raise_concern

    with app.app_context():
        people, pid, _contract, _other = _setup(demo)
        officer = people["safeguarding_officer"]
        raise_concern(officer.viewer, officer, pid, "care_concern", "Bruising seen on a visit",
                      datetime.now(UTC).date(), datetime.now(UTC))
        db.session.commit()
    manager, safeguarding = login_as("contract_manager"), login_as("safeguarding_officer")
    bearer = {"Authorization": f"Bearer {api_token('contract_manager')}"}
    client = app.test_client()
    for page in PAGES:
        first = manager.get(page)
        assert first.status_code == 200, page
        with statements(app) as seen:
            again = manager.get(page)
        # The same page from one statement: the person, with their council's versions.
        assert _main(again) == _main(first), page
        assert len(seen) == 1 and "password_hash" in seen[0], (page, seen)
    for page in ("/api/v1/complaints", "/api/v1/cases", "/api/v1/safeguarding-concerns"):
        first_json = client.get(page, headers=bearer).get_json()
        with statements(app) as seen:
            assert client.get(page, headers=bearer).get_json() == first_json
        assert len(seen) == 1 and "FROM api_token" in seen[0], (page, seen)
    # The safeguarding officer sees the concern's details on the list; the contract manager only that it exists.
    assert "Bruising seen on a visit" in safeguarding.get("/safeguarding").get_data(as_text=True)
    assert "Bruising seen on a visit" not in manager.get("/safeguarding").get_data(as_text=True)

    second = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": database_uri})
    try:
        elsewhere = Browser(second.test_client())
        assert elsewhere.sign_in(demo["contract_manager"]).status_code == 303
        assert "Carer did not arrive" not in elsewhere.get("/complaints").get_data(as_text=True)

        # A complaint recorded through the first worker is on the next view of every list that shows it, on both.
        with app.app_context():
            complaint = _complaint(_setup(demo)[0]["provider_manager"], pid, "Carer did not arrive",
                                   datetime.now(UTC))
            db.session.commit()
            reference = complaint.reference
        for browser in (manager, elsewhere, safeguarding):
            assert reference in browser.get("/complaints").get_data(as_text=True)
        assert any(item["reference"] == reference
                   for item in client.get("/api/v1/complaints", headers=bearer).get_json()["items"])
    finally:
        with second.app_context():
            db.engine.dispose()


def test_a_list_is_kept_no_longer_than_picture_seconds(app, demo, login_as, monkeypatch):
    """Time alone moves some of what a list shows (a deadline passing makes a record overdue before the scheduler
    records the breach): nothing is kept longer than PICTURE_SECONDS, here none at all."""
    import models.council_store

    manager = login_as("contract_manager")
    manager.get("/complaints")
    monkeypatch.setattr(models.council_store, "PICTURE_SECONDS", 0.0)
    with statements(app) as seen:
        manager.get("/complaints")
    assert any("FROM complaint" in statement for statement in seen), seen


def test_a_case_page_is_kept_per_person_and_a_step_on_it_is_on_the_next_view(app, login_as):
    """The case page is kept as the lists are (web/cases.show_case): a second view runs one statement; a second
    session of the same person gets the same content with its own token in the header's sign-out form (drawn live);
    and progress the provider reports is on both sides' next view, with the link to review it on the council's
    alone (each keeps their own view)."""
    import io
    import re

    from tests.integration.portal_setup import PDF
    from tests.integration.test_portal_pages import LATER, build

    case_id, _plan_id, (first, _second) = build(app)
    page = f"/cases/{case_id}"
    with time_machine.travel(LATER, tick=False):
        manager, provider = login_as("contract_manager"), login_as("provider_user")
        drawn = manager.get(page)
        with statements(app) as seen:
            again = manager.get(page)
        assert _main(again) == _main(drawn)
        assert len(seen) == 1 and "password_hash" in seen[0], seen
        # The same person in a second session: the same content, the header's token of that session.
        other_session = login_as("contract_manager")
        token = re.compile(r'name="csrf_token" value="([^"]+)"')
        assert _main(other_session.get(page)) == _main(drawn)
        assert (token.search(other_session.get(page).get_data(as_text=True)).group(1)
                != token.search(again.get_data(as_text=True)).group(1))

        reports, reviews = f'href="/milestones/{first}/progress"', f'href="/milestones/{first}/review"'
        assert reports in provider.get(page).get_data(as_text=True)
        provider.post_form(f"/milestones/{first}/progress", {
            "status": "done", "commentary": "Both carers recruited on 8 January",
            "files": (io.BytesIO(PDF), "contracts.pdf")})
        # Each sees the report on their next view; only the council may review it.
        for browser, may_review in ((manager, True), (provider, False)):
            html = browser.get(page).get_data(as_text=True)
            assert "Both carers recruited on 8 January" in html and (reviews in html) is may_review
