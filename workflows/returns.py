"""Monitoring-return periods and due dates, computed from a rulebook's [[returns]] and the working calendar.

Periods follow the return's cadence: 4-weekly cycles anchored at the contract start (A7: CE's "Monthly Monitoring
Return" is four-weekly, 13 a year), calendar months, and quarters, halves and years on the contract's quarter basis
(A5: calendar, financial from April, or contract anniversary). The first period starts on the contract start date if
that falls inside it. Due dates are a number of working days after the period ends (on the contract's calendar), a
number of days, or a fixed date such as 30 April (CE-18, CE-29). A4: with no due date set, a return is "due, no
deadline" and is never counted late.
"""

from __future__ import annotations

import enum
from calendar import isleap, monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from workflows.calendar import WorkingCalendar
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_text, table
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


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(d: date, months: int) -> date:
    """The same day so many months later, clamped to the month's last day (31 January + 1 month = 28/29 February).
    The month's length is looked up, not asked of `calendar.monthrange`, which works out its first weekday too: the
    sweep adds months 40,000 times."""
    total = d.month - 1 + months
    year, month = d.year + total // 12, total % 12 + 1
    if d.day <= 28:
        return date(year, month, d.day)
    return date(year, month, min(d.day, _MONTH_DAYS[month - 1] + (month == 2 and isleap(year))))


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


# English month names, whatever the process's locale (strftime's %B follows it, and was most of a label's cost).
_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _day(d: date) -> str:
    """1 Apr 2027."""
    return f"{d.day} {_MONTHS[d.month][:3]} {d.year}"


def _label(spec: ReturnSpec, start: date, end: date, number: int) -> str:
    if spec.cadence == "4-weekly":
        return f"Period {number} ({_day(start)} to {_day(end)})"
    if spec.cadence == "monthly":
        return f"{_MONTHS[start.month]} {start.year}"
    if spec.quarter_basis == "contract-anniversary":
        return f"{_day(start)} to {_day(end)}"
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


def due_date(spec: ReturnSpec, period_end: date, calendar: WorkingCalendar,
             explain: bool = True) -> tuple[date | None, tuple[str, ...]]:
    """When a period's return is due, with the explanation (None, and why, when the contract sets no date).
    Without `explain`, working days are counted without writing the explanation, which is then empty."""
    if spec.due_from is not None and period_end < spec.due_from:
        return None, (f"no due date set: the council's setting applies to periods ending from "
                      f"{spec.due_from:%-d %B %Y} (A4, {spec.rule})",)
    if spec.due_after_working_days is not None:
        if not explain:
            return calendar.add_working_days(period_end, spec.due_after_working_days), ()
        explanation = calendar.explain_add_working_days(period_end, spec.due_after_working_days)
        lines = tuple(explanation.lines())
        if spec.due_source:
            lines = (f"{spec.due_after_working_days} working days after the period ends: a {spec.due_source} on "
                     f"the contract, not in the contract itself (A4)", *lines)
        return explanation.result, lines
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
    # Read by the provider as well as the council: who sets the date, and what follows until then.
    return None, (f"no due date set: the contract gives none (A4, {spec.rule}), so nothing is counted late until "
                  "the council sets one on the contract",)


def schedule(spec: ReturnSpec, contract_start: date, until: date, calendar: WorkingCalendar,
             explain: bool = True) -> list[Period]:
    """Every period of a return from the contract start to the period containing `until`, with due dates (and
    how each was worked out, unless `explain` is False: the breach engine needs only the dates)."""
    anchor = _anchor(spec, contract_start)
    periods: list[Period] = []
    number = 0
    next_start = anchor
    while True:
        start = next_start  # each period starts where the last one ended (every month counted from the anchor)
        if spec.cadence == "4-weekly":
            next_start = start + timedelta(days=28)
        else:
            next_start = add_months(anchor, _STEP_MONTHS[spec.cadence] * (number + 1))
        number += 1
        if start > until:
            break
        end = next_start - timedelta(days=1)
        if end < contract_start:
            continue
        clipped = max(start, contract_start)
        due, why = due_date(spec, end, calendar, explain)
        periods.append(Period(return_id=spec.id, start=clipped, end=end, label=_label(spec, start, end, number),
                              due_on=due, due_explanation=why))
    return periods


# --- a return's life: due, submitted, accepted or queried (rules.md 2.3; CE-K14 timeliness, CE-K15 accuracy) ---

class ReturnState(enum.Enum):
    """Where one period's monitoring return stands."""

    DUE = "due"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    QUERIED = "queried"


RETURN_TRANSITIONS = table([
    # The council may key in figures a provider sent another way; the audit trail says who did.
    {"trigger": "submit", "source": (ReturnState.DUE, ReturnState.QUERIED), "dest": ReturnState.SUBMITTED,
     "roles": PROVIDERS | MANAGERS, "event": "RETURN_SUBMITTED", "label": "Submit the return"},
    {"trigger": "correct", "source": (ReturnState.SUBMITTED, ReturnState.ACCEPTED), "dest": ReturnState.SUBMITTED,
     "roles": PROVIDERS | MANAGERS, "event": "RETURN_CORRECTED", "label": "Submit corrected figures"},
    {"trigger": "accept", "source": ReturnState.SUBMITTED, "dest": ReturnState.ACCEPTED, "roles": MANAGERS,
     "event": "RETURN_ACCEPTED", "label": "Accept the return"},
    {"trigger": "query", "source": ReturnState.SUBMITTED, "dest": ReturnState.QUERIED, "roles": MANAGERS,
     "event": "RETURN_QUERIED", "label": "Query the return"},
])


