"""Monitoring returns and performance pages: the schedule both sides see, uploads, the heatmap, scorecard, KPI
trend (server-rendered SVG with its data table) and the annual KPI assessment (Procurement Act 2023)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models import db
from models.list_store import ListSpec
from models.provider_store import get_contract, list_contracts
from models.return_store import (
    apply_return,
    decide_breach,
    get_return,
    import_rows,
    kpis_for,
    list_breaches,
    list_occurrences,
    open_periods,
    provided_kpis,
    record_occurrence,
    results_for,
    return_events,
    return_fields,
    return_triggers,
    submissions_for,
)
from models.rulebook_store import rulebook_for
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import now_utc, today_london
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.return_files import FileProblem, csv_bytes, read_upload, template_file, upload_limits
from web.steps import run_and_flash, run_step
from workflows.access import Permission
from workflows.errors import Conflict, ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.performance import assess_year, trend_svg

bp = Blueprint("returns", __name__)
# A return's clock starts only once the council has set its due date (A4): until then it is "not due yet".
RETURNS = ListSpec("return", "returns.list_returns_page", "returns", "Period starts", "period_start", "label",
                   reference="name", stage_label="Status", closed=("accepted",), due="due_on",
                   due_in=("due", "queried"), no_due="Not due yet: the council sets the date",
                   waiting_in=(("due", "provider"), ("queried", "provider"), ("submitted", "council")),
                   period="label", extra_csv=(("Period ends", "period_end"), ("Due", "due_on"),
                                              ("Submitted on", "submitted_on"), ("Late", "late")))
BREACHES = ListSpec("breach", "returns.list_breaches_page", "breaches", "Happened", "occurred_on", "summary",
                    reference="cites", state="status", stage_label="Status", closed=("dismissed", "withdrawn"),
                    waiting_in=(("proposed", "council"),),
                    extra_csv=(("Proposed actions", "actions"), ("Figures", "figures"), ("Case", "case_id"),
                               ("Immediate effect", "immediate")), page_shows_extras=True)


def _csv(filename: str, header: list[str], rows) -> Response:
    return Response(csv_bytes([header, *rows]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/returns")
@requires(Permission.VIEW_PROVIDERS)
def list_returns_page():
    """The schedule of returns, period by period, with due dates from the rulebook, for the council and the provider
    alike: searched, filtered (contract, provider, status, period), sorted and paged (web/lists.py), or as CSV."""
    open_periods(g.viewer, today_london(), now_utc())
    if request.args.get("format") == "csv":
        return csv_response(RETURNS, g.viewer, read_query(RETURNS), now_utc())
    return render_template("returns/list_returns.html", **list_context(RETURNS, g.viewer, now_utc()))


@bp.get("/returns/<int:row_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_return(row_id: int):
    """One period's return: due date and why, figures with their history, upload and the council's decision."""
    row = get_return(g.viewer, row_id)
    return _render_return(row)


def _render_return(row, errors=None, status=200, file_errors=None):
    """The return's page; `file_errors` are problems with an uploaded file, linked to the file field."""
    subs = submissions_for(row)
    kpis = {k.id: k for k in kpis_for(row)}
    triggers = return_triggers(g.viewer, row, now_utc(), today_london())
    entry = provided_kpis(row)
    given = request.form if request.method == "POST" and request.form.get("entry") else None
    current = subs[0].figures if subs else {}
    stored = (subs[0].fields or {}) if subs else {}
    items = [(ident, kind, label, given.get(f"item-{ident}", "") if given else stored.get(ident, ""))
             for ident, kind, label in return_fields(row)[0]]  # TH-22's Management Information items
    values = [(k, *([given.get(f"x-{i}", ""), given.get(f"y-{i}", "")] if given else
                     [_cell(v) for v in (current.get(k.id) or [None, None])])) for i, k in enumerate(entry)]
    return render_template("returns/show_return.html", row=row, submissions=subs, kpis=kpis, entry=values, items=items,
                           triggers=[t for t in triggers if t[0] in ("accept", "query")],
                           can_upload=any(t[0] in ("submit", "correct") for t in triggers),
                           events=return_events(g.viewer, row), file_errors=file_errors or [],
                           page_problems=(errors or []) + [{"text": e, "href": "#file"}
                                                           for e in file_errors or []]), status


