"""The rows of every list of records a council works through (cases, complaints, incidents, ...), read for
web/lists.py: the filters and sort a person chose (Query) applied to a registry kind (ListSpec), a page at a time.

The rows come from two statements (the page, and its count) however many rows there are, because the next deadline,
whose turn it is and whether the row is overdue are correlated subqueries on the deadline table, worked out for the
page's rows only, not a query per row. At council scale (issue 17) the count reads at most 1,001 rows and says "about
49,000" above that (models/count_store.py), and pages stop at the 40th (1,000 rows, read newest first along an index:
migration 0025). The statements are built once per worker (models/statement_cache.py), the time a bind parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Date, and_, bindparam, case, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from models import UTCDateTime, db, dialect_name, fixed
from models.cases import Case, Deadline
from models.count_store import Count, bounded_count, cap, capped, known_about
from models.entities import Contract, Provider
from models.kept import kept
from models.registry import KINDS, scoped
from models.statement_cache import built
from workflows.access import Viewer
from workflows.clock import LONDON

PER_PAGE = 25
CSV_LIMIT = 10_000  # a CSV of the filtered list, bounded like every other read
LIVE = ("running", "breached")
SORTS = ("reference", "provider", "stage", "due", "opened")
SHOWS = (("open", "Open"), ("closed", "Closed"), ("all", "Open and closed"))


@dataclass(frozen=True)
class ListSpec:
    """What differs between two lists: the registry kind, the page's endpoint and nouns, and the date column."""

    kind: str
    endpoint: str
    plural: str  # "cases"
    opened_label: str = "Opened"
    opened: str = "created_at"  # the column shown as "Opened" / "Received"
    summary: str = "summary"  # the column searched and shown under the reference
    reference: str = "reference"  # the column that names the row (a return: its name; a breach: the rule it cites)
    state: str = "state"  # the column holding the stage (a breach keeps its state as text in `status`)
    stage_label: str = "Stage"  # the stage filter's and column's heading ("Status" for returns)
    closed: tuple[str, ...] | None = None  # the stage values counted as closed; the machine's FINAL when None
    # A due-date column for rows whose clock never started (a return whose period had passed when it was created),
    # and who acts on a row with no running deadline, by stage value.
    due: str | None = None
    due_in: tuple[str, ...] = ()  # the stages in which `due` is still to meet
    waiting_in: tuple[tuple[str, str], ...] = ()  # (stage value, "council" or "provider")
    no_due: str = "None running"  # shown when a row has no next deadline
    period: str | None = None  # a column offered as a "Period" filter (returns: the period label)
    # A condition of the kind's own on which rows a person may list, from its store (a provider sees only the
    # safeguarding concerns shared with it), given the viewer.
    listable: Callable | None = None
    extra_csv: tuple[tuple[str, str], ...] = ()  # (heading, column) the CSV adds after the usual columns
    page_shows_extras: bool = False  # the page shows those columns too (breaches: their actions and figures)

    @property
    def model(self):
        return KINDS[self.kind].model

    @property
    def singular(self) -> str:
        return self.plural[:-2] if self.plural.endswith("ches") else self.plural[:-1]

    @property
    def restricted(self) -> bool:
        return KINDS[self.kind].restricted

    @property
    def final(self) -> tuple:
        if self.closed is not None:
            return self.closed
        return tuple(s.value for s in getattr(KINDS[self.kind].workflow, "FINAL", ()))

    def state_value(self, value) -> str:
        """A stage as its text, whether the column stores the machine's enum or its value."""
        return value.value if hasattr(value, "value") else str(value)

    def stage_of(self, value: str):
        """What the stage column holds for this stage value (the enum, or the text for a text column)."""
        member = next(s for s in KINDS[self.kind].workflow.STATES if s.value == value)
        return member if self.state == "state" else member.value

    @property
    def stages(self) -> list[tuple[str, str]]:
        return [(s.value, stage_label(s)) for s in KINDS[self.kind].workflow.STATES]


