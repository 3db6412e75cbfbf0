"""The words of reminders and breach notices (plain text and HTML), built from plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from html import escape

from workflows.clock import LONDON
from workflows.deadline import reminder_text


@dataclass(frozen=True)
class Message:
    """A message ready for the outbox."""

    subject: str
    text: str
    html: str


@lru_cache(maxsize=4096)
def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _compose(subject: str, paragraphs: Sequence[str], explanation: Sequence[str], link: str) -> Message:
    """A message from its paragraphs, how its deadline was counted (when it was) and the link to the record."""
    counted, counted_html = _counted(tuple(explanation))
    text = "\n\n".join([*paragraphs, *([counted] if counted else []), f"Open it in Remedy: {link}"])
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return Message(subject, text, f'{body}{counted_html}<p><a href="{escape(link)}">Open it in Remedy</a></p>')


@lru_cache(maxsize=1024)
def _counted(lines: tuple[str, ...]) -> tuple[str, str]:
    """How the deadline was counted, as plain text and as HTML (neither when there are no lines). Worked out once for
    each explanation: a tick's thousands of messages share a few dozen (the same rule, start and length)."""
    if not lines:
        return "", ""
    text = "How the deadline was counted:\n" + "\n".join(f"- {x}" for x in lines)
    html = "<p>How the deadline was counted:</p><ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>"
    return text, html


def _for(noun: str | None, reference: str) -> str:
    return f"{noun} {reference}" if noun else reference


def _by(due_on: date, due_at: datetime | None) -> str:
    """When it is due: the end of a day, or (a clock of real hours) the time on that day in London."""
    if due_at is None:
        return f"by the end of {_long(due_on)}"
    local = due_at.astimezone(LONDON)
    return f"by {local:%H:%M} on {_long(local.date())} (a clock of real hours)"


def reminder(label: str, rule: str, reference: str, provider: str, due_on: date, threshold: int,
             explanation: list[str] | tuple[str, ...], link: str, noun: str | None = "case",
             due_at: datetime | None = None) -> Message:
    """A reminder before a deadline falls due, on a record named by its noun and reference ("complaint CMP-00012";
    with no noun the reference names it alone: "meeting 12"). `due_at` for a clock of real hours: the time counts."""
    when = "is due soon" if due_at is not None else reminder_text(threshold)
    due = _long(due_on) if due_at is None else _by(due_on, due_at).removeprefix("by ")
    subject = f"Reminder: {label} for {reference} {when} ({due})"
    paragraphs = [f"{label} ({rule}) for {_for(noun, reference)}, {provider}, {when}: {_by(due_on, due_at)}."]
    return _compose(subject, paragraphs, explanation, link)


def breach(label: str, rule: str, reference: str, provider: str, due_on: date, consequence: str | None,
           explanation: list[str] | tuple[str, ...], link: str, noun: str | None = "case",
           due_at: datetime | None = None) -> Message:
    """A deadline has passed without the step that meets it (the record named as for `reminder`)."""
    subject = f"Overdue: {label} for {reference} was due {_by(due_on, due_at)}"
    paragraphs = [f"{label} ({rule}) for {_for(noun, reference)}, {provider}, was due {_by(due_on, due_at)} "
                  "and has not been done. The deadline is recorded as breached at that time."]
    if consequence:
        paragraphs.append(consequence)
    return _compose(subject, paragraphs, explanation, link)


# What each step of an action plan tells the other side, and who that is ("council" or "provider").
PLAN_STEPS = {
    "PLAN_SUBMITTED": ("council", "submitted for agreement", "Review it: agree it, or return it with your comments."),
    "PLAN_RETURNED": ("provider", "returned for changes", "Read the council's comments, change the plan and "
                                                          "submit it again."),
    "PLAN_AGREED": ("provider", "agreed by the council", "Sign off the agreed plan to put it in force "
                                                         "(KT section 11.3: both parties sign)."),
}


def plan_step(event: str, title: str, version: int, reference: str, provider: str, comment: str | None,
              link: str) -> Message:
    """An action plan moved to the other side: submitted (to the council), returned or agreed (to the provider)."""
    _who, what, next_step = PLAN_STEPS[event]
    subject = f"{title} (version {version}) for {reference} {what}"
    paragraphs = [f"The {title.lower()} (version {version}) for case {reference}, {provider}, has been {what}."]
    if comment:
        paragraphs.append(f"Comments: {comment}")
    paragraphs.append(next_step)
    return _compose(subject, paragraphs, (), link)


CONSEQUENCES = {
    "propose_suspension": "Remedy has proposed a suspension on the case for the commissioning manager to decide "
                          "(nothing has been suspended).",
    "propose_termination": "Remedy has put termination forward on the case for the commissioning manager to decide "
                           "(nothing has been terminated).",
    "deem_minutes_approved": "With no reply within ten Business Days, the minutes are deemed approved (KT-16).",
    "milestone_overdue": "The milestone is now marked as overdue.",
    "mark_overdue": "The case is marked as overdue.",
    "notification_late": "The notice is marked as late and a late-notice breach event is recorded on the contract.",
    "request_overdue": "The request is marked as overdue and a late-answer breach event is recorded on the contract.",
}
