"""Complaints (HF section 15, CE-59, KT S3; rules.md 2.6): received by the provider or by the council, reported
to the council's complaints manager, answered with a draft the council reviews, sent with the Ombudsman's
details, and closed with an outcome and the lessons learnt.

HF-74 says "within one working day (24 hours)". Both readings are shown and the stricter is enforced (A41): receipt
plus 24 hours, rolled to the same time on the next working day if it falls on a non-working day; the end of the next
working day is shown for information, never later than that.

The clocks are the contract's own: Hammersmith & Fulham's rulebook has HF-74 and HF-78 ([clocks] starting on
"complaint_received" and "complaint_passed_on"); another contract's complaint uses its own clocks or the council's
local setting on the contract (labelled as such), or none.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from workflows.calendar import WorkingCalendar
from workflows.clock import LONDON, ClockSpec, ClockStart, end_of_day, start_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDER_MANAGERS, PROVIDERS, Workflow, need_choice, need_text, table

COUNCIL_COMPLAINTS = MANAGERS
CHANNELS = ("phone", "email", "letter", "in_person", "online", "other")
COMPLAINANT_TYPES = ("service_user", "family_member", "advocate", "professional", "member_of_public", "other")
OUTCOMES = ("upheld", "partially_upheld", "not_upheld")
# HF-75: a response says what happened, what should have happened, the finding, the remedy, and the right to go
# to the Local Government and Social Care Ombudsman.
RESPONSE_CHECKLIST = ("what_happened", "what_should_have_happened", "finding", "remedy", "ombudsman_rights")
CHECKLIST_LABELS = {
    "what_happened": "It says what happened",
    "what_should_have_happened": "It says what should have happened",
    "finding": "It gives the finding",
    "remedy": "It sets out the remedy",
    "ombudsman_rights": "It tells the complainant of their right to go to the Local Government and Social Care "
                        "Ombudsman",
}


class ComplaintState(enum.Enum):
    """Where a complaint stands."""

    RECEIVED = "received"  # by the provider (formal); the report to the council is due
    RECEIVED_BY_COUNCIL = "received_by_council"  # acknowledged by the council, to be passed on
    WITH_PROVIDER = "with_provider"  # reported to (or passed on by) the council: the draft response is due
    DRAFT_SUBMITTED = "draft_submitted"
    DRAFT_RETURNED = "draft_returned"
    DRAFT_APPROVED = "draft_approved"
    RESPONSE_SENT = "response_sent"
    CLOSED = "closed"
    ESCALATED_TO_OMBUDSMAN = "escalated_to_ombudsman"
    LOGGED_INFORMAL = "logged_informal"  # HF-72: informal complaints are logged with their resolution
    RESOLVED_INFORMALLY = "resolved_informally"


# HF-74 and HF-78: the clocks of a formal complaint.
REPORT_CLOCK = ClockSpec(kind="complaint_reported", label="Complaint reported to the council's complaints manager",
                         rule="HF-74", unit="working_days", length=1, starts="complaint_received",
                         stops=("COMPLAINT_REPORTED",), acts="provider", on_breach="mark_overdue")
DRAFT_CLOCK = ClockSpec(kind="complaint_draft", label="Draft response to the complaints manager", rule="HF-78",
                        unit="working_days", length=10, starts="complaint_received",
                        stops=("COMPLAINT_DRAFT_SUBMITTED",), acts="provider", on_breach="mark_overdue")


def report_deadline(received_at: datetime, calendar: WorkingCalendar, spec: ClockSpec = REPORT_CLOCK) -> ClockStart:
    """HF-74 "one working day (24 hours)": enforce the stricter reading (A41), receipt + 24 hours rolled to the same
    time on the next working day, and show the working-day reading too."""
    local = received_at.astimezone(LONDON)
    working = start_clock(replace(spec, unit="working_days", length=1), local.date(), calendar)
    rolled = local + timedelta(hours=24)
    skipped = []
    while not calendar.is_working_day(rolled.date()):
        skipped.append(rolled.date())
        rolled = datetime.combine(calendar.add_working_days(rolled.date(), 0), rolled.timetz())
    lines = (f"{spec.label} ({spec.rule}): within one working day (24 hours) of receipt at "
             f"{local:%H:%M on %A %-d %B %Y}",
             *(f"{d:%a %-d %b %Y}: not a working day, not counted" for d in skipped),
             f"Enforced (A41, the stricter reading): 24 hours after receipt, {rolled:%H:%M on %A %-d %B %Y}"
             + (", rolled to the same time on the next working day" if skipped else ""),
             f"Read as one working day: the end of {working.due_on:%A %-d %B %Y} (later, shown for information)")
    return replace(working, unit="hours", length=24, due_on=rolled.date(), due_at=rolled, explanation=lines)


def complaint_clocks(rulebook, event: str, at: datetime, calendar: WorkingCalendar) -> tuple[ClockStart, ...]:
    """The clocks a complaint event starts under its contract: HF-74/HF-78 on Hammersmith & Fulham's, the council's
    local setting elsewhere, none without either. `event` is "complaint_received" or "complaint_passed_on"."""
    if rulebook is None:
        return ()
    local = at.astimezone(LONDON)
    out = []
    for spec in rulebook.clocks_starting(event):
        if spec.unit == "hours" and spec.length == 24 and spec.rule == "HF-74":
            out.append(report_deadline(at, calendar, spec))
        else:
            out.append(start_clock(spec, local.date(), calendar, start_at=at))
    return tuple(out)


def draft_deadline(start: date, calendar: WorkingCalendar) -> ClockStart:
    """HF-74/HF-78: a draft response within 10 working days of receipt, or of the council passing it on."""
    return start_clock(DRAFT_CLOCK, start, calendar)


def resolved_within_28_days(received_on: date, resolved_on: date | None) -> bool | None:
    """CE-59's reporting measure (A10): resolved within 28 calendar days of receipt; None while open."""
    if resolved_on is None:
        return None
    return (resolved_on - received_on).days <= 28


