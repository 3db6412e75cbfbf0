"""Duties to notify (issue 15): recorded under a contract whose rulebook lists the duty, which starts its clock on
the contract's calendar; the notice is recorded through the engine, which stops it; the scheduler marks missing
notice late (`mark_late`), and late or missing notice records the duty's breach event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import db
from models.calendar_store import working_calendar
from models.cases import Deadline
from models.deadline_store import cancel_deadline_timers
from models.duties import Notification
from models.engine import fire, load, new_record, start_clocks
from models.entities import Contract, User
from models.provider_store import get_contract
from models.reference_store import reference_for
from models.registry import scoped
from models.return_store import record_breach_event
from models.rulebook_store import rulebook_for
from workflows.access import Viewer
from workflows.clock import LONDON
from workflows.duties import DutySpec
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.notification import NotificationState, notify_deadline, validate_notification


def notifications_query(viewer: Viewer, provider_id: int | None = None):
    """The statement of the notifications the viewer may see, with their contracts (a list's page)."""
    query = scoped(Notification, viewer).options(selectinload(Notification.contract))
    if provider_id is not None:
        query = query.where(Notification.provider_id == provider_id)
    return query


def list_notifications(viewer: Viewer, provider_id: int | None = None) -> list[Notification]:
    """Notifications the viewer may see (a provider: its own), most recent event first."""
    return list(db.session.scalars(notifications_query(viewer, provider_id).order_by(Notification.occurred_on.desc(),
                                                                                     Notification.id.desc())))


def get_notification(viewer: Viewer, notification_id: int) -> Notification:
    """One notification the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "notification", notification_id)


def can_record(viewer: Viewer) -> bool:
    """The provider's own staff and the council's contract managers record what happened."""
    return viewer.is_provider or viewer.role in MANAGERS


def duties_of(contract: Contract) -> tuple[DutySpec, ...]:
    """The duties to notify the contract's rulebook lists (none: the contract offers none)."""
    return rulebook_for(contract).duties


def record_notification(viewer: Viewer, actor: User, data: dict, now: datetime) -> Notification:
    """Record that something the provider must tell the council happened; the duty's clock starts on the day it
    happened. With `notified_on`, the notice is recorded at once as well (a provider telling Remedy after the
    event)."""
    if not can_record(viewer):
        raise TransitionNotAllowed("Only the provider or the council's contract managers can record this",
                                   forbidden=True)
    contract_key = data.get("contract_id")
    if contract_key in (None, ""):
        raise ValidationProblem("Select the contract", "contract_id")
    contract = get_contract(viewer, contract_key)  # a provider's staff reach only their own contracts
    book = rulebook_for(contract)
    duty = book.duty(str(data.get("duty") or ""))
    if duty is None:
        listed = ", ".join(d.id for d in book.duties)
        raise ValidationProblem(f"Select one of the duties the {book.title} contract lists"
                                + (f" ({listed})" if listed else " (it lists none)"), "duty")
    valid = validate_notification(data, now.astimezone(LONDON).date())
    clock = notify_deadline(duty, valid["occurred_on"], working_calendar(contract.council_id, book.region))
    record = Notification(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                          contract=contract, reference=reference_for("notification", contract.council_id),
                          state=NotificationState.AWAITED, duty=duty.id, rule=duty.rule,
                          what_happened=valid["what_happened"], occurred_on=valid["occurred_on"],
                          due_on=clock.due_on, late=False, created_at=now, updated_at=now)
    new_record(actor, "notification", record, "NOTIFICATION_RECORDED", now,
               data={"duty": duty.id, "rule": duty.rule, "occurred_on": valid["occurred_on"],
                     "contract": contract.reference})
    start_clocks("notification", record, lambda _ctx: (clock,), now)
    if data.get("notified_on") not in (None, ""):
        notify(viewer, actor, record.id, {"notified_on": data["notified_on"], "how": data.get("how")}, now)
    return record


def notify(viewer: Viewer, actor: User, notification_id: int, data: dict, now: datetime,
           expected_version=None) -> Notification:
    """Record when the council was told (a step of the machine, through the engine, which stops the clock)."""
    return fire(viewer, actor, "notification", notification_id, "notify", data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def notification_facts(record: Notification) -> dict:
    """What the machine checks a notice against: the day it happened and the day notice was due."""
    return {"occurred_on": record.occurred_on, "due_on": record.due_on}


def duty_of(record) -> DutySpec | None:
    """The rulebook entry a notification or request was recorded under (None if the rulebook no longer lists it)."""
    book = rulebook_for(record.contract)
    return book.duty(record.duty) if hasattr(record, "duty") else book.request_type(record.request_type)


def breach_late(step, entity: str, kind: str, default_event: str, what: str) -> None:
    """A late or missing answer: the record is marked late, its running deadline breached (not met) and the
    contract's breach event recorded, once per record."""
    record = step.record
    if record.late:
        return
    record.late = True
    for deadline in db.session.scalars(select(Deadline).where(
            Deadline.entity_type == entity, Deadline.entity_id == record.id, Deadline.status == "running")):
        deadline.status, deadline.breached_at = "breached", deadline.due_at
        cancel_deadline_timers(deadline, what)
    duty = duty_of(record)
    event = duty.event if duty else default_event
    record_breach_event(record.contract, event, record.due_on, record.reference,
                        f"{record.reference}: {what} ({record.rule}, due {record.due_on:%-d %B %Y})", step.now,
                        actor=step.actor)


def on_notification_step(step) -> None:
    """Notice given after its deadline, or the scheduler's `mark_late`, records the duty's breach event."""
    if step.result.trigger == "mark_late" or step.result.data.get("late"):
        breach_late(step, "notification", "notification", "late-notice", "notice not given by the deadline")


def duty_choices(viewer: Viewer, table: str) -> list[tuple[str, str]]:
    """("contract id:entry id", words) for every duty (table "duties") or request type ("requests") the contracts the
    viewer may see list: a contract whose rulebook lists none offers none."""
    from models.provider_store import list_contracts

    choices = []
    for contract in list_contracts(viewer):
        book = rulebook_for(contract)
        for spec in (book.duties if table == "duties" else book.requests):
            choices.append((f"{contract.id}:{spec.id}",
                            f"{contract.reference}: {spec.what} ({spec.rule}, {spec.period})"))
    return choices