def stage_label(state) -> str:
    return state.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Query:
    """The filters and sort a person chose, read from the address (anything unreadable reads as "any")."""

    q: str = ""
    mine: bool = False
    provider: int | None = None
    contract: int | None = None
    stage: str = ""
    show: str = "open"
    overdue: str = ""
    waiting: str = ""  # council or provider: whose turn the soonest live deadline is
    period: str = ""
    sort: str = "opened"
    order: str = "desc"
    page: int = 1

    def args(self, **changes) -> dict:
        """The query string that reproduces this list (defaults left out), with some values changed."""
        values = {"q": self.q, "mine": "yes" if self.mine else "", "provider": self.provider or "",
                  "contract": self.contract or "", "stage": self.stage,
                  "show": "" if self.show == "open" else self.show, "overdue": self.overdue, "waiting": self.waiting,
                  "period": self.period,
                  "sort": "" if self.sort == "opened" else self.sort,
                  "order": "" if self.order == "desc" else self.order}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


def _deadline_of(spec: ListSpec):
    """The condition joining a record to its own deadlines (a case: every deadline on the case)."""
    model = spec.model
    if spec.kind == "case":
        return Deadline.case_id == model.id
    return and_(Deadline.entity_type == fixed(spec.kind), Deadline.entity_id == model.id)


# The time a list is read at, given when its statements run (they are built once: models/statement_cache.py).
NOW = bindparam("list_now", type_=UTCDateTime)
TODAY = bindparam("list_today", type_=Date)


def _times(now: datetime) -> dict:
    return {"list_now": now, "list_today": now.astimezone(LONDON).date()}


def _statements(spec: ListSpec, viewer: Viewer, query: Query):
    """The list's narrow rows (filtered and sorted, for its ids and its count) and its whole rows (every column, no
    filter), built once per list, person, filters and database (any page)."""
    return built(("list", spec, viewer, replace(query, page=1), dialect_name()),
                 lambda: _build(spec, viewer, query))


