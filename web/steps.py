"""Running one step a person asked for through a store, in one transaction, with the domain's refusals and
problems turned into what the page shows: 403 or 404, a sentence in the error summary (409), or an error message on
the field the problem names (422)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from flask import abort, flash

from models import db, is_clash
from models.engine import CHANGED_MEANWHILE
from models.provider_store import filter_choices
from web.case_forms import Field
from web.clock import LONDON
from workflows.errors import Conflict, MalformedRequest, NotFound, ValidationProblem
from workflows.machine import TransitionNotAllowed


@dataclass(frozen=True)
class Failure:
    """Why a step did not land, as HTTP says it: 400, 403, 404, 409 or 422, a sentence, and the field at fault."""

    status: int
    message: str
    field: str | None = None


def attempt(action: Callable, then: Callable | None = None) -> tuple[object, Failure | None]:
    """Call `action()` and commit; or roll everything back and say why not. The one translation of the domain's
    refusals into HTTP, for the pages and the API alike. `then(result)`, if given, runs in the same transaction just
    before the commit, and what it returns is the result: the API serialises a record it changed while the session
    still holds it, rather than reading back after the commit everything the commit expired (issue 17)."""
    try:
        result = action()
        if then is not None:
            result = then(result)
        db.session.commit()
        return result, None
    except NotFound as exc:
        failure = Failure(404, str(exc))
    except TransitionNotAllowed as exc:
        failure = Failure(403 if exc.forbidden else 409, str(exc))
    except Conflict as exc:
        failure = Failure(409, str(exc))
    except MalformedRequest as exc:
        failure = Failure(400, str(exc))
    except ValidationProblem as exc:
        failure = Failure(422, str(exc), exc.field)
    except Exception as exc:
        if not is_clash(exc):  # a fault: the app's error handler rolls back, logs it and answers 500
            raise
        # Another change met this one in the database (a versioned row changed meanwhile, a unique key taken).
        failure = Failure(409, CHANGED_MEANWHILE)
    db.session.rollback()
    return None, failure


def run_step(action: Callable, form, problems: list[str], on_problem: Callable | None = None) -> tuple[object, int]:
    """A page's step: (its result, 200), or (None, status) with the problem on the form field it names (placed by
    `on_problem(form, problem, problems)` if given) or in `problems` for the error summary; 403 and 404 abort."""
    result, failure = attempt(action)
    if failure is None:
        return result, 200
    if failure.status in (403, 404):
        abort(failure.status)
    if failure.status == 422:
        (on_problem or _on_field)(form, ValidationProblem(failure.message, failure.field), problems)
    else:
        problems.append(failure.message)
    return None, failure.status


def _on_field(form, problem: ValidationProblem, problems: list[str]) -> None:
    # The domain names an instant ("occurred_at") where the form asks for its date ("occurred_on").
    names = (problem.field, problem.field.replace("_at", "_on")) if problem.field else ()
    field = next((getattr(form, n) for n in names if form is not None and hasattr(form, n)), None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(problem)] if isinstance(field.errors, list) else [str(problem)]
    else:
        problems.append(str(problem))


def outcome(workflow, trigger: str, reference: str) -> str:
    """A success banner that states what happened, from the event the step records ("Complaint response sent:
    CMP-00001"), never the form's title with ": done" after it (ux #11)."""
    event = next((row.event for row in workflow.TRANSITIONS if row.trigger == trigger), None)
    return f"{event.replace('_', ' ').capitalize()}: {reference}" if event else f"Saved: {reference}"


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
