"""A Hammersmith & Fulham package of care, from its start to its end (issue 15, item 2).

Its clocks come from the rulebook's [packages] table (workflows/home_care.py): the care delivery plan agreed within a
week of the referral (HF-18), a key worker within 2 weeks of the start (HF-30), the first review at 6 and 8 weeks
(HF-24, HF-B06), then each next review at 95 days and 4 months (HF-25, HF-B07). A hospital admission starts a
48-hour clock (HF-64): the provider keeps visiting, and if the resident is still in hospital when it runs out the
scheduler suspends the package (a system step); discharge resumes it. A manual call-monitoring entry made more than
24 real hours after the visit leaves that visit unpaid (HF-53); extra hours for an unforeseen event not agreed within
24 real hours of their delivery are unpaid too (HF-54). The council suspends a package when the outcome of a
'no reply' follow-up says so, and resumes it (HF-63).
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date, datetime, time

from workflows.clock import LONDON, ClockSpec, ClockStart
from workflows.errors import ValidationProblem
from workflows.home_care import HomeCareRules, hours_between, need_instant, window_clock
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_date, need_int, need_text, table


class PackageState(enum.Enum):
    """Where a package of care stands."""

    ACTIVE = "active"  # care is being delivered
    IN_HOSPITAL = "in_hospital"  # the resident is in hospital; visits continue for 48 hours (HF-64)
    SUSPENDED = "suspended"  # in hospital for more than 48 hours: the package is suspended (HF-64)
    ENDED = "ended"


LIVE = (PackageState.ACTIVE, PackageState.IN_HOSPITAL, PackageState.SUSPENDED)
_LATE = "package_late"
PLAN_CLOCK = ClockSpec(kind="package_plan", label="Care delivery plan agreed", rule="HF-18", unit="calendar_days",
                       length=7, starts="package", stops=("PACKAGE_PLAN_AGREED",), acts="provider",
                       on_breach=_LATE)
KEY_WORKER_CLOCK = ClockSpec(kind="package_key_worker", label="Key worker allocated", rule="HF-30",
                             unit="calendar_days", length=14, starts="package",
                             stops=("PACKAGE_KEY_WORKER_ALLOCATED",), acts="provider", on_breach=_LATE)
REVIEW_CLOCK = ClockSpec(kind="package_review", label="Package reviewed", rule="HF-24", unit="calendar_days",
                         length=42, starts="package", stops=("PACKAGE_REVIEWED",), acts="provider", on_breach=_LATE)
HOSPITAL_CLOCK = ClockSpec(kind="package_hospital", label="Resident home from hospital within 48 hours",
                           rule="HF-64", unit="hours", length=48, starts="hospital_admission",
                           stops=("PACKAGE_RESIDENT_HOME",), acts="council", on_breach="package_suspend",
                           contractual=False)
# Each review tier is its own deadline kind (package_review_1 the 85% tier, _2 the 95% tier), each met by a review.
REVIEW_KINDS = ("package_review_1", "package_review_2", "package_review_3")
REVIEW_TIERS = tuple(replace(REVIEW_CLOCK, kind=kind) for kind in REVIEW_KINDS)
CLOCKS = (PLAN_CLOCK, KEY_WORKER_CLOCK, *REVIEW_TIERS, HOSPITAL_CLOCK)

_EITHER = PROVIDERS | MANAGERS


def _loop(trigger: str, event: str, label: str, roles=_EITHER, system: bool = False) -> list[dict]:
    """A step that records something about a live package and leaves its state as it was."""
    return [{"trigger": trigger, "source": state, "dest": state, "roles": roles, "event": event, "label": label,
             "system": system} for state in LIVE]


PACKAGE_TRANSITIONS = table([
    *_loop("agree_plan", "PACKAGE_PLAN_AGREED", "Record the care delivery plan agreed"),
    *_loop("allocate_key_worker", "PACKAGE_KEY_WORKER_ALLOCATED", "Record the key worker allocated"),
    *_loop("review", "PACKAGE_REVIEWED", "Record a review"),
    *_loop("record_manual_entry", "PACKAGE_MANUAL_ENTRY", "Record a manual call-monitoring entry"),
    *_loop("record_extra_hours", "PACKAGE_EXTRA_HOURS", "Record extra hours for an unforeseen event"),
    {"trigger": "admit_to_hospital", "source": PackageState.ACTIVE, "dest": PackageState.IN_HOSPITAL,
     "roles": _EITHER, "event": "PACKAGE_HOSPITAL_ADMISSION", "label": "Record a hospital admission"},
    {"trigger": "return_home", "source": (PackageState.IN_HOSPITAL, PackageState.SUSPENDED),
     "dest": PackageState.ACTIVE, "roles": _EITHER, "event": "PACKAGE_RESIDENT_HOME",
     "label": "Record the resident home from hospital"},
    {"trigger": "suspend", "source": PackageState.IN_HOSPITAL, "dest": PackageState.SUSPENDED,
     "roles": frozenset(), "event": "PACKAGE_SUSPENDED", "label": "Suspend the package after 48 hours in hospital",
     "system": True},
    # HF-63: the council passes back the outcome of a 'no reply' follow-up: the package continues or is suspended.
    {"trigger": "suspend_after_no_reply", "source": PackageState.ACTIVE, "dest": PackageState.SUSPENDED,
     "roles": MANAGERS, "event": "PACKAGE_SUSPENDED", "label": "Suspend after a 'no reply' (HF-63)"},
    {"trigger": "resume", "source": PackageState.SUSPENDED, "dest": PackageState.ACTIVE, "roles": MANAGERS,
     "event": "PACKAGE_RESUMED", "label": "Resume the package"},
    {"trigger": "end", "source": LIVE, "dest": PackageState.ENDED, "roles": MANAGERS, "event": "PACKAGE_ENDED",
     "label": "End the package"},
    *_loop("mark_late", "PACKAGE_LATE", "Record that a package window was missed", roles=frozenset(), system=True),
])


def start_clocks(rules: HomeCareRules, referred_at: datetime, started_on: date, calendar) -> tuple[ClockStart, ...]:
    """The clocks a package starts with: the plan from the referral (HF-18), the key worker and the first review
    tiers from the start (HF-30, HF-24, HF-B06)."""
    start_at = datetime.combine(started_on, time(12, 0), tzinfo=LONDON)
    return (window_clock(PLAN_CLOCK, rules.plan_agreed, referred_at, calendar),
            window_clock(KEY_WORKER_CLOCK, rules.key_worker, start_at, calendar),
            *review_clocks(rules.first_reviews, start_at, calendar, "First review"))


def review_clocks(windows, start_at: datetime, calendar, what: str) -> tuple[ClockStart, ...]:
    """One deadline per review tier (the 85% tier and the 95% tier), each met by the next review."""
    out = []
    for number, window in enumerate(windows, start=1):
        tier = REVIEW_TIERS[number - 1]
        out.append(window_clock(tier, window, start_at, calendar,
                                label=f"{what} within {window.words}" + (f" ({window.label})" if window.label
                                                                         else "")))
    return tuple(out)


class PackageWorkflow(Workflow):
    """A package of care: its plan, key worker and reviews recorded against their clocks, a hospital stay (the
    scheduler suspends it after 48 hours), manual call-monitoring entries, and its end."""

    NAME = "package"
    STATES = PackageState
    TRANSITIONS = PACKAGE_TRANSITIONS
    FINAL = (PackageState.ENDED,)

    @property
    def rules(self) -> HomeCareRules:
        rules = self.ctx.rulebook.home_care
        if rules is None:
            raise ValidationProblem(f"The {self.ctx.rulebook.title} contract has no package windows")
        return rules

    def _on(self, data: dict, key: str, message: str, since: str = "started_on") -> date:
        day = need_date(data, key, message, self.ctx.today)
        earliest = self.ctx.facts.get(since)
        if earliest is not None and day < earliest:
            what = "the package started" if since == "started_on" else "the referral"
            raise ValidationProblem(f"The date cannot be before {what} ({earliest:%-d %B %Y})", key)
        return day

    def validate_agree_plan(self, data: dict) -> dict:
        return {"plan_agreed_on": self._on(data, "agreed_on", "Enter the date the plan was agreed",
                                             since="referred_on")}

    def validate_allocate_key_worker(self, data: dict) -> dict:
        return {"key_worker_on": self._on(data, "allocated_on", "Enter the date the key worker was allocated")}

    def validate_review(self, data: dict) -> dict:
        return {"last_review_on": self._on(data, "reviewed_on", "Enter the date of the review")}

    def clocks_review(self, cleaned: dict):
        """Each review starts the next: 95 days and 4 months from it (HF-25, HF-B07)."""
        at = datetime.combine(cleaned["last_review_on"], time(12, 0), tzinfo=LONDON)
        return review_clocks(self.rules.next_reviews, at, self.ctx.calendar, "Next review"), (), ()

    def _paid_within(self, data: dict, happened: str, what: str, recorded: str, recorded_what: str, window) -> dict:
        """Something that must be recorded within a window of real hours after it happened, or go unpaid."""
        at = need_instant(data, happened, f"Enter when {what}", self.ctx.now, default_now=False)
        then = need_instant(data, recorded, f"Enter when {recorded_what}", self.ctx.now, not_before=at)
        hours = hours_between(at, then)
        return {happened: at, recorded: then, "unpaid": hours > window.length, "rule": window.rule,
                "hours_after": round(hours, 2)}

    def validate_record_manual_entry(self, data: dict) -> dict:
        """HF-53: a manual entry more than 24 real hours after the visit leaves the visit unpaid."""
        return self._paid_within(data, "visit_at", "the visit took place", "entered_at", "the manual entry was made",
                                 self.rules.manual_entry)

    def validate_record_extra_hours(self, data: dict) -> dict:
        """HF-54: extra hours for an unforeseen event, agreed more than 24 real hours after delivery, are unpaid."""
        cleaned = self._paid_within(data, "delivered_at", "the extra hours were delivered", "agreed_at",
                                    "the council agreed them", self.rules.extra_hours)
        return {**cleaned, "extra_hours": need_int(data, "extra_hours", "Enter the extra hours delivered", 1, 48)}

    def validate_admit_to_hospital(self, data: dict) -> dict:
        return {"admitted_at": need_instant(data, "admitted_at", "Enter when the resident went into hospital",
                                            self.ctx.now)}

    def clocks_admit_to_hospital(self, cleaned: dict):
        """HF-64: 48 real hours from the admission; still in hospital then, the package is suspended."""
        return (window_clock(HOSPITAL_CLOCK, self.rules.hospital, cleaned["admitted_at"], self.ctx.calendar),), (), ()

    def validate_return_home(self, data: dict) -> dict:
        return {"home_at": need_instant(data, "home_at", "Enter when the resident came home", self.ctx.now,
                                        not_before=self.ctx.facts.get("admitted_at"))}

    def validate_suspend_after_no_reply(self, data: dict) -> dict:
        """HF-63: the outcome of the 'no reply' follow-up, in words (no names)."""
        return {"reason": need_text(data, "reason", "Enter the outcome of the 'no reply' follow-up (no names)"),
                "rule": "HF-63"}

    def validate_resume(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the package resumes")}

    def validate_end(self, data: dict) -> dict:
        return {"ended_on": need_date(data, "ended_on", "Enter the date the package ended", self.ctx.today),
                "reason": str(data.get("reason") or "").strip()[:500] or None}