def _cell(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


@bp.post("/returns/<int:row_id>/figures")
@requires(Permission.VIEW_PROVIDERS)
def enter_figures(row_id: int):
    """Submit (or correct) a return by typing the figures into the form."""
    row = get_return(g.viewer, row_id)
    entry = provided_kpis(row)
    figures = {}
    for i, kpi in enumerate(entry):
        x, y = request.form.get(f"x-{i}", "").strip(), request.form.get(f"y-{i}", "").strip()
        if x or y or not kpi.monitor_only:
            figures[kpi.id] = [x or None, y or None]
    trigger = "correct" if row.state.value in ("submitted", "accepted") else "submit"
    data: dict = {"figures": figures}
    items = return_fields(row)[0]
    if items:
        data["fields"] = {ident: request.form.get(f"item-{ident}", "") for ident, _kind, _label in items}
    try:
        apply_return(g.viewer, current_user, row_id, trigger, data, now_utc(), today_london(), source="form")
    except (TransitionNotAllowed, ValidationProblem, Conflict) as problem:
        db.session.rollback()
        return _render_return(get_return(g.viewer, row_id), [str(problem)], 422)
    db.session.commit()
    flash(f"Return submitted for {row.label}")
    return redirect(url_for("returns.show_return", row_id=row_id), code=303)


@bp.get("/returns/<int:row_id>/template.<fmt>")
@requires(Permission.VIEW_PROVIDERS)
def download_template(row_id: int, fmt: str):
    """The upload template for this contract and period."""
    row = get_return(g.viewer, row_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    body, media = template_file(row, fmt)
    return Response(body, mimetype=media, headers={
        "Content-Disposition": f'attachment; filename="{row.return_id}-{row.period_start}.{fmt}"'})


@bp.post("/returns/<int:row_id>/upload")
@requires(Permission.VIEW_PROVIDERS)
def upload_return(row_id: int):
    """Import a completed template; on any error nothing is imported and every error is listed by row and column."""
    row = get_return(g.viewer, row_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_return(row, status=422, file_errors=["Select the completed template to upload"])
    try:
        rows, source = read_upload(upload.filename, upload, upload_limits(row))
        updated, errors = import_rows(g.viewer, current_user, row.contract_id, row.return_id, rows, source,
                                      now_utc(), today_london())
    except FileProblem as problem:
        return _render_return(row, status=422, file_errors=[str(problem)])
    except (TransitionNotAllowed, ValidationProblem, Conflict) as problem:
        db.session.rollback()
        return _render_return(row, [str(problem)], 422)
    if errors:
        db.session.rollback()
        return _render_return(get_return(g.viewer, row_id), status=422, file_errors=[str(e) for e in errors])
    db.session.commit()
    flash(f"Return submitted for {', '.join(r.label for r in updated)}")
    return redirect(url_for("returns.show_return", row_id=row_id), code=303)


@bp.post("/returns/<int:row_id>/decide")
@requires(Permission.VIEW_PROVIDERS)
def decide_return(row_id: int):
    """Accept or query a submitted return (council managers)."""
    trigger = request.form.get("trigger", "")
    problems: list[str] = []
    _done, status = run_step(lambda: apply_return(g.viewer, current_user, row_id, trigger,
                                                  {"reason": request.form.get("reason", "")}, now_utc(),
                                                  today_london(), source="form"), None, problems)
    if status != 200:
        return _render_return(get_return(g.viewer, row_id), problems, 422)
    flash("Return accepted" if trigger == "accept" else "Return queried: the provider has been asked to correct it")
    return redirect(url_for("returns.show_return", row_id=row_id), code=303)


# -- performance ------------------------------------------------------------------------------------------------

def _heatmap(contract):
    """Rows of (KPI, [result per period]) and the period labels, for one contract."""
    results = results_for(g.viewer, contract_id=contract.id)
    periods = sorted({(r.period_start, r.label) for r in results})
    by = {(r.kpi_id, r.period_start): r for r in results}
    kpis = [k for k in rulebook_for(contract).monitoring.kpis
            if any((k.id, p[0]) in by for p in periods)]
    return periods, [(k, [by.get((k.id, p[0])) for p in periods]) for k in kpis]


@bp.get("/performance")
@requires(Permission.VIEW_PROVIDERS)
def performance():
    """Every contract's scorecard and provider-by-KPI-by-period heatmap, with RAG as text as well as colour."""
    contracts = list_contracts(g.viewer)
    maps = [(c, *_heatmap(c)) for c in contracts]
    if request.args.get("format") == "csv":
        return _csv("kpi-results.csv", ["provider", "contract", "kpi", "period", "period_start", "value", "target",
                                        "rag"],
                    [[c.provider.name, c.reference, k.id, r.label, r.period_start, "" if r.value is None else
                      round(r.value, 2), r.target, r.rag or "no rating"]
                     for c, _periods, rows in maps for k, cells in rows for r in cells if r is not None])
    scorecards = []
    for contract, _periods, rows in maps:
        latest = [(k, next((r for r in reversed(cells) if r is not None), None)) for k, cells in rows]
        counts = {rag: sum(1 for _k, r in latest if r and r.rag == rag) for rag in ("green", "amber", "red")}
        open_breaches = [b for b in list_breaches(g.viewer, contract_id=contract.id) if b.status == "proposed"]
        scorecards.append((contract, counts, len(open_breaches)))
    return render_template("returns/performance.html", maps=maps, scorecards=scorecards)


@bp.get("/performance/<int:contract_id>/kpis/<path:kpi_id>")
@requires(Permission.VIEW_PROVIDERS)
def kpi_trend(contract_id: int, kpi_id: str):
    """One KPI's trend for one provider: an SVG chart with the same figures in a table beside it."""
    contract = get_contract(g.viewer, contract_id)
    kpi = rulebook_for(contract).monitoring.kpi(kpi_id)
    if kpi is None:
        abort(404)
    results = [r for r in results_for(g.viewer, contract_id=contract.id) if r.kpi_id == kpi.id]
    if request.args.get("format") == "csv":
        return _csv(f"{contract.reference}-{kpi.id}.csv", ["period", "period_start", "value", "target", "rag"],
                    [[r.label, r.period_start, "" if r.value is None else round(r.value, 2), r.target,
                      r.rag or "no rating"] for r in results])
    svg = trend_svg(kpi, [(r.label, r.value, r.rag) for r in results],
                    axis_labels=[f"{r.period_start:%b %Y}" for r in results])
    return render_template("returns/kpi_trend.html", contract=contract, kpi=kpi, results=results, svg=svg)


@bp.route("/contracts/<int:contract_id>/monitoring-events", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def monitoring_events_page(contract_id: int):
    """The events a contract's rolling-window and rating rules count (care-plan delays, defaults recorded outside
    Remedy, local quality ratings), recorded by council managers; each one re-evaluates the contract's rules."""
    contract = get_contract(g.viewer, contract_id)
    if g.viewer.role not in MANAGERS:
        abort(403)
    book = rulebook_for(contract)
    kinds = [*book.monitoring.events, ("rating:local", "A local quality rating (give the rating)")]
    fields = (
        Field("kind", "radios", "What happened?", choices=tuple(kinds)),
        Field("on", "date", "Date it happened", DATE_HINT),
        Field("ref", "text", "Reference (optional)", "For example the care plan or the default notice", optional=True),
        Field("value", "text", "Rating (for a local quality rating only)", optional=True),
    )
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            if form.on.data is None:
                raise ValidationProblem("Enter the date it happened", "on")
            return record_occurrence(g.viewer, current_user, contract.id, form.kind.data or "", form.on.data,
                                     today_london(), now_utc(), ref=form.ref.data or "", value=form.value.data or None)

        done, status = run_step(act, form, problems)
        if done is not None:
            flash("Recorded: the contract's breach rules have been evaluated again")
            return redirect(url_for("returns.monitoring_events_page", contract_id=contract.id), code=303)
    elif form.errors:
        status = 422
    return render_template("returns/monitoring_events.html", contract=contract, form=form, fields=fields,
                           kinds=dict(kinds), occurrences=list_occurrences(g.viewer, contract.id),
                           page_problems=problems), status


@bp.get("/performance/<int:contract_id>/assessment")
@requires(Permission.VIEW_PROVIDERS)
def assessment(contract_id: int):
    """The annual KPI assessment (Procurement Act 2023): each KPI rated Good, Approaching target, Requires
    improvement or Inadequate, for a contract year, as a page, CSV or JSON."""
    contract = get_contract(g.viewer, contract_id)
    year = request.args.get("year", type=int) or today_london().year - 1
    book = rulebook_for(contract)
    results = [(r.kpi_id, r.period_start, r.rag) for r in results_for(g.viewer, contract_id=contract.id)]
    rows = assess_year(book.monitoring, results, year)
    fmt = request.args.get("format")
    if fmt == "csv":
        return _csv(f"{contract.reference}-assessment-{year}.csv", ["kpi", "name", "periods", "met", "rating"],
                    [[a.kpi.id, a.kpi.name, a.periods, a.met, a.rating] for a in rows])
    if fmt == "json":
        body = {"contract": contract.reference, "provider": contract.provider.name, "year": year,
                "basis": "financial year from 1 April", "kpis": [
                    {"kpi": a.kpi.id, "name": a.kpi.name, "periods": a.periods, "met": a.met, "rating": a.rating}
                    for a in rows]}
        return Response(json.dumps(body, indent=2), mimetype="application/json")
    return render_template("returns/assessment.html", contract=contract, year=year, rows=rows)


@bp.get("/breaches")
@requires(Permission.VIEW_PROVIDERS)
def list_breaches_page():
    """Breaches the engine found, with the rule and what happened, searched, filtered, sorted and paged
    (web/lists.py); managers confirm or dismiss a proposed one on the list."""
    if request.args.get("format") == "csv":
        return csv_response(BREACHES, g.viewer, read_query(BREACHES), now_utc())
    # The page's rows carry what each breach shows (BREACHES' extra columns): no second read of the page's breaches.
    return render_template("returns/list_breaches.html", **list_context(BREACHES, g.viewer, now_utc(), drawn=False),
                           can_decide=g.viewer.role in MANAGERS)


@bp.post("/breaches/<int:breach_id>/decide")
@requires(Permission.VIEW_PROVIDERS)
def decide_breach_page(breach_id: int):
    """Confirm a proposed breach (opening or escalating the case) or dismiss it with a reason."""
    trigger = request.form.get("trigger", "")
    row = None

    def act():
        nonlocal row
        row = decide_breach(g.viewer, current_user, breach_id, trigger, {"reason": request.form.get("reason", "")},
                            now_utc())

    if not run_and_flash(act):
        return redirect(url_for("returns.list_breaches_page"), code=303)
    if trigger == "confirm":
        flash(f"Breach confirmed ({row.cites}): the proposals are on the case")
        return redirect(url_for("cases.show_case", case_id=row.case_id), code=303)
    flash("Breach dismissed: no action")
    return redirect(url_for("returns.list_breaches_page"), code=303)
