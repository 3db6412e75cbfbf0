"""Safeguarding concerns (CE monthly-return vocabulary CE-58, HF section 13; rules.md 2.6) and incidents.

The seeds give no numeric safeguarding deadlines (rules.md section 4, A54), so the stage deadlines are the
council's local practice, labelled as such: by default a decision by the end of the next working day, a strategy
meeting within 5 working days and the enquiry concluded within 20 working days. Key-holding incidents are the only
incidents with a clock in the seeds (HF-69: reported within 24 hours, a written report within 3 days, A42).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from workflows.access import Role
from workflows.clock import LONDON, ClockSpec, ClockStart, start_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_choice, need_date, need_int, need_text, table

SAFEGUARDING = frozenset({Role.SAFEGUARDING_OFFICER, Role.ADMIN})


def may_record_concerns(viewer) -> bool:
    """Who records complaints, raises safeguarding concerns and records incidents: the provider's own staff, the
    council's managers and its safeguarding officers (council viewers only read)."""
    return viewer.is_provider or viewer.role in MANAGERS | SAFEGUARDING
CONCERN_KINDS = ("first_account", "care_concern")
OUTCOMES = ("substantiated", "partially_substantiated", "not_substantiated")
OUTCOME_LABELS = {"substantiated": "Substantiated", "partially_substantiated": "Partially substantiated",
                  "not_substantiated": "Not substantiated, no further action"}


class ConcernState(enum.Enum):
    """Where a safeguarding concern stands."""

    RAISED = "raised"
    TRIAGED = "triaged"  # decided: no enquiry, or a section 42 enquiry
    ENQUIRY = "enquiry"  # section 42 enquiry commenced and ongoing
    CONCLUDED = "concluded"
    CLOSED_NO_ENQUIRY = "closed_no_enquiry"


@dataclass(frozen=True)
class LocalPractice:
    """A council's safeguarding timescales (local practice, not contract terms)."""

    decision_working_days: int = 1
    strategy_meeting_working_days: int = 5
    enquiry_working_days: int = 20


def validate_practice(data: dict) -> LocalPractice:
    """A council's safeguarding timescales, each a whole number of working days from 1 to 60."""
    values = {}
    for key, message in (("decision_working_days", "Enter the working days for the triage decision"),
                         ("strategy_meeting_working_days", "Enter the working days to hold a strategy meeting"),
                         ("enquiry_working_days", "Enter the working days to conclude an enquiry")):
        values[key] = need_int(data, key, message, 1, 60)
    if values["strategy_meeting_working_days"] > values["enquiry_working_days"]:
        raise ValidationProblem("The strategy meeting must fall within the time to conclude the enquiry",
                                "strategy_meeting_working_days")
    return LocalPractice(**values)


def practice_clocks(practice: LocalPractice) -> dict[str, ClockSpec]:
    """The clocks of a concern's stages, each labelled as local practice."""
    return {
        "safeguarding_decision": ClockSpec(
            kind="safeguarding_decision", label="Safeguarding decision made (local practice)", rule="A54",
            unit="working_days", length=practice.decision_working_days, starts="concern_raised",
            stops=("CONCERN_TRIAGED",), acts="council", contractual=False),
        "strategy_meeting": ClockSpec(
            kind="strategy_meeting", label="Strategy meeting held (local practice)", rule="A54",
            unit="working_days", length=practice.strategy_meeting_working_days, starts="enquiry_commenced",
            stops=("STRATEGY_MEETING_HELD",), acts="council", contractual=False),
        "enquiry_concluded": ClockSpec(
            kind="enquiry_concluded", label="Section 42 enquiry concluded (local practice)", rule="A54",
            unit="working_days", length=practice.enquiry_working_days, starts="enquiry_commenced",
            stops=("ENQUIRY_CONCLUDED",), acts="council", contractual=False),
    }


