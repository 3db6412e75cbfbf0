"""The JSON API under /api/v1: bearer tokens, JSON errors, and an OpenAPI document."""

from __future__ import annotations

import enum
from collections.abc import Callable

from flask import Blueprint, g, jsonify, request
from sqlalchemy import Select, text
from sqlalchemy.orm import selectinload

from models import db
from models.audit_store import events_of
from models.calendar_store import working_calendar
from models.case_queries import deadlines_of
from models.council_store import kept_for_viewer
from models.entities import Contract, Provider
from models.page_store import read_page
from models.provider_store import contracts_query, get_contract, get_provider, providers_query
from models.scheduler_store import scheduler_health
from web.bounds import DATE_RANGE_TEXT, DB_INT_MAX, BadParameter, date_param, whole_number
from web.clock import now_utc
from web.errors import api_error
from web.openapi import openapi_document
from web.permissions import api_requires, public
from web.steps import attempt
from workflows.access import Permission
from workflows.calendar import REGIONS
from workflows.errors import ValidationProblem


def json_body() -> dict:
    """The request's JSON object, or a problem saying to send one."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationProblem("Send a JSON object in the request body")
    return data


def text_member(data: dict, name: str) -> str:
    """A body member that must be text: "" when left out or null, ValidationProblem naming it for a number, a list
    or an object (which the stores would otherwise fail on, as a 500)."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationProblem(f"Give {name} as text", name)
    return value


def optional_id(data: dict, name: str, default: int | None = None) -> int | None:
    """A body member that names a record by its id: a whole number from 1 to 2,147,483,647, or the default when left
    out or null; anything else is a ValidationProblem naming it."""
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= DB_INT_MAX:
        raise ValidationProblem(f"Give {name} as a record's id, a whole number from 1 to {DB_INT_MAX:,}", name)
    return value


def step_request() -> tuple[str, dict, object]:
    """A transitions request: the trigger to fire, the step's data, and the version the client saw (if it sent one)."""
    data = json_body()
    trigger = data.pop("trigger", None)
    if not trigger:
        raise ValidationProblem("Give the trigger to fire, for example {\"trigger\": \"issue\"}", "trigger")
    return str(trigger), data, data.pop("version", None)


def enum_param(name: str, choices: type[enum.Enum]):
    """An optional query parameter that must be one of an enum's values: None when absent, a 422 naming the
    parameter and the values otherwise."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return choices(raw)
    except ValueError:
        raise BadParameter(f"{name} must be one of {', '.join(c.value for c in choices)}", name) from None


def run_api(action, then=None):
    """Run a store action and commit: (its result, or what `then` made of it before the commit, None), or (None,
    the JSON error response)."""
    result, failure = attempt(action, then)
    if failure is None:
        return result, None
    return None, api_error(failure.status, failure.message, failure.field)


def answer(action, serialize, status: int = 200):
    """Run a store action and answer with its result as JSON (201 for one that made a record), or the error. The
    result is serialised in the action's transaction, so the answer says what the commit stored."""
    result, error = run_api(action, serialize)
    return error or (jsonify(result), status)


# -- lists: one page at a time (issue 17) ------------------------------------------------------------------------

PER_PAGE, MAX_PER_PAGE = 25, 100


