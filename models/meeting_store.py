"""Contract monitoring meetings and their minutes (KT-16): sent, then approved, withheld or deemed approved."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from models import db
from models.audit_store import record_event
from models.calendar_store import working_calendar
from models.case_store import rulebook_for
from models.deadline_store import create_deadline, meet_deadlines
from models.entities import User
from models.provider_store import get_contract
from models.scheduling import Meeting
from workflows.access import Viewer
from workflows.errors import NotFound, ValidationProblem
from workflows.machine import MANAGERS, Context, TransitionNotAllowed
from workflows.minutes import MinutesState, MinutesWorkflow


def get_meeting(viewer: Viewer, meeting_id: int) -> Meeting:
    """One meeting the viewer may see."""
    query = select(Meeting).where(Meeting.id == meeting_id, Meeting.council_id == viewer.council_id)
    if viewer.is_provider:
        query = query.where(Meeting.provider_id == viewer.provider_id)
    meeting = db.session.scalar(query)
    if meeting is None:
        raise NotFound("There is no such meeting that you can see")
    return meeting


def list_meetings(viewer: Viewer, contract_id: int | None = None) -> list[Meeting]:
    """Meetings the viewer may see, newest first."""
    query = select(Meeting).where(Meeting.council_id == viewer.council_id)
    if viewer.is_provider:
        query = query.where(Meeting.provider_id == viewer.provider_id)
    if contract_id is not None:
        query = query.where(Meeting.contract_id == contract_id)
    return list(db.session.scalars(query.order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def record_meeting(viewer: Viewer, actor: User, contract_key: int | str, held_on: date, attendees: str,
                   minutes: str, today: date, now: datetime) -> Meeting:
    """Record a meeting and draft its minutes (council managers only)."""
    if viewer.role not in MANAGERS:
        raise TransitionNotAllowed("Only the council's contract managers record meetings", forbidden=True)
    contract = get_contract(viewer, contract_key)
    if held_on > today:
        raise ValidationProblem("The meeting date cannot be in the future", "held_on")
    if not (attendees or "").strip():
        raise ValidationProblem("Enter who attended (both contract managers at least, KT-15)", "attendees")
    if not (minutes or "").strip():
        raise ValidationProblem("Enter the minutes", "minutes")
    meeting = Meeting(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                      held_on=held_on, attendees=attendees.strip(), minutes=minutes.strip(),
                      state=MinutesState.DRAFTED, created_at=now, updated_at=now)
    db.session.add(meeting)
    db.session.flush()
    record_event(council_id=meeting.council_id, actor=actor, entity_type="meeting", entity_id=meeting.id,
                 event_name="MEETING_RECORDED", to_state="drafted", at=now, data={"held_on": held_on.isoformat()})
    return meeting


def apply_minutes(viewer: Viewer, actor: User, meeting_id: int, trigger: str, data: dict, today: date,
                  now: datetime) -> Meeting:
    """Send, approve or withhold the minutes, with the KT-16 clock started on sending."""
    meeting = get_meeting(viewer, meeting_id)
    book = rulebook_for(meeting.contract)
    ctx = Context(actor=viewer, now=now, today=today, calendar=working_calendar(meeting.council_id, book.region),
                  rulebook=book, record_provider_id=meeting.provider_id)
    result = MinutesWorkflow(meeting.state, ctx).fire(trigger, **data)
    meeting.state, meeting.updated_at = result.to_state, now
    if "sent_on" in result.data:
        meeting.sent_on = result.data["sent_on"]
    if trigger == "withhold":
        meeting.withheld_reason = result.data["reason"]
    record_event(council_id=meeting.council_id, actor=actor, entity_type="meeting", entity_id=meeting.id,
                 event_name=result.event, from_state=result.from_state.value, to_state=result.to_state.value,
                 reason=result.data.get("reason"), at=now,
                 data={k: v.isoformat() if isinstance(v, date) else v for k, v in result.data.items()})
    for clock in result.clocks_started:
        create_deadline(council_id=meeting.council_id, provider_id=meeting.provider_id,
                        contract_id=meeting.contract_id, case_id=None, entity_type="meeting", entity_id=meeting.id,
                        clock=clock, region=book.region, now=now)
    if result.event in ("MINUTES_APPROVED", "MINUTES_WITHHELD"):
        meet_deadlines("meeting", meeting.id, None, now)
    db.session.flush()
    return meeting
