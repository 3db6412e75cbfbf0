"""The case API: cases and the records on them, and their transitions (../shared/INTERFACES.md)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask import g, request

from models.audit_store import events_for
from models.case_queries import case_records, case_timeline, cases_query, deadlines_for, get_case, get_record
from models.case_store import (
    ROW_COLUMNS,
    add_milestone,
    add_plan_row,
    change_milestone,
    change_plan_row,
    consider_termination,
    create_action_plan,
    draft_default_notice,
    draft_notice,
    open_case,
    plan_of_row,
    propose_suspension,
    remove_milestone,
    remove_plan_row,
)
from models.engine import allowed_triggers, fire
from models.meeting_store import apply_minutes, get_meeting
from models.portal_store import (
    comment_on_plan,
    evidence_for,
    health_of,
    plan_comments,
    representations_for,
    updates_for,
)
from models.registry import CASE_COLLECTIONS
from web.api import (
    answer,
    bp,
    enum_param,
    expose_record,
    json_body,
    optional_id,
    page_trails,
    paged_list,
    step_request,
    text_member,
)
from web.clock import now_utc, today_london
from web.errors import api_error
from web.permissions import api_requires
from workflows.access import Permission
from workflows.case import CaseState
from workflows.errors import NotFound, ValidationProblem

_FIELDS = {
    "case": ("reference", "summary", "contract_id", "provider_id", "overdue", "closed_at"),
    "notice": ("case_id", "title", "findings", "required_action", "served_on", "method", "received_on",
               "plan_due_days"),
    "action_plan": ("case_id", "notice_id", "title", "plan_version", "due_on", "council_comment",
                    "council_signed_at", "provider_signed_at", "frozen"),
    "milestone": ("case_id", "plan_id", "title", "due_on", "evidence"),
    "default_notice": ("case_id", "contract_id", "number", "default_description", "remedial_action", "remedy_days",
                       "served_on", "method"),
    "suspension": ("case_id", "proposed_reason", "proposed_by_rule", "ground", "scope", "scope_detail", "starts_on",
                   "lift_conditions", "phases"),
    "termination": ("case_id", "considered_reason", "proposed_by_rule", "decided_on", "effective_on", "grounds",
                    "exit_plan"),
}


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def deadline_json(deadline) -> dict:
    return {"id": deadline.id, "kind": deadline.kind, "label": deadline.label, "rule": deadline.rule,
            "unit": deadline.unit, "length": deadline.length, "start_on": deadline.start_on.isoformat(),
            "due_on": deadline.due_on.isoformat(), "due_at": deadline.due_at.isoformat(), "status": deadline.status,
            "acts": deadline.acts, "frozen": deadline.frozen, "explanation": deadline.explanation,
            "entity": {"type": deadline.entity_type, "id": deadline.entity_id}}


def event_json(event) -> dict:
    return {"id": event.id, "at": event.at.isoformat(), "actor": event.actor_label, "event": event.event,
            "entity": {"type": event.entity_type, "id": event.entity_id}, "from": event.from_state,
            "to": event.to_state, "reason": event.reason, "data": event.data}


def trail_json(kind: str, record_id: int, events: bool = True) -> dict:
    """A record's deadlines (soonest first) and, unless not wanted, its audit trail (oldest first), as the API shows
    them: from its list page's batch when it is on one (web/api.py PageTrails), else read for this record."""
    trails = page_trails(kind, record_id)
    council_id = g.viewer.council_id
    found = trails.deadlines(record_id) if trails else deadlines_for(council_id, entity=(kind, record_id))
    body = {"deadlines": [deadline_json(d) for d in found]}
    if events:
        trail = trails.events(record_id) if trails else events_for(council_id, kind, record_id)
        body["events"] = [event_json(e) for e in trail]
    return body


