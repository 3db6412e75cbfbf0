"""Meeting cadences (issue 15, item 6): the next meeting of each of a contract's [[meetings]] cadences (CE-10,
HF-38, KT-13, CW-13), planned from the last meeting held (or the day Remedy began monitoring the contract), held
when a meeting of that cadence is recorded (which plans the one after), and marked overdue by the scheduler when its
date passes. The deadline reminds both the contract manager and the provider's people, who should attend."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import db
from models.calendar_store import working_calendar
from models.engine import fire, fire_system, load, new_record, start_clocks
from models.entities import Contract, User
from models.planned_meeting import PlannedMeeting
from models.provider_store import get_contract
from models.reference_store import reference_for
from models.registry import scoped
from models.rulebook_store import rulebook_for
from models.scheduling import Meeting
from workflows.access import Viewer
from workflows.clock import LONDON
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.meeting_cadence import MeetingCadence
from workflows.planned_meeting import PlannedMeetingState, next_meeting_clock

OPEN = (PlannedMeetingState.PLANNED, PlannedMeetingState.OVERDUE)


def planned_query(viewer: Viewer, contract_id: int | None = None, open_only: bool = False):
    """The statement of the planned meetings the viewer may see, with their contracts (a list's page)."""
    query = scoped(PlannedMeeting, viewer).options(selectinload(PlannedMeeting.contract))
    if contract_id is not None:
        query = query.where(PlannedMeeting.contract_id == contract_id)
    if open_only:
        query = query.where(PlannedMeeting.state.in_(OPEN))
    return query


def list_planned(viewer: Viewer, contract_id: int | None = None, open_only: bool = False) -> list[PlannedMeeting]:
    """Planned meetings the viewer may see (a provider: its own), soonest due first."""
    return list(db.session.scalars(planned_query(viewer, contract_id, open_only).order_by(PlannedMeeting.due_on,
                                                                                          PlannedMeeting.id)))


def get_planned(viewer: Viewer, planned_id: int) -> PlannedMeeting:
    """One planned meeting the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "planned_meeting", planned_id)


def _open_plan(contract_id: int, cadence: str) -> PlannedMeeting | None:
    return db.session.scalar(select(PlannedMeeting).where(
        PlannedMeeting.contract_id == contract_id, PlannedMeeting.cadence == cadence,
        PlannedMeeting.state.in_(OPEN)).order_by(PlannedMeeting.id.desc()).limit(1))


def _last_held(contract: Contract, cadence: MeetingCadence, first: bool) -> date | None:
    """The day the last meeting of a cadence was held (a meeting recorded with no cadence counts as the contract's
    first cadence: the contract monitoring meeting)."""
    which = Meeting.cadence == cadence.id
    if first:
        which = which | Meeting.cadence.is_(None)
    return db.session.scalar(select(Meeting.held_on).where(Meeting.contract_id == contract.id, which)
                             .order_by(Meeting.held_on.desc()).limit(1))


def _plan(actor: User | None, contract: Contract, cadence: MeetingCadence, counted_from: date, from_contract: bool,
          now: datetime) -> PlannedMeeting:
    book = rulebook_for(contract)
    clock = next_meeting_clock(cadence, counted_from, working_calendar(contract.council_id, book.region),
                               from_contract=from_contract)
    record = PlannedMeeting(council_id=contract.council_id, provider_id=contract.provider_id,
                            contract_id=contract.id, contract=contract,
                            reference=reference_for("planned_meeting", contract.council_id),
                            state=PlannedMeetingState.PLANNED, cadence=cadence.id, rule=cadence.rule,
                            what=cadence.what, counted_from=counted_from, due_on=clock.due_on,
                            created_at=now, updated_at=now)
    new_record(actor, "planned_meeting", record, "MEETING_PLANNED", now,
               data={"cadence": cadence.id, "rule": cadence.rule, "counted_from": counted_from,
                     "due_on": clock.due_on, "contract": contract.reference})
    start_clocks("planned_meeting", record, lambda _ctx: (clock,), now)
    return record


def plan_contract_meetings(actor: User | None, contract: Contract, now: datetime) -> list[PlannedMeeting]:
    """Plan the next meeting of every cadence of the contract's rulebook that has none planned: one cadence after
    the last meeting held, or after the day Remedy began monitoring the contract. Returns the ones it planned."""
    planned = []
    for index, cadence in enumerate(rulebook_for(contract).meetings):
        if _open_plan(contract.id, cadence.id) is not None:
            continue
        last = _last_held(contract, cadence, first=index == 0)
        start = last or contract.monitoring_from or contract.start_on
        planned.append(_plan(actor, contract, cadence, start, last is None, now))
    return planned


def plan_meetings(viewer: Viewer, actor: User, contract_key: int | str | None, now: datetime) -> list[PlannedMeeting]:
    """A contract manager asks Remedy to plan the contract's next meetings (those not planned yet)."""
    if viewer.is_provider or viewer.role not in MANAGERS:
        raise TransitionNotAllowed("Only the council's contract managers plan meetings", forbidden=True)
    if contract_key in (None, ""):
        raise ValidationProblem("Select the contract", "contract_id")
    contract = get_contract(viewer, contract_key)
    book = rulebook_for(contract)
    if not book.meetings:
        raise ValidationProblem(f"The {book.title} contract names no meeting cadence, so there is nothing to plan",
                                "contract_id")
    return plan_contract_meetings(actor, contract, now)


def choose_cadence(contract: Contract, cadence_id: str | None) -> str | None:
    """The cadence a recorded meeting belongs to: the one given (it must be the contract's), else the contract's
    first; None for a contract with no cadence."""
    book = rulebook_for(contract)
    if not book.meetings:
        if cadence_id:
            raise ValidationProblem(f"The {book.title} contract names no meeting cadence", "cadence")
        return None
    if not cadence_id:
        return book.meetings[0].id
    if book.cadence(cadence_id) is None:
        raise ValidationProblem("Select which meeting this was: " + ", ".join(
            f"{m.id} ({m.what})" for m in book.meetings), "cadence")
    return cadence_id


def meeting_held(actor: User | None, meeting: Meeting, now: datetime) -> PlannedMeeting | None:
    """A meeting was recorded: its cadence's planned meeting is held (meeting its deadline), and the next one is
    planned one cadence after it. Returns the next planned meeting."""
    if meeting.cadence is None:
        return None
    contract = meeting.contract
    cadence = rulebook_for(contract).cadence(meeting.cadence)
    if cadence is None:
        return None
    today = now.astimezone(LONDON).date()
    current = _open_plan(contract.id, cadence.id)
    if current is not None and meeting.held_on <= current.counted_from:
        return current  # an earlier meeting recorded late: the planned one is already counted from a later one
    if current is not None:
        fire_system("planned_meeting", current, "hold", now, today, actor=actor, cause="MEETING_RECORDED",
                    data={"meeting_id": meeting.id, "held_on": meeting.held_on})
    return _plan(actor, contract, cadence, meeting.held_on, False, now)


def step_planned(viewer: Viewer, actor: User, planned_id: int, trigger: str, data: dict, now: datetime,
                 expected_version=None) -> PlannedMeeting:
    """A person's step on a planned meeting (cancel)."""
    return fire(viewer, actor, "planned_meeting", planned_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)