def _build(spec: ListSpec, viewer: Viewer, query: Query):
    model = spec.model
    own = _deadline_of(spec)
    # A restricted kind (a safeguarding concern) shows its details, stage and clocks only to the people its registry
    # rule names (models/registry.py concern_visible_where); everyone else sees that the row exists.
    full = KINDS[spec.kind].visible_where(viewer, model.id) if spec.restricted else literal(True)

    def shown(column):
        return case((full, column)) if spec.restricted else column

    # The record is already scoped to the viewer's council: its own deadlines are found by (entity_type, entity_id),
    # the index a per-row subquery needs (a council filter here made SQLite scan the council's running deadlines
    # for every row: the returns list took 3.4 s at 100,000 cases).
    live = and_(own, Deadline.status.in_(fixed(LIVE)))
    state = getattr(model, spec.state)
    next_due = select(func.min(Deadline.due_on)).where(live).correlate(model).scalar_subquery()
    waiting = (select(Deadline.acts).where(live).order_by(Deadline.due_at, Deadline.id).limit(fixed(1))
               .correlate(model).scalar_subquery())
    # OFFSET 0 keeps PostgreSQL probing the row's own deadlines by index: without it, "overdue = yes" hashed every
    # overdue deadline of the council first (issue 17: the filtered case list's page from 19.8 ms to 0.3 ms).
    late = select(literal(1)).where(own, Deadline.council_id == viewer.council_id, or_(
        Deadline.status == fixed("breached"), and_(Deadline.status == fixed("running"), Deadline.due_at < NOW))) \
        .correlate(model).offset(fixed(0)).exists()
    if spec.kind == "case":
        late = or_(Case.overdue.is_(True), late)
    if spec.due:
        # A row whose clock never ran (no deadline row) still has its own due date while the stage awaits it.
        due = getattr(model, spec.due)
        awaited = state.in_(fixed([spec.stage_of(v) for v in spec.due_in]))
        next_due = func.coalesce(next_due, case((awaited, due)))
        late = or_(late, and_(awaited, due < TODAY))
    if spec.waiting_in:
        waiting = func.coalesce(waiting, case(*((state == fixed(spec.stage_of(v)), fixed(who))
                                                for v, who in spec.waiting_in)))
    opened = getattr(model, spec.opened)
    summary = getattr(model, spec.summary)
    reference = getattr(model, spec.reference)
    # Every column and whether the row is overdue, no conditions: the rows of a page read whole by id (list_rows).
    # "Overdue" is worked out for those rows only (its EXISTS keeps to each row's own deadlines: OFFSET 0 above).
    # Whether the person may read a restricted row (`full`) is worked out once a row, and what it hides is dropped
    # in _row (as CASE on each column, PostgreSQL ran the same EXISTS six times a row: 1.3 ms for a page).
    whole = select(
        model.id, reference.label("reference"), summary.label("summary"), state.label("state"),
        opened.label("opened"), full.label("full"),
        Provider.name.label("provider_name"), Contract.reference.label("contract_reference"), Contract.rulebook_id,
        next_due.label("next_due"), waiting.label("waiting_on"),
        *(getattr(model, column).label(f"extra_{n}") for n, (_, column) in enumerate(spec.extra_csv)),
        late.label("overdue"),
    ).select_from(model).join(Provider, Provider.id == model.provider_id).outerjoin(
        Contract, Contract.id == model.contract_id)
    if spec.restricted:  # what filters and sorts by: only what the person may read
        next_due, waiting, late = shown(next_due), shown(waiting), and_(full, late)
    # The registry decides who sees what: its council, and a provider's own rows. Sorted by provider, the council's
    # providers are walked by name and each one's rows read in order (_page_keys).
    by_provider = query.sort == "provider"
    sqlite = dialect_name() == "sqlite"
    conditions = [scoped(model, viewer, provider_first=by_provider and sqlite).whereclause]
    if by_provider:
        conditions.append(Provider.council_id == viewer.council_id)
    if spec.listable is not None:
        conditions.append(spec.listable(viewer))
    if query.q:
        pattern = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        searched = [reference, Provider.name] + ([getattr(model, spec.period)] if spec.period else [])
        conditions.append(or_(and_(full, summary.ilike(pattern, escape="\\")),
                              *(column.ilike(pattern, escape="\\") for column in searched)))
    if query.mine:
        conditions.append(Contract.contract_manager_id == viewer.user_id)
    if query.provider is not None:
        conditions.append(model.provider_id == query.provider)
    if query.contract is not None:
        conditions.append(model.contract_id == query.contract)
    if query.period and spec.period:
        conditions.append(getattr(model, spec.period) == query.period)
    if query.stage:
        conditions.append(and_(full, state == spec.stage_of(query.stage)))
    final = [spec.stage_of(v) for v in spec.final]
    if query.show == "open" and final:
        conditions.append(or_(~full, state.not_in(fixed(final))) if spec.restricted else state.not_in(fixed(final)))
    elif query.show == "closed":
        conditions.append(and_(full, state.in_(fixed(final))))
    if query.overdue == "yes":
        conditions.append(late)
    elif query.overdue == "no":
        conditions.append(~late)
    if query.waiting:
        conditions.append(waiting == query.waiting)
    # The narrow rows (their ids, to find a page and to count) join the provider and the contract only when a
    # search, the "mine" filter or the provider sort needs them: a deep page read 1,000 providers by key to skip
    # 975 cases.
    rows = select(model.id).select_from(model)
    if query.q or by_provider:
        rows = rows.join(Provider, Provider.id == model.provider_id)
    if query.mine:
        rows = rows.outerjoin(Contract, Contract.id == model.contract_id)
    rows = rows.where(*conditions)
    columns = {"reference": [model.id], "provider": [Provider.name, Provider.id], "stage": [shown(state)],
               "due": [next_due], "opened": [opened]}[query.sort]
    order = [column.asc() if query.order == "asc" else column.desc() for column in columns]
    # Records with no deadline go last whichever way the list is sorted by due date.
    if query.sort == "due":
        order = [order[0].nulls_last()]
    order = [*order, model.id.desc()]
    return rows.order_by(*order), whole.order_by(*order)


