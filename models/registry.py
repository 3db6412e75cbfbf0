"""The record-kind registry: one entry per kind of record Remedy keeps, and the one place that says who may see one.

Everything that needs to know about kinds reads this: the transition engine (model, machine, fields a step copies,
the step hook), the deadline queries, pages and calendar feed, the notifier, the provider picture, the API and the
letters. Adding a kind is one entry here plus its model, machine and store (README, "Adding a record kind").

Visibility is decided here, once. Every kind is scoped to the viewer's council, and provider staff to their own
provider. A *restricted* kind (a safeguarding concern) adds a rule of its own: who may see the record's details and
clocks (`visible_to` for one record, `visible_where` as SQL for lists and deadlines). A restricted record's deadlines,
reminders and feed entries reach only those people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from sqlalchemy import Integer, and_, false, literal, or_, select, true
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from models.cases import ActionPlan, Case, DefaultNotice, Milestone, Notice, Suspension, Termination
from models.concerns import Complaint, ConcernOfficer, Incident, SafeguardingConcern
from models.duties import InfoRequest, Notification
from models.financial_change import FinancialChange
from models.monitoring import BreachRecord, MonitoringReturn
from models.people import LeavingCare
from models.planned_meeting import PlannedMeeting
from models.referrals import CapacityConfirmation, CarePackage, Referral
from models.scheduling import Meeting
from models.soft_outcome import SoftOutcomeCheck
from models.stay_limit import StayLimit
from workflows.access import Viewer
from workflows.action_plan import ActionPlanWorkflow
from workflows.breach_record import BreachWorkflow
from workflows.capacity import CAPACITY_CLOCK, CapacityWorkflow
from workflows.care_package import CLOCKS as PACKAGE_CLOCKS
from workflows.care_package import PackageWorkflow
from workflows.case import CaseWorkflow
from workflows.clock import ClockSpec
from workflows.complaint import DRAFT_CLOCK, REPORT_CLOCK, ComplaintWorkflow
from workflows.default_notice import DefaultNoticeWorkflow
from workflows.financial_change import REPORT_CLOCK as FINANCIAL_CHANGE_CLOCK
from workflows.financial_change import FinancialChangeWorkflow
from workflows.incident import IncidentWorkflow
from workflows.info_request import REQUEST_CLOCK, RequestWorkflow
from workflows.leaving_care import CLOCKS as LEAVING_CARE_CLOCKS
from workflows.leaving_care import LeavingCareWorkflow
from workflows.machine import Workflow
from workflows.milestone import MILESTONE_CLOCK, MilestoneWorkflow
from workflows.minutes import MINUTES_CLOCK, MinutesWorkflow
from workflows.notice import NoticeWorkflow
from workflows.notification import NOTIFY_CLOCK, NotificationWorkflow
from workflows.planned_meeting import MEETING_CLOCK, PlannedMeetingWorkflow
from workflows.referral import CLOCKS as REFERRAL_CLOCKS
from workflows.referral import ReferralWorkflow
from workflows.returns import ReturnWorkflow
from workflows.safeguarding import (
    KEY_REPORT_CLOCK,
    KEY_WRITTEN_CLOCK,
    SAFEGUARDING,
    ConcernWorkflow,
    LocalPractice,
    practice_clocks,
)
from workflows.soft_outcome import CHECK_CLOCK, SoftOutcomeWorkflow
from workflows.stay_limit import STAY_CLOCK, StayWorkflow
from workflows.suspension import SuspensionWorkflow
from workflows.termination import TerminationWorkflow


@dataclass(frozen=True)
class RecordKind:
    """What Remedy knows about one kind of record."""

    name: str  # the entity type in the audit trail and on deadlines
    noun: str  # in sentences: "There is no complaint 4 that you can see"
    model: type
    workflow: type[Workflow]
    collection: str | None  # the API collection, /api/v1/<collection>/<id>
    page: str  # the record's page; {id} and {case_id} are filled in
    reference_prefix: str | None = None  # references are PREFIX-00001, unique per council
    copies: tuple[str, ...] = ()  # cleaned step data copied onto the record's columns of the same name
    on_case: bool = False  # belongs to a case: its case must be open for it to move, its clocks are the case's
    clocks: tuple[ClockSpec, ...] = ()  # clocks the kind starts itself (a contract's rulebook adds its own)
    on_final: str | None = None  # what reaching a final state does to its running deadlines: "met" or "cancelled"
    # "module:function" hooks, resolved on first use so the registry imports no store.
    facts: str | None = None  # (record) -> dict of facts the machine needs
    rulebook: str | None = None  # (record) -> Rulebook | None, when not simply its contract's
    on_step: str | None = None  # (step) -> None: what a step writes beyond the state, before it is audited
    then: str | None = None  # (step) -> None: what a step means for other records, after it is audited
    # Free-text columns that may carry personal data despite the "no names" label: blanked when the record's
    # person is erased (models/people.py). A kind with a person_id column lists them here.
    personal_text: tuple[str, ...] = ()
    restricted: bool = False
    visible_to: Callable[[Viewer, object], bool] | None = None
    visible_where: Callable[[Viewer, object], object] | None = None  # (viewer, id column) -> SQL condition

    def hook(self, name: str) -> Callable | None:
        """The kind's hook of that name, imported the first time it is asked for."""
        return _resolve(getattr(self, name))

    def page_for(self, entity_id: int, case_id: int | None) -> str:
        """The path of the record's page."""
        return self.page.format(id=entity_id, case_id=case_id)

    def clock(self, kind: str) -> ClockSpec | None:
        """One of the kind's own clocks by its deadline kind."""
        return next((c for c in self.clocks if c.kind == kind), None)