COMPLAINT_TRANSITIONS = table([
    {"trigger": "pass_to_provider", "source": ComplaintState.RECEIVED_BY_COUNCIL,
     "dest": ComplaintState.WITH_PROVIDER, "roles": COUNCIL_COMPLAINTS, "event": "COMPLAINT_PASSED_TO_PROVIDER",
     "label": "Pass the complaint to the provider"},
    # HF-70: a complaint the provider receives directly is reported to the council and goes through its procedure.
    {"trigger": "report_to_council", "source": ComplaintState.RECEIVED, "dest": ComplaintState.WITH_PROVIDER,
     "roles": PROVIDERS | COUNCIL_COMPLAINTS, "event": "COMPLAINT_REPORTED",
     "label": "Report the complaint to the council's complaints manager"},
    # HF-71: the provider's manager (the Branch Manager) approves every response: a provider user records and reports
    # complaints, but only a provider manager submits the draft and sends the response.
    {"trigger": "submit_draft", "source": (ComplaintState.WITH_PROVIDER, ComplaintState.DRAFT_RETURNED),
     "dest": ComplaintState.DRAFT_SUBMITTED, "roles": PROVIDER_MANAGERS | COUNCIL_COMPLAINTS,
     "event": "COMPLAINT_DRAFT_SUBMITTED", "label": "Submit the draft response"},
    {"trigger": "return_draft", "source": ComplaintState.DRAFT_SUBMITTED, "dest": ComplaintState.DRAFT_RETURNED,
     "roles": COUNCIL_COMPLAINTS, "event": "COMPLAINT_DRAFT_RETURNED", "label": "Return the draft for changes"},
    {"trigger": "approve_draft", "source": ComplaintState.DRAFT_SUBMITTED, "dest": ComplaintState.DRAFT_APPROVED,
     "roles": COUNCIL_COMPLAINTS, "event": "COMPLAINT_DRAFT_APPROVED", "label": "Approve the draft response"},
    {"trigger": "send_response", "source": ComplaintState.DRAFT_APPROVED, "dest": ComplaintState.RESPONSE_SENT,
     "roles": PROVIDER_MANAGERS | COUNCIL_COMPLAINTS, "event": "COMPLAINT_RESPONSE_SENT",
     "label": "Record that the response was sent"},
    {"trigger": "close", "source": ComplaintState.RESPONSE_SENT, "dest": ComplaintState.CLOSED,
     "roles": COUNCIL_COMPLAINTS, "event": "COMPLAINT_CLOSED", "label": "Record the outcome and close"},
    {"trigger": "escalate_to_ombudsman", "source": (ComplaintState.RESPONSE_SENT, ComplaintState.CLOSED),
     "dest": ComplaintState.ESCALATED_TO_OMBUDSMAN, "roles": COUNCIL_COMPLAINTS,
     "event": "COMPLAINT_ESCALATED_TO_OMBUDSMAN", "label": "Record escalation to the Ombudsman"},
    {"trigger": "resolve_informally", "source": ComplaintState.LOGGED_INFORMAL,
     "dest": ComplaintState.RESOLVED_INFORMALLY, "roles": PROVIDERS | COUNCIL_COMPLAINTS,
     "event": "COMPLAINT_RESOLVED_INFORMALLY", "label": "Record how it was resolved"},
])


