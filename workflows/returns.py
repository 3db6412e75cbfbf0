"""Monitoring-return periods and due dates, computed from a rulebook's [[returns]] and the working calendar.

Periods follow the return's cadence: 4-weekly cycles anchored at the contract start (A7: CE's "Monthly Monitoring
Return" is four-weekly, 13 a year), calendar months, and quarters, halves and years on the contract's quarter basis
(A5: calendar, financial from April, or contract anniversary). The first period starts on the contract start date if
that falls inside it. Due dates are a number of working days after the period ends (on the contract's calendar), a
number of days, or a fixed date such as 30 April (CE-18, CE-29). A4: with no due date set, a return is "due, no
deadline" and is never counted late.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from workflows.calendar import WorkingCalendar
from workflows.monitoring import ReturnSpec

_STEP_MONTHS = {"monthly": 1, "quarterly": 3, "six-monthly": 6, "annual": 12}


@dataclass(frozen=True)
class Period:
    """One reporting period of a return, with its due date and the explanation of how it was computed."""

    return_id: str
    start: date
    end: date
    label: str
    due_on: date | None
    due_explanation: tuple[str, ...] = ()

    def is_closed(self, today: date) -> bool:
        """Whether the period has ended (rules are evaluated over closed periods only)."""
        return self.end < today

    def is_overdue(self, today: date) -> bool:
        """Whether its due date has passed (False when no due date is set, A4)."""
        return self.due_on is not None and self.due_on < today


def add_months(d: date, months: int) -> date:
    """The same day so many months later, clamped to the month's last day (31 January + 1 month = 28/29 February)."""
    total = d.month - 1 + months
    year, month = d.year + total // 12, total % 12 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def _anchor(spec: ReturnSpec, contract_start: date) -> date:
    if spec.cadence == "4-weekly":
        return contract_start
    if spec.cadence == "monthly":
        return date(contract_start.year, contract_start.month, 1)
    if spec.quarter_basis == "contract-anniversary":
        return contract_start
    first_month = 4 if spec.quarter_basis == "financial" else 1
    year = contract_start.year if contract_start.month >= first_month else contract_start.year - 1
    return date(year, first_month, 1)


def _label(spec: ReturnSpec, start: date, end: date, number: int) -> str:
    if spec.cadence == "4-weekly":
        return f"Period {number} ({start:%-d %b %Y} to {end:%-d %b %Y})"
    if spec.cadence == "monthly":
        return f"{start:%B %Y}"
    if spec.quarter_basis == "contract-anniversary":
        return f"{start:%-d %b %Y} to {end:%-d %b %Y}"
    financial = spec.quarter_basis == "financial"
    first_month = 4 if financial else 1
    year = start.year if start.month >= first_month else start.year - 1
    year_text = f"{year}-{str(year + 1)[2:]}" if financial else str(year)
    offset = (start.month - first_month) % 12
    if spec.cadence == "quarterly":
        return f"Q{offset // 3 + 1} {year_text}"
    if spec.cadence == "six-monthly":
        return f"H{offset // 6 + 1} {year_text}"
    return f"{'Financial year' if financial else 'Year'} {year_text}"


def due_date(spec: ReturnSpec, period_end: date, calendar: WorkingCalendar) -> tuple[date | None, tuple[str, ...]]:
    """When a period's return is due, with the explanation (None, and why, when the contract sets no date)."""
    if spec.due_after_working_days is not None:
        explanation = calendar.explain_add_working_days(period_end, spec.due_after_working_days)
        return explanation.result, tuple(explanation.lines())
    if spec.due_after_days is not None:
        due = period_end + timedelta(days=spec.due_after_days)
        return due, (f"{spec.due_after_days} days after the period ended on {period_end:%-d %B %Y} ({spec.rule})",)
    if spec.due_on is not None:
        month, day = spec.due_on
        due = date(period_end.year, month, min(day, monthrange(period_end.year, month)[1]))
        if due <= period_end:
            due = date(period_end.year + 1, month, min(day, monthrange(period_end.year + 1, month)[1]))
        return due, (f"by {due:%-d %B} each year, the first after the period ended ({spec.rule}); a fixed date as "
                     "the contract writes it, not moved for weekends or bank holidays",)
    return None, (f"due, no deadline: the contract sets no due date for this return (A4, {spec.rule})",)


def schedule(spec: ReturnSpec, contract_start: date, until: date, calendar: WorkingCalendar) -> list[Period]:
    """Every period of a return from the contract start to the period containing `until`, with due dates."""
    anchor = _anchor(spec, contract_start)
    periods: list[Period] = []
    number = 0
    while True:
        if spec.cadence == "4-weekly":
            start = anchor + timedelta(days=28 * number)
            next_start = start + timedelta(days=28)
        else:
            step = _STEP_MONTHS[spec.cadence]
            start = add_months(anchor, step * number)
            next_start = add_months(anchor, step * (number + 1))
        number += 1
        if start > until:
            break
        end = next_start - timedelta(days=1)
        if end < contract_start:
            continue
        clipped = max(start, contract_start)
        due, why = due_date(spec, end, calendar)
        periods.append(Period(return_id=spec.id, start=clipped, end=end, label=_label(spec, start, end, number),
                              due_on=due, due_explanation=why))
    return periods
