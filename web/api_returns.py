"""The monitoring-return API: return periods, their transitions and uploads, KPI results and breaches."""

from __future__ import annotations

from datetime import date

from flask import Response, g, jsonify, request

from models import db
from models.provider_store import get_contract
from models.return_store import (
    apply_return,
    breaches_query,
    decide_breach,
    get_breach,
    get_return,
    import_rows,
    open_periods,
    record_occurrence,
    results_query,
    return_events,
    return_triggers,
    returns_query,
    submissions_for,
)
from web.api import answer, bp, enum_param, expose_record, json_body, paged_list, run_api, text_member
from web.api_cases import event_json
from web.clock import now_utc, today_london
from web.errors import api_error
from web.permissions import api_requires
from web.return_files import FileProblem, read_upload, upload_limits
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.returns import ReturnState


def return_json(row) -> dict:
    """A return period as the API returns it: state, due date, timeliness, figures with history, audit trail."""
    subs = submissions_for(row)
    return {
        "id": row.id, "kind": "return", "state": row.state.value, "version": row.version_id,
        "contract_id": row.contract_id, "provider_id": row.provider_id, "return": row.return_id, "name": row.name,
        "rule": row.rule, "period": {"start": row.period_start.isoformat(), "end": row.period_end.isoformat(),
                                     "label": row.label},
        "due_on": row.due_on.isoformat() if row.due_on else None,
        # A4: without a due date the explanation says "no due date set: the contract gives none".
        "due_explanation": row.due_explanation,
        "submitted_on": row.submitted_on.isoformat() if row.submitted_on else None, "late": row.late,
        "queries": row.queries, "query_reason": row.query_reason,
        "allowed_triggers": [t for t, _ in return_triggers(g.viewer, row, now_utc(), today_london())],
        "deadlines": ([{"kind": "return_due", "due_on": row.due_on.isoformat(), "status": row.state.value,
                        "explanation": row.due_explanation}] if row.due_on else []),
        "figures": subs[0].figures if subs else None,
        "fields": subs[0].fields if subs else None,  # TH-22's Management Information items
        "submissions": [{"number": s.number, "figures": s.figures, "fields": s.fields, "source": s.source,
                         "current": s.current,
                         "submitted_on": s.submitted_on.isoformat(), "submitted_at": s.submitted_at.isoformat()}
                        for s in subs],
        "events": [event_json(e) for e in return_events(g.viewer, row)],
    }


def breach_json(row) -> dict:
    """A breach the engine recorded, with the rule, the figures and what it proposes."""
    return {"id": row.id, "kind": "breach", "status": row.status, "contract_id": row.contract_id,
            "provider_id": row.provider_id, "rule_id": row.rule_id, "cites": row.cites, "actions": row.actions,
            "subject": row.subject, "summary": row.summary, "figures": row.figures,
            "occurred_on": row.occurred_on.isoformat(), "immediate": row.immediate, "advisory": row.advisory,
            "case_id": row.case_id, "proposals": row.proposals, "version": row.version_id}


@bp.get("/returns")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def returns():
    """Return periods the token's owner may see (providers: their own), with due dates."""
    state = enum_param("state", ReturnState)
    today = today_london()
    open_periods(g.viewer, today, now_utc())
    query = returns_query(g.viewer, contract_id=request.args.get("contract", type=int), state=state or None)
    return paged_list(query, lambda r: {"id": r.id, "contract_id": r.contract_id, "return": r.return_id,
                                        "name": r.name, "period": r.label,
                                        "period_start": r.period_start.isoformat(),
                                        "period_end": r.period_end.isoformat(),
                                        "due_on": r.due_on.isoformat() if r.due_on else None,
                                        "state": r.state.value, "late": r.late})


@bp.post("/returns/<int:row_id>/upload")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def return_upload(row_id: int):
    """Upload a CSV or XLSX return in the template; any error and nothing is imported (422 with every error)."""
    row = get_return(g.viewer, row_id)
    upload = request.files.get("file")
    if upload is None:
        return api_error(422, "Attach the completed template as 'file'")
    try:
        rows, source = read_upload(upload.filename or "", upload, upload_limits(row))
    except FileProblem as exc:
        return api_error(422, str(exc))

    def act():
        updated, errors = import_rows(g.viewer, g.api_user, row.contract_id, row.return_id, rows, source,
                                      now_utc(), today_london())
        if errors:
            raise _ImportErrors(errors)
        return updated

    try:
        result, error = run_api(act)
    except _ImportErrors as exc:
        db.session.rollback()
        return jsonify({"error": "The file has errors: nothing was imported",
                        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors]}), 422
    return error or jsonify({"imported": [return_json(r) for r in result]})


class _ImportErrors(Exception):
    def __init__(self, errors):
        super().__init__("import errors")
        self.errors = errors


@bp.get("/returns/<int:row_id>/template.<fmt>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def return_template(row_id: int, fmt: str):
    """The upload template for this contract and period, as CSV or XLSX."""
    from web.return_files import template_file

    row = get_return(g.viewer, row_id)
    if fmt not in ("csv", "xlsx"):
        return api_error(404)
    body, media = template_file(row, fmt)
    return Response(body, mimetype=media, headers={
        "Content-Disposition": f'attachment; filename="{row.return_id}-{row.period_start}.{fmt}"'})


@bp.get("/kpi-results")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def kpi_results():
    """KPI period results (value, target, RAG) from accepted returns, a page at a time, newest first."""
    return paged_list(results_query(g.viewer, contract_id=request.args.get("contract", type=int)),
                      lambda r: {"id": r.id, "contract_id": r.contract_id, "kpi": r.kpi_id, "period": r.label,
                                 "period_start": r.period_start.isoformat(), "value": r.value, "target": r.target,
                                 "rag": r.rag})


@bp.get("/breaches")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def breaches():
    """Breaches the engine recorded (providers see their own), a page at a time, newest first."""
    return paged_list(breaches_query(g.viewer, contract_id=request.args.get("contract", type=int),
                                     status=request.args.get("status") or None), breach_json)


@bp.post("/contracts/<int:contract_id>/monitoring-events")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def monitoring_event(contract_id: int):
    """Record a care-plan delay, a default, a local rating or another event a rolling-window rule counts."""
    def act():
        get_contract(g.viewer, contract_id)  # another provider's contract is not there (404) whatever was sent
        data = json_body()
        try:
            on = date.fromisoformat(str(data.get("on")))
        except ValueError:
            raise ValidationProblem("Give 'on' as a date written YYYY-MM-DD", "on") from None
        return record_occurrence(g.viewer, g.api_user, contract_id, str(data.get("kind") or ""), on,
                                 today_london(), now_utc(), ref=text_member(data, "ref"),
                                 value=text_member(data, "value") or None)

    return answer(act, lambda made: {"id": made.id, "kind": made.kind, "on": made.on.isoformat()}, 201)


expose_record("returns", "return_record", "monitoring return period", lambda record_id: get_return(g.viewer, record_id),
              return_json,
              lambda record_id, trigger, data, version: apply_return(g.viewer, g.api_user, record_id, trigger, data,
                                                                     now_utc(), today_london(),
                                                                     expected_version=version))
expose_record("breaches", "breach", "breach", lambda record_id: get_breach(g.viewer, record_id), breach_json,
              lambda record_id, trigger, data, version: decide_breach(g.viewer, g.api_user, record_id, trigger, data,
                                                                      now_utc(), expected_version=version))