def record_json(kind: str, record) -> dict:
    """A record as the API returns it: id, state, allowed_triggers, deadlines and its audit trail."""
    now, today = now_utc(), today_london()
    body = {"id": record.id, "kind": kind, "state": record.state.value, "version": record.version_id,
            "allowed_triggers": [t for t, _label in allowed_triggers(g.viewer, kind, record, now, today)]}
    for field in _FIELDS[kind]:
        body[field] = _value(getattr(record, field))
    if kind == "case":
        body["deadlines"] = [deadline_json(d) for d in deadlines_for(g.viewer.council_id, case_id=record.id)]
        body["events"] = [event_json(e) for e in case_timeline(g.viewer, record)]
        body["records"] = {name: [{"id": r.id, "state": r.state.value} for r in rows]
                           for name, rows in case_records(g.viewer, record).items()}
        body["rung"] = record.state.value
    else:
        body.update(trail_json(kind, record.id))
    if kind == "action_plan":
        body["rows"] = [{"id": r.id, "position": r.position,
                         **{c: _value(getattr(r, c)) for c in ROW_COLUMNS}} for r in record.rows]
        body["milestones"] = [{"id": m.id, "title": m.title, "due_on": m.due_on.isoformat(),
                               "state": m.state.value} for m in record.milestones]
    body.update(portal_json(kind, record))
    return body


def portal_json(kind: str, record) -> dict:
    """What the provider portal adds to a record: a plan's versions and health, a milestone's progress reports and
    evidence files (their details; the files download from the web pages), a notice's representations."""
    if kind == "action_plan":
        health = health_of(record, today_london())
        said = [c for group in plan_comments(g.viewer, [record.id])[record.id].values() for c in group]
        return {"previous_id": record.previous_id, "health": health.value if health else None,
                "comments": [{"id": c.id, "about": c.about, "row_id": c.row_id, "milestone_id": c.milestone_id,
                              "text": c.text, "author": c.author.name if c.author else None,
                              "at": _value(c.created_at)} for c in sorted(said, key=lambda c: c.id)]}
    if kind == "milestone":
        return {"progress": [{"status": u.status, "commentary": u.commentary, "at": _value(u.created_at)}
                             for u in updates_for(g.viewer, [record.id])[record.id]],
                "evidence_files": [{"id": e.id, "filename": e.filename, "media_type": e.media_type,
                                    "bytes": e.size, "sha256": e.sha256, "review": e.review,
                                    "review_reason": e.review_reason, "uploaded_at": _value(e.created_at)}
                                   for e in evidence_for(g.viewer, [record.id])[record.id]]}
    if kind == "notice":
        return {"representations": [{"text": r.text, "at": _value(r.created_at)}
                                    for r in representations_for(g.viewer, [record.id])[record.id]]}
    return {}


@bp.post("/cases")
@api_requires(Permission.USE_API)
def create_case():
    """Open a case on a contract."""
    def act():
        data = json_body()
        contract = data.get("contract")
        if contract in (None, ""):
            raise ValidationProblem("Give the contract's id or reference", "contract")
        return open_case(g.viewer, g.api_user, str(contract), text_member(data, "summary"), now_utc(),
                         second_reason=text_member(data, "second_case_reason"), check_second=True)

    return answer(act, lambda case: record_json("case", case), 201)


@bp.get("/cases")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def cases():
    """Cases the token's owner may see, filtered, a page at a time, newest first."""
    state = enum_param("state", CaseState)
    overdue = {"true": True, "false": False}.get(request.args.get("overdue", "").lower())
    query = cases_query(g.viewer, provider_id=request.args.get("provider", type=int),
                        contract_id=request.args.get("contract", type=int), state=state, overdue=overdue)
    return paged_list(query, lambda c: {"id": c.id, "reference": c.reference, "state": c.state.value,
                                        "summary": c.summary, "provider": c.provider.name,
                                        "contract": c.contract.reference, "overdue": c.overdue})


def _case_kind(collection: str):
    """The case kind an API collection names (cases, notices, action-plans...), or a 404."""
    if collection not in CASE_COLLECTIONS:
        raise NotFound(f"There is no collection {collection!r}")
    return CASE_COLLECTIONS[collection]


