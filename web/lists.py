"""One list page for every kind of record a council works through (cases, complaints, incidents, ...): a search box
(reference, provider, summary), filters (mine, provider, contract, stage, open or closed, overdue), sortable
columns, pages of 25 with GOV.UK pagination, the next deadline and whose turn it is, and a CSV of the filtered list.

A page names its registry kind (models/registry.py) and gets all of this; the rows come from three statements (the
page, which of its rows are overdue, and its count) however many rows there are, because the next deadline and whose
turn it is are correlated subqueries on the deadline table, not a query per row. At council scale (issue 17) the
count reads at most 1,001 rows and says "about 49,000" above that (models/count_store.py), and pages stop at the
40th (1,000 rows, read newest first along an index): search or filter to narrow a longer list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from flask import Response, g, request, url_for
from sqlalchemy import and_, exists, func, or_, select

from models import db
from models.cases import Case, Deadline
from models.count_store import Count, bounded_count, cap
from models.entities import Contract, Provider
from models.provider_store import filter_choices
from models.registry import KINDS, scoped
from web.return_files import csv_bytes
from workflows.access import Viewer

PER_PAGE = 25
CSV_LIMIT = 10_000  # a CSV of the filtered list, bounded like every other read
LIVE = ("running", "breached")
SORTS = ("reference", "provider", "stage", "due", "opened")
SHOWS = (("open", "Open"), ("closed", "Closed"), ("all", "Open and closed"))


def pagination(endpoint: str, page: int, pages: int, args: dict, label: str) -> dict | None:
    """GOV.UK pagination: first, last, and the pages either side of this one, with ellipses between."""
    if pages <= 1:
        return None
    base = url_for(endpoint)  # once: url_for costs more than the rest of this together

    def href(n: int) -> str:
        return f"{base}?{urlencode({**args, 'page': n})}"

    items, previous = [], 0
    for n in sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1))):
        if n - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": href(n), "current": n == page})
        previous = n
    params = {"items": items, "landmarkLabel": label}
    if page > 1:
        params["previous"] = {"href": href(page - 1)}
    if page < pages:
        params["next"] = {"href": href(page + 1)}
    return params


@dataclass(frozen=True)
class ListSpec:
    """What differs between two lists: the registry kind, the page's endpoint and nouns, and the date column."""

    kind: str
    endpoint: str
    plural: str  # "cases"
    opened_label: str = "Opened"
    opened: str = "created_at"  # the column shown as "Opened" / "Received"
    summary: str = "summary"  # the column searched and shown under the reference

    @property
    def model(self):
        return KINDS[self.kind].model

    @property
    def final(self) -> tuple:
        return tuple(getattr(KINDS[self.kind].workflow, "FINAL", ()))

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
    sort: str = "opened"
    order: str = "desc"
    page: int = 1

    def args(self, **changes) -> dict:
        """The query string that reproduces this list (defaults left out), with some values changed."""
        values = {"q": self.q, "mine": "yes" if self.mine else "", "provider": self.provider or "",
                  "contract": self.contract or "", "stage": self.stage,
                  "show": "" if self.show == "open" else self.show, "overdue": self.overdue, "waiting": self.waiting,
                  "sort": "" if self.sort == "opened" else self.sort,
                  "order": "" if self.order == "desc" else self.order}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def read_query(spec: ListSpec) -> Query:
    args = request.args
    stages = {value for value, _ in spec.stages}
    show = args.get("show", "open")
    sort = args.get("sort", "opened")
    stage = args.get("stage") or args.get("state") or ""  # "state" was the case list's name for it
    return Query(q=args.get("q", "").strip()[:100], mine=args.get("mine") == "yes",
                 provider=_number(args.get("provider")), contract=_number(args.get("contract")),
                 stage=stage if stage in stages else "",
                 show=show if show in dict(SHOWS) else "open",
                 overdue=args.get("overdue", "") if args.get("overdue") in ("yes", "no") else "",
                 waiting=args.get("waiting", "") if args.get("waiting") in ("council", "provider") else "",
                 sort=sort if sort in SORTS else "opened",
                 order="asc" if args.get("order") == "asc" else "desc",
                 page=max(args.get("page", 1, type=int) or 1, 1))


