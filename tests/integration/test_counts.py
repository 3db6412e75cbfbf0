"""Issue 17: counts cost the same at any size. Exact up to the cap; above it the dashboard and the lists say
"about" (a full count cached for a few minutes), the list's pages stop at the cap, and the statements stay
bounded. The cap is lowered to 5 here so that 12 rows are "many"."""

from __future__ import annotations

import re

import pytest
import time_machine

from models.count_store import Count, rounded
from tests.integration.test_work_queues import NOW, _count, seed


@pytest.fixture
def low_cap(monkeypatch):
    from models import count_store

    monkeypatch.setattr(count_store, "CAP", 5)
    count_store.forget_counts()
    yield
    count_store.forget_counts()


def test_a_count_prints_exactly_or_about_rounded_to_two_figures():
    assert str(Count(30)) == "30" and Count(30) == 30
    assert str(Count(49_346, exact=False)) == "about 49,000"
    assert str(Count(1_284, exact=False)) == "about 1,300"
    assert rounded(99) == 99 and rounded(151) == 150


def test_over_the_cap_the_dashboard_and_case_list_say_about_and_pages_stop_at_the_cap(app, demo, login_as,
                                                                                       low_cap):
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 4)
        manager = login_as("contract_manager")
        home = manager.get("/").get_data(as_text=True)
        # 4 open cases: exact.
        assert re.search(r'id="tile-open-cases">.*?remedy-tile__count">4<', home, re.S)
        listed = manager.get("/cases").get_data(as_text=True)
        assert "4 cases" in listed and "The pages go as far as" not in listed

        seed(app, demo, 8, start=4)
        home = manager.get("/").get_data(as_text=True)
        assert re.search(r'id="tile-open-cases">.*?remedy-tile__count">about 12<', home, re.S), home
        listed = manager.get("/cases").get_data(as_text=True)
        assert "about 12 cases" in listed
        # The list is read through the cached count: a 13th case shows only when the cache is renewed.
        seed(app, demo, 1, start=12)
        assert "about 12 cases" in manager.get("/cases").get_data(as_text=True)
        from models.count_store import forget_counts
        from tests.conftest import forget_pictures

        forget_counts()
        forget_pictures(app)
        assert "about 13 cases" in manager.get("/cases").get_data(as_text=True)
        # Pages of 2 would make 7 pages; they stop at the cap's 2 (4 rows) and the page says how to narrow it.
        from models import list_store

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(list_store, "PER_PAGE", 2)
            deep = manager.get("/cases?page=7").get_data(as_text=True)
        assert "page 2 of 2" in deep and "The pages go as far as the newest 4: search or filter" in deep
        # Deadlines over the cap: the heading says about how many, and the list shows the first rows only.
        deadlines = manager.get("/deadlines").get_data(as_text=True)
        assert "(about " in deadlines


def test_over_the_cap_the_statements_stay_bounded(app, demo, login_as, low_cap):
    """Once counted, "about" comes from the cache: a page over the cap runs no more statements than one under it."""
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 2)
        client = login_as("contract_manager")
        urls = ("/", "/cases", "/deadlines", "/complaints", "/incidents")
        for url in urls:
            client.get(url)
        few = {url: _count(app, client, url) for url in urls}
        seed(app, demo, 10, start=2)
        for url in urls:  # the first view over the cap makes the full count once
            client.get(url)
        many = {url: _count(app, client, url) for url in urls}
    assert all(many[url] <= few[url] for url in urls), (few, many)  # a count known to be large is not read again


def test_the_provider_page_lists_its_newest_open_cases_and_links_to_the_rest(app, demo, login_as, monkeypatch):
    from sqlalchemy import select

    from models import db
    from models.entities import Contract
    from web import providers

    monkeypatch.setattr(providers, "OPEN_CASES_SHOWN", 2)
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 6)  # 3 on each of two contracts
        with app.app_context():
            provider_id = db.session.scalar(select(Contract.provider_id).where(Contract.reference == "LDDS-2023-07"))
        page = login_as("contract_manager").get(f"/providers/{provider_id}").get_data(as_text=True)
    shown = re.findall(r">(CASE-\d+)</a>", page.split(">Open cases</h2>")[1].split("The last year")[0])
    assert shown == ["CASE-00006", "CASE-00004"]  # the newest two of its three
    assert "These are the newest 2 open cases." in page and f"/cases?provider={provider_id}" in page


@pytest.mark.parametrize("close", ["resolve", "withdraw"])
def test_closing_a_case_withdraws_remedys_pending_proposals_and_the_queue_stops_counting_them(app, demo, close):
    """Remedy's own proposals (a clock breached, a breach rule) leave the case's rung alone (A53), so a case can be
    closed while they wait for a decision. Closing it withdraws them through their machines, each with its audit
    event, so a proposal waiting on the queue always has an open case (models/work_queue.py counts them by their
    index alone, issue 17)."""
    from sqlalchemy import select

    from models import db
    from models.audit_store import events_for
    from models.case_store import propose_unless_pending
    from models.cases import Case, Suspension, Termination
    from models.engine import fire
    from models.user_store import find_user_by_email
    from models.work_queue import council_queue
    from workflows.case import CaseState
    from workflows.suspension import SuspensionState
    from workflows.termination import TerminationState

    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 2)
        with app.app_context():
            manager = find_user_by_email(demo["contract_manager"])
            case = db.session.scalar(select(Case).order_by(Case.id).limit(1))
            suspension = propose_unless_pending(case, "suspension", "A clock was breached", "CE-34", NOW)
            termination = propose_unless_pending(case, "termination", "Repeated failures", "CE-34", NOW)
            db.session.commit()
            assert case.state is CaseState.CONCERN  # the rung is left alone
            assert council_queue(manager.viewer)["proposals"] == 2

            fire(manager.viewer, manager, "case", case.id, close, {"reason": "The provider put it right"}, NOW,
                 NOW.date())
            db.session.commit()
            db.session.expire_all()
            assert db.session.get(Suspension, suspension.id).state is SuspensionState.CANCELLED
            assert db.session.get(Termination, termination.id).state is TerminationState.NOT_PURSUED
            closed = {"resolve": "resolved", "withdraw": "withdrawn"}[close]
            for kind, record_id, to_state in (("suspension", suspension.id, "cancelled"),
                                              ("termination", termination.id, "not_pursued")):
                event = events_for(case.council_id, kind, record_id)[-1]
                assert (event.event, event.to_state, event.case_id, event.actor_id) == (
                    "PROPOSAL_WITHDRAWN", to_state, case.id, manager.id)
                assert event.reason == f"The case was closed ({closed})"
            assert council_queue(manager.viewer)["proposals"] == 0