class ReturnWorkflow(Workflow):
    """A period's return from due to accepted; a query sends it back, a correction replaces the figures."""

    NAME = "return"
    STATES = ReturnState
    TRANSITIONS = RETURN_TRANSITIONS

    def validate_query(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter what is wrong with the return")}


# --- the upload template and its validation (all or nothing: any error and nothing is imported) ---

TEMPLATE_COLUMNS = ("period_start", "kpi", "name", "numerator", "denominator")


@dataclass(frozen=True)
class CellError:
    """A problem in an uploaded file, by row (as a spreadsheet numbers it) and column."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, column {self.column}: {self.message}"


def template_rows(kpis, period_start: date) -> list[list[str]]:
    """The rows of the upload template for one period: a header, then one row per KPI to fill in."""
    rows = [list(TEMPLATE_COLUMNS)]
    for kpi in kpis:
        # The name cell says what x and y count (Kent's S4c, I1, E4, A1, A2: y is everyone, not the respondents).
        name = f"{kpi.name} (numerator: {kpi.numerator}; denominator: {kpi.denominator})" if kpi.denominator \
            else kpi.name
        rows.append([period_start.isoformat(), kpi.id, name, "", ""])
    return rows


def _number(text) -> float | None:
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    text = str(text).strip().replace(",", "")
    if text == "":
        return None
    return float(text)  # ValueError for anything that is not a number


def validate_rows(rows, kpis, periods: set[date]) -> tuple[dict[tuple[date, str], tuple[float, float | None]],
                                                           list[CellError]]:
    """Figures by (period start, KPI id) from uploaded rows, or every problem by row and column.

    `kpis` are the KPIs the return carries (by id); `periods` the period starts the file may report on.
    """
    figures: dict[tuple[date, str], tuple[float, float | None]] = {}
    errors: list[CellError] = []
    rows = iter(rows)
    header = next(rows, None)
    names = [str(h or "").strip().lower() for h in (header or [])]
    missing = [c for c in TEMPLATE_COLUMNS if c not in names]
    if missing:
        return {}, [CellError(1, c, "this column is missing: use the template Remedy generates") for c in missing]
    at = {c: names.index(c) for c in TEMPLATE_COLUMNS}
    for number, row in enumerate(rows, start=2):
        cells = list(row) + [None] * (len(names) - len(row))
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        raw_period, raw_kpi = cells[at["period_start"]], cells[at["kpi"]]
        try:
            period = raw_period if isinstance(raw_period, date) else date.fromisoformat(str(raw_period).strip())
            if hasattr(period, "date"):
                period = period.date()
        except ValueError:
            errors.append(CellError(number, "period_start", "enter the period's start date as YYYY-MM-DD"))
            period = None
        if period is not None and period not in periods:
            errors.append(CellError(number, "period_start", f"{period.isoformat()} is not the start of a period "
                                                            "this return covers"))
        kpi_id = str(raw_kpi or "").strip()
        kpi = kpis.get(kpi_id)
        if kpi is None:
            errors.append(CellError(number, "kpi", f"{kpi_id!r} is not a KPI in this return" if kpi_id
                                    else "enter the KPI id"))
        values: dict[str, float | None] = {}
        unreadable = False
        for column in ("numerator", "denominator"):
            try:
                figure = values[column] = _number(cells[at[column]])
            except ValueError:
                errors.append(CellError(number, column, "enter a number, for example 42 or 97.5"))
                values[column], unreadable = None, True
                continue
            if figure is not None and figure < 0:
                errors.append(CellError(number, column, "cannot be negative"))
                unreadable = True
        if kpi is None or period is None or unreadable:
            continue  # one message per problem: the row's other checks would only repeat it
        x, y = values.get("numerator"), values.get("denominator")
        if x is None:
            if not kpi.monitor_only:  # a monitor-only indicator may be left blank (S16)
                errors.append(CellError(number, "numerator", f"enter the figure for {kpi.id}"))
            continue
        if kpi.unit == "percent":
            if not y:
                errors.append(CellError(number, "denominator", f"enter the denominator for {kpi.id} (more than 0)"))
                continue
            if x > kpi.largest_numerator(y):
                errors.append(CellError(number, "numerator", "cannot be more than the denominator"
                                        + ("" if kpi.largest_numerator(y) == y else
                                           f" times {kpi.largest_numerator(y) / y:g} ({kpi.formula})")))
                continue
        if (period, kpi.id) in figures:
            errors.append(CellError(number, "kpi", f"{kpi.id} is given twice for this period"))
            continue
        figures[(period, kpi.id)] = (x, y)
    return ({} if errors else figures), errors