def _deadline_of(spec: ListSpec):
    """The condition joining a record to its own deadlines (a case: every deadline on the case)."""
    model = spec.model
    if spec.kind == "case":
        return Deadline.case_id == model.id
    return and_(Deadline.entity_type == spec.kind, Deadline.entity_id == model.id)


def _late(spec: ListSpec, viewer: Viewer, now: datetime):
    """Overdue: a case the scheduler has flagged, or a record with a deadline breached or past due (not yet swept)."""
    model = spec.model
    late = exists().where(_deadline_of(spec), Deadline.council_id == viewer.council_id, or_(
        Deadline.status == "breached", and_(Deadline.status == "running", Deadline.due_at < now))).correlate(model)
    if spec.kind == "case":
        late = or_(Case.overdue.is_(True), late)
    return late


def _statements(spec: ListSpec, viewer: Viewer, query: Query, now: datetime):
    model = spec.model
    own = _deadline_of(spec)
    live = and_(own, Deadline.council_id == viewer.council_id, Deadline.status.in_(LIVE))
    next_due = select(func.min(Deadline.due_on)).where(live).correlate(model).scalar_subquery()
    waiting = (select(Deadline.acts).where(live).order_by(Deadline.due_at, Deadline.id).limit(1)
               .correlate(model).scalar_subquery())
    late = _late(spec, viewer, now)
    opened = getattr(model, spec.opened)
    summary = getattr(model, spec.summary)
    rows = select(
        model.id, model.reference, summary.label("summary"), model.state, opened.label("opened"),
        Provider.name.label("provider_name"), Contract.reference.label("contract_reference"), Contract.rulebook_id,
        # "Overdue" in the select list made PostgreSQL hash every overdue deadline for 25 rows: the page's rows are
        # probed afterwards instead (_overdue_ids).
        next_due.label("next_due"), waiting.label("waiting_on"),
    ).select_from(model).join(Provider, Provider.id == model.provider_id).outerjoin(
        Contract, Contract.id == model.contract_id)
    # The registry decides who sees what: its council, and a provider's own rows.
    conditions = [scoped(model, viewer).whereclause]
    if query.q:
        pattern = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\")
                                for column in (model.reference, Provider.name, summary))))
    if query.mine:
        conditions.append(Contract.contract_manager_id == viewer.user_id)
    if query.provider is not None:
        conditions.append(model.provider_id == query.provider)
    if query.contract is not None:
        conditions.append(model.contract_id == query.contract)
    if query.stage:
        conditions.append(model.state == next(s for s in KINDS[spec.kind].workflow.STATES
                                              if s.value == query.stage))
    if query.show == "open" and spec.final:
        conditions.append(model.state.not_in(spec.final))
    elif query.show == "closed":
        conditions.append(model.state.in_(spec.final))
    if query.overdue == "yes":
        conditions.append(late)
    elif query.overdue == "no":
        conditions.append(~late)
    if query.waiting:
        conditions.append(waiting == query.waiting)
    rows = rows.where(*conditions)
    column = {"reference": model.id, "provider": Provider.name, "stage": model.state, "due": next_due,
              "opened": opened}[query.sort]
    direction = column.asc() if query.order == "asc" else column.desc()
    # Records with no deadline go last whichever way the list is sorted by due date.
    order = [direction.nulls_last()] if query.sort == "due" else [direction]
    return rows.order_by(*order, model.id.desc())


@dataclass(frozen=True)
class Row:
    """One line of a list, ready to show."""

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


def _row(spec: ListSpec, base: str, r, overdue: set[int]) -> Row:
    waiting = {"provider": "Provider", "council": "Council"}.get(r.waiting_on or "", "")
    return Row(r.id, base.format(id=r.id, case_id=r.id), r.reference, r.summary or "", r.provider_name,
               r.contract_reference or "", r.state.value, stage_label(r.state), r.opened, r.next_due, waiting,
               r.id in overdue, r.rulebook_id)


