"""Issue 16: the dashboard's work queue and the shared lists (search, filters, sort, pages, CSV), and a fixed number
of SQL statements per list page and the dashboard whatever the number of rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import statements_afresh

NOW = datetime(2026, 12, 30, 12, 0, tzinfo=UTC)
LISTS = ("/cases", "/cases?sort=provider", "/complaints?sort=provider&order=desc", "/complaints",
         "/incidents", "/deadlines", "/cases?format=csv", "/safeguarding", "/returns",
         "/breaches", "/duty-notifications", "/requests", "/returns?format=csv", "/safeguarding?q=Concern")


def _people(demo):
    from models.user_store import find_user_by_email

    return {role: find_user_by_email(email) for role, email in demo.items()}


def seed(app, demo, n: int, start: int = 0) -> None:
    """n cases (alternating between two contracts), n complaints and n incidents, each with its clocks."""
    from models import db
    from models.case_store import open_case
    from models.concern_store import record_complaint, record_incident
    from models.entities import Contract
    from models.user_store import find_user_by_email
    from tests.integration.portal_setup import add_provider_b_manager
    from workflows.clock import LONDON

    with app.app_context():
        people = _people(demo)
        manager = people["contract_manager"]
        contracts = list(db.session.scalars(select(Contract.id).where(
            Contract.reference.in_(("LDDS-2023-07", "HC-2024-05"))).order_by(Contract.reference)))
        provider = people["provider_manager"]
        for i in range(start, start + n):
            open_case(manager.viewer, manager, contracts[i % 2], f"Case summary {i}", NOW)
            record_incident(provider.viewer, provider, provider.provider_id, {
                "kind": "lost_keys", "occurred_at": datetime(2026, 12, 24, 18, 0, tzinfo=LONDON),
                "description": f"Keys lost {i}", "action_taken": "Locks changed"}, NOW)
        db.session.commit()
        hf = find_user_by_email("manager@riverside.example") or find_user_by_email(add_provider_b_manager())
        for i in range(start, start + n):
            record_complaint(hf.viewer, hf, hf.provider_id, {
                "received_at": datetime(2026, 12, 24, 16, 30, tzinfo=LONDON), "channel": "phone",
                "complainant_type": "family_member", "formal": True, "summary": f"Carer did not arrive {i}"}, NOW)
        db.session.commit()
    seed_more(app, demo, n, start)


def seed_more(app, demo, n: int, start: int = 0) -> None:
    """n safeguarding concerns, duties to notify, requests, monitoring returns and breaches."""
    from models import db
    from models.concern_store import raise_concern
    from models.entities import Contract
    from models.monitoring import BreachRecord, MonitoringReturn
    from models.notification_store import record_notification
    from models.request_store import record_request
    from workflows.returns import ReturnState

    with app.app_context():
        people = _people(demo)
        manager, officer = people["contract_manager"], people["safeguarding_officer"]
        cheshire = db.session.scalar(select(Contract).where(Contract.reference == "ECH-2024-01"))
        for i in range(start, start + n):
            raise_concern(officer.viewer, officer, cheshire.provider_id, "care_concern", f"Concern details {i}",
                          date(2026, 12, 29), NOW)
            record_notification(manager.viewer, manager, {
                "contract_id": cheshire.id, "duty": "critical-indicator-breached", "occurred_on": "2026-12-29",
                "what_happened": f"Indicator missed {i}"}, NOW)
            record_request(manager.viewer, manager, {
                "contract_id": cheshire.id, "request_type": "inspection-reports", "asked_on": "2026-12-29",
                "what_asked": f"Inspection report {i}"}, NOW)
            start_on = date(2000 + i // 12, i % 12 + 1, 1)
            db.session.add(MonitoringReturn(
                council_id=cheshire.council_id, provider_id=cheshire.provider_id, contract_id=cheshire.id,
                return_id="seeded", name="Seeded return", rule="CE-K14", period_start=start_on,
                period_end=start_on + timedelta(days=27), label=f"Seeded period {i}", due_on=None,
                state=ReturnState.DUE))
            db.session.add(BreachRecord(
                council_id=cheshire.council_id, provider_id=cheshire.provider_id, contract_id=cheshire.id,
                key=f"seeded-{i}", rule_id="seeded", cites="CE-K14", actions=["improvement-notice"],
                subject="Seeded", summary=f"Seeded breach {i}", figures=["1 of 2"], occurred_on=date(2026, 12, 1),
                status="proposed"))
        db.session.commit()


def _count(app, client, url) -> int:
    with statements_afresh(app) as seen:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen)


@pytest.mark.parametrize("role", ["contract_manager", "safeguarding_officer", "admin", "provider_manager"])
def test_dashboard_and_lists_issue_the_same_number_of_statements_for_2_or_30_rows(app, demo, login_as, role):
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 2)
        client = login_as(role)
        urls = ("/",) + LISTS
        for url in urls:  # warm caches (rulebooks, calendars) so both counts measure the same work
            client.get(url)
        few = {url: _count(app, client, url) for url in urls}
        seed(app, demo, 28, start=2)
        many = {url: _count(app, client, url) for url in urls}
    assert few == many, (few, many)
    assert max(many.values()) <= 30, many


def test_cases_search_filter_sort_pages_and_csv(app, demo, login_as):
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 30)
        manager = login_as("contract_manager")
        html = manager.get("/cases").get_data(as_text=True)
        assert "30 cases, page 1 of 2 (open only)" in html
        assert 'class="govuk-pagination' in html and "page=2" in html
        assert "Next deadline" in html and "Waiting on" in html
        # Search by the provider's name finds only that provider's cases (15 of the 30).
        from models import db
        from models.entities import Contract

        with app.app_context():
            name = db.session.scalar(select(Contract).where(Contract.reference == "HC-2024-05")).provider.name
        found = manager.get("/cases?q=" + name.split()[0]).get_data(as_text=True)
        assert "15 cases" in found and "LDDS-2023-07" not in found.split('id="list-count"')[1]
        # Search by summary and reference.
        assert "1 case " in manager.get("/cases?q=summary+17").get_data(as_text=True)
        assert "1 case " in manager.get("/cases?q=CASE-00003").get_data(as_text=True)
        # Closed cases are hidden by default and listed when asked for.
        assert "0 cases" in manager.get("/cases?show=closed").get_data(as_text=True)
        assert "30 cases" in manager.get("/cases?show=all").get_data(as_text=True)
        assert "30 cases" in manager.get("/cases?stage=concern").get_data(as_text=True)
        assert "0 cases" in manager.get("/cases?stage=notice").get_data(as_text=True)
        # Sorting by reference ascending starts at CASE-00001; the header says how the column is sorted.
        ascending = manager.get("/cases?sort=reference&order=asc").get_data(as_text=True)
        refs = re.findall(r">(CASE-\d+)</a>", ascending)
        assert refs[:2] == ["CASE-00001", "CASE-00002"] and 'aria-sort="ascending"' in ascending
        assert re.findall(r">(CASE-\d+)</a>", manager.get("/cases?page=2").get_data(as_text=True))[-1] == "CASE-00001"
        # The CSV is the filtered list, every row, with the next deadline and whose turn it is.
        response = manager.get("/cases?q=" + name.split()[0] + "&format=csv")
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0][:3] == ["Reference", "Summary", "Provider"] and len(rows) == 16
        assert {r[2] for r in rows[1:]} == {name}


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_lists_sorted_by_provider_page_through_every_row_once_in_order(app, demo, login_as, order):
    """Sorted by provider, the council's providers are walked by name (then id) and each one's rows read newest
    first (web/lists.py _page_keys: a nested loop on SQLite, LATERAL on PostgreSQL); paging visits each row once."""
    from models import db
    from models.cases import Case
    from models.entities import Provider

    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 30)
        with app.app_context():
            found = db.session.execute(select(Case.reference, Provider.name, Provider.id, Case.id)
                                       .join(Provider, Provider.id == Case.provider_id)).all()
        # Providers by (name, id) in the order asked for; each provider's cases newest first either way.
        providers = sorted({(r.name, r.id) for r in found}, reverse=order == "desc")
        expected = [r.reference for r in sorted(found, key=lambda r: (providers.index((r.name, r.id)), -r.id_1))]
        assert len(providers) == 2  # two providers, 15 cases each
        manager = login_as("contract_manager")
        seen = []
        for page in (1, 2):
            html = manager.get(f"/cases?sort=provider&order={order}&page={page}").get_data(as_text=True)
            assert f'aria-sort="{order}ending"' in html
            seen += re.findall(r">(CASE-\d+)</a>", html)
        assert seen == expected
        # A provider sorted by provider sees its own rows only, newest first.
        provider = login_as("provider_manager")
        own = re.findall(r">(CASE-\d+)</a>", provider.get(f"/cases?sort=provider&order={order}").get_data(as_text=True))
        with app.app_context():
            mine = db.session.scalar(select(Provider.id).join(Case, Case.provider_id == Provider.id)
                                     .where(Case.reference == own[0]))
        assert own == [r.reference for r in sorted(found, key=lambda r: -r.id_1) if r.id == mine]


def test_csv_cells_are_formula_neutralised(app, demo, login_as):
    from models import db
    from models.case_store import open_case
    from models.entities import Contract

    with time_machine.travel(NOW, tick=False):
        with app.app_context():
            manager = _people(demo)["contract_manager"]
            contract = db.session.scalar(select(Contract.id).where(Contract.reference == "LDDS-2023-07"))
            open_case(manager.viewer, manager, contract, '=HYPERLINK("http://evil","x")', NOW)
            db.session.commit()
        body = login_as("contract_manager").get("/cases?format=csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_complaints_and_incidents_lists_search_and_filter(app, demo, login_as):
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 3)
        manager = login_as("contract_manager")
        html = manager.get("/complaints").get_data(as_text=True)
        assert "3 complaints" in html and "Received" in html
        assert "1 complaint " in manager.get("/complaints?q=arrive+2").get_data(as_text=True)
        assert "3 complaints" in manager.get("/complaints?waiting=provider").get_data(as_text=True)
        assert "0 complaints" in manager.get("/complaints?waiting=council").get_data(as_text=True)
        incidents = manager.get("/incidents?q=Keys+lost+1").get_data(as_text=True)
        assert "1 incident " in incidents
        assert "incidents.csv" in manager.get("/incidents?format=csv").headers["Content-Disposition"]


def test_contract_manager_dashboard_counts_link_to_filtered_lists(app, demo, login_as):
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 2)
        html = login_as("contract_manager").get("/").get_data(as_text=True)
    for tile in ("tile-overdue", "tile-this-week", "tile-next-week", "tile-later", "tile-plans", "tile-evidence",
                 "tile-breaches", "tile-proposals", "tile-returns", "tile-my-cases", "tile-open-cases"):
        assert f'id="{tile}"' in html, tile
    assert 'href="/deadlines?when=this-week"' in html and 'href="/cases?mine=yes"' in html
    open_cases = html[html.index('id="tile-open-cases"'):]
    assert '<span class="remedy-tile__count">2</span>' in open_cases


def test_deadlines_page_groups_later_and_filters_by_kind_and_provider(app, demo, login_as):
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 2)
        manager = login_as("contract_manager")
        html = manager.get("/deadlines").get_data(as_text=True)
        for group in ("Overdue", "Due this week", "Due next week", "Later"):
            assert f">{group} <" in html
        only = manager.get("/deadlines?kind=complaint").get_data(as_text=True)
        assert "CMP-0000" in only and "INC-0000" not in only
        assert "Contract meeting" not in only  # the real subject, never a fallback
        week = manager.get("/deadlines?when=this-week").get_data(as_text=True)
        assert ">Due this week <" in week and ">Later <" not in week


def test_deadlines_page_shows_a_few_of_each_group_and_pages_through_one(app, demo, login_as):
    """Issue 17: the whole list shows the first few of each group with a link to all of it; one group pages like
    every other list, and its pages together show each deadline once."""
    import web.deadlines

    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 8)
        manager = login_as("contract_manager")
        sizes = web.deadlines.GROUP_SIZE, web.deadlines.PAGE_SIZE
        web.deadlines.GROUP_SIZE, web.deadlines.PAGE_SIZE = 3, 5
        try:
            html = manager.get("/deadlines").get_data(as_text=True)
            week = html[html.index('id="this-week"'):html.index('id="next-week"')]
            assert "Showing the first 3 of " in week and 'href="/deadlines?when=this-week"' in week
            first = manager.get("/deadlines?when=this-week").get_data(as_text=True)
            total = int(re.search(r"Showing 1 to 5 of (\d+)", first).group(1))
            assert total > 5 and "govuk-pagination" in first
            seen = []
            for page in range(1, (total + 4) // 5 + 1):
                html = manager.get(f"/deadlines?when=this-week&page={page}").get_data(as_text=True)
                seen += re.findall(r'href="/deadlines/(\d+)"', html)
            assert len(seen) == total == len(set(seen))
            beyond = manager.get("/deadlines?when=this-week&page=999").get_data(as_text=True)
            assert re.findall(r'href="/deadlines/(\d+)"', beyond)  # the last page, not an empty one
        finally:
            web.deadlines.GROUP_SIZE, web.deadlines.PAGE_SIZE = sizes


def test_viewer_sees_no_link_to_the_monitoring_events_page(app, demo, login_as):
    from models import db
    from models.entities import Contract

    with app.app_context():
        contract = db.session.scalar(select(Contract.id).where(Contract.reference == "LDDS-2023-07"))
    assert "monitoring-events" not in login_as("council_viewer").get(f"/contracts/{contract}").get_data(as_text=True)
    assert "monitoring-events" in login_as("contract_manager").get(f"/contracts/{contract}").get_data(as_text=True)


def _listed(html: str) -> str:
    return html.split('id="list-count"')[1]


def test_safeguarding_list_searches_only_what_the_person_may_read(app, demo, login_as):
    with time_machine.travel(NOW, tick=False):
        seed_more(app, demo, 3)
        officer, manager = login_as("safeguarding_officer"), login_as("contract_manager")
        assert "1 safeguarding concern " in officer.get("/safeguarding?q=details+1").get_data(as_text=True)
        # Others know the concerns exist, but their details, stage and clocks stay restricted (SG restricted).
        listed = _listed(manager.get("/safeguarding").get_data(as_text=True))
        assert "3 safeguarding concerns" in listed and "Details restricted" in listed
        assert "Concern details" not in listed
        assert "0 safeguarding concerns" in manager.get("/safeguarding?q=details+1").get_data(as_text=True)
        assert "0 safeguarding concerns" in manager.get("/safeguarding?stage=raised").get_data(as_text=True)
        assert "Concern details" not in manager.get("/safeguarding?format=csv").get_data(as_text=True)
        # A provider sees only what a safeguarding officer shared with it.
        assert "0 safeguarding concerns" in login_as("provider_manager").get("/safeguarding").get_data(as_text=True)


def test_returns_list_filters_by_period_and_says_when_no_date_is_set(app, demo, login_as):
    with time_machine.travel(NOW, tick=False):
        seed_more(app, demo, 30)
        manager = login_as("contract_manager")
        html = manager.get("/returns?q=Seeded").get_data(as_text=True)
        assert "30 returns, page 1 of 2" in html and 'class="govuk-pagination' in html
        assert "Not due yet: the council sets the date" in html and "No due date set" not in html
        assert "1 return " in manager.get("/returns?period=Seeded+period+7").get_data(as_text=True)
        assert "0 returns" in manager.get("/returns?q=Seeded&status=accepted").get_data(as_text=True)
        response = manager.get("/returns?q=Seeded&format=csv")
        assert "returns.csv" in response.headers["Content-Disposition"]
        assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 31


def test_breaches_notifications_and_requests_lists_search_filter_and_page(app, demo, login_as):
    with time_machine.travel(NOW, tick=False):
        seed_more(app, demo, 26)
        manager = login_as("contract_manager")
        breaches = manager.get("/breaches").get_data(as_text=True)
        assert "26 breaches, page 1 of 2" in breaches and "Confirm<span" in breaches
        assert "1 breach " in manager.get("/breaches?q=breach+25").get_data(as_text=True)
        assert "0 breaches" in manager.get("/breaches?status=dismissed").get_data(as_text=True)
        notes = manager.get("/duty-notifications?q=missed+3").get_data(as_text=True)
        assert "1 notification " in notes and "Waiting on" in notes
        assert "26 notifications" in manager.get("/duty-notifications?waiting=provider").get_data(as_text=True)
        requests = manager.get("/requests?sort=due&order=asc&page=2").get_data(as_text=True)
        assert "26 requests, page 2 of 2" in requests and "REQ-000" in requests
        body = manager.get("/requests?format=csv").get_data(as_text=True)
        assert body.startswith("Reference,Summary,Provider,Contract,Stage,Asked,Next deadline,Waiting on,Overdue")


def test_a_list_builds_its_statements_once_and_reads_the_time_each_view(app, demo, login_as, monkeypatch):
    """models/list_store.py keeps a list's statements (models/statement_cache.py): any page and any later view reuse
    them, and "overdue" still follows the time of each view (the time is a bind parameter, not built in)."""
    from datetime import timedelta

    from models import db, list_store, statement_cache
    from models.concern_store import record_complaint
    from models.user_store import find_user_by_email
    from tests.integration.portal_setup import add_provider_b_manager

    statement_cache.forget_statements()
    builds = []
    build = list_store._build
    monkeypatch.setattr(list_store, "_build", lambda *args: builds.append(args) or build(*args))
    with time_machine.travel(NOW, tick=False):
        with app.app_context():
            hf = find_user_by_email("manager@riverside.example") or find_user_by_email(add_provider_b_manager())
            record_complaint(hf.viewer, hf, hf.provider_id, {  # HF-74: reported to the council within 24 hours
                "received_at": NOW, "channel": "phone", "complainant_type": "family_member", "formal": True,
                "summary": "Carer did not arrive"}, NOW)
            db.session.commit()
        manager = login_as("contract_manager")
        now = manager.get("/complaints").get_data(as_text=True)
        assert "Carer did not arrive" in now and "Overdue</strong>" not in now
        assert "Carer did not arrive" in manager.get("/complaints?page=3").get_data(as_text=True)
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        later = login_as("contract_manager").get("/complaints").get_data(as_text=True)
    assert "Overdue</strong>" in later  # its 24 hours ran out (no scheduler ran: the list compares with the time)
    assert len(builds) == 1
    statement_cache.forget_statements()