class Row(NamedTuple):
    """One line of a list, ready to show (a tuple: a page builds 25 and its template reads each by name)."""

    id: int
    href: str
    reference: str
    summary: str
    provider: str
    contract: str
    state: str
    stage: str
    opened: datetime
    next_due: object
    waiting_on: str
    overdue: bool
    rulebook_id: str | None
    full: bool  # False: a restricted record this person may know of but not read (details, stage, clocks)
    extra: dict  # the spec's extra CSV columns by column name, when read


_WAITING = {"provider": "Provider", "council": "Council"}


@cache
def _stage_labels(kind: str) -> dict[str, str]:
    """Each stage's label by its value, for a kind's rows (worked out once, not for each row)."""
    return {s.value: stage_label(s) for s in KINDS[kind].workflow.STATES}


def _row(spec: ListSpec, base: str, labels: dict[str, str], extra_columns: tuple[str, ...], r) -> Row:
    """A row read whole; a restricted record the person may not read (not `full`) keeps only that it exists: its
    summary, stage, clocks and extra columns are dropped here, never shown. The columns are taken by position, in
    the order _build selects them: by name, a result row answered in half a microsecond a column, a third of the
    time a list page spent on its rows (issue 17)."""
    (row_id, reference, summary, state, opened, full, provider, contract, rulebook_id, next_due, waiting_on, *extras,
     overdue) = r
    href = base.format(id=row_id, case_id=row_id)
    if not full:
        return Row(row_id, href, reference, "", provider, contract or "", "", "Restricted", opened, None, "", False,
                   rulebook_id, False, dict.fromkeys(extra_columns))
    value = spec.state_value(state)
    return Row(row_id, href, reference, summary or "", provider, contract or "", value, labels[value], opened,
               next_due, _WAITING.get(waiting_on or "", ""), bool(overdue), rulebook_id, True,
               dict(zip(extra_columns, extras, strict=True)))


def _shown(spec: ListSpec, read, extras: bool) -> list[Row]:
    """Result rows (the whole columns, overdue included, and with extras the CSV's own) as rows ready to show."""
    base, labels = KINDS[spec.kind].page, _stage_labels(spec.kind)
    extra_columns = tuple(column for _heading, column in spec.extra_csv) if extras else ()
    return [_row(spec, base, labels, extra_columns, r) for r in read]


def _rows(spec: ListSpec, statement, now: datetime, extras: bool = False) -> list[Row]:
    """The rows a statement reads, ready to show."""
    return _shown(spec, db.session.execute(statement, _times(now)), extras)


def _counted_rows(spec: ListSpec, statement, now: datetime, extras: bool = False) -> tuple[list[Row], int | None]:
    """The rows of a page read with the list's capped count as their last column (_page counted), ready to show, and
    that count (None when the page has no row)."""
    read = db.session.execute(statement, _times(now)).all()
    return _shown(spec, (r[:-1] for r in read), extras), (read[0][-1] if read else None)


