"""Reading cases and their records, always scoped to the viewer: lists, a case's records, deadlines, timeline."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from models import db, fixed
from models.audit_store import events_for_case
from models.cases import ActionPlan, Case, Deadline, DefaultNotice, Document, Notice
from models.concerns import LargeScaleEnquiry
from models.count_store import Count, bounded_count, cap
from models.deadline_store import listed_facts
from models.engine import load, load_with
from models.portal import EvidenceFile, MilestoneUpdate, NoticeRepresentation, PlanComment
from models.registry import CASE_KINDS, KINDS, scoped
from workflows.access import Viewer
from workflows.case import OPEN, CaseState
from workflows.default_notice import DefaultState
from workflows.notice import NoticeState

# -- reading, always scoped -----------------------------------------------------------------------------------


@cache
def _by_case_statement(model: type, for_provider: bool):
    """select(model) of one case's records in the viewer's council (and provider): built once per shape, because
    building a statement costs more than SQLite takes to run it, and every case page runs these."""
    query = select(model).where(model.case_id == bindparam("case_id"), model.council_id == bindparam("council_id"))
    if for_provider:
        query = query.where(model.provider_id == bindparam("provider_id"))
    if model is ActionPlan:  # the plan's workflow counts its rows (and its milestones: case_contents gives them),
        query = query.options(joinedload(ActionPlan.rows))  # read with the plans: a case has a few versions
    return query.order_by(model.id)


def get_record(viewer: Viewer, kind: str, record_id: int):
    """One record of a case kind, or NotFound if it does not exist or the viewer may not see it."""
    return load(viewer, kind, record_id)


def get_case(viewer: Viewer, case_id: int) -> Case:
    """One case."""
    return get_record(viewer, "case", case_id)


def _filtered_cases(query, provider_id: int | None, contract_id: int | None, state: CaseState | None,
                    overdue: bool | None, open_only: bool):
    if provider_id is not None:
        query = query.where(Case.provider_id == provider_id)
    if contract_id is not None:
        query = query.where(Case.contract_id == contract_id)
    if state is not None:
        query = query.where(Case.state == state)
    if open_only:
        query = query.where(Case.state.in_(OPEN))
    # "Overdue" is what the scheduler has recorded: it sweeps every minute and marks a case overdue at a breach.
    # (The case list still flags a deadline past due before the sweep: see models/list_store.py.)
    if overdue is True:
        query = query.where(Case.overdue.is_(True))
    elif overdue is False:
        query = query.where(Case.overdue.is_(False))
    return query


def list_cases(viewer: Viewer, now: datetime, provider_id: int | None = None, contract_id: int | None = None,
               state: CaseState | None = None, overdue: bool | None = None, open_only: bool = False,
               page: int = 1, per_page: int = 25) -> tuple[list[Case], Count]:
    """A page of the cases the viewer may see, newest first, with the total count: exact up to the cap, "about"
    above it (models/count_store.py); a page past the cap's reach reads as empty (issue 17: no deep offset reads)."""
    query = cases_query(viewer, provider_id, contract_id, state, overdue, open_only)
    offset = (max(page, 1) - 1) * per_page
    key = ("api-cases", viewer.council_id, viewer.provider_id, provider_id, contract_id, state, overdue, open_only)
    total = bounded_count(key, query)
    if offset >= cap():
        return [], total
    items = db.session.scalars(query.order_by(Case.id.desc()).limit(fixed(per_page)).offset(fixed(offset)))
    return list(items), total


def cases_query(viewer: Viewer, provider_id: int | None = None, contract_id: int | None = None,
                state: CaseState | None = None, overdue: bool | None = None, open_only: bool = False):
    """The statement of the cases the viewer may see, filtered, with their provider and contract (a list's page), read
    in the same statement (each case has one of each: two more round trips a page on PostgreSQL as selectinload)."""
    return _filtered_cases(scoped(Case, viewer), provider_id, contract_id, state, overdue, open_only).options(
        joinedload(Case.provider), joinedload(Case.contract))