def _rows(spec: ListSpec, viewer: Viewer, statement, now: datetime) -> list[Row]:
    """The rows a statement reads, with which of them are overdue (one more statement, on their ids only)."""
    found = db.session.execute(statement).all()
    ids = [r.id for r in found]
    model = spec.model
    overdue = set(db.session.scalars(select(model.id).where(model.id.in_(ids), _late(spec, viewer, now)))) \
        if ids else set()
    base = KINDS[spec.kind].page
    return [_row(spec, base, r, overdue) for r in found]


def list_rows(spec: ListSpec, viewer: Viewer, query: Query, now: datetime) -> tuple[list[Row], Count, int, int]:
    """(rows of the page, total, page, pages): the page past the end reads as the last page, and there are at most
    cap() // PER_PAGE pages (a longer list says so and asks for a search or filter)."""
    rows_stmt = _statements(spec, viewer, query, now)
    # The same filters count the same, whichever page or sort: one cached "about" for all of them.
    key = ("list", spec.kind, viewer.council_id, viewer.user_id, viewer.provider_id,
           replace(query, page=1, sort="opened", order="desc"))
    total = bounded_count(key, rows_stmt)
    # Deep pages cost an offset read: as many pages as the cap holds (40 of 25), then search or filter.
    pages = max(min((total + PER_PAGE - 1) // PER_PAGE, cap() // PER_PAGE), 1)
    page = min(query.page, pages)
    return _rows(spec, viewer, rows_stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE), now), total, page, pages


def csv_response(spec: ListSpec, viewer: Viewer, query: Query, now: datetime, stage=None) -> Response:
    """The filtered list as CSV, every cell formula-neutralised (web/return_files.csv_bytes)."""
    found = _rows(spec, viewer, _statements(spec, viewer, query, now).limit(CSV_LIMIT), now)
    header = ["Reference", "Summary", "Provider", "Contract", "Stage", spec.opened_label, "Next deadline",
              "Waiting on", "Overdue"]
    body = [[r.reference, r.summary, r.provider, r.contract, stage(r) if stage else r.stage,
             r.opened.date().isoformat() if hasattr(r.opened, "date") else str(r.opened),
             r.next_due.isoformat() if r.next_due else "", r.waiting_on, "Yes" if r.overdue else "No"]
            for r in found]
    return Response(csv_bytes([header, *body]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{spec.plural}.csv"'})


def filter_options(viewer: Viewer, spec: ListSpec, query: Query) -> dict:
    """The choices of the filter form, from one light query."""
    providers, contracts = filter_choices(viewer)
    return {"providers": providers, "contracts": contracts, "stages": spec.stages, "shows": SHOWS,
            "mine_offered": not viewer.is_provider}


def sort_links(spec: ListSpec, query: Query) -> dict:
    """For each sortable column: the address that sorts by it (the other way if it is the sort now), and its
    aria-sort value."""
    base = url_for(spec.endpoint)
    out = {}
    for key in SORTS:
        current = query.sort == key
        order = ("desc" if query.order == "asc" else "asc") if current else ("desc" if key == "opened" else "asc")
        args = query.args(sort=key, order=order)
        args.pop("page", None)
        if key == "opened":
            args.pop("sort", None)
        if order == "desc":
            args.pop("order", None)
        out[key] = {"href": f"{base}?{urlencode(args)}" if args else base,
                    "aria": ("ascending" if query.order == "asc" else "descending") if current else "none"}
    return out


def list_context(spec: ListSpec, viewer: Viewer, now: datetime) -> dict:
    """Everything a list template needs (see templates/components/record_list.html)."""
    query = read_query(spec)
    rows, total, page, pages = list_rows(spec, viewer, query, now)
    args = query.args()
    filtered = bool({k: v for k, v in args.items() if k not in ("sort", "order")})
    return {"spec": spec, "query": query, "rows": rows, "total": total, "page": page, "pages": pages,
            "pagination": pagination(spec.endpoint, page, pages, args, f"Pages of {spec.plural}"),
            "filtered": filtered, "more_than_pages": total > pages * PER_PAGE, "shown_in_pages": pages * PER_PAGE,
            "sorts": sort_links(spec, query), "choices": filter_options(viewer, spec, query),
            "csv_href": f"{url_for(spec.endpoint)}?{urlencode({**args, 'format': 'csv'})}",
            "viewer": g.viewer}