def list_rows(spec: ListSpec, viewer: Viewer, query: Query, now: datetime) -> tuple[list[Row], Count, int, int]:
    """(rows of the page, total, page, pages): the page past the end reads as the last page, and there are at most
    cap() // PER_PAGE pages (a longer list says so and asks for a search or filter)."""
    rows_stmt, _whole = _statements(spec, viewer, query)
    # The same filters count the same, whichever page or sort: one cached "about" for all of them.
    key = ("list", spec.kind, viewer.council_id, viewer.user_id, viewer.provider_id,
           replace(query, page=1, sort="opened", order="desc"))
    # Deep pages cost an offset read: as many pages as the cap holds (40 of 25), then search or filter.
    deepest = cap() // PER_PAGE
    # The page's ids are found first, in order, from the narrow rows; then only those rows are read whole. SQLite
    # works out every column of every row it sorts, so sorting the whole rows ran the next-deadline and whose-turn
    # subqueries for each of 50,000 open cases to show 25 (issue 17: sorted by provider, 172 ms).
    shown = spec.page_shows_extras
    rows, counted = None, None
    if known_about(key) is None and query.page <= deepest:
        # The page asked for, with the count up to the cap beside each row: one statement, not two (on PostgreSQL
        # every statement is a round trip: a prepared `SELECT 1` took 0.35 ms on the benchmark's host). No row (an
        # empty list, or a page past its end) leaves the count to bounded_count.
        rows, counted = _counted_rows(spec, _page(spec, viewer, query, (query.page - 1) * PER_PAGE, PER_PAGE,
                                                  extras=shown, counted=True), now, extras=shown)
    total = bounded_count(key, rows_stmt, _times(now), counted)
    pages = max(min((total + PER_PAGE - 1) // PER_PAGE, deepest), 1)
    page = min(query.page, pages)
    if rows is None or page != query.page:
        rows = _rows(spec, _page(spec, viewer, query, (page - 1) * PER_PAGE, PER_PAGE, extras=shown), now,
                     extras=shown)
    return rows, total, page, pages


def _page(spec: ListSpec, viewer: Viewer, query: Query, offset: int, limit: int, extras: bool = False,
          counted: bool = False):
    """The whole rows of one page (or, with the CSV's extra columns, of a CSV), in the list's order: built once for
    each (see _statements). A page leaves the extras out unless it shows them (ListSpec.page_shows_extras): decoding
    JSON columns a page does not show cost the breaches list for nothing. `counted` adds, as the last column, the
    list's count up to the cap (count_store.capped): a subquery that does not depend on the row, worked out once."""
    def build():
        rows_stmt, whole = _statements(spec, viewer, query)
        if not extras:
            whole = whole.with_only_columns(*(c for c in whole.selected_columns if not c.key.startswith("extra_")))
        if counted:
            whole = whole.add_columns(capped(rows_stmt).scalar_subquery().label("counted"))
        return whole.where(spec.model.id.in_(_page_keys(spec, viewer, query, rows_stmt, offset, limit)))

    return built(("list page", spec, viewer, replace(query, page=1), offset, limit, extras,
                  cap() if counted else None, dialect_name()), build)


def _page_keys(spec: ListSpec, viewer: Viewer, query: Query, rows_stmt, offset: int, limit: int = PER_PAGE):
    """The ids of one page (or of a CSV's rows), in the list's order, from the narrow rows.

    Sorted by provider, the council's providers are read by name along (council_id, name, id) and each one's rows
    newest first along (provider_id, id) (migration 0025), so a page reads about as many rows as it shows. SQLite's
    nested loop keeps both orders and stops at the page. PostgreSQL keeps only the providers' order, so each
    provider's rows are read beside it (LATERAL), at most as many as the page needs, and sorted within it."""
    model = spec.model
    keys = rows_stmt.with_only_columns(model.id)
    if query.sort != "provider" or dialect_name() != "postgresql":
        return keys.limit(fixed(limit)).offset(fixed(offset))
    walked = aliased(Provider)
    own = (keys.where(model.provider_id == walked.id).order_by(None).order_by(model.id.desc())
           .limit(fixed(offset + limit)).lateral())
    order = [column.asc() if query.order == "asc" else column.desc() for column in (walked.name, walked.id)]
    return (select(own.c.id).select_from(walked).join(own, true()).where(walked.council_id == viewer.council_id)
            .order_by(*order, own.c.id.desc()).limit(fixed(limit)).offset(fixed(offset)))


def csv_rows(spec: ListSpec, viewer: Viewer, query: Query, now: datetime) -> list[Row]:
    """Every row of the filtered list (at most CSV_LIMIT), in its order, for a CSV."""
    return _rows(spec, _page(spec, viewer, query, 0, CSV_LIMIT, extras=True), now, extras=True)


def period_choices(spec: ListSpec, viewer: Viewer) -> tuple[str, ...]:
    """The periods the viewer's rows cover, newest first, for the "Period" filter (one light query, kept by each
    worker for a minute: models/kept.py)."""
    model = spec.model
    column = getattr(model, spec.period)

    def read() -> tuple[str, ...]:
        found = db.session.execute(scoped(model, viewer).with_only_columns(column, func.max(model.period_start))
                                   .group_by(column).order_by(func.max(model.period_start).desc())).all()
        return tuple(row[0] for row in found)

    return kept(("periods", spec.kind, viewer.council_id, viewer.provider_id if viewer.is_provider else None), read)
