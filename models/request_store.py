"""Requests with a due date (issue 15): asked by the council under a contract whose rulebook lists the request type,
which starts its clock; answered by either side through the engine, which stops it; the scheduler marks an
unanswered request overdue (`mark_overdue`), and a late answer records the request type's breach event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import selectinload

from models import db
from models.calendar_store import working_calendar
from models.duties import InfoRequest
from models.engine import fire, load, new_record, start_clocks
from models.entities import User
from models.notification_store import breach_late
from models.portal import EvidenceFile
from models.portal_store import Upload, keep_evidence
from models.provider_store import get_contract
from models.reference_store import reference_for
from models.registry import scoped
from models.rulebook_store import rulebook_for
from workflows.access import Viewer
from workflows.clock import LONDON
from workflows.errors import ValidationProblem
from workflows.evidence import check_evidence
from workflows.info_request import RequestState, answer_deadline, validate_request
from workflows.machine import MANAGERS, PROVIDERS, TransitionNotAllowed


def requests_query(viewer: Viewer, provider_id: int | None = None):
    """The statement of the requests the viewer may see, with their contracts (a list's page)."""
    query = scoped(InfoRequest, viewer).options(selectinload(InfoRequest.contract))
    if provider_id is not None:
        query = query.where(InfoRequest.provider_id == provider_id)
    return query


def list_requests(viewer: Viewer, provider_id: int | None = None) -> list[InfoRequest]:
    """Requests the viewer may see (a provider: those made of it), soonest due first."""
    return list(db.session.scalars(requests_query(viewer, provider_id).order_by(InfoRequest.due_on.desc(),
                                                                                InfoRequest.id.desc())))


def get_request(viewer: Viewer, request_id: int) -> InfoRequest:
    """One request the viewer may see (NotFound otherwise, never told apart)."""
    return load(viewer, "request", request_id)


def can_ask(viewer: Viewer) -> bool:
    """The council's contract managers make a request."""
    return not viewer.is_provider and viewer.role in MANAGERS


def can_answer(viewer: Viewer) -> bool:
    """Either side records the answer."""
    return viewer.role in PROVIDERS | MANAGERS


def record_request(viewer: Viewer, actor: User, data: dict, now: datetime) -> InfoRequest:
    """Ask the provider for something the contract's rulebook lists; the clock starts on the day it is asked (a
    request type counted in hours: from now)."""
    if not can_ask(viewer):
        raise TransitionNotAllowed("Only the council's contract managers can make a request", forbidden=True)
    contract_key = data.get("contract_id")
    if contract_key in (None, ""):
        raise ValidationProblem("Select the contract", "contract_id")
    contract = get_contract(viewer, contract_key)
    book = rulebook_for(contract)
    duty = book.request_type(str(data.get("request_type") or ""))
    if duty is None:
        listed = ", ".join(d.id for d in book.requests)
        raise ValidationProblem(f"Select one of the request types the {book.title} contract lists"
                                + (f" ({listed})" if listed else " (it lists none)"), "request_type")
    today = now.astimezone(LONDON).date()
    valid = validate_request(data, duty, today)
    clock = answer_deadline(duty, valid["asked_on"], working_calendar(contract.council_id, book.region),
                            due_on=valid.get("due_on"), asked_at=now if valid["asked_on"] == today else None)
    record = InfoRequest(council_id=contract.council_id, provider_id=contract.provider_id, contract_id=contract.id,
                         contract=contract, reference=reference_for("request", contract.council_id),
                         state=RequestState.OPEN, request_type=duty.id, rule=duty.rule,
                         what_asked=valid["what_asked"], asked_on=valid["asked_on"], due_on=clock.due_on,
                         late=False, created_at=now, updated_at=now)
    new_record(actor, "request", record, "REQUEST_MADE", now,
               data={"request_type": duty.id, "rule": duty.rule, "asked_on": valid["asked_on"],
                     "due_on": clock.due_on, "contract": contract.reference})
    start_clocks("request", record, lambda _ctx: (clock,), now)
    return record


def answer_request(viewer: Viewer, actor: User, request_id: int, data: dict, now: datetime,
                   expected_version=None) -> InfoRequest:
    """Record the answer (a step of the machine, through the engine, which meets the deadline)."""
    return fire(viewer, actor, "request", request_id, "answer", data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def step_request(viewer: Viewer, actor: User, request_id: int, trigger: str, data: dict, now: datetime,
                 expected_version=None) -> InfoRequest:
    """Any person's step on a request (answer, withdraw)."""
    return fire(viewer, actor, "request", request_id, trigger, data, now, now.astimezone(LONDON).date(),
                expected_version=expected_version)


def request_evidence(viewer: Viewer, request_ids: list[int]) -> dict[int, list[EvidenceFile]]:
    """Evidence files sent with the answers to these requests, by request, oldest first."""
    out: dict[int, list[EvidenceFile]] = {r: [] for r in request_ids}
    if request_ids:
        for evidence in db.session.scalars(scoped(EvidenceFile, viewer).where(
                EvidenceFile.request_id.in_(request_ids)).order_by(EvidenceFile.id)):
            out[evidence.request_id].append(evidence)
    return out


def attach_evidence(viewer: Viewer, actor: User, request_id: int, uploads: list[Upload],
                    now: datetime) -> InfoRequest:
    """Evidence files with a request's answer (issue 15, item 1), from either side, through the portal's evidence
    store: every file is checked (type sniffed, 20 MB cap) before any is kept, and each is audited on the request."""
    record = get_request(viewer, request_id)
    if not can_answer(viewer):
        raise TransitionNotAllowed("Only the provider's staff or the council's managers can send evidence with an "
                                   "answer", forbidden=True)
    if record.state is RequestState.WITHDRAWN:
        raise TransitionNotAllowed("The request was withdrawn: no evidence is needed for it")
    if not uploads:
        raise ValidationProblem("Select a file to send with the answer", "file")
    checked = [(upload, check_evidence(upload.content)) for upload in uploads]
    for upload, file_type in checked:
        keep_evidence(actor, "request", record, upload, file_type, now, request_id=record.id)
    return record


def request_facts(record: InfoRequest) -> dict:
    """What the machine checks an answer against: the day it was asked and the day the answer was due."""
    return {"asked_on": record.asked_on, "due_on": record.due_on}


def on_request_step(step) -> None:
    """An answer after the due date, or the scheduler's `mark_overdue`, records the request type's breach event."""
    if step.result.trigger == "mark_overdue" or (step.result.trigger == "answer" and step.result.data.get("late")):
        breach_late(step, "request", "request", "late-answer", "request not answered by its due date")