_RECORD_KINDS = tuple(name for name in CASE_KINDS if name != "case")
# What else hangs off a case and is read for its page only when there is some (letters, and the portal's
# representations, progress reports, evidence and comments): counted in the same statement as the kinds.
ATTACHED = {"document": Document, "notice_representation": NoticeRepresentation, "milestone_update": MilestoneUpdate,
            "evidence_file": EvidenceFile, "plan_comment": PlanComment}


_KINDS_ASKED = _RECORD_KINDS + tuple(ATTACHED)


@cache
def _kinds_present_columns(for_provider: bool) -> tuple:
    """Whether a case has any records of each kind, and any of each thing ATTACHED to it (_KINDS_ASKED): a column
    a kind, each an EXISTS that stops at the first row (counting them read every milestone and event of a busy
    case); built once (building it costs more than running it) with the case, council and provider as parameters."""
    columns = []
    for name, model in [(name, KINDS[name].model) for name in _RECORD_KINDS] + list(ATTACHED.items()):
        part = select(literal(1)).where(model.case_id == bindparam("case_id"),
                                        model.council_id == bindparam("council_id"))
        if for_provider and hasattr(model, "provider_id"):
            part = part.where(model.provider_id == bindparam("provider_id"))
        columns.append(part.exists().label(name))
    return tuple(columns)


@cache
def _kinds_present_query(for_provider: bool):
    """_kinds_present_columns as one row, for a case already read."""
    return select(*_kinds_present_columns(for_provider))


class CaseContents(NamedTuple):
    records: dict[str, list]  # every record attached to the case, by kind (CASE_KINDS but the case)
    attached: frozenset[str]  # the names in ATTACHED the case has any of


def case_contents(viewer: Viewer, case: Case) -> CaseContents:
    """Everything attached to a case, by kind: one statement says which kinds it has (and which of ATTACHED), then
    one per kind present (a case at the notice rung has only notices; most never reach a suspension). An action
    plan's milestones are the case's milestones of that plan, and a notice's plans the case's plans answering it,
    read once for both."""
    params = _case_params(viewer, case.id)
    found = db.session.execute(_kinds_present_query(viewer.is_provider), params).one()
    return _contents(viewer, case, found)


def case_with_contents(viewer: Viewer, case_id: int) -> tuple[Case, CaseContents]:
    """A case (NotFound as get_case) and everything attached to it (case_contents), which kinds it has read with
    the case itself: the case page's first statement."""
    case, found = load_with(viewer, "case", case_id, _kinds_present_columns(viewer.is_provider),
                            {"case_id": case_id})
    return case, _contents(viewer, case, found)


def _contents(viewer: Viewer, case: Case, found: tuple) -> CaseContents:
    """The records of the kinds a case has: `found` is a flag for each of _KINDS_ASKED (whether it has any)."""
    params = _case_params(viewer, case.id)
    present = {name for name, has in zip(_KINDS_ASKED, found, strict=True) if has}
    out = {}
    for name in _RECORD_KINDS:
        out[name] = [] if name not in present else list(db.session.scalars(
            _by_case_statement(KINDS[name].model, viewer.is_provider), params).unique())
    for plan in out["action_plan"]:
        set_committed_value(plan, "milestones", sorted((m for m in out["milestone"] if m.plan_id == plan.id),
                                                       key=lambda m: (m.due_on, m.id)))
    for notice in out["notice"]:  # a notice's plans are on its case: its machine need not ask for them again
        set_committed_value(notice, "plans", [plan for plan in out["action_plan"] if plan.notice_id == notice.id])
    return CaseContents(out, frozenset(present & ATTACHED.keys()))


def case_records(viewer: Viewer, case: Case) -> dict[str, list]:
    """Everything attached to a case, by kind (case_contents)."""
    return case_contents(viewer, case).records


