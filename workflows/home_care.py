"""Hammersmith & Fulham's referral and package-of-care windows, as the rulebook's [referrals] and [packages] tables
give them (issue 15, item 2), and the clocks they start.

[referrals]: the 2-hour acknowledgement (HF-R01); the accept-or-decline response by how soon the package starts
(HF-R02 within 24 hours of the start: 2 hours; HF-R03 within 3 days: 24 hours; HF-R04 within 7 days: 48 hours;
HF-R05 later: 72 hours), or the time Brokerage sets (HF-R09); the implementation grades (HF-R06 urgent 3 hours,
HF-R07 medium 24 hours, the minimum for a hospital discharge, HF-R08 standard 48 hours).

[packages]: the care delivery plan agreed within a week of the referral (HF-18); a key worker within 2 weeks of
the start (HF-30); the first review at 6 weeks (HF-24, the 85% tier) and 8 weeks (HF-B06, the 95% tier), then the
next at 95 days (HF-25, HF-B07 85%) and 4 months (HF-B07 95%, A47); a hospital stay over 48 hours suspends the
package (HF-64); a manual call-monitoring entry made more than 24 hours after the visit leaves it unpaid (HF-53), as
do extra hours for unforeseen events not agreed within 24 hours of their delivery (HF-54);
written capacity confirmation every Tuesday (HF-B02, HF-06).

Hour windows count real hours in Europe/London, across the clock changes; day, week and month windows count
calendar days (a week is 7 days whatever the bank holidays). Every deadline says which in its explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from workflows.calendar import WorkingCalendar
from workflows.clock import LONDON, ClockSpec, ClockStart, start_clock
from workflows.errors import ValidationProblem

_RULE = re.compile(r"^[A-Z]{1,3}-[A-Z]?\d{2,3}(, [A-Z]{1,3}-[A-Z]?\d{2,3})*$")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class HomeCareError(ValueError):
    """A [referrals] or [packages] table that does not make sense, with its line."""

    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class Window:
    """One window of a referral or package: how long, in what unit, and the rule that gives it."""

    rule: str
    length: int
    unit: str  # "hours", "calendar_days" or "months"
    id: str = ""  # a grade's id ("urgent")
    label: str = ""
    starts_within_hours: int | None = None  # a response window: the package starts within this many hours

    @property
    def words(self) -> str:
        """"2 hours", "6 weeks", "4 months"."""
        if self.unit == "calendar_days" and self.length % 7 == 0:
            weeks = self.length // 7
            return f"{weeks} week{'s' if weeks != 1 else ''}"
        unit = {"hours": "hour", "calendar_days": "day", "months": "month"}[self.unit]
        return f"{self.length} {unit}{'s' if self.length != 1 else ''}"


@dataclass(frozen=True)
class HomeCareRules:
    """The contract's referral and package windows (H&F), with the breach events late steps record."""

    acknowledge: Window
    responses: tuple[Window, ...]  # by starts_within_hours, the last one open-ended
    grades: tuple[Window, ...]
    discharge_grade: str  # the slowest grade a hospital discharge may have (HF-R07)
    referral_event: str
    plan_agreed: Window
    key_worker: Window
    first_reviews: tuple[Window, ...]
    next_reviews: tuple[Window, ...]
    hospital: Window
    manual_entry: Window
    extra_hours: Window
    capacity_weekday: int  # 0 Monday ... 1 Tuesday
    capacity_rule: str
    package_event: str
    capacity_event: str

    def grade(self, ident: str | None) -> Window | None:
        """The implementation grade with that id."""
        return next((g for g in self.grades if g.id == ident), None)

    def response_for(self, received_at: datetime, starts_at: datetime) -> Window:
        """The response window for a package starting then (HF-R02 to HF-R05)."""
        ahead = (starts_at - received_at).total_seconds() / 3600
        for window in self.responses:
            if window.starts_within_hours is None or ahead <= window.starts_within_hours:
                return window
        return self.responses[-1]