@cache
def _resolve(target: str | None) -> Callable | None:
    if target is None:
        return None
    module, name = target.split(":")
    return getattr(import_module(module), name)


# -- visibility -------------------------------------------------------------------------------------------------


def scoped(model: type, viewer: Viewer, *, provider_first: bool = False):
    """select(model) limited to what the viewer's organisation may see: its council, and a provider's own rows.

    provider_first: the caller walks the council's providers in name order (a list sorted by provider) on SQLite.
    The record's council is then compared as an expression (`+council_id`), not along the council's index, so
    SQLite reads each provider's rows along (provider_id, id), already in order, instead of sorting the council's.
    (PostgreSQL, which keeps statistics, is steered by the statement's shape instead: list_store._page_keys.)"""
    council = UnaryExpression(model.council_id, operator=custom_op("+"), type_=Integer) if provider_first \
        else model.council_id
    query = select(model).where(council == viewer.council_id)
    if viewer.is_provider:
        query = query.where(model.provider_id == viewer.provider_id)
    return query


def concern_visible_to(viewer: Viewer, concern: SafeguardingConcern) -> bool:
    """A concern's details and clocks: safeguarding officers and administrators, and the officers named on it.
    Other council staff only know that it exists; a provider sees only what was shared with it, never the stages."""
    if viewer.is_provider or concern.council_id != viewer.council_id:
        return False
    return viewer.role in SAFEGUARDING or any(o.user_id == viewer.user_id for o in concern.officers)


def concern_visible_where(viewer: Viewer, concern_id):
    """The same rule as SQL, a condition on a column holding a concern's id (a concern's own, a deadline's entity):
    true where the viewer may see that concern's details and clocks. The caller scopes its rows to the viewer's
    council (registry `scoped`), as every query of Remedy's does, so the rule adds no council of its own.

    A named person's check is one probe of the (concern, person) index for the row at hand: as `IN` the ids of
    every concern naming them (or, for a safeguarding officer, every concern of the council), the list's statement,
    which writes the rule seven times, built that set seven times (issue 17: 1,000 names, 6 ms at 1,000,000 cases)."""
    if viewer.is_provider:
        return false()
    if viewer.role in SAFEGUARDING:
        return true()
    return select(literal(1)).where(ConcernOfficer.concern_id == concern_id,
                                    ConcernOfficer.user_id == viewer.user_id).exists()


def visible_to(viewer: Viewer, kind: str, record) -> bool:
    """Whether the viewer may see this record at all (council and provider scope, then the kind's own rule)."""
    if record.council_id != viewer.council_id:
        return False
    if viewer.is_provider and record.provider_id != viewer.provider_id:
        return False
    rule = KINDS[kind].visible_to if kind in KINDS else None
    return rule(viewer, record) if rule else True


def visible_entities(viewer: Viewer, entity_type, entity_id):
    """A SQL condition on (entity type, entity id) columns: true where the viewer may see the record they name.
    Used by every query over deadlines, so no face can list a restricted record's clock."""
    conditions = [and_(entity_type == kind.name, kind.visible_where(viewer, entity_id))
                  for kind in KINDS.values() if kind.restricted]
    restricted = [kind.name for kind in KINDS.values() if kind.restricted]
    return or_(entity_type.not_in(restricted), *conditions) if restricted else true()


# -- the kinds ----------------------------------------------------------------------------------------------------

_CASE_PAGE = "/cases/{case_id}"
_PRACTICE = tuple(practice_clocks(LocalPractice()).values())  # stops and labels; lengths are the council's

_CR = "models.case_records:"
_CASE_HOOKS = {"then": _CR + "case_consequences"}

