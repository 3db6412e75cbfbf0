"""The values the code fixes (a page's size and offset, a kind's closed states) are written in each statement's text
(models.fixed), so that PostgreSQL keeps one plan for each statement of the busiest pages instead of planning it
again on every view (issue 17: the case list was planned afresh on every view, 0.47 ms of its 0.9 ms, because its
LIMIT was a parameter). The same pages and check on SQLite and PostgreSQL.

Whether PostgreSQL then keeps a generic plan depends on its statistics, so a test's few rows cannot show it
reliably: `make bench` prints the statements still planned afresh at every run at 100,000 cases (bench/pages.py,
models/connections.planned_afresh)."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import db
from tests.conftest import statements

PAGES = ["/", "/cases", "/cases?page=2", "/cases?sort=provider&order=asc", "/cases?stage=concern&overdue=no",
         "/complaints", "/safeguarding", "/returns", "/breaches", "/deadlines", "/deadlines?when=overdue",
         "/notifications", "/providers/{provider}", "/providers/{provider}/history", "/cases/{case}"]
# A LIMIT or an OFFSET sent as a parameter. (SQLAlchemy itself sends SQLite "OFFSET ?", 0, after a LIMIT, and
# "LIMIT ?", -1, before an OFFSET alone.)
AS_PARAMETER = re.compile(r"\bLIMIT (%\(|\?(?! OFFSET \d))|\bOFFSET %\(")


def _pages(app, demo) -> list[str]:
    """The pages, on 30 cases (two pages of the case list), 30 complaints and 30 incidents, each with its clocks."""
    from models.cases import Case
    from models.entities import Provider
    from tests.integration.test_work_queues import seed

    seed(app, demo, 30)
    with app.app_context():
        provider = db.session.scalar(select(Provider.id).order_by(Provider.id))
        case = db.session.scalar(select(Case.id).order_by(Case.id))
    assert provider is not None and case is not None
    return [page.format(provider=provider, case=case) for page in PAGES]


def _statements_of(app, client, pages: list[str]) -> dict[str, str]:
    """Each distinct statement the pages sent, with the first page that sent it."""
    seen: dict[str, str] = {}
    for page in pages:
        with statements(app) as sent:
            assert client.get(page).status_code == 200, page
        for statement in sent:
            seen.setdefault(" ".join(statement.split()), page)
    return seen


def test_the_busy_pages_write_their_limits_and_offsets_into_the_statement(app, demo, login_as):
    manager = login_as("contract_manager")
    seen = _statements_of(app, manager.client, _pages(app, demo))
    assert len(seen) > 30  # the pages did run their statements
    sent = {page: statement[max(0, m.start() - 200):m.end() + 20] for statement, page in seen.items()
            if (m := AS_PARAMETER.search(statement))}
    assert sent == {}