def test_the_provider_picture_counts_a_busy_year_as_about_and_a_quiet_one_exactly(app, demo, login_as, low_cap):
    """Issue 17: the provider page counts a year by quarter in the database; a kind over the cap says "about" and is
    not counted again while that figure is fresh, a kind under it is exact."""
    from sqlalchemy import select

    from models import db
    from models.entities import Contract

    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 3)  # 1 case on this provider's contract, 3 incidents: under the cap of 5
        with app.app_context():
            provider_id = db.session.scalar(select(Contract.provider_id).where(Contract.reference == "LDDS-2023-07"))
        manager = login_as("contract_manager")
        table = manager.get(f"/providers/{provider_id}").get_data(as_text=True).split('id="quarters"')[1]
        assert "about" not in table.split("</table>")[0]
        seed(app, demo, 4, start=3)  # 7 incidents: over the cap
        table = manager.get(f"/providers/{provider_id}").get_data(as_text=True).split('id="quarters"')[1]
        incidents = table.split("Incidents")[1].split("</tr>")[0]
        assert "about 7" in incidents, incidents
        cases = table.split("Cases opened")[1].split("</tr>")[0]
        assert re.search(r">\s*3\s*<", cases) and "about" not in cases, cases  # 3 of the 7 on this contract


def test_the_complaint_figures_of_a_busy_year_say_about_and_are_not_counted_again_while_fresh(app, demo, low_cap):
    """CE-59's figures on the provider page (resolved within 28 days of receipt), read with the picture's other
    counts: exact while the quarters hold no more complaints than the cap; above it "about", from a count at most
    CACHE_SECONDS old (issue 17)."""
    from datetime import timedelta

    from models import db
    from models.concern_store import record_complaint
    from models.picture_store import quarter_counts
    from models.user_store import find_user_by_email
    from workflows.picture import quarter_of

    received = NOW - timedelta(days=30)

    def complaints(n: int) -> list[dict]:
        with app.app_context():
            provider = find_user_by_email(demo["provider_manager"])
            for i in range(n):
                complaint = record_complaint(provider.viewer, provider, provider.provider_id, {
                    "received_at": received, "channel": "phone", "complainant_type": "family_member",
                    "formal": True, "summary": f"Carer late {i}"}, NOW)
                complaint.resolved_on = NOW.date() - timedelta(days=10)  # 20 days after receipt: within 28
            db.session.commit()
            manager = find_user_by_email(demo["contract_manager"])
            return [q.complaints for q in quarter_counts(manager.viewer, provider.provider_id,
                                                         [quarter_of(received.date())])]

    with time_machine.travel(NOW, tick=False):
        [figures] = complaints(3)
        assert figures["resolved_within_28_days"] == 3 and str(figures["resolved"]) == "3"
        [figures] = complaints(4)  # 7: over the cap of 5
        assert (str(figures["received"]), str(figures["resolved_within_28_days"])) == ("about 7", "about 7")
        assert figures["percent_resolved_within_28_days"] == 100.0
        [figures] = complaints(1)  # 8, but the count of 7 is still fresh: not counted again
        assert str(figures["received"]) == "about 7"


def test_a_list_under_the_cap_reads_its_page_and_count_in_one_statement(app, demo, login_as, low_cap, monkeypatch):
    """models/list_store.list_rows: the page asked for carries the list's count up to the cap in each row, so a list
    whose count is not cached asks once, not twice. A page past the end (no rows, so no count) and an empty list
    fall back to counting, then show the last page. Pages of 2 here, so that the cap of 5 holds two of them."""
    from models import list_store
    from tests.conftest import statements_afresh

    monkeypatch.setattr(list_store, "PER_PAGE", 2)
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 4)
        manager = login_as("contract_manager")
        manager.get("/cases")
        with statements_afresh(app) as seen:
            first = manager.get("/cases").get_data(as_text=True)
        assert "4 cases, page 1 of 2" in first
        reading = [s for s in seen if "FROM case_file" in s]
        assert len(reading) == 1 and "count(*)" in reading[0], reading
        second = re.findall(r">(CASE-\d+)</a>", manager.get("/cases?page=2").get_data(as_text=True))
        beyond = manager.get("/cases?page=3").get_data(as_text=True)  # no rows there: counted, then page 2
        assert "page 2 of 2" in beyond and re.findall(r">(CASE-\d+)</a>", beyond) == second == ["CASE-00002",
                                                                                                   "CASE-00001"]
        empty = manager.get("/cases?q=no-such-case").get_data(as_text=True)
        assert "0 cases" in empty and "No cases match" in empty