CONCERN_TRANSITIONS = table([
    {"trigger": "triage", "source": ConcernState.RAISED, "dest": ConcernState.TRIAGED, "roles": SAFEGUARDING,
     "event": "CONCERN_TRIAGED", "label": "Record the triage decision"},
    {"trigger": "commence_enquiry", "source": ConcernState.TRIAGED, "dest": ConcernState.ENQUIRY,
     "roles": SAFEGUARDING, "event": "ENQUIRY_COMMENCED", "label": "Commence a section 42 enquiry"},
    {"trigger": "close_without_enquiry", "source": ConcernState.TRIAGED, "dest": ConcernState.CLOSED_NO_ENQUIRY,
     "roles": SAFEGUARDING, "event": "CONCERN_CLOSED_NO_ENQUIRY", "label": "Close without an enquiry"},
    {"trigger": "conclude", "source": ConcernState.ENQUIRY, "dest": ConcernState.CONCLUDED, "roles": SAFEGUARDING,
     "event": "ENQUIRY_CONCLUDED", "label": "Conclude the enquiry"},
])


class ConcernWorkflow(Workflow):
    """A safeguarding concern from raised to concluded; only safeguarding officers move it."""

    NAME = "safeguarding concern"
    STATES = ConcernState
    TRANSITIONS = CONCERN_TRANSITIONS
    FINAL = (ConcernState.CONCLUDED, ConcernState.CLOSED_NO_ENQUIRY)

    def validate_triage(self, data: dict) -> dict:
        return {"decision": need_text(data, "decision", "Enter the triage decision and why")}

    def validate_commence_enquiry(self, data: dict) -> dict:
        return {"commenced_on": need_date(data, "commenced_on", "Enter the date the enquiry commenced",
                                          self.ctx.today)}

    def validate_close_without_enquiry(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why no enquiry is needed")}

    def validate_conclude(self, data: dict) -> dict:
        return {"outcome": need_choice(data, "outcome", OUTCOMES, "Select the outcome of the enquiry"),
                "summary": need_text(data, "summary", "Enter a summary of the findings")}

    def clocks_commence_enquiry(self, data: dict):
        clocks = practice_clocks(self.ctx.facts.get("practice") or LocalPractice())
        start = data["commenced_on"]
        return (start_clock(clocks["strategy_meeting"], start, self.ctx.calendar),
                start_clock(clocks["enquiry_concluded"], start, self.ctx.calendar)), (), ()


MEETING_KINDS = {"strategy_meeting": "Strategy meeting", "case_conference": "Case conference"}
# The council's template for the provider's own investigation (rules.md 2.6, step 3): the form starts from it.
INVESTIGATION_TEMPLATE = (
    "Please carry out an internal investigation into the concern summarised below and send us your report.\n\n"
    "Your report should set out:\n"
    "1. What happened, with dates, times and the staff involved.\n"
    "2. What should have happened, with the policy or care plan that applies.\n"
    "3. What you have done to keep the person safe since.\n"
    "4. Your findings, and whether any staff have been referred to the DBS or the regulator.\n"
    "5. The actions you will take, with owners and dates, and how you will check they have worked.\n\n"
    "Concern: ")


def validate_concern_meeting(data: dict, today: date) -> dict:
    """A strategy meeting or case conference on a concern: when (never in the future), who came, what was agreed."""
    return {"kind": need_choice(data, "kind", MEETING_KINDS, "Select strategy meeting or case conference"),
            "held_on": need_date(data, "held_on", "Enter the date of the meeting", today),
            "attendees": need_text(data, "attendees", "Enter who attended", 2000),
            "actions": need_text(data, "actions", "Enter the actions agreed", 5000)}


def validate_investigation_request(data: dict, today: date) -> dict:
    """The council asks the provider to investigate, on its template."""
    return {"requested_on": need_date(data, "requested_on", "Enter the date the investigation was requested", today),
            "request": need_text(data, "request", "Enter what the provider is asked to investigate", 10000)}


def validate_notifications(data: dict, today: date) -> dict:
    """Dates the regulator was informed, a DBS referral was made, and the council was told of it (any may be
    blank; none in the future; the council cannot be told of a referral before it was made)."""
    out = {}
    for key, message in (("regulator_informed_on", "Enter the date the regulator was informed"),
                         ("dbs_referral_on", "Enter the date of the DBS referral"),
                         ("dbs_council_told_on", "Enter the date the council was told of the DBS referral")):
        out[key] = need_date(data, key, message, today) if data.get(key) not in (None, "") else None
    if not any(out.values()):
        raise ValidationProblem("Enter at least one date", "regulator_informed_on")
    if out["dbs_council_told_on"] and not out["dbs_referral_on"]:
        raise ValidationProblem("Enter the date of the DBS referral the council was told of", "dbs_referral_on")
    told, referral = out["dbs_council_told_on"], out["dbs_referral_on"]
    if told and referral and told < referral:
        raise ValidationProblem("The council cannot be told of a DBS referral before it was made",
                                "dbs_council_told_on")
    return out


def decision_clock(raised_on: date, practice: LocalPractice, calendar) -> ClockStart:
    """The triage decision's deadline from the day the concern was raised."""
    return start_clock(practice_clocks(practice)["safeguarding_decision"], raised_on, calendar)


# -- incidents ---------------------------------------------------------------------------------------------------

# HF-02: a doorstep cancellation or refusal is reported to the council (the Appendix B form): the reasons given as
# what happened, what was done to encourage support as the action taken.
INCIDENT_KINDS = ("key_holding", "lost_keys", "accident", "medication", "missed_visit", "doorstep_refusal", "other")
KEY_REPORT_CLOCK = ClockSpec(kind="key_incident_reported", label="Key-holding incident reported to the council",
                             rule="HF-69", unit="hours", length=24, starts="incident", stops=("INCIDENT_REPORTED",),
                             acts="provider", on_breach="mark_overdue")
KEY_WRITTEN_CLOCK = ClockSpec(kind="key_incident_written", label="Written report of the key-holding incident",
                              rule="HF-69", unit="calendar_days", length=3, starts="incident",
                              stops=("INCIDENT_WRITTEN_REPORT",), acts="provider", on_breach="mark_overdue")


def incident_clocks(kind: str, occurred_at: datetime, calendar) -> tuple[ClockStart, ...]:
    """HF-69: key-holding and key-safe incidents (and lost keys) are reported within 24 hours and written up
    within 3 days; the seeds set no clock for other incidents (A42)."""
    if kind not in ("key_holding", "lost_keys"):
        return ()
    local = occurred_at.astimezone(LONDON)
    return (start_clock(KEY_REPORT_CLOCK, local.date(), calendar, start_at=occurred_at),
            start_clock(KEY_WRITTEN_CLOCK, local.date(), calendar))


def validate_incident(data: dict, now: datetime) -> dict:
    """An incident's kind, when it happened (never in the future), what happened and the action taken."""
    raw = data.get("occurred_at")
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationProblem("Enter when it happened, like 2026-12-18T16:30", "occurred_at") from None
    if not isinstance(raw, datetime):
        raise ValidationProblem("Enter when it happened", "occurred_at")
    if raw.tzinfo is None:
        raw = raw.replace(tzinfo=LONDON)
    if raw > now + timedelta(minutes=1):
        raise ValidationProblem("The time of the incident cannot be in the future", "occurred_at")
    return {"kind": need_choice(data, "kind", INCIDENT_KINDS, "Select the kind of incident"), "occurred_at": raw,
            "description": need_text(data, "description", "Describe what happened"),
            "action_taken": need_text(data, "action_taken", "Enter the action taken")}


__all__ = ["MANAGERS", "PROVIDERS", "SAFEGUARDING"]
