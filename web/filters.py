"""Template filters: dates the GOV.UK way, and London times."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from flask import Flask
from markupsafe import Markup, escape

from web.clock import LONDON
from web.forms import error_summary

# Month and day names (English, as GOV.UK writes them), not strftime's %B and %A: those go through the C locale on
# every call, ten times the cost of the rest of a date, and a list page draws fifty dates.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def govuk_date(value: date | datetime | None) -> str:
    """18 December 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def govuk_datetime(value: datetime | None) -> str:
    """18 December 2026 at 2:05pm (London time); GOV.UK style says midnight and midday, not 12am and 12pm."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    day = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    hour, minute = local.hour, local.minute
    if minute == 0 and hour in (0, 12):
        return f"{day} at {'midnight' if hour == 0 else 'midday'}"
    return f"{day} at {hour % 12 or 12}:{minute:02d}{'am' if hour < 12 else 'pm'}"


def govuk_date_text(value: str | None) -> str:
    """A date kept as text (YYYY-MM-DD, in JSON columns) shown as 18 December 2026."""
    return govuk_date(date.fromisoformat(value)) if value else ""


def weekday_date(value: date) -> str:
    """Friday 18 December 2026."""
    return f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"


RATING_TAG = {
    "outstanding": "govuk-tag--green",
    "good": "govuk-tag--green",
    "requires_improvement": "govuk-tag--yellow",
    "inadequate": "govuk-tag--red",
    "not_yet_rated": "govuk-tag--grey",
}


# The colour of each state's tag (always beside its name, never alone): one table for every machine's states.
STATE_TAG = {
    "concern": "govuk-tag--light-blue", "notice": "govuk-tag--yellow", "action_plan": "govuk-tag--yellow",
    "default": "govuk-tag--orange", "suspended": "govuk-tag--red", "reinstating": "govuk-tag--purple",
    "termination_considered": "govuk-tag--red", "resolved": "govuk-tag--green", "terminated": "govuk-tag--grey",
    "withdrawn": "govuk-tag--grey", "draft": "govuk-tag--grey", "drafted": "govuk-tag--grey",
    "issued": "govuk-tag--blue", "plan_due": "govuk-tag--blue", "plan_submitted": "govuk-tag--blue",
    "closed": "govuk-tag--green", "escalated": "govuk-tag--red", "submitted": "govuk-tag--blue",
    "returned": "govuk-tag--orange", "agreed": "govuk-tag--turquoise", "in_progress": "govuk-tag--blue",
    "completed": "govuk-tag--green", "failed": "govuk-tag--red", "planned": "govuk-tag--grey",
    "done": "govuk-tag--turquoise", "verified": "govuk-tag--green", "overdue": "govuk-tag--red",
    "served": "govuk-tag--red", "remedied": "govuk-tag--green", "not_remedied": "govuk-tag--red",
    "proposed": "govuk-tag--yellow", "active": "govuk-tag--red", "phased_reinstatement": "govuk-tag--purple",
    "lifted": "govuk-tag--green", "cancelled": "govuk-tag--grey", "considered": "govuk-tag--orange",
    "decided": "govuk-tag--red", "not_pursued": "govuk-tag--grey",
    # complaints
    "received": "govuk-tag--yellow", "received_by_council": "govuk-tag--yellow", "with_provider": "govuk-tag--blue",
    "draft_submitted": "govuk-tag--blue", "draft_returned": "govuk-tag--orange",
    "draft_approved": "govuk-tag--turquoise",
    "response_sent": "govuk-tag--turquoise", "escalated_to_ombudsman": "govuk-tag--red",
    "logged_informal": "govuk-tag--grey", "resolved_informally": "govuk-tag--green",
    # safeguarding concerns
    "raised": "govuk-tag--red", "triaged": "govuk-tag--orange", "enquiry": "govuk-tag--purple",
    "concluded": "govuk-tag--green", "closed_no_enquiry": "govuk-tag--grey",
}


def select_options(choices, chosen, first: tuple[str, str] | None = None) -> Markup:
    """The <option>s of a <select>: `first` (such as ("", "Any")), then the choices, each a (value, label) pair or a
    text that is both; the chosen one (compared as text) selected. One call for the whole list, where a macro an
    option cost a list's filters a millisecond (issue 17: 166 options on the returns list). The options of a tuple
    of choices (the lists' kept filter choices) are drawn once and the chosen one marked in the copy."""
    chosen = str(chosen)
    try:
        drawn = _drawn_options(choices, first) if isinstance(choices, tuple) else None
    except TypeError:  # a tuple holding lists: not a key
        drawn = None
    if drawn is None:
        return Markup(_options(tuple(choices), first, chosen))
    marker = f'<option value="{escape(chosen)}">'
    return Markup(drawn.replace(marker, marker[:-1] + " selected>", 1))


def _options(choices: tuple, first: tuple[str, str] | None, chosen: str | None) -> str:
    pairs = (item if isinstance(item, tuple | list) else (item, item) for item in choices)
    return "".join(
        f'<option value="{escape(value)}"{" selected" if str(value) == chosen else ""}>{escape(label)}</option>'
        for value, label in ([first] if first else []) + list(pairs))


@lru_cache(maxsize=64)  # a few lists' choices a worker: at a council's 400 contracts, 30 KB of options each
def _drawn_options(choices: tuple, first: tuple[str, str] | None) -> str:
    return _options(choices, first, None)


# A deadline's status as a tag: its colour and the words beside it.
DEADLINE_STATUS_TAG = {"running": ("govuk-tag--blue", "Clock running"), "paused": ("govuk-tag--yellow", "Paused"),
                       "breached": ("govuk-tag--red", "Overdue"), "met": ("govuk-tag--green", "Met"),
                       "cancelled": ("govuk-tag--grey", "Cancelled"),
                       "superseded": ("govuk-tag--grey", "Superseded")}


# Functions, not Jinja macros: the deadlines page calls each once a row, and a macro call costs ten times as much.
def deadline_status(status: str) -> Markup:
    """A deadline's status as a GOV.UK tag, with words beside the colour: Clock running, Paused, Overdue, Met,
    Cancelled or Superseded."""
    tag, words = DEADLINE_STATUS_TAG.get(status, ("govuk-tag--grey", status.replace("_", " ").capitalize()))
    return Markup(f'<strong class="govuk-tag {tag}">{escape(words)}</strong>')


def deadline_table_rows(rows, base: str) -> Markup:
    """The rows of the deadlines page's tables (web/deadline_rows.DeadlineRow): when each is due and the working days
    left, what it is (linked to its own page under `base`, with its rule), the record it belongs to, who acts and its
    status. Drawn here rather than in a Jinja loop, as deadline_status is: forty rows a page, and the loop cost
    twice as much (0.8 ms against 0.4)."""
    base = escape(base)
    return Markup("".join(
        f'<tr class="govuk-table__row">'
        f'<td class="govuk-table__cell">{weekday_date(d.due_on)}<br>'
        f'<span class="govuk-body-s">{days_left(row.left, row.status)}</span></td>'
        f'<td class="govuk-table__cell"><a class="govuk-link" href="{base}/{d.id}">{escape(d.label)}</a><br>'
        f'<span class="govuk-body-s">{escape(d.rule)}</span></td>'
        f'<td class="govuk-table__cell"><a class="govuk-link" href="{escape(row.link)}">{escape(row.subject)}</a></td>'
        f'<td class="govuk-table__cell">{"Provider" if d.acts == "provider" else "Council"}</td>'
        f'<td class="govuk-table__cell">{deadline_status(row.status)}</td></tr>'
        for row in rows for d in (row.deadline,)))


def event_heading(event, kind_names: dict[str, str] | None = None) -> tuple[str, str]:
    """What an audit event says on a timeline, and about what: ("Plan submitted", "Action plan: draft to submitted");
    without kind_names (one record's own trail) only the move: "draft to submitted", or "" if it moved nothing. A kind
    the contract names (kind_names) goes by that name."""
    moved = ""
    if event.to_state:
        moved = event.to_state.replace("_", " ")
        if event.from_state:
            moved = f"{event.from_state.replace('_', ' ')} to {moved}"
    if kind_names is not None:
        kind = event.entity_type
        about = kind_names[kind] if kind in kind_names else kind.replace("_", " ").capitalize()
        moved = f"{about}: {moved}" if moved else about
    return event.event.replace("_", " ").capitalize(), moved


def days_left(n: int, status: str) -> str:
    """Working days from today to a deadline's due date, in words; only meaningful while its clock runs."""
    if status not in ("running", "paused", "breached"):
        return "Not counting"
    if status == "breached" or n < 0:
        return f"Overdue by {-n} working day{'' if n == -1 else 's'}" if n < 0 else "Overdue"
    if n == 0:
        return "Due today"
    return f"{n} working day{'' if n == 1 else 's'} left"


def register(app: Flask) -> None:
    """Install the filters."""
    app.add_template_filter(govuk_date)
    app.add_template_filter(govuk_datetime)
    app.add_template_filter(weekday_date)
    app.add_template_filter(govuk_date_text)
    app.add_template_global(RATING_TAG, "RATING_TAG")
    app.add_template_global(STATE_TAG, "STATE_TAG")
    app.add_template_global(deadline_status)
    app.add_template_global(days_left)
    app.add_template_global(deadline_table_rows)
    app.add_template_global(event_heading)
    app.add_template_global(error_summary, "error_summary")
    app.add_template_global(select_options, "select_options")