KINDS: dict[str, RecordKind] = {k.name: k for k in (
    RecordKind("case", "case", Case, CaseWorkflow, "cases", _CASE_PAGE, reference_prefix="CASE",
               on_step=_CR + "on_case_step", **_CASE_HOOKS),
    RecordKind("notice", "notice", Notice, NoticeWorkflow, "notices", _CASE_PAGE,
               copies=("served_on", "method", "received_on", "plan_due_days"), on_case=True,
               facts=_CR + "notice_facts", **_CASE_HOOKS),
    RecordKind("action_plan", "action plan", ActionPlan, ActionPlanWorkflow, "action-plans", _CASE_PAGE,
               on_case=True, facts=_CR + "plan_facts", on_step=_CR + "on_plan_step", **_CASE_HOOKS),
    RecordKind("milestone", "milestone", Milestone, MilestoneWorkflow, "milestones", _CASE_PAGE,
               copies=("evidence",), on_case=True, clocks=(MILESTONE_CLOCK,), facts=_CR + "milestone_facts",
               **_CASE_HOOKS),
    RecordKind("default_notice", "default notice", DefaultNotice, DefaultNoticeWorkflow, "default-notices",
               _CASE_PAGE, copies=("served_on", "method", "default_description", "remedial_action", "remedy_days"),
               on_case=True, on_step=_CR + "on_default_step", **_CASE_HOOKS),
    RecordKind("suspension", "suspension", Suspension, SuspensionWorkflow, "suspensions", _CASE_PAGE,
               copies=("ground", "scope", "scope_detail", "starts_on", "lift_conditions", "phases"), on_case=True,
               facts=_CR + "suspension_facts", **_CASE_HOOKS),
    RecordKind("termination", "termination", Termination, TerminationWorkflow, "terminations", _CASE_PAGE,
               copies=("decided_on", "effective_on", "grounds", "exit_plan"), on_case=True, **_CASE_HOOKS),
    RecordKind("complaint", "complaint", Complaint, ComplaintWorkflow, "complaints", "/complaints/{id}",
               reference_prefix="CMP", copies=("draft", "checklist", "outcome", "lessons", "resolution"),
               clocks=(REPORT_CLOCK, DRAFT_CLOCK), rulebook="models.rulebook_store:complaint_rulebook",
               on_step="models.concern_store:on_complaint_step"),
    RecordKind("safeguarding_concern", "safeguarding concern", SafeguardingConcern, ConcernWorkflow,
               "safeguarding-concerns", "/safeguarding/{id}", reference_prefix="SG", copies=("decision",),
               clocks=_PRACTICE, on_final="met", facts="models.concern_store:concern_facts",
               on_step="models.concern_store:on_concern_step", restricted=True,
               visible_to=concern_visible_to, visible_where=concern_visible_where),
    RecordKind("incident", "incident", Incident, IncidentWorkflow, "incidents", "/incidents/{id}",
               reference_prefix="INC", copies=("written_report",), clocks=(KEY_REPORT_CLOCK, KEY_WRITTEN_CLOCK),
               on_step="models.concern_store:on_incident_step"),
    RecordKind("financial_change", "financial change", FinancialChange, FinancialChangeWorkflow, "financial-changes",
               "/financial-changes/{id}", reference_prefix="FIN", copies=("reported_on",),
               clocks=(FINANCIAL_CHANGE_CLOCK,), facts="models.financial_change_store:change_facts"),
    RecordKind("notification", "notification", Notification, NotificationWorkflow, "duty-notifications",
               "/duty-notifications/{id}", reference_prefix="NTF", copies=("notified_on", "how"),
               clocks=(NOTIFY_CLOCK,), facts="models.notification_store:notification_facts",
               on_step="models.notification_store:on_notification_step"),
    RecordKind("request", "request", InfoRequest, RequestWorkflow, "requests", "/requests/{id}",
               reference_prefix="REQ", copies=("answer", "answered_on"), clocks=(REQUEST_CLOCK,),
               facts="models.request_store:request_facts", on_step="models.request_store:on_request_step"),
    # H&F referrals and packages of care (issue 15, item 2): per-person records under a contract with [referrals].
    RecordKind("referral", "referral", Referral, ReferralWorkflow, "referrals", "/referrals/{id}",
               reference_prefix="REF", copies=("acknowledged_at", "decided_at", "started_at", "refusal_reason",
                                               "refusal_detail", "within_capacity"),
               clocks=REFERRAL_CLOCKS, on_final="cancelled", facts="models.referral_store:referral_facts",
               on_step="models.referral_store:on_referral_step", then="models.referral_store:referral_consequences",
               personal_text=("summary", "refusal_detail")),
    RecordKind("package", "package of care", CarePackage, PackageWorkflow, "packages", "/packages/{id}",
               reference_prefix="POC", copies=("plan_agreed_on", "key_worker_on", "last_review_on", "admitted_at",
                                               "ended_on"),
               clocks=PACKAGE_CLOCKS, on_final="cancelled", facts="models.referral_store:package_facts",
               on_step="models.referral_store:on_package_step", personal_text=("summary",)),
    RecordKind("capacity", "capacity confirmation", CapacityConfirmation, CapacityWorkflow, "capacity-confirmations",
               "/capacity-confirmations/{id}", reference_prefix="CAP",
               copies=("confirmed_at", "available_hours", "available_from"), clocks=(CAPACITY_CLOCK,),
               on_final="met", facts="models.referral_store:capacity_facts",
               on_step="models.referral_store:on_capacity_step", then="models.referral_store:capacity_consequences"),
    RecordKind("meeting", "meeting", Meeting, MinutesWorkflow, "minutes", "/meetings/{id}", copies=("sent_on",),
               clocks=(MINUTES_CLOCK,), on_final="met", on_step="models.meeting_store:on_minutes_step"),
    # Meeting cadences (issue 15, item 6): the next meeting of each of a contract's [[meetings]] cadences.
    RecordKind("planned_meeting", "planned meeting", PlannedMeeting, PlannedMeetingWorkflow, "planned-meetings",
               "/planned-meetings/{id}", reference_prefix="MTG", copies=("meeting_id", "held_on"),
               clocks=(MEETING_CLOCK,)),
    # Per-person stay limits (issue 15, item 5: TH-11, TH-12).
    RecordKind("stay_limit", "stay limit", StayLimit, StayWorkflow, "stay-limits", "/stay-limits/{id}",
               reference_prefix="STAY", copies=("ended_on",), clocks=(STAY_CLOCK,),
               facts="models.stay_limit_store:stay_facts"),
    # A resident's annual soft-outcome check (issue 15, item 5: TH-S01 to TH-S09, TH-21).
    RecordKind("soft_outcome_check", "soft-outcome check", SoftOutcomeCheck, SoftOutcomeWorkflow,
               "soft-outcome-checks", "/soft-outcome-checks/{id}", reference_prefix="SOC",
               copies=("checked_on", "ratings", "notes"), clocks=(CHECK_CLOCK,),
               facts="models.soft_outcome_store:check_facts", then="models.soft_outcome_store:after_check",
               personal_text=("notes",)),
    RecordKind("return", "monitoring return", MonitoringReturn, ReturnWorkflow, "returns", "/returns/{id}",
               on_step="models.return_store:on_return_step"),
    RecordKind("breach", "breach", BreachRecord, BreachWorkflow, "breaches", "/breaches#breach-{id}",
               on_step="models.return_store:on_breach_step"),
    # People (issue 15): a young person's leaving-care record (Cornwall CW-14, CW-16, CW-10), linked to a person.
    RecordKind("leaving_care", "leaving-care record", LeavingCare, LeavingCareWorkflow, "leaving-care",
               "/leaving-care/{id}", reference_prefix="LC",
               copies=("allocated_on", "adviser_id", "reviewed_on", "contacted_on", "note"),
               clocks=LEAVING_CARE_CLOCKS, on_final="cancelled", facts="models.people_store:leaving_care_facts",
               on_step="models.people_store:on_leaving_care_step", personal_text=("note",)),
)}
BY_COLLECTION = {k.collection: k for k in KINDS.values() if k.collection}
WORKFLOWS = {k.name: k.workflow for k in KINDS.values()}  # every machine, for the generated state diagrams
CASE_KINDS = tuple(k.name for k in KINDS.values() if k.name == "case" or k.on_case)
CASE_COLLECTIONS = {k.collection: k for k in KINDS.values() if k.name in CASE_KINDS}
RESTRICTED = tuple(k.name for k in KINDS.values() if k.restricted)
# The kinds whose machine serves a letter on a step, with the event of that step (its date and officer go on it).
LETTER_EVENTS = {k.name: row.event for k in KINDS.values() for row in k.workflow.TRANSITIONS if row.letter}


def kind_of(name: str) -> RecordKind:
    """A kind by its name (the entity type), or KeyError."""
    return KINDS[name]


def page_for(entity_type: str, entity_id: int, case_id: int | None) -> str:
    """The path of the page that shows a record (a deadline's or a message's link)."""
    kind = KINDS.get(entity_type)
    if kind is None:
        return f"/cases/{case_id}" if case_id else "/deadlines"
    return kind.page_for(entity_id, entity_id if entity_type == "case" else case_id)

