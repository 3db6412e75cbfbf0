"""Deadline rules for the scheduler: status precedence, pauses, extensions, reminders and what a due timer means
(clock-lessons 4.1-4.5).

Pure functions over plain values. Days-based clocks are paused and extended in whole working days: a pause from
date A up to the resume date B extends the deadline by the working days d with A <= d < B, so a pause that starts
and ends on the same day moves nothing, and a pause over a weekend or a bank holiday only counts the working days
in it (ERPNext PR #49414: never extend by raw paused seconds).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from workflows.calendar import WorkingCalendar
from workflows.clock import end_of_day

# Status precedence: a breach is never masked by a pause (frappe/helpdesk PR #3277).
PRECEDENCE = ("breached", "paused", "running", "met")
DEFAULT_REMINDERS = (5, 1, 0)  # working days before the due date; 0 is "due today"


def effective_status(recorded: str, paused: bool, due_at: datetime, now: datetime) -> str:
    """The status to show: breached, then paused, then running, then met (cancelled and superseded as recorded)."""
    if recorded in ("met", "cancelled", "superseded", "breached"):
        return recorded
    if now > due_at:
        return "breached"
    return "paused" if paused else "running"


@dataclass(frozen=True)
class Pause:
    """One stop of the clock, from a start date to the resume date (None while it is still paused)."""

    start: date
    end: date | None
    reason: str


def paused_working_days(pauses: list[Pause], calendar: WorkingCalendar, today: date) -> int:
    """Working days lost to pauses: for each, the working days from its start up to (not including) its resume."""
    total = 0
    for pause in pauses:
        end = pause.end or today
        if end <= pause.start:
            continue
        # working_days_between(a, b) counts days after a up to and including b: shift by one day each side.
        total += calendar.working_days_between(pause.start - timedelta(days=1), end - timedelta(days=1))
    return total


def extended_due(original_due: date, pauses: list[Pause], extension_days: int, calendar: WorkingCalendar,
                 today: date) -> date:
    """The due date after pauses and explicit extensions, counted on the same working calendar."""
    days = paused_working_days(pauses, calendar, today) + extension_days
    return calendar.add_working_days(original_due, days) if days else original_due


@dataclass(frozen=True)
class TimerPlan:
    """A timer the scheduler will fire: a reminder before the due date, or the breach at the due instant."""

    kind: str  # "reminder" or "breach"
    threshold: int  # working days before the due date (0 for the breach and for "due today")
    due_on: date
    due_at: datetime
    fire_key: str


def fire_key(deadline_id: int, kind: str, threshold: int, day: date) -> str:
    """A stable key from the timer's own day: re-planning is an upsert, and a superseded timer can never fire
    beside its replacement."""
    raw = f"{deadline_id}:{kind}:{threshold}:{day.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def reminder_morning(day: date) -> datetime:
    """Reminders go out at 08:00 London time on their day."""
    from workflows.clock import LONDON

    return datetime.combine(day, datetime.min.time().replace(hour=8), tzinfo=LONDON)


def plan_timers(deadline_id: int, start_on: date, due_on: date, due_at: datetime, calendar: WorkingCalendar,
                reminders: tuple[int, ...] = DEFAULT_REMINDERS, hours: int | None = None) -> list[TimerPlan]:
    """The breach timer at the due instant and the reminders counted backwards on the same calendar.

    A reminder that would fall on or before the start day is dropped (a 3-day clock gets no 5-day reminder). A clock
    of real hours (`hours`: H&F's referral windows, an hour-based request) gets one reminder before its due instant
    instead: an hour before, or half-way through a window shorter than two hours (HF-R01's 2 hours: at 1 hour).
    """
    plans = [TimerPlan("breach", 0, due_on, due_at, fire_key(deadline_id, "breach", 0, due_on))]
    if hours is not None:
        before = timedelta(hours=1) if hours >= 2 else timedelta(minutes=hours * 30)
        at = due_at - before
        plans.append(TimerPlan("reminder", 0, due_on, at, fire_key(deadline_id, "reminder", 0, due_on)))
        return plans
    for days in sorted(set(reminders), reverse=True):
        day = calendar.add_working_days(due_on, -days) if days else due_on
        if day <= start_on:
            continue
        plans.append(TimerPlan("reminder", days, day, reminder_morning(day),
                               fire_key(deadline_id, "reminder", days, day)))
    return plans


def most_relevant_reminder(due_thresholds: list[int]) -> int | None:
    """After downtime several reminders of one deadline may be due at once: send only the nearest to the due date."""
    return min(due_thresholds) if due_thresholds else None


def reminder_text(threshold: int) -> str:
    """How a reminder describes the time left."""
    if threshold == 0:
        return "is due today"
    return f"is due in {threshold} working day{'s' if threshold != 1 else ''}"


# -- what a due timer means (clock-lessons 4.2, 4.3) ----------------------------------------------------------------

# Breaches whose whole consequence is marking the case overdue; any other `on_breach` runs a step of the record's
# machine or proposes an escalation, which only the scheduler's full path does.
SIMPLE_BREACHES = (None, "mark_overdue")


@dataclass(frozen=True)
class DueTimer:
    """The facts of one due timer and its deadline, as read in the tick that claims it.

    `now` is the tick's one instant (clock-lessons 4.2); `due_reminders` are the thresholds of the deadline's
    reminders still pending and due by `now`, this one included (clock-lessons 4.3)."""

    kind: str  # "reminder" or "breach"
    threshold: int
    status: str  # the deadline's recorded status: running, met, cancelled, superseded or breached
    paused: bool
    due_at: datetime
    now: datetime
    due_reminders: tuple[int, ...] = ()
    on_breach: str | None = None
    acts: str = "provider"  # who must act on the deadline: "provider", "council" or "both"
    restricted: bool = False  # the record's existence is restricted (a safeguarding concern)


@dataclass(frozen=True)
class TimerDecision:
    """What to do with a due timer: its outcome (fired, cancelled, skipped or superseded) and the note recorded on it.

    A fired timer says who hears of it (`audience`: "safeguarding", "provider", "council" or "both"); a fired breach
    with a consequence beyond marking the case overdue needs the full path (`full_path`)."""

    outcome: str
    note: str | None = None
    audience: str | None = None
    full_path: bool = False

    @property
    def fired(self) -> bool:
        return self.outcome == "fired"


def decide_timer(facts: DueTimer) -> TimerDecision:
    """Decide what a due timer means, the same for the scheduler's fast and full paths (clock-lessons 4.2, 4.3).

    A reminder is never sent once its deadline is settled, paused or passed, and after downtime only the nearest
    reminder of a deadline goes out. A breach is recorded at the due instant however late it is noticed, unless
    the deadline was settled, is already breached, is paused, or its due date has moved beyond `now`.
    """
    if facts.kind == "reminder":
        if facts.status != "running":
            return TimerDecision("cancelled", f"The deadline is {facts.status}")
        if facts.paused:
            return TimerDecision("cancelled", "The clock is paused")
        if facts.due_at <= facts.now:
            return TimerDecision("skipped", "The deadline has passed: no 'due soon' after a breach")
        nearest = most_relevant_reminder(list(facts.due_reminders))
        if nearest is not None and facts.threshold != nearest:
            return TimerDecision("superseded", "A nearer reminder was due at the same time")
        return TimerDecision("fired", audience="safeguarding" if facts.restricted else facts.acts)
    if facts.status in ("met", "cancelled", "superseded"):
        return TimerDecision("cancelled", f"The deadline is {facts.status}")
    if facts.status == "breached":
        return TimerDecision("skipped", "Already recorded as breached")
    if facts.paused:
        return TimerDecision("cancelled", "The clock is paused")
    if facts.due_at > facts.now:
        return TimerDecision("superseded", "The due date has moved")
    return TimerDecision("fired", audience="safeguarding" if facts.restricted else "both",
                         full_path=facts.on_breach not in SIMPLE_BREACHES)


def record_name(noun: str, entity_id: int, reference: str | None) -> tuple[str, str | None]:
    """How a message names the record a deadline belongs to: its reference and noun ("CMP-00012", "complaint"),
    or, for a record without a reference, the noun and id as one name ("meeting 12", None)."""
    if reference:
        return reference, noun
    return f"{noun} {entity_id}", None


__all__ = ["PRECEDENCE", "DEFAULT_REMINDERS", "SIMPLE_BREACHES", "DueTimer", "Pause", "TimerDecision", "TimerPlan",
           "decide_timer", "effective_status", "extended_due", "end_of_day", "fire_key", "most_relevant_reminder",
           "paused_working_days", "plan_timers", "record_name", "reminder_text"]
