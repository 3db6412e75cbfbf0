"""Issue 17, item 2: every API list answers one page at a time (page, per_page up to 100, a total that is exact up to
the count cap and "about" above it), newest first, for a fixed number of SQL statements whatever the page size: the
deadlines and audit events a page's items embed are read for the whole page at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import statements
from tests.integration.test_work_queues import seed

NOW = datetime(2026, 12, 30, 12, 0, tzinfo=UTC)
ROWS = 31  # rows of every list, so that a page of 30 is full

# Every API list, with the table its rows come from (caseloads: one row per adviser and contract).
LISTS = {
    "/api/v1/cases": "models.cases:Case",
    "/api/v1/providers": "models.entities:Provider",
    "/api/v1/contracts": "models.entities:Contract",
    "/api/v1/complaints": "models.concerns:Complaint",
    "/api/v1/safeguarding-concerns": "models.concerns:SafeguardingConcern",
    "/api/v1/incidents": "models.concerns:Incident",
    "/api/v1/duty-notifications": "models.duties:Notification",
    "/api/v1/requests": "models.duties:InfoRequest",
    "/api/v1/financial-changes": "models.financial_change:FinancialChange",
    "/api/v1/planned-meetings": "models.planned_meeting:PlannedMeeting",
    "/api/v1/people": "models.people:Person",
    "/api/v1/leaving-care": "models.people:LeavingCare",
    "/api/v1/leaving-care/caseloads": None,
    "/api/v1/referrals": "models.referrals:Referral",
    "/api/v1/packages": "models.referrals:CarePackage",
    "/api/v1/capacity-confirmations": "models.referrals:CapacityConfirmation",
    "/api/v1/returns": "models.monitoring:MonitoringReturn",
    "/api/v1/kpi-results": "models.monitoring:KpiResult",
    "/api/v1/breaches": "models.monitoring:BreachRecord",
    "/api/v1/soft-outcome-checks": "models.soft_outcome:SoftOutcomeCheck",
    "/api/v1/stay-limits": "models.stay_limit:StayLimit",
}
# Lists whose items are the record as its own endpoint shows it (deadlines and trail included).
SAME_AS_ONE = ("complaints", "safeguarding-concerns", "duty-notifications", "requests", "financial-changes",
               "planned-meetings", "leaving-care", "referrals", "packages", "capacity-confirmations",
               "soft-outcome-checks", "stay-limits", "breaches", "providers", "contracts")


def _model(target: str):
    from importlib import import_module

    module, name = target.split(":")
    return getattr(import_module(module), name)


def _contract(reference: str) -> int:
    from models import db
    from models.entities import Contract

    return db.session.scalar(select(Contract.id).where(Contract.reference == reference))


def _clone(model, n: int) -> None:
    """Copy the table's first row until it has n rows, changing what must stay unique (references, emails, keys,
    a period's or a week's date)."""
    from models import db

    table = model.__table__
    first = db.session.execute(select(table).order_by(table.c.id)).mappings().first()
    assert first is not None, f"nothing to copy in {table.name}"
    unique = {c.name for c in table.columns if c.unique}
    for constraint in table.constraints:
        names = [c.name for c in getattr(constraint, "columns", []) if not c.foreign_keys and c.name != "id"]
        if names and constraint.__class__.__name__ == "UniqueConstraint":
            text = [name for name in names if isinstance(first[name], str)]
            unique |= set(text or names)
    have = db.session.scalar(select(func.count()).select_from(table))
    for i in range(have, n):
        values = {k: v for k, v in first.items() if k != "id"}
        for name in unique:
            value = values[name]
            values[name] = value + timedelta(weeks=i) if hasattr(value, "isoformat") else f"{value}-c{i}"
        db.session.execute(table.insert().values(**values))


def fill(app, demo, api, n: int = ROWS) -> None:
    """Real records of every kind (the demo's, the work queue's seed and one of each other kind through the API,
    with their clocks and trails), then copies until every list has n rows."""
    from models import db
    from models.entities import Contract, User
    from models.monitoring import KpiResult, MonitoringReturn
    from models.people import LeavingCare
    from workflows.leaving_care import LeavingCareState

    seed(app, demo, 2)
    with app.app_context():
        hf, thurrock, cornwall = _contract("HC-2024-05"), _contract("SL-2025-02"), _contract("LC-2024-03")
    young = api("contract_manager", "POST", "/api/v1/people", {
        "contract_id": cornwall, "reference": "YP-9001", "role": "young_person", "born_in": "2009-05"}, status=201)
    api("contract_manager", "POST", "/api/v1/leaving-care", {"person_id": young["id"], "referred_on": "2026-12-23"},
        status=201)
    resident = api("contract_manager", "POST", "/api/v1/people", {
        "contract_id": thurrock, "reference": "TH-R-9001", "role": "resident", "started_on": "2025-02-03"}, status=201)
    api("contract_manager", "POST", "/api/v1/stay-limits", {"person_id": resident["id"], "limit": "length-of-stay"},
        status=201)
    api("contract_manager", "POST", "/api/v1/soft-outcome-checks", {"person_id": resident["id"]}, status=201)
    api("contract_manager", "POST", "/api/v1/referrals", {
        "contract_id": hf, "person": "SU-7001", "summary": "Two calls a day", "grade": "standard",
        "received_at": "2026-12-29T09:00", "starts_at": "2027-01-30T09:00"}, status=201)
    api("contract_manager", "POST", "/api/v1/packages", {
        "contract_id": hf, "person": "SU-7003", "summary": "Personal care", "referred_at": "2026-12-28T09:00",
        "started_on": "2026-12-29"}, status=201)
    api("contract_manager", "POST", "/api/v1/capacity-confirmations", {"contract_id": hf}, status=201)
    api("contract_manager", "POST", "/api/v1/planned-meetings", {"contract_id": hf}, status=201)
    api("contract_manager", "POST", "/api/v1/financial-changes", {
        "contract_id": thurrock, "occurred_on": "2026-12-01", "what_changed": "Lost a large contract"}, status=201)
    with app.app_context():
        row = db.session.scalars(select(MonitoringReturn).order_by(MonitoringReturn.id)).first()
        db.session.add(KpiResult(council_id=row.council_id, provider_id=row.provider_id, contract_id=row.contract_id,
                                 return_row_id=row.id, kpi_id="CE-K14", period_start=row.period_start,
                                 period_end=row.period_end, label=row.label, numerator=1, denominator=2, value=50,
                                 target=">= 95%", rag="red"))
        db.session.flush()
        for target in LISTS.values():
            if target:
                _clone(_model(target), n)
        # The copied contracts' returns start this month, so that every list stays under the count's cap.
        db.session.execute(Contract.__table__.update().where(Contract.reference.like("%-c%")).values(
            monitoring_from=NOW.date().replace(day=1)))
        # CW-08 caseloads: n advisers with one allocated young person each.
        _clone(User, db.session.scalar(select(func.count(User.id))) + n)
        advisers = list(db.session.scalars(select(User.id).order_by(User.id.desc()).limit(n)))
        records = list(db.session.scalars(select(LeavingCare).order_by(LeavingCare.id).limit(n)))
        for record, adviser in zip(records, advisers, strict=True):
            record.state, record.adviser_id = LeavingCareState.ALLOCATED, adviser
        db.session.commit()


@pytest.fixture
def filled(app, demo, api):
    with time_machine.travel(NOW, tick=False):
        fill(app, demo, api)
    return api


def _statements(app, api, url, role: str = "contract_manager") -> tuple[int, dict]:
    with statements(app) as seen:
        body = api(role, "GET", url, status=200)
    return len(seen), body


@pytest.mark.parametrize("role", ["contract_manager", "safeguarding_officer"])
def test_every_list_costs_the_same_statements_for_a_page_of_2_or_30(app, filled, role):
    with time_machine.travel(NOW, tick=False):
        for path in LISTS:
            filled(role, "GET", path, status=200)  # warm caches (rulebooks, calendars, counts)
        few = {path: _statements(app, filled, f"{path}?per_page=2", role) for path in LISTS}
        many = {path: _statements(app, filled, f"{path}?per_page=30", role) for path in LISTS}
    for path in LISTS:
        assert len(few[path][1]["items"]) == 2 and len(many[path][1]["items"]) == 30, path
    counts = {path: (few[path][0], many[path][0]) for path in LISTS}
    assert all(a == b for a, b in counts.values()), {p: c for p, c in counts.items() if c[0] != c[1]}
    # /returns first brings each visible contract's return periods up to today (one statement per contract, as the
    # returns page does): that grows with the contracts, not with the page.
    bounded = {p: c for p, c in counts.items() if p != "/api/v1/returns"}
    assert max(b for _a, b in bounded.values()) <= 12, {p: c for p, c in bounded.items() if c[1] > 12}


def test_a_page_of_records_carries_its_count_so_a_list_asks_once(app, filled):
    """models/page_store.read_page: under the cap a list of records reads its page and its total in one statement
    (the count up to the cap beside each row), not a count and then a page."""
    with time_machine.travel(NOW, tick=False):
        with statements(app) as seen:
            body = filled("contract_manager", "GET", "/api/v1/complaints?per_page=5", status=200)
    assert len(body["items"]) == 5 and body["total_exact"]
    reading = [s for s in seen if "FROM complaint" in s]
    assert len(reading) == 1 and "count(*)" in reading[0], reading


def test_paging_walks_every_row_once_newest_first_with_an_exact_total(app, filled):
    from models import db

    with time_machine.travel(NOW, tick=False):
        for path, target in LISTS.items():
            first = filled("contract_manager", "GET", f"{path}?per_page=7", status=200)
            assert (first["page"], first["per_page"], first["total_exact"]) == (1, 7, True), path
            seen, page = [], 1
            while True:
                body = filled("contract_manager", "GET", f"{path}?per_page=7&page={page}", status=200)
                assert body["total"] == first["total"], path
                seen += [json.dumps(item, sort_keys=True) for item in body["items"]]
                if not body["items"]:
                    break
                page += 1
            assert len(seen) == len(set(seen)) == first["total"] >= ROWS, path
            assert page == -(-first["total"] // 7) + 1, path
            ids = [json.loads(item).get("id") for item in seen]
            if target and None not in ids and path != "/api/v1/returns":
                assert ids == sorted(ids, reverse=True), path  # newest first
            if target and path not in ("/api/v1/safeguarding-concerns", "/api/v1/contracts", "/api/v1/providers"):
                model = _model(target)
                with app.app_context():
                    assert first["total"] == db.session.scalar(select(func.count(model.id))), path


def test_a_page_past_the_end_is_empty_and_bad_paging_is_refused_with_what_to_send(filled):
    with time_machine.travel(NOW, tick=False):
        for path in LISTS:
            assert filled("contract_manager", "GET", f"{path}?page=999", status=200)["items"] == [], path
            for query, field in (("per_page=101", "per_page"), ("per_page=0", "per_page"),
                                 ("per_page=lots", "per_page"), ("page=0", "page"), ("page=-2", "page"),
                                 ("page=1.5", "page"), ("page=99999999999", "page")):
                refused = filled("contract_manager", "GET", f"{path}?{query}", status=422)
                assert refused["field"] == field and "whole number" in refused["error"], (path, query, refused)
        body = filled("contract_manager", "GET", "/api/v1/complaints?per_page=100", status=200)
        assert body["per_page"] == 100 and len(body["items"]) == body["total"]


def test_items_are_the_records_as_their_own_endpoints_show_them(filled):
    with time_machine.travel(NOW, tick=False):
        for collection in SAME_AS_ONE:
            for role in ("contract_manager", "safeguarding_officer"):
                items = filled(role, "GET", f"/api/v1/{collection}?per_page=100", status=200)["items"]
                real = [item for item in items if item.get("deadlines") or item.get("events")]
                for item in (real or items)[:5]:
                    key = item["reference"] if collection == "contracts" else item["id"]
                    assert item == filled(role, "GET", f"/api/v1/{collection}/{key}", status=200), (collection, key)
        complaints = filled("contract_manager", "GET", "/api/v1/complaints?per_page=100", status=200)["items"]
        assert any(c["deadlines"] and c["events"] for c in complaints)
        concerns = filled("safeguarding_officer", "GET", "/api/v1/safeguarding-concerns?per_page=100",
                          status=200)["items"]
        assert any(c["deadlines"] and c["events"] for c in concerns)


def test_a_provider_token_pages_through_only_its_own_records(app, filled):
    from models import db
    from models.user_store import find_user_by_email

    with app.app_context():
        own = find_user_by_email("provider.manager@brightwater.example").provider_id
    with time_machine.travel(NOW, tick=False):
        for path, target in LISTS.items():
            items = filled.every("provider_manager", path)
            for item in items:
                provider = item.get("provider_id", item.get("provider", {}).get("id")
                                    if isinstance(item.get("provider"), dict) else None)
                if path == "/api/v1/providers":
                    provider = item["id"]
                if provider is not None:
                    assert provider == own, (path, item)
            if target and path not in ("/api/v1/safeguarding-concerns", "/api/v1/providers", "/api/v1/people"):
                model = _model(target)
                with app.app_context():
                    theirs = db.session.scalar(select(func.count(model.id)).where(model.provider_id == own))
                assert len(items) == theirs, path
        assert [p["id"] for p in filled.every("provider_manager", "/api/v1/providers")] == [own]


def test_a_total_over_the_cap_says_about_and_paging_still_reads_past_it(filled, monkeypatch):
    from models import count_store

    monkeypatch.setattr(count_store, "CAP", 10)
    count_store.forget_counts()
    with time_machine.travel(NOW, tick=False):
        body = filled("contract_manager", "GET", "/api/v1/complaints?per_page=5&page=3", status=200)
        assert body["total_exact"] is False and body["total"] >= ROWS and len(body["items"]) == 5
        assert len(filled.every("contract_manager", "/api/v1/complaints")) == body["total"]
    count_store.forget_counts()


def test_filters_still_narrow_a_paged_list(app, filled):
    with app.app_context():
        hf = _contract("HC-2024-05")
    with time_machine.travel(NOW, tick=False):
        cases = filled("contract_manager", "GET", f"/api/v1/cases?contract={hf}&per_page=100", status=200)
        assert cases["items"] and all(c["contract"] == "HC-2024-05" for c in cases["items"])
        returns = filled("contract_manager", "GET", "/api/v1/returns?state=due&per_page=100", status=200)
        assert returns["items"] and all(r["state"] == "due" for r in returns["items"])
        breaches = filled("contract_manager", "GET", "/api/v1/breaches?status=nothing-like-this", status=200)
        assert (breaches["items"], breaches["total"]) == ([], 0)


def test_every_list_is_documented_as_a_page_and_answers_as_documented(filled):
    import jsonschema

    from web.openapi import openapi_document

    spec = openapi_document()
    paged = {f"/api/v1{path}" for path, operations in spec["paths"].items() if "get" in operations
             and {"$ref": "#/components/parameters/per_page"} in operations["get"].get("parameters", [])}
    assert paged == set(LISTS)
    with time_machine.travel(NOW, tick=False):
        for path in LISTS:
            operation = spec["paths"][path.removeprefix("/api/v1")]["get"]
            for status, query in ((200, "per_page=3&page=2"), (422, "per_page=101")):
                body = filled("contract_manager", "GET", f"{path}?{query}", status=status)
                schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
                jsonschema.validate(body, {**schema, "components": spec["components"]},
                                    cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())


def test_next_after_walks_the_same_rows_as_the_pages_at_the_cost_of_the_first(app, filled):
    with time_machine.travel(NOW, tick=False):
        for path in LISTS:
            if path == "/api/v1/leaving-care/caseloads":  # rows of a grouped count have no id to follow
                body = filled("contract_manager", "GET", f"{path}?per_page=5", status=200)
                assert body["next_after"] is None
                refused = filled("contract_manager", "GET", f"{path}?after=3", status=422)
                assert refused["field"] == "after" and "give page" in refused["error"]
                continue
            pages = filled.every("contract_manager", path)
            body = filled("contract_manager", "GET", f"{path}?per_page=9", status=200)
            walked, cost = list(body["items"]), set()
            while body["next_after"] is not None:
                assert body["next_after"] == walked[-1]["id"], path
                url = f"{path}?per_page=9&after={body['next_after']}"
                cost.add(_statements(app, filled, url)[0])
                body = filled("contract_manager", "GET", url, status=200)
                walked += body["items"]
            assert walked == pages, path
            assert len(cost) == 1, (path, cost)
        refused = filled("contract_manager", "GET", "/api/v1/complaints?after=5&page=2", status=422)
        assert refused["field"] == "after" and "without page" in refused["error"]
        assert filled("contract_manager", "GET", "/api/v1/complaints?after=0", status=422)["field"] == "after"
