"""One list page for every kind of record a council works through (cases, complaints, incidents, ...): a search box
(reference, provider, summary), filters (mine, provider, contract, stage, open or closed, overdue), sortable
columns, pages of 25 with GOV.UK pagination, the next deadline and whose turn it is, and a CSV of the filtered list.

A page names its ListSpec (a registry kind, models/list_store.py) and gets all of this: this module reads the
person's choices from the address and draws the page; models/list_store.py reads the rows.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Response, render_template, request, url_for
from markupsafe import Markup

from models import list_store
from models.council_store import kept_for_viewer
from models.list_store import SHOWS, SORTS, ListSpec, Query, csv_rows, list_rows, period_choices
from models.provider_store import filter_choices
from web.return_files import csv_bytes
from workflows.access import Viewer


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


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def read_query(spec: ListSpec) -> Query:
    args = request.args
    stages = {value for value, _ in spec.stages}
    show = args.get("show", "open")
    sort = args.get("sort", "opened")
    # "state" was the case list's name for it, "status" the returns' and breaches'
    stage = args.get("stage") or args.get("state") or args.get("status") or ""
    return Query(q=args.get("q", "").strip()[:100], mine=args.get("mine") == "yes",
                 provider=_number(args.get("provider")), contract=_number(args.get("contract")),
                 stage=stage if stage in stages else "",
                 show=show if show in dict(SHOWS) else "open",
                 overdue=args.get("overdue", "") if args.get("overdue") in ("yes", "no") else "",
                 waiting=args.get("waiting", "") if args.get("waiting") in ("council", "provider") else "",
                 period=args.get("period", "").strip()[:120] if spec.period else "",
                 sort=sort if sort in SORTS else "opened",
                 order="asc" if args.get("order") == "asc" else "desc",
                 page=max(args.get("page", 1, type=int) or 1, 1))


def _cell(value) -> str:
    """A CSV cell: lists joined, yes/no for flags, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def csv_response(spec: ListSpec, viewer: Viewer, query: Query, now: datetime, stage=None) -> Response:
    """The filtered list as CSV, every cell formula-neutralised (web/return_files.csv_bytes)."""
    found = csv_rows(spec, viewer, query, now)
    header = ["Reference", "Summary", "Provider", "Contract", spec.stage_label, spec.opened_label, "Next deadline",
              "Waiting on", "Overdue", *(heading for heading, _ in spec.extra_csv)]
    body = [[r.reference, r.summary, r.provider, r.contract, stage(r) if stage else r.stage,
             r.opened.date().isoformat() if isinstance(r.opened, datetime) else _cell(r.opened),
             _cell(r.next_due), r.waiting_on, _cell(r.overdue), *(_cell(v) for v in r.extra.values())]
            for r in found]
    return Response(csv_bytes([header, *body]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{spec.plural}.csv"'})


def filter_options(viewer: Viewer, spec: ListSpec, query: Query) -> dict:
    """The choices of the filter form, from one light query. A value the list is filtered by stays selected even
    when it is not among the choices (a link to a period none of the viewer's rows cover yet, a provider the
    viewer cannot see), so the form never says "Any" over a filtered list."""
    providers, contracts = filter_choices(viewer)
    periods = period_choices(spec, viewer) if spec.period else ()
    return {"providers": _keeping(providers, query.provider, "Not available to you"),
            "contracts": _keeping(contracts, query.contract, "Not available to you"),
            "stages": spec.stages, "shows": SHOWS, "mine_offered": not viewer.is_provider,
            "periods": _keeping(periods, query.period or None, None)}


def _keeping(choices: tuple, chosen, label: str | None) -> tuple:
    """The choices, with the chosen value first when it is not one of them (labelled `label`, or as itself)."""
    values = {item[0] if isinstance(item, tuple) else item for item in choices}
    if chosen is None or chosen in values:
        return choices
    return ((chosen, label or str(chosen)), *choices)


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


def list_context(spec: ListSpec, viewer: Viewer, now: datetime, drawn: bool = True, describe=None) -> dict:
    """Everything a list template needs: the rows, counts, pages, sort links and filter choices, and (`drawn`) the
    search, filters, count, table and pagination drawn as one (`listed`: templates/components/record_list.html,
    `describe` adding a line under each row's stage). A page that draws its own rows (breaches, with their
    decisions) includes components/list_filters.html and draws from the rest.

    Kept while nothing in the council changes (models/council_store.kept_for_viewer): a list is read far more often
    than its records change, and reading and drawing 25 rows was most of a list page's work (issue 17)."""
    query = read_query(spec)

    def draw() -> dict:
        rows, total, page, pages = list_rows(spec, viewer, query, now)
        args = query.args()
        filtered = bool({k: v for k, v in args.items() if k not in ("sort", "order")})
        context = {"spec": spec, "query": query, "rows": rows, "total": total, "page": page, "pages": pages,
                   "pagination": pagination(spec.endpoint, page, pages, args, f"Pages of {spec.plural}"),
                   "filtered": filtered, "more_than_pages": total > pages * list_store.PER_PAGE,
                   "shown_in_pages": pages * list_store.PER_PAGE,
                   "sorts": sort_links(spec, query), "choices": filter_options(viewer, spec, query),
                   "csv_href": f"{url_for(spec.endpoint)}?{urlencode({**args, 'format': 'csv'})}",
                   "viewer": viewer}
        if drawn:
            context["listed"] = Markup(render_template("components/record_list.html", **context,
                                                       describe=describe))
        return context

    return kept_for_viewer(viewer, ("list", spec.kind, query, drawn), draw)
