"""The service improvement action plan, in Kent's Appendix A structure (rules.md 1.2.4).

Rows: KPI, current performance and RAG, issue or reason, action, owner, SMART expected outcome, deadline. KT-19
(section 11.3) adds key tasks, milestones, timescales and resources, agreed by both parties: the council agrees,
then the provider signs off, and the agreed version is frozen. CE-32: the council may add actions; agreeing a
plan does not waive the KPIs (CE-45). HF-42: where performance fails, the provider submits a plan showing how it
will put things right; HF-37: the provider takes part fully (it writes, submits and signs the plan).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDER_MANAGERS, PROVIDERS, Workflow, need_text, table


class PlanState(enum.Enum):
    """Where an action plan stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # returned for changes, with the council's comments
    AGREED = "agreed"  # agreed by the council; waiting for the provider's sign-off
    IN_PROGRESS = "in_progress"  # signed by both parties; milestones under way
    COMPLETED = "completed"  # completed and verified
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a later version was agreed and signed by both parties; kept as history


RAG = ("red", "amber", "green")


@dataclass(frozen=True)
class PlanRow:
    """One row of Kent's Appendix A template."""

    kpi: str
    current_performance: str
    rag: str
    issue: str
    action: str
    owner: str
    expected_outcome: str
    deadline: date


def validate_row(raw: dict, today: date) -> PlanRow:
    """Check one Appendix A row: every column filled, a RAG status, and a deadline not in the past."""
    def text(key: str, message: str) -> str:
        value = str(raw.get(key) or "").strip()
        if not value:
            raise ValidationProblem(message, key)
        return value

    rag = str(raw.get("rag") or "").strip().lower()
    if rag not in RAG:
        raise ValidationProblem("Select the current RAG status (red, amber or green)", "rag")
    deadline = raw.get("deadline")
    if isinstance(deadline, str):
        try:
            deadline = date.fromisoformat(deadline)
        except ValueError:
            raise ValidationProblem("Enter the deadline as a real date", "deadline") from None
    if not isinstance(deadline, date):
        raise ValidationProblem("Enter the deadline for the action", "deadline")
    if deadline < today:
        raise ValidationProblem(f"The deadline must be today ({today:%-d %B %Y}) or later", "deadline")
    return PlanRow(
        kpi=text("kpi", "Enter the reference of the KPI"),
        current_performance=text("current_performance", "Enter the current performance level"),
        rag=rag,
        issue=text("issue", "Enter the issue or reason identified"),
        action=text("action", "Enter the action to be taken"),
        owner=text("owner", "Enter who will do it"),
        expected_outcome=text("expected_outcome", "Enter the SMART expected outcome"),
        deadline=deadline,
    )


def validate_milestone(raw_title, due_on, today: date, notice_served_on: date | None = None) -> tuple[str, date]:
    """Check a milestone: what it is, and a due date that is neither in the past nor before the notice it answers
    (KT-19: the plan's timescales run forward from the notice)."""
    title = str(raw_title or "").strip()
    if not title:
        raise ValidationProblem("Enter what the milestone is", "title")
    if len(title) > 300:
        raise ValidationProblem("What the milestone is must be 300 characters or fewer", "title")
    if not isinstance(due_on, date):
        raise ValidationProblem("Enter the date the milestone is due", "due_on")
    if notice_served_on is not None and due_on < notice_served_on:
        raise ValidationProblem(f"The milestone must be due on or after the date the notice was served "
                                f"({notice_served_on:%-d %B %Y})", "due_on")
    if due_on < today:
        raise ValidationProblem(f"The milestone must be due today ({today:%-d %B %Y}) or later", "due_on")
    return title, due_on


