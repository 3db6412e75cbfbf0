"""The API for meeting cadences (issue 15, item 6): collection `planned-meetings` (the next meeting of each of a
contract's [[meetings]] cadences), and recording a meeting (`POST /minutes`), which holds the planned one and plans
the next."""

from __future__ import annotations

from flask import g

from models.engine import workflow_for
from models.meeting_store import record_meeting
from models.planned_meeting_store import get_planned, plan_meetings, planned_query, step_planned
from web.api import answer, bp, expose_record, json_body, paged_list, text_member
from web.api_cases import _minutes_json, _value, trail_json
from web.clock import now_utc, today_london
from web.permissions import api_requires
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.machine import need_date


def planned_json(record) -> dict:
    """A planned meeting: its cadence and rule, when it is due and why, whether it was held, its trail."""
    workflow = workflow_for(g.viewer, "planned_meeting", record, now_utc(), today_london())
    return {"id": record.id, "kind": "planned_meeting", "reference": record.reference, "state": record.state.value,
            "version": record.version_id, "allowed_triggers": workflow.allowed_triggers(),
            "provider_id": record.provider_id, "contract_id": record.contract_id, "cadence": record.cadence,
            "rule": record.rule, "what": record.what, "counted_from": _value(record.counted_from),
            "due_on": _value(record.due_on), "meeting_id": record.meeting_id, "held_on": _value(record.held_on),
            **trail_json("planned_meeting", record.id)}


@bp.get("/planned-meetings")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def planned_meetings():
    """Planned meetings the token's owner may see (a provider: its own), a page at a time, newest first."""
    return paged_list(planned_query(g.viewer), planned_json, kind="planned_meeting")


@bp.post("/planned-meetings")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_planned_meetings():
    """Plan a contract's next meetings (contract_id): each cadence with none planned, one cadence after the last
    meeting held or after monitoring began."""
    return answer(lambda: plan_meetings(g.viewer, g.api_user, json_body().get("contract_id"), now_utc()),
                  lambda made: {"items": [planned_json(r) for r in made]}, 201)


def _step(record_id: int, trigger: str, data: dict, version):
    if trigger != "cancel":
        raise ValidationProblem("Give the trigger to fire: cancel (a planned meeting is held by recording the "
                                "meeting: POST /minutes)", "trigger")
    return step_planned(g.viewer, g.api_user, record_id, trigger, data, now_utc(), expected_version=version)


expose_record("planned-meetings", "planned_meeting", "planned meeting (issue 15)",
              lambda record_id: get_planned(g.viewer, record_id), planned_json, _step)


@bp.post("/minutes")
@api_requires(Permission.USE_API, Permission.VIEW_PROVIDERS)
def create_minutes():
    """Record a meeting and draft its minutes (contract_id, held_on, attendees, minutes, and cadence: which of the
    contract's [[meetings]] it was); it holds that cadence's planned meeting and plans the next."""
    def act():
        data = json_body()
        today = today_london()
        held_on = need_date(data, "held_on", "Enter the date of the meeting", today)
        contract = data.get("contract_id")
        if contract in (None, "") or isinstance(contract, bool) or not isinstance(contract, int | str):
            raise ValidationProblem("Select the contract", "contract_id")
        return record_meeting(g.viewer, g.api_user, contract, held_on, text_member(data, "attendees"),
                              text_member(data, "minutes"), today, now_utc(),
                              cadence=text_member(data, "cadence") or None)

    return answer(act, _minutes_json, 201)
