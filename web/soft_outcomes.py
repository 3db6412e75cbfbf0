"""A resident's annual soft-outcome check (issue 15, item 5: TH-S01 to TH-S09, TH-21): the list with a form to plan
one, and each check's page with its date, how it was counted, the ratings form and its trail."""

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
from models.soft_outcome_store import get_check, list_checks, plan_check, record_check
from web.clock import now_utc, today_london
from web.permissions import requires
from web.steps import run_and_flash
from workflows.access import Permission
from workflows.machine import MANAGERS

bp = Blueprint("soft_outcomes", __name__)


def _can_manage() -> bool:
    return g.viewer.role in MANAGERS and not g.viewer.is_provider


@bp.get("/soft-outcome-checks")
@requires(Permission.VIEW_PROVIDERS)
def list_checks_page():
    """Every soft-outcome check the person may see, soonest due first."""
    residents = []
    if _can_manage():
        residents = [p for p in db.session.scalars(scoped(Person, g.viewer).where(
            Person.erased_at.is_(None), Person.contract_id.is_not(None)).order_by(Person.reference))
            if rulebook_for(p.contract).soft_outcomes is not None]
    return render_template("soft_outcomes/list_checks.html", checks=list_checks(g.viewer), residents=residents,
                           can_plan=_can_manage())


@bp.post("/soft-outcome-checks")
@requires(Permission.VIEW_PROVIDERS)
def plan_check_page():
    """Plan a resident's next check (the council's managers)."""
    if not _can_manage():
        abort(403)
    made: list = []
    if run_and_flash(lambda: made.append(plan_check(g.viewer, current_user, {"person_id": request.form.get(
            "person_id")}, now_utc()))):
        return redirect(url_for("soft_outcomes.show_check", check_id=made[0].id), code=303)
    return redirect(url_for("soft_outcomes.list_checks_page"), code=303)


@bp.get("/soft-outcome-checks/<int:check_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_check(check_id: int):
    """A check: whose, when it is due and why, the ratings (or the form to record them), its trail."""
    check = get_check(g.viewer, check_id)
    return render_template("soft_outcomes/show_check.html", check=check,
                           spec=rulebook_for(check.contract).soft_outcomes,
                           allowed=workflow_for(g.viewer, "soft_outcome_check", check, now_utc(),
                                                today_london()).allowed_triggers(),
                           deadlines=deadlines_for(g.viewer.council_id, entity=("soft_outcome_check", check.id)),
                           events=events_for(g.viewer.council_id, "soft_outcome_check", check.id, shown=True),
                           today=today_london())


@bp.post("/soft-outcome-checks/<int:check_id>/record")
@requires(Permission.VIEW_PROVIDERS)
def record_check_page(check_id: int):
    """Record the check: its date, one rating per outcome, notes with no names."""
    check = get_check(g.viewer, check_id)
    spec = rulebook_for(check.contract).soft_outcomes
    outcomes = spec.outcomes if spec else ()
    data = {"checked_on": request.form.get("checked_on") or None, "notes": request.form.get("notes", ""),
            "ratings": {ident: request.form.get(f"rating-{ident}") for ident, _name in outcomes}}
    if run_and_flash(lambda: record_check(g.viewer, current_user, check_id, data, now_utc(),
                                          expected_version=request.form.get("version"))):
        flash("Soft-outcome check recorded: the next one is planned")
    return redirect(url_for("soft_outcomes.show_check", check_id=check_id), code=303)