@bp.get("/<collection>/<int:record_id>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def record(collection: str, record_id: int):
    """One record of any case collection."""
    kind = _case_kind(collection)
    return answer(lambda: get_record(g.viewer, kind.name, record_id), lambda found: record_json(kind.name, found))


@bp.post("/<collection>/<int:record_id>/transitions")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def transition(collection: str, record_id: int):
    """Fire a trigger on a record; data may carry the date something really happened (never in the future)."""
    kind = _case_kind(collection)

    def act():
        trigger, data, version = step_request()
        return fire(g.viewer, g.api_user, kind.name, record_id, trigger, data, now_utc(), today_london(),
                    expected_version=version)

    return answer(act, lambda changed: record_json(kind.name, changed))


@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_on_case(case_id: int, collection: str):
    """Draft a notice or default notice, start an action plan, propose a suspension or consider termination."""
    kind = CASE_COLLECTIONS.get(collection)
    if kind is None or kind.name in ("case", "milestone"):
        return api_error(404)

    def act():
        data = json_body()
        now, today = now_utc(), today_london()
        get_case(g.viewer, case_id)
        if kind.name == "notice":
            return draft_notice(g.viewer, g.api_user, case_id, text_member(data, "findings"),
                                text_member(data, "required_action"), now)
        if kind.name == "action_plan":
            due_days = data.get("due_days")
            if due_days is not None and (not isinstance(due_days, int) or not 1 <= due_days <= 120):
                raise ValidationProblem("due_days must be a whole number of working days from 1 to 120", "due_days")
            return create_action_plan(g.viewer, g.api_user, case_id, now, today,
                                      notice_id=optional_id(data, "notice"), due_days=due_days)
        if kind.name == "default_notice":
            return draft_default_notice(g.viewer, g.api_user, case_id, now)
        if kind.name == "suspension":
            return propose_suspension(g.viewer, g.api_user, case_id, text_member(data, "reason"), now,
                                      ground=text_member(data, "ground") or None)
        return consider_termination(g.viewer, g.api_user, case_id, text_member(data, "reason"), now, today)

    return answer(act, lambda made: record_json(kind.name, made), 201)


def _minutes_json(meeting) -> dict:
    from web.meetings import _workflow

    return {"id": meeting.id, "kind": "minutes", "state": meeting.state.value, "version": meeting.version_id,
            "contract_id": meeting.contract_id, "held_on": meeting.held_on.isoformat(),
            "sent_on": _value(meeting.sent_on), "attendees": meeting.attendees, "minutes": meeting.minutes,
            "withheld_reason": meeting.withheld_reason, "cadence": meeting.cadence,
            "allowed_triggers": _workflow(meeting).allowed_triggers(),
            **trail_json("meeting", meeting.id)}


for _collection in ("notices", "action-plans", "default-notices", "suspensions", "terminations"):
    # One explicit rule per collection, so "/cases/<id>/transitions" can never be mistaken for a collection.
    bp.add_url_rule(f"/cases/<int:case_id>/{_collection}", endpoint=f"create_{_collection.replace('-', '_')}",
                    view_func=create_on_case, methods=["POST"], defaults={"collection": _collection})


@bp.post("/action-plans/<int:plan_id>/rows")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_plan_row(plan_id: int):
    """Add an Appendix A row to a draft plan."""
    def act():
        add_plan_row(g.viewer, g.api_user, plan_id, json_body(), now_utc(), today_london())
        return get_record(g.viewer, "action_plan", plan_id)

    return answer(act, lambda plan: record_json("action_plan", plan), 201)


@bp.post("/action-plans/<int:plan_id>/milestones")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_milestone(plan_id: int):
    """Add a milestone to a draft plan."""
    def act():
        get_record(g.viewer, "action_plan", plan_id)  # another provider's plan is a 404 before its data is judged
        data = json_body()
        try:
            due_on = date.fromisoformat(str(data.get("due_on")))
        except ValueError:
            raise ValidationProblem("Give due_on as a date written YYYY-MM-DD", "due_on") from None
        return add_milestone(g.viewer, g.api_user, plan_id, text_member(data, "title"), due_on, now_utc())

    return answer(act, lambda milestone: record_json("milestone", milestone), 201)


def _version() -> object:
    """The version the client saw, from the JSON body or (for a DELETE with no body) ?version=."""
    data = request.get_json(silent=True)
    if isinstance(data, dict) and "version" in data:
        return data["version"]
    return request.args.get("version")


def _row_of(plan_id: int, row_id: int):
    row, plan = plan_of_row(g.viewer, row_id)
    if plan.id != plan_id:
        raise NotFound("There is no such row in that action plan")
    return row


@bp.patch("/action-plans/<int:plan_id>/rows/<int:row_id>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def patch_plan_row(plan_id: int, row_id: int):
    """Change a row of a draft or returned plan (the members sent; version is the plan's)."""
    def act():
        _row_of(plan_id, row_id)
        data = json_body()
        change_plan_row(g.viewer, g.api_user, row_id, {k: v for k, v in data.items() if k != "version"}, now_utc(),
                        today_london(), expected_version=data.get("version"))
        return get_record(g.viewer, "action_plan", plan_id)

    return answer(act, lambda plan: record_json("action_plan", plan))


@bp.delete("/action-plans/<int:plan_id>/rows/<int:row_id>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def delete_plan_row(plan_id: int, row_id: int):
    """Take a row out of a draft or returned plan (the audit trail keeps what it said)."""
    def act():
        _row_of(plan_id, row_id)
        return remove_plan_row(g.viewer, g.api_user, row_id, now_utc(), expected_version=_version())

    return answer(act, lambda plan: record_json("action_plan", plan))


@bp.post("/action-plans/<int:plan_id>/comments")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_plan_comment(plan_id: int):
    """Comment on one row (row_id) or one milestone (milestone_id) of a plan being agreed; answers with the plan."""
    def act():
        plan = get_record(g.viewer, "action_plan", plan_id)
        data = json_body()
        row_id, milestone_id = optional_id(data, "row_id"), optional_id(data, "milestone_id")
        if (row_id is None) == (milestone_id is None):
            raise ValidationProblem("Give the row_id of one row or the milestone_id of one milestone of the plan",
                                    "row_id")
        row = _row_of(plan_id, row_id) if row_id is not None else None
        milestone = get_record(g.viewer, "milestone", milestone_id) if milestone_id is not None else None
        if milestone is not None and milestone.plan_id != plan_id:
            raise NotFound("There is no such milestone in that action plan")
        comment_on_plan(g.viewer, g.api_user, plan, text_member(data, "text"), now_utc(), row=row,
                        milestone=milestone)
        return get_record(g.viewer, "action_plan", plan_id)

    return answer(act, lambda plan: record_json("action_plan", plan), 201)


def _due_on(data: dict, current):
    if "due_on" not in data:
        return current
    try:
        return date.fromisoformat(str(data.get("due_on")))
    except ValueError:
        raise ValidationProblem("Give due_on as a date written YYYY-MM-DD", "due_on") from None


@bp.patch("/milestones/<int:milestone_id>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def patch_milestone(milestone_id: int):
    """Change a milestone of a draft or returned plan (title, due_on; version is the milestone's)."""
    def act():
        milestone = get_record(g.viewer, "milestone", milestone_id)
        data = json_body()
        changes = {"due_on": _due_on(data, milestone.due_on)}
        if "title" in data:
            changes["title"] = text_member(data, "title")
        return change_milestone(g.viewer, g.api_user, milestone_id, changes, now_utc(),
                                expected_version=data.get("version"))

    return answer(act, lambda milestone: record_json("milestone", milestone))


@bp.delete("/milestones/<int:milestone_id>")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def delete_milestone(milestone_id: int):
    """Take a milestone out of a draft or returned plan; answers with the plan."""
    return answer(lambda: remove_milestone(g.viewer, g.api_user, milestone_id, now_utc(),
                                           expected_version=_version()),
                  lambda plan: record_json("action_plan", plan))


expose_record("minutes", "minutes", "set of meeting minutes (KT-16)",
              lambda record_id: get_meeting(g.viewer, record_id), _minutes_json,
              lambda record_id, trigger, data, version: apply_minutes(g.viewer, g.api_user, record_id, trigger, data,
                                                                      today_london(), now_utc(),
                                                                      expected_version=version))
