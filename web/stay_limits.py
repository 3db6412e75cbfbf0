"""Per-person stay limits (issue 15, item 5: TH-11, TH-12): the list with a form to start one, and each limit's
page with its date, how it was counted, its steps and its trail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models import db
from models.audit_store import events_for
from models.case_queries import deadlines_for
from models.engine import workflow_for
from models.people import Person
from models.registry import scoped
from models.rulebook_store import rulebook_for
from models.stay_limit_store import get_stay, list_stays, start_stay, step_stay
from web.clock import now_utc, today_london
from web.permissions import requires
from web.steps import run_and_flash
from workflows.access import Permission
from workflows.machine import MANAGERS

bp = Blueprint("stay_limits", __name__)


def _people_with_limits() -> tuple[list[Person], list]:
    """The people the viewer may see under a contract whose rulebook lists stay limits, and those limits (each
    once)."""
    people, limits = [], {}
    for person in db.session.scalars(scoped(Person, g.viewer).where(
            Person.erased_at.is_(None), Person.contract_id.is_not(None)).order_by(Person.reference)):
        listed = rulebook_for(person.contract).stay_limits
        if listed:
            people.append(person)
            limits.update({spec.id: spec for spec in listed})
    return people, list(limits.values())


@bp.get("/stay-limits")
@requires(Permission.VIEW_PROVIDERS)
def list_stays_page():
    """Every stay limit the person may see, soonest first, with overstays marked."""
    can_start = g.viewer.role in MANAGERS and not g.viewer.is_provider
    people, limits = _people_with_limits() if can_start else ([], [])
    return render_template("stay_limits/list_stays.html", stays=list_stays(g.viewer), can_start=can_start,
                           people=people, limits=limits)


@bp.post("/stay-limits")
@requires(Permission.VIEW_PROVIDERS)
def start_stay_page():
    """Start a limit for a person (the council's managers)."""
    if g.viewer.is_provider or g.viewer.role not in MANAGERS:
        abort(403)
    form = request.form
    data = {"person_id": form.get("person_id"), "limit": form.get("limit"),
            "started_on": form.get("started_on") or None}
    made: list = []
    if run_and_flash(lambda: made.append(start_stay(g.viewer, current_user, data, now_utc()))):
        return redirect(url_for("stay_limits.show_stay", stay_id=made[0].id), code=303)
    return redirect(url_for("stay_limits.list_stays_page"), code=303)


@bp.get("/stay-limits/<int:stay_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_stay(stay_id: int):
    """A stay limit: whose, which rule, when it started and runs out, how it was counted, the steps and trail."""
    stay = get_stay(g.viewer, stay_id)
    spec = rulebook_for(stay.contract).stay_limit(stay.limit)
    return render_template("stay_limits/show_stay.html", stay=stay, spec=spec,
                           allowed=workflow_for(g.viewer, "stay_limit", stay, now_utc(),
                                                today_london()).allowed_triggers(),
                           deadlines=deadlines_for(g.viewer.council_id, entity=("stay_limit", stay.id)),
                           events=events_for(g.viewer.council_id, "stay_limit", stay.id, shown=True),
                           today=today_london())


@bp.post('/stay-limits/<int:stay_id>/<any("end", "agree"):trigger>')
@requires(Permission.VIEW_PROVIDERS)
def stay_step(stay_id: int, trigger: str):
    """Record that a limit ended, or (TH-11) that a longer stay was agreed."""
    get_stay(g.viewer, stay_id)
    data = ({"ended_on": request.form.get("ended_on") or None} if trigger == "end"
            else {"reason": request.form.get("reason", "")})
    if run_and_flash(lambda: step_stay(g.viewer, current_user, stay_id, trigger, data, now_utc(),
                                       expected_version=request.form.get("version"))):
        flash("Recorded: the limit's clock is stopped")
    return redirect(url_for("stay_limits.show_stay", stay_id=stay_id), code=303)

