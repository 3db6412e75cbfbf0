"""Contract monitoring meetings and their minutes (KT-16): sent, then approved, withheld or deemed approved."""

from __future__ import annotations

from datetime import date, datetime

from models import db
from models.engine import fire, load, new_record
from models.entities import User
from models.planned_meeting_store import choose_cadence, meeting_held
from models.provider_store import get_contract
from models.registry import scoped
from models.scheduling import Meeting
from workflows.access import Viewer
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.minutes import MinutesState


def get_meeting(viewer: Viewer, meeting_id: int) -> Meeting:
    """One meeting the viewer may see."""
    return load(viewer, "meeting", meeting_id)


def list_meetings(viewer: Viewer, contract_id: int | None = None) -> list[Meeting]:
    """Meetings the viewer may see, newest first."""
    query = scoped(Meeting, viewer)
    if contract_id is not None:
        query = query.where(Meeting.contract_id == contract_id)
    return list(db.session.scalars(query.order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def record_meeting(viewer: Viewer, actor: User, contract_key: int | str, held_on: date, attendees: str,
                   minutes: str, today: date, now: datetime, cadence: str | None = None) -> Meeting:
    """Record a meeting and draft its minutes (council managers only). The meeting holds its cadence's planned
    meeting and plans the next one (issue 15, item 6); `cadence` is which of the contract's [[meetings]] it was
    (the first when not given)."""
    if viewer.role not in MANAGERS:
        raise TransitionNotAllowed("Only the council's contract managers record meetings", forbidden=True)
    contract = get_contract(viewer, contract_key)
    if held_on > today:
        raise ValidationProblem("The meeting date cannot be in the future", "held_on")
    if not (attendees or "").strip():
        raise ValidationProblem("Enter who attended (both contract managers at least, KT-15)", "attendees")
    if not (minutes or "").strip():
        raise ValidationProblem("Enter the minutes", "minutes")
    which = choose_cadence(contract, cadence)
    meeting = Meeting(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                      held_on=held_on, attendees=attendees.strip(), minutes=minutes.strip(),
                      state=MinutesState.DRAFTED, cadence=which, created_at=now, updated_at=now)
    new_record(actor, "meeting", meeting, "MEETING_RECORDED", now, data={"held_on": held_on, "cadence": which})
    meeting_held(actor, meeting, now)
    return meeting


def apply_minutes(viewer: Viewer, actor: User, meeting_id: int, trigger: str, data: dict, today: date,
                  now: datetime, expected_version=None) -> Meeting:
    """Send, approve or withhold the minutes (through the engine), with the KT-16 clock started on sending."""
    return fire(viewer, actor, "meeting", meeting_id, trigger, data, now, today, expected_version=expected_version)


def on_minutes_step(step) -> None:
    """Why approval was withheld stays on the meeting."""
    if step.result.trigger == "withhold":
        step.record.withheld_reason = step.result.data["reason"]
