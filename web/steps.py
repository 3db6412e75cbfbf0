"""Running one step a person asked for through a store, in one transaction, with the domain's refusals and
problems turned into what the page shows: 403 or 404, a sentence in the error summary (409), or an error message on
the field the problem names (422)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time

from flask import abort, flash

from models import db
from models.provider_store import filter_choices
from web.case_forms import Field
from web.clock import LONDON
from workflows.errors import Conflict, MalformedRequest, NotFound, ValidationProblem
from workflows.machine import TransitionNotAllowed


def run_step(action: Callable, form, problems: list[str], on_problem: Callable | None = None) -> tuple[object, int]:
    """Call `action()`; commit and return (its result, 200), or roll everything back and return (None, status).

    A ValidationProblem goes on the form field it names (or `on_problem(form, problem, problems)` places it)."""
    try:
        result = action()
    except NotFound:
        db.session.rollback()
        abort(404)
    except TransitionNotAllowed as exc:
        db.session.rollback()
        if exc.forbidden:
            abort(403)
        problems.append(str(exc))
        return None, 409
    except (Conflict, MalformedRequest) as exc:
        db.session.rollback()
        problems.append(str(exc))
        return None, 409 if isinstance(exc, Conflict) else 400
    except ValidationProblem as problem:
        db.session.rollback()
        (on_problem or _on_field)(form, problem, problems)
        return None, 422
    db.session.commit()
    return result, 200


def _on_field(form, problem: ValidationProblem, problems: list[str]) -> None:
    field = getattr(form, problem.field, None) if form is not None and problem.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(problem)] if isinstance(field.errors, list) else [str(problem)]
    else:
        problems.append(str(problem))


def run_and_flash(action: Callable) -> bool:
    """For a button that posts and goes back to its page: run the step and commit, or flash why not; True if done."""
    problems: list[str] = []
    _result, status = run_step(action, None, problems)
    for problem in problems:
        flash(problem, "error")
    return status == 200


def provider_fields(viewer) -> tuple[Field, ...]:
    """The provider question on a form that records something about a provider: council staff choose one, a
    provider's own staff are never asked (they act for their organisation)."""
    if viewer.is_provider:
        return ()
    providers, _contracts = filter_choices(viewer)
    return (Field("provider_id", "select", "Provider",
                  choices=(("", "Select a provider"), *((str(i), name) for i, name in providers))),)


def chosen_provider(viewer, form, what: str = "Select the provider") -> int:
    """The provider a form is about: the person's own, or the one chosen (a problem on the field if none)."""
    if viewer.is_provider:
        return viewer.provider_id
    value = str(form.provider_id.data or "")
    if not value.isdigit():
        raise ValidationProblem(what, "provider_id")
    return int(value)


TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def local_instant(day, clock: str | None, field: str, what: str) -> datetime | None:
    """A date and a 24-hour time like 14:30, as an instant in London (None if the date is missing; a missing or
    malformed time is a problem named on the time field)."""
    if day is None:
        return None
    match = TIME.match(clock or "")
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValidationProblem(f"Enter the time {what}, using the 24-hour clock, like 14:30", field)
    return datetime.combine(day, time(int(match.group(1)), int(match.group(2))), tzinfo=LONDON)