def page_args() -> tuple[int, int, int | None]:
    """?page= (from 1), ?per_page= (1 to 100; 25 when left out) and ?after= (an item's id: the items after it, in
    place of a numbered page). Anything else is refused with a 422 saying what to send, on every list alike, rather
    than quietly read as something the client did not ask for."""
    page = whole_number(request.args.get("page"), "page")
    per_page = whole_number(request.args.get("per_page"), "per_page")
    after = whole_number(request.args.get("after"), "after")
    if after is not None and (after < 1 or page is not None):
        raise BadParameter("Give after as the id of the last item you have (a whole number from 1), without page",
                           "after")
    page = 1 if page is None else page
    per_page = PER_PAGE if per_page is None else per_page
    if page < 1:
        raise BadParameter("Give page as a whole number from 1, like page=2", "page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise BadParameter(f"Give per_page as a whole number from 1 to {MAX_PER_PAGE}, like per_page=50", "per_page")
    return page, per_page, after


class PageTrails:
    """The deadlines and audit events of one page's records of a kind: each read for the whole page in one
    statement, the first time an item asks for them, so a page costs the same statements whatever its size."""

    def __init__(self, kind: str, ids: list[int]):
        self.kind, self.ids = kind, set(ids)
        self._deadlines: dict | None = None
        self._events: dict | None = None

    def deadlines(self, record_id: int) -> list:
        if self._deadlines is None:
            self._deadlines = deadlines_of(g.viewer.council_id, self.kind, sorted(self.ids))
        return self._deadlines[record_id]

    def events(self, record_id: int) -> list:
        if self._events is None:
            self._events = events_of(g.viewer.council_id, self.kind, sorted(self.ids))
        return self._events[record_id]


def page_trails(kind: str, record_id: int) -> PageTrails | None:
    """The page's batch of deadlines and events when this record is on the list page being answered, else None
    (one record's endpoint reads its own)."""
    trails = g.get("api_page_trails")
    return trails if trails is not None and trails.kind == kind and record_id in trails.ids else None


def paged_list(query: Select, show: Callable, kind: str | None = None, prepare: Callable | None = None,
               rows: bool = False):
    """Answer GET on a list: one page of a store's statement, newest first, as {"items", "total", "total_exact",
    "page", "per_page", "next_after"}. The total is exact up to models/count_store.py's cap and "about" above it
    (total_exact false); a page past the end has no items. `next_after`, the last item's id when the page is full,
    asks for the next page by ?after= (any depth at the cost of the first page; lists of records only: not `rows`).
    `kind` names the records' kind so that their deadlines and events are read for the page at once (PageTrails);
    `prepare` turns the page's rows into what `show` takes."""
    page, per_page, after = page_args()
    if after is not None and rows:
        raise BadParameter("This list pages by page number: give page rather than after", "after")
    viewer = g.viewer
    filters = tuple(sorted((k, v) for k, v in request.args.items(multi=True)
                           if k not in ("page", "per_page", "after")))
    key = ("api", request.path, filters, viewer.council_id, viewer.provider_id, viewer.role, viewer.user_id)

    def answered() -> dict:
        items, total = read_page(query, key, page, per_page, rows=rows, after=after)
        next_after = items[-1].id if items and len(items) == per_page and not rows else None
        if kind is not None:
            g.api_page_trails = PageTrails(kind, [item.id for item in items])
        shown = prepare(items) if prepare is not None else items
        return {"items": [show(item) for item in shown], "total": int(total), "total_exact": total.exact,
                "page": page, "per_page": per_page, "next_after": next_after}

    # Kept while nothing in the council changes (models/council_store.kept_for_viewer), as the HTML lists are.
    return jsonify(kept_for_viewer(viewer, (request.path, filters, page, per_page, after), answered))


bp = Blueprint("api", __name__, url_prefix="/api/v1")


def expose_record(collection: str, name: str, noun: str, read: Callable, show: Callable, step: Callable) -> None:
    """A record kind's face in the API: GET /<collection>/<id> shows one record the token's owner may see, and
    POST /<collection>/<id>/transitions fires a step ({"trigger", "version", ...data}) through the kind's store,
    after the record is found (another provider's is a 404 whatever the request says)."""

    @api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
    def one(record_id: int):
        return answer(lambda: read(record_id), show)

    @api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
    def transitions(record_id: int):
        def act():
            read(record_id)
            trigger, data, version = step_request()
            return step(record_id, trigger, data, version)

        return answer(act, show)

    one.__doc__, transitions.__doc__ = f"One {noun}.", f"Fire a step on a {noun}."
    bp.add_url_rule(f"/{collection}/<int:record_id>", endpoint=name, view_func=one, methods=["GET"])
    bp.add_url_rule(f"/{collection}/<int:record_id>/transitions", endpoint=f"{name}_transition",
                    view_func=transitions, methods=["POST"])


def provider_json(provider: Provider) -> dict:
    rating = provider.current_rating
    return {
        "id": provider.id,
        "name": provider.name,
        "reference": provider.reference,
        "cqc_location_id": provider.cqc_location_id,
        "cqc_rating": rating.rating.value if rating else None,
        "cqc_ratings": [
            {"rating": r.rating.value, "rated_on": r.rated_on.isoformat(), "report_url": r.report_url}
            for r in provider.ratings
        ],
    }


def contract_json(contract: Contract) -> dict:
    return {
        "id": contract.id,
        "reference": contract.reference,
        "title": contract.title,
        "provider": {"id": contract.provider.id, "name": contract.provider.name,
                     "reference": contract.provider.reference},
        "service": contract.service,
        "lots": list(contract.lots or []),
        "start_on": contract.start_on.isoformat(),
        "end_on": contract.end_on.isoformat() if contract.end_on else None,
        "rulebook": contract.rulebook_id,
        "contract_manager": contract.contract_manager.name if contract.contract_manager else None,
        "escalation_contacts": [
            {"level": c.level, "name": c.name, "position": c.position, "email": c.email, "telephone": c.telephone}
            for c in contract.escalation_contacts
        ],
    }


@bp.get("/health")
@public
def health():
    """Is Remedy up, can it reach its database, and when did the scheduler last tick."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is unreachable
        db.session.rollback()
        database = "unavailable"
    status = "ok" if database == "ok" else "degraded"
    scheduler = None
    if database == "ok":
        from models.timer_store import pending_due_count

        now = now_utc()
        scheduler = {**scheduler_health(now), "due": pending_due_count(now)}
    body = {"status": status, "database": database, "scheduler": scheduler}
    return jsonify(body), 200 if status == "ok" else 503


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/providers")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def providers():
    """Providers the token's owner may see, a page at a time, newest first."""
    return paged_list(providers_query(g.viewer), provider_json)


@bp.get("/providers/<int:provider_id>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def provider(provider_id: int):
    """One provider."""
    return answer(lambda: get_provider(g.viewer, provider_id), provider_json)


@bp.get("/contracts")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def contracts():
    """Contracts the token's owner may see, a page at a time, newest first."""
    return paged_list(contracts_query(g.viewer, provider_id=request.args.get("provider", type=int)).options(
        selectinload(Contract.provider), selectinload(Contract.contract_manager),
        selectinload(Contract.escalation_contacts)), contract_json)


@bp.get("/contracts/<key>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def contract(key: str):
    """One contract, by id or reference."""
    return answer(lambda: get_contract(g.viewer, key), contract_json)


def _workday_args() -> tuple[str, str | None]:
    region = request.args.get("region", "england-and-wales")
    if region not in REGIONS:
        return region, f"region must be one of {', '.join(REGIONS)}"
    return region, None


def _counted(count):
    """Run a working-day count, refusing one that runs past the calendar's range (a date after 2100, say)."""
    try:
        return count()
    except ValueError as exc:
        raise BadParameter(f"{exc}: choose dates {DATE_RANGE_TEXT}", "days") from None


@bp.get("/workdays/add")
@api_requires(Permission.USE_API, Permission.VIEW_WORKDAYS)
def workdays_add():
    """The date N working days after a start date, with every skipped date and why."""
    region, problem = _workday_args()
    if problem:
        return api_error(422, problem, "region")
    start = date_param(request.args.get("start"), "start")
    days = whole_number(request.args.get("days"), "days")
    if days is None:
        return api_error(422, "Give days as a whole number, like days=10", "days")
    if not -2000 <= days <= 2000:
        return api_error(422, "days must be between -2000 and 2000", "days")
    calendar = working_calendar(g.viewer.council_id, region)
    explanation = _counted(lambda: calendar.explain_add_working_days(start, days))
    return jsonify({"start": start.isoformat(), "days": days, "region": region,
                    "due_on": explanation.result.isoformat(), "rule": explanation.rule,
                    "explanation": explanation.lines(), "skipped": explanation.as_dict()["skipped"]})


@bp.get("/workdays/between")
@api_requires(Permission.USE_API, Permission.VIEW_WORKDAYS)
def workdays_between():
    """The number of working days after one date up to and including another."""
    region, problem = _workday_args()
    if problem:
        return api_error(422, problem, "region")
    start = date_param(request.args.get("start"), "start")
    end = date_param(request.args.get("end"), "end")
    calendar = working_calendar(g.viewer.council_id, region)
    days = _counted(lambda: calendar.working_days_between(start, end))
    return jsonify({"start": start.isoformat(), "end": end.isoformat(), "region": region, "working_days": days})