PLAN_TRANSITIONS = table([
    {"trigger": "submit", "source": (PlanState.DRAFT, PlanState.RETURNED), "dest": PlanState.SUBMITTED,
     "roles": PROVIDER_MANAGERS | MANAGERS, "event": "PLAN_SUBMITTED", "label": "Submit the plan for agreement"},
    {"trigger": "return_for_changes", "source": PlanState.SUBMITTED, "dest": PlanState.RETURNED, "roles": MANAGERS,
     "event": "PLAN_RETURNED", "label": "Return the plan for changes"},
    {"trigger": "agree", "source": PlanState.SUBMITTED, "dest": PlanState.AGREED, "roles": MANAGERS,
     "event": "PLAN_AGREED", "label": "Agree the plan (council sign-off)"},
    {"trigger": "sign_off", "source": PlanState.AGREED, "dest": PlanState.IN_PROGRESS, "roles": PROVIDER_MANAGERS,
     "event": "PLAN_SIGNED_OFF", "label": "Sign off the agreed plan (provider)"},
    {"trigger": "complete", "source": PlanState.IN_PROGRESS, "dest": PlanState.COMPLETED, "roles": MANAGERS,
     "event": "PLAN_COMPLETED", "label": "Record the plan as completed and verified"},
    {"trigger": "fail",
     "source": (PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED, PlanState.AGREED, PlanState.IN_PROGRESS),
     "dest": PlanState.FAILED, "roles": MANAGERS, "event": "PLAN_FAILED", "label": "Record the plan as failed",
     "system": False},
    {"trigger": "supersede", "source": (PlanState.AGREED, PlanState.IN_PROGRESS), "dest": PlanState.SUPERSEDED,
     "roles": PROVIDER_MANAGERS | MANAGERS, "event": "PLAN_SUPERSEDED", "label": "Replace with the next version",
     "via": "both parties sign the next version of the plan"},
])


class ActionPlanWorkflow(Workflow):
    """An action plan from draft to completed or failed; both parties sign before work is tracked."""

    NAME = "action plan"
    STATES = PlanState
    TRANSITIONS = PLAN_TRANSITIONS
    FINAL = (PlanState.COMPLETED, PlanState.FAILED, PlanState.SUPERSEDED)
    CREATE_ROLES = PROVIDERS | MANAGERS

    def extra_refusal(self, row):
        facts = self.ctx.facts
        if row.trigger == "submit" and not facts.get("row_count"):
            return "Add at least one row to the plan before submitting it"
        if row.trigger == "complete" and facts.get("milestones_unverified", 0):
            return (f"{facts['milestones_unverified']} milestone(s) are not verified yet: verify every milestone "
                    "before recording the plan as completed")
        return None

    def validate_return_for_changes(self, data: dict) -> dict:
        return {"comment": need_text(data, "comment", "Enter what needs to change in the plan")}

    def validate_agree(self, data: dict) -> dict:
        return {"comment": str(data.get("comment") or "").strip()}

    def validate_fail(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the plan has failed")}


# Plans that can still change hands or be worked on; a superseded, completed or failed plan is history.
LIVE = (PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED, PlanState.AGREED, PlanState.IN_PROGRESS)
REVISABLE = (PlanState.AGREED, PlanState.IN_PROGRESS)
AT_RISK_WORKING_DAYS = 5


class Health(enum.Enum):
    """How a plan is going, as the council's review queue and the provider's home page label it."""

    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OVERDUE = "overdue"


def plan_health(state: PlanState, due_on: date | None, milestones: list[tuple[date, str]], today: date,
                calendar) -> Health | None:
    """On track, at risk (something falls due within 5 working days and is not done) or overdue (a date has
    passed and it is not done). A plan being written is judged by its own due date (KT-19: agreed within 10
    working days); an agreed plan by its milestones (KT section 11.3). None for a plan that is history."""
    if state not in LIVE:
        return None
    soon = calendar.add_working_days(today, AT_RISK_WORKING_DAYS)
    if state in (PlanState.DRAFT, PlanState.RETURNED, PlanState.SUBMITTED):
        dates = [due_on] if due_on and state is not PlanState.SUBMITTED else []
    else:
        dates = [d for d, s in milestones if s not in ("done", "verified")]
        if any(s == "overdue" for _d, s in milestones):
            return Health.OVERDUE
    if any(d < today for d in dates):
        return Health.OVERDUE
    if any(d <= soon for d in dates):
        return Health.AT_RISK
    return Health.ON_TRACK
