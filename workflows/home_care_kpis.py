"""The KPIs Remedy computes itself from H&F's referral, package and capacity records, instead of taking the
provider's word (issue 15, item 2): the review-timeliness tiers (BCM 5, HF-24 / HF-B06; BCM 6, HF-25 / HF-B07),
referral response times (HF-R01, HF-R02..R05 and R09, and urgent starts HF-R06 / HF-M03) and the BCMs 2.1 (weekly
capacity confirmation, HF-B02) and 2.2 (refusals within confirmed capacity, HF-B03, HF-16).

Each is counted over the windows that fell due in a period: a window met on time counts for, a window breached (or
still running past its due day) counts against, a window cancelled or superseded does not count. Where the provider
also reported the figure for the period, both are shown and a difference is flagged: half a percentage point for a
percentage, any difference for a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Measure:
    """One KPI Remedy can prove: its id (the rulebook's [[kpis]] id where it has one), name, and what it counts."""

    id: str
    name: str
    rule: str
    unit: str  # "percent" (windows met / windows due) or "count" (windows missed, or refusals)
    rules: tuple[str, ...] = ()  # the deadline rules whose windows it counts
    count: str = "missed"  # for a count: "missed" windows, or "refusals" within capacity


MEASURES = (
    Measure("Referrals acknowledged in 2 hours", "% of referrals acknowledged within 2 hours", "HF-R01", "percent",
            ("HF-R01",)),
    Measure("Referrals answered in time", "% of referrals accepted or declined within their response window",
            "HF-R02, HF-R03, HF-R04, HF-R05, HF-R09", "percent", ("HF-R02", "HF-R03", "HF-R04", "HF-R05", "HF-R09")),
    Measure("Urgent starts", "% of '3 hour - urgent' packages started within 3 hours", "HF-M03, HF-R06", "percent",
            ("HF-R06",)),
    Measure("BCM 2.1", "Weekly capacity confirmations missed or late", "HF-B02, HF-06", "count", ("HF-B02",)),
    Measure("BCM 2.2", "Referrals refused within the capacity confirmed", "HF-B03, HF-16", "count",
            count="refusals"),
    Measure("BCM 5 (6 weeks)", "% of residents with a review within 6 weeks of starting", "HF-24, HF-B06",
            "percent", ("HF-24",)),
    Measure("BCM 5 (8 weeks)", "% of residents with a review within 8 weeks of starting", "HF-B06, A44", "percent",
            ("HF-B06",)),
    Measure("BCM 6 (95 days)", "% of residents with a 3-monthly review within 95 days", "HF-25, HF-B07", "percent",
            ("HF-25",)),
    Measure("BCM 6 (4 months)", "% of residents with a review within 4 calendar months of the last", "HF-B07, A47",
            "percent", ("HF-B07",)),
)
DIFFERENCE = 0.5  # percentage points: a smaller gap is rounding, not a different figure


@dataclass(frozen=True)
class Window:
    """One deadline as the KPIs see it: the rule that gives it, its due day and what became of it."""

    rule: str
    due_on: date
    status: str  # running, met, breached, cancelled or superseded


@dataclass(frozen=True)
class ComputedKpi:
    """A KPI Remedy computed for a period, beside the provider's own figure when it reported one."""

    id: str
    name: str
    rule: str
    unit: str
    numerator: int
    denominator: int | None
    value: float | None  # None: nothing fell due in the period
    reported: float | None = None
    differs: bool = False


def compute(windows: list[Window], refusals_within_capacity: int, start: date, end: date, today: date,
            reported: dict[str, float] | None = None) -> list[ComputedKpi]:
    """Every measure over the windows that fell due from `start` to `end` (and by `today`), with the provider's
    reported figure beside it and whether the two differ."""
    reported = reported or {}
    due = [w for w in windows if start <= w.due_on <= end and (
        w.status in ("met", "breached") or (w.status == "running" and w.due_on < today))]
    out = []
    for measure in MEASURES:
        value: float | None
        if measure.count == "refusals":
            numerator, denominator, value = refusals_within_capacity, None, float(refusals_within_capacity)
        else:
            mine = [w for w in due if w.rule in measure.rules]
            met = sum(1 for w in mine if w.status == "met")
            if measure.unit == "count":
                numerator, denominator = len(mine) - met, None
                value = float(numerator)
            else:
                numerator, denominator = met, len(mine)
                value = round(100 * met / len(mine), 1) if mine else None
        theirs = reported.get(measure.id)
        tolerance = DIFFERENCE if measure.unit == "percent" else 0
        differs = theirs is not None and value is not None and abs(theirs - value) > tolerance
        out.append(ComputedKpi(measure.id, measure.name, measure.rule, measure.unit, numerator, denominator, value,
                               theirs, differs))
    return out


def financial_quarter(day: date) -> tuple[date, date]:
    """The financial quarter that contains a day (H&F counts its BCMs by financial quarter, A5): April to June, July
    to September, October to December or January to March, the same bounds as calendar quarters."""
    first = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first, 1)
    end = date(day.year + 1, 1, 1) if first == 10 else date(day.year, first + 3, 1)
    return start, end - timedelta(days=1)
