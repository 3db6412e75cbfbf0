"""What a step will do, before it is done, and what it did, after: the check-answers page's answers and preview
(GOV.UK check answers, issue 16), and the banner that names the outcome and what happens next."""

from __future__ import annotations

from datetime import date

from flask import g

from models.portal_store import notice_deadlines
from web.filters import weekday_date
from web.letters import render_letter_html
from workflows.turn import outcome

# Steps that serve a letter and freeze a deadline show what they will do before it is done (GOV.UK check answers).
CHECKED_STEPS = {("notice", "issue")}


def answers_in_words(fields, form) -> list[tuple[str, str]]:
    """The answers as a check page lists them: each question and what was given, in words."""
    out = []
    for spec in fields:
        value = form[spec.name].data
        if value in (None, ""):
            continue
        if isinstance(value, date):
            value = weekday_date(value)
        elif spec.choices:
            value = dict(spec.choices).get(value, value)
        out.append((spec.label, str(value)))
    return out


def issue_preview(kind: str, record) -> dict:
    """What issuing the notice sets, read inside the preview's savepoint: the plan's deadline with how it was counted
    (the explanation every deadline carries) and the letter exactly as it will be served (web/letters.py)."""
    deadline = notice_deadlines(g.viewer, [record.id]).get(record.id)
    return {"received_on": record.received_on,
            "deadline": None if deadline is None else {
                "label": deadline.label, "rule": deadline.rule, "due_on": deadline.due_on,
                "explanation": list(deadline.explanation or [])},
            "letter": render_letter_html(kind, record)}


def step_outcome(kind: str, record, case, trigger: str, label: str, name: str) -> str:
    """The banner after a step: what happened, to whom, and what happens next (workflows/turn.py)."""
    due = None
    if (kind, trigger) == ("notice", "issue"):
        deadline = notice_deadlines(g.viewer, [record.id]).get(record.id)
        due = deadline.due_on if deadline else None
    return outcome(kind, trigger, label, name, case.provider.name, due)