def parse_home_care(text: str, data: dict, events: tuple[str, ...]) -> HomeCareRules | None:
    """Read the [referrals] and [packages] tables (both or neither), each problem reported with its line."""
    if data.get("referrals") is None and data.get("packages") is None:
        return None
    referrals: dict = data.get("referrals") or {}
    packages: dict = data.get("packages") or {}
    lines = text.splitlines()

    def line_of(key: str) -> int | None:
        return next((n for n, line in enumerate(lines, start=1) if re.match(rf"\s*\[?{re.escape(key)}\b", line)),
                    None)

    def bad(key: str, problem: str) -> HomeCareError:
        return HomeCareError(line_of(key), problem)

    for name in ("referrals", "packages"):
        if not isinstance(data.get(name), dict):
            raise bad(name, f"[{name}] must be a table (a contract with one needs both [referrals] and [packages])")

    def window(table: str, key: str, raw, *, grade: bool = False, response: bool = False) -> Window:
        where = f"[{table}] {key}"
        if not isinstance(raw, dict):
            raise bad(key, f"{where} must be written like {{ hours = 2, rule = \"HF-R01\" }}")
        rule = raw.get("rule")
        if not isinstance(rule, str) or not _RULE.match(rule):
            raise bad(key, f"{where}: 'rule' must be rule ids from shared/domain/rules.md, like \"HF-R01\"")
        units = [k for k in ("hours", "days", "months") if k in raw]
        if len(units) != 1:
            raise bad(key, f"{where}: give exactly one of hours, days or months")
        length = raw[units[0]]
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 400:
            raise bad(key, f"{where}: '{units[0]}' must be a whole number from 1 to 400")
        unit = {"hours": "hours", "days": "calendar_days", "months": "months"}[units[0]]
        allowed = {"rule", "hours", "days", "months", "label"} | ({"id"} if grade else set()) | (
            {"starts_within_hours"} if response else set())
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise bad(key, f"{where}: unknown key {unknown[0]!r}")
        if grade and (not isinstance(raw.get("id"), str) or not raw["id"]):
            raise bad(key, f"{where}: each grade needs an 'id'")
        within = raw.get("starts_within_hours")
        if within is not None and (isinstance(within, bool) or not isinstance(within, int) or within < 1):
            raise bad(key, f"{where}: 'starts_within_hours' must be a whole number of hours")
        return Window(rule=rule, length=length, unit=unit, id=str(raw.get("id", "")),
                      label=str(raw.get("label", "")), starts_within_hours=within)

    def windows(table: str, key: str, raw, **kinds) -> tuple[Window, ...]:
        if not isinstance(raw, list) or not raw:
            raise bad(key, f"[{table}] {key} must be a list of windows")
        return tuple(window(table, key, item, **kinds) for item in raw)

    def event(table: str, raw) -> str:
        value = raw.get("event")
        if value not in events:
            raise bad(table, f"[{table}] 'event' must be one of the rulebook's [monitoring] events"
                      + (f" ({', '.join(events)})" if events else " (it has none)"))
        return value

    responses = windows("referrals", "responses", referrals.get("responses"), response=True)
    if any(w.unit != "hours" for w in responses) or responses[-1].starts_within_hours is not None or any(
            w.starts_within_hours is None for w in responses[:-1]):
        raise bad("responses", "[referrals] responses are hours, each but the last with starts_within_hours")
    grades = windows("referrals", "grades", referrals.get("grades"), grade=True)
    discharge = referrals.get("hospital_discharge_grade")
    if discharge not in {g.id for g in grades}:
        raise bad("hospital_discharge_grade", "[referrals] hospital_discharge_grade must be one of the grades' ids")
    weekday = packages.get("capacity_weekday")
    if weekday not in WEEKDAYS:
        raise bad("capacity_weekday", f"[packages] capacity_weekday must be one of {', '.join(WEEKDAYS)}")
    capacity_rule = packages.get("capacity_rule")
    if not isinstance(capacity_rule, str) or not _RULE.match(capacity_rule):
        raise bad("capacity_rule", "[packages] capacity_rule must be rule ids, like \"HF-B02\"")
    capacity_event = packages.get("capacity_event")
    if capacity_event not in events:
        raise bad("capacity_event", "[packages] capacity_event must be one of the rulebook's [monitoring] events")
    return HomeCareRules(
        acknowledge=window("referrals", "acknowledge", referrals.get("acknowledge")),
        responses=responses, grades=grades, discharge_grade=discharge, referral_event=event("referrals", referrals),
        plan_agreed=window("packages", "plan_agreed", packages.get("plan_agreed")),
        key_worker=window("packages", "key_worker", packages.get("key_worker")),
        first_reviews=windows("packages", "first_review", packages.get("first_review")),
        next_reviews=windows("packages", "next_review", packages.get("next_review")),
        hospital=window("packages", "hospital", packages.get("hospital")),
        manual_entry=window("packages", "manual_entry", packages.get("manual_entry")),
        extra_hours=window("packages", "extra_hours", packages.get("extra_hours")),
        capacity_weekday=WEEKDAYS.index(weekday), capacity_rule=capacity_rule,
        package_event=event("packages", packages), capacity_event=capacity_event)


# -- clocks --------------------------------------------------------------------------------------------------------


def window_clock(template: ClockSpec, window: Window, start_at: datetime, calendar: WorkingCalendar,
                 label: str | None = None) -> ClockStart:
    """A deadline for one window from an instant: real hours from the instant itself, or calendar days and months
    from its day in London (which never counts), with the explanation saying which."""
    spec = replace(template, rule=window.rule, unit=window.unit, length=window.length,
                   label=label or template.label)
    local = start_at.astimezone(LONDON)
    return start_clock(spec, local.date(), calendar, start_at=start_at if window.unit == "hours" else None)


def need_instant(data: dict, key: str, message: str, now: datetime, *, not_before: datetime | None = None,
                 allow_future: bool = False, default_now: bool = True) -> datetime:
    """An instant: ISO 8601 text (a time with no offset is London time), or now when left out."""
    raw = data.get(key)
    if raw in (None, ""):
        if default_now:
            return now
        raise ValidationProblem(message, key)
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValidationProblem(f"{message}, as a date and time like 2027-03-27T14:30", key) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    # Two instants in the same zone subtract as clock-face times: keep them in UTC, so differences are real hours.
    value = value.astimezone(UTC)
    if not allow_future and value > now + timedelta(minutes=1):
        raise ValidationProblem("The time cannot be in the future (it is now "
                                f"{now.astimezone(LONDON):%H:%M on %-d %B %Y})", key)
    if not_before is not None and value < not_before:
        raise ValidationProblem(f"The time cannot be before {not_before.astimezone(LONDON):%H:%M on %-d %B %Y}",
                                key)
    return value


def hours_between(start: datetime, end: datetime) -> float:
    """Real hours from one instant to another (each first put in UTC: same-zone instants subtract on the clock face)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600
