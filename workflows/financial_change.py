"""A significant adverse change in a provider's financial position (TH-16, Thurrock specification section 7.2).

"The Provider shall report to the Council any significant adverse changes in their financial position ... within
7 working days". The clock starts on the day the change occurred (that day never counts) and stops when the change
is reported; imminent insolvency or administration (TH-17, "immediately") is not this record.
"""

from __future__ import annotations

import enum
from datetime import date

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart, start_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_date, need_text, table


class FinancialChangeState(enum.Enum):
    """Where a significant adverse financial change stands."""

    RECORDED = "recorded"  # the change has happened; the council has not yet been told
    REPORTED = "reported"  # reported to the council (TH-16: within 7 working days)


# TH-16 "within 7 working days" [WD]; the provider acts; a contractual clock, frozen once started.
REPORT_CLOCK = ClockSpec(kind="financial_change_reported", label="Adverse financial change reported to the council",
                         rule="TH-16", unit="working_days", length=7, starts="financial_change",
                         stops=("FINANCIAL_CHANGE_REPORTED",), acts="provider", on_breach="mark_overdue",
                         contractual=True)

FINANCIAL_CHANGE_TRANSITIONS = table([
    {"trigger": "report", "source": FinancialChangeState.RECORDED, "dest": FinancialChangeState.REPORTED,
     "roles": PROVIDERS | MANAGERS, "event": "FINANCIAL_CHANGE_REPORTED",
     "label": "Record that it was reported to the council"},
])


def validate_change(data: dict, today: date) -> dict:
    """What changed and the date it occurred (never in the future): what recording a change needs (TH-16)."""
    return {"what_changed": need_text(data, "what_changed", "Describe the adverse change in financial position"),
            "occurred_on": need_date(data, "occurred_on", "Enter the date the change occurred", today)}


def report_deadline(occurred_on: date, calendar: WorkingCalendar) -> ClockStart:
    """TH-16: reported within 7 working days of the day the change occurred, with the explanation of the date."""
    return start_clock(REPORT_CLOCK, occurred_on, calendar)


class FinancialChangeWorkflow(Workflow):
    """A significant adverse financial change from being recorded to being reported to the council (TH-16); the
    provider or the council's managers record each step."""

    NAME = "financial change"
    STATES = FinancialChangeState
    TRANSITIONS = FINANCIAL_CHANGE_TRANSITIONS
    FINAL = (FinancialChangeState.REPORTED,)

    def validate_report(self, data: dict) -> dict:
        reported_on = need_date(data, "reported_on", "Enter the date the change was reported to the council",
                                self.ctx.today)
        occurred_on = self.ctx.facts.get("occurred_on")
        if occurred_on is not None and reported_on < occurred_on:
            raise ValidationProblem(f"The date it was reported cannot be before the change occurred "
                                    f"({occurred_on:%-d %B %Y})", "reported_on")
        return {"reported_on": reported_on}
