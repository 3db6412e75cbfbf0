"""Template filters: dates the GOV.UK way, and London times."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from web.clock import LONDON


def govuk_date(value: date | datetime | None) -> str:
    """18 December 2026."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def govuk_datetime(value: datetime | None) -> str:
    """18 December 2026 at 2:05pm (London time)."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def weekday_date(value: date) -> str:
    """Friday 18 December 2026."""
    return f"{value:%A} {value.day} {value:%B %Y}"


RATING_TAG = {
    "outstanding": "govuk-tag--green",
    "good": "govuk-tag--green",
    "requires_improvement": "govuk-tag--yellow",
    "inadequate": "govuk-tag--red",
    "not_yet_rated": "govuk-tag--grey",
}


def attr_choice(choice, selected) -> dict:
    """A WTForms choice as a GOV.UK select item."""
    return {"value": choice.value, "text": choice.label, "selected": str(choice.value) == str(selected or "")}


def register(app: Flask) -> None:
    """Install the filters."""
    app.add_template_filter(attr_choice)
    app.add_template_filter(govuk_date)
    app.add_template_filter(govuk_datetime)
    app.add_template_filter(weekday_date)
    app.add_template_global(RATING_TAG, "RATING_TAG")