@dataclass(frozen=True)
class Receipt:
    """How a complaint arrived."""

    received_at: datetime
    channel: str
    complainant_type: str
    formal: bool
    by_council: bool
    summary: str
    raises_safeguarding: bool


def validate_receipt(data: dict, now: datetime) -> Receipt:
    """Check a new complaint's details: when (never in the future), how, who from, formal or informal."""
    raw = data.get("received_at")
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationProblem("Enter when the complaint was received, like 2026-12-18T16:30", "received_at") \
                from None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        raw = datetime.combine(raw, time(9, 0))
    if not isinstance(raw, datetime):
        raise ValidationProblem("Enter when the complaint was received", "received_at")
    if raw.tzinfo is None:
        raw = raw.replace(tzinfo=LONDON)
    if raw > now:
        raise ValidationProblem("The time the complaint was received cannot be in the future", "received_at")
    return Receipt(
        received_at=raw,
        channel=need_choice(data, "channel", CHANNELS, "Select how the complaint was made"),
        complainant_type=need_choice(data, "complainant_type", COMPLAINANT_TYPES, "Select who complained"),
        formal=bool(data.get("formal")),
        by_council=bool(data.get("by_council")),
        summary=need_text(data, "summary", "Enter a summary of the complaint"),
        raises_safeguarding=bool(data.get("raises_safeguarding")),
    )


def initial_state(receipt: Receipt) -> ComplaintState:
    """Where a new complaint starts."""
    if not receipt.formal:
        return ComplaintState.LOGGED_INFORMAL
    return ComplaintState.RECEIVED_BY_COUNCIL if receipt.by_council else ComplaintState.RECEIVED


class ComplaintWorkflow(Workflow):
    """A complaint from receipt to outcome (or to the Ombudsman)."""

    NAME = "complaint"
    STATES = ComplaintState
    TRANSITIONS = COMPLAINT_TRANSITIONS
    INITIAL = (ComplaintState.RECEIVED, ComplaintState.RECEIVED_BY_COUNCIL, ComplaintState.LOGGED_INFORMAL)
    FINAL = (ComplaintState.CLOSED, ComplaintState.ESCALATED_TO_OMBUDSMAN, ComplaintState.RESOLVED_INFORMALLY)

    def validate_submit_draft(self, data: dict) -> dict:
        return {"draft": need_text(data, "draft", "Enter the draft response", 20000)}

    def validate_return_draft(self, data: dict) -> dict:
        return {"comment": need_text(data, "comment", "Enter what needs to change in the draft")}

    def validate_send_response(self, data: dict) -> dict:
        ticked = set(data.get("checklist") or [])
        missing = [CHECKLIST_LABELS[item] for item in RESPONSE_CHECKLIST if item not in ticked]
        if missing:
            raise ValidationProblem("Confirm the response covers everything HF-75 requires: "
                                    + "; ".join(m[0].lower() + m[1:] for m in missing), "checklist")
        return {"checklist": list(RESPONSE_CHECKLIST)}

    def validate_close(self, data: dict) -> dict:
        # HF-80: the Authorised Officer reviews the outcome and the lessons learnt, and records the actions agreed.
        return {"outcome": need_choice(data, "outcome", OUTCOMES, "Select the outcome"),
                "lessons": need_text(data, "lessons", "Enter the lessons learnt and the actions agreed")}

    def validate_resolve_informally(self, data: dict) -> dict:
        return {"resolution": need_text(data, "resolution", "Enter how the complaint was resolved")}

    def clocks_pass_to_provider(self, data: dict):
        # HF-78 (H&F's contract only): 10 working days from the council passing the complaint on; elsewhere the
        # contract's own clock or the council's local setting.
        return complaint_clocks(self.ctx.rulebook, "complaint_passed_on", self.ctx.now, self.ctx.calendar), (), ()


def end_of_next_working_day(day: date, calendar: WorkingCalendar) -> datetime:
    """The end of the working day after `day`, in London."""
    return end_of_day(calendar.add_working_days(day, 1))