@cache
def _case_deadlines_statement():
    # Built once (see _by_case_statement): every case page lists its deadlines.
    return select(Deadline).where(Deadline.council_id == bindparam("council_id"),
                                  Deadline.case_id == bindparam("case_id")).order_by(Deadline.due_at, Deadline.id) \
        .options(*listed_facts(subjects=False))  # the page has the case: each is named by its reference


def deadlines_for(council_id: int, case_id: int | None = None, entity: tuple[str, int] | None = None,
                  provider_id: int | None = None) -> list[Deadline]:
    """Deadline rows of a case or of one record, soonest first."""
    if case_id is not None and entity is None and provider_id is None:
        return list(db.session.scalars(_case_deadlines_statement(), {"council_id": council_id, "case_id": case_id}))
    query = select(Deadline).where(Deadline.council_id == council_id)
    if case_id is not None:
        query = query.where(Deadline.case_id == case_id)
    if entity is not None:
        query = query.where(Deadline.entity_type == entity[0], Deadline.entity_id == entity[1])
    if provider_id is not None:
        query = query.where(Deadline.provider_id == provider_id)
    return list(db.session.scalars(query.order_by(Deadline.due_at, Deadline.id)))


def deadlines_of(council_id: int, entity_type: str, entity_ids: list[int]) -> dict[int, list[Deadline]]:
    """The deadline rows of many records of one kind in one statement (a page of an API list), soonest first, by
    record id; a record with none maps to []."""
    found: dict[int, list[Deadline]] = {entity_id: [] for entity_id in entity_ids}
    if entity_ids:
        for deadline in db.session.scalars(_deadlines_of_statement(), {
                "council_id": council_id, "entity_type": entity_type, "ids": list(entity_ids)}):
            found[deadline.entity_id].append(deadline)
    return found


@cache
def _deadlines_of_statement():
    # Built once (the ids an expanding parameter): every page of an API list reads its records' deadlines.
    return select(Deadline).where(Deadline.council_id == bindparam("council_id"),
                                  Deadline.entity_type == bindparam("entity_type"),
                                  Deadline.entity_id.in_(bindparam("ids", expanding=True))
                                  ).order_by(Deadline.due_at, Deadline.id)


def case_timeline(viewer: Viewer, case: Case, newest: int | None = None, shown: bool = False):
    """The audit trail of the case and everything attached to it, oldest first (only the `newest` latest, if given;
    as models/audit_store.ShownEvent, what a page shows, with `shown`)."""
    return events_for_case(viewer.council_id, case.id, newest, shown)


LIVE_NOTICE = (NoticeState.ISSUED, NoticeState.PLAN_DUE, NoticeState.PLAN_SUBMITTED)
DEFAULT_IN_FORCE = (DefaultState.SERVED, DefaultState.NOT_REMEDIED)


def suspension_grounds(case: Case) -> frozenset[str]:
    """What is in place now that a contract may require before a suspension (CE-38): a live improvement notice or
    a default notice in force on any case of this contract, or a Large Scale Enquiry on the provider."""
    present = set()
    on_contract = select(Case.id).where(Case.contract_id == case.contract_id)
    if db.session.scalar(select(Notice.id).where(Notice.case_id.in_(on_contract),
                                                 Notice.state.in_(LIVE_NOTICE)).limit(1)) is not None:
        present.add("notice")
    in_force = select(DefaultNotice.id).where(DefaultNotice.case_id.in_(on_contract),
                                              DefaultNotice.state.in_(DEFAULT_IN_FORCE))
    if db.session.scalar(in_force.limit(1)) is not None:
        present.add("default_notice")
    if db.session.scalar(select(LargeScaleEnquiry.id).where(LargeScaleEnquiry.provider_id == case.provider_id,
                                                            LargeScaleEnquiry.ends_on.is_(None)).limit(1)) is not None:
        present.add("large_scale_enquiry")
    return frozenset(present)


def _case_params(viewer: Viewer, case_id: int) -> dict:
    params = {"case_id": case_id, "council_id": viewer.council_id}
    if viewer.is_provider:
        params["provider_id"] = viewer.provider_id
    return params
