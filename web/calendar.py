"""The working-day calculator, and the administrator's list of extra non-working days."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models import db
from models.calendar_store import add_closure, list_closures, remove_closure, working_calendar
from models.council_store import get_council
from models.deadline_store import calendar_change_impact, replan_after_calendar_change
from models.entities import ClosureKind
from web.bounds import DATE_RANGE_TEXT
from web.clock import now_utc, today_london
from web.forms import ClosureForm, RemoveForm, WorkdaysForm
from web.permissions import requires
from workflows.access import Permission
from workflows.errors import ValidationProblem

bp = Blueprint("calendar", __name__)


@bp.get("/working-days")
@requires(Permission.VIEW_WORKDAYS)
def calculator():
    """Count working days from a date, showing every skipped day and why."""
    form = WorkdaysForm(request.args)
    explanation = None
    if request.args and form.validate():
        calendar = working_calendar(g.viewer.council_id, form.region.data)
        try:
            explanation = calendar.explain_add_working_days(form.start.data, form.days.data)
        except ValueError:  # the count ran past the years the calendar knows (after 2100, say)
            form.days.errors = [f"Enter a number of working days that ends {DATE_RANGE_TEXT}"]
    elif not request.args:
        form = WorkdaysForm(formdata=None, days=10, region="england-and-wales")
        form.start.data = today_london()
    return render_template("calendar/calculator.html", form=form, explanation=explanation), (
        422 if form.errors else 200)


@bp.route("/admin/non-working-days", methods=["GET", "POST"])
@requires(Permission.MANAGE_CALENDAR)
def closures():
    """Council closure days and newly announced bank holidays, added with a reason."""
    council = get_council(g.viewer.council_id)
    form = ClosureForm()
    if form.validate_on_submit():
        now = now_utc()
        try:
            row = add_closure(council, current_user, form.on.data, form.region.data, ClosureKind(form.kind.data),
                              form.reason.data, now)
            if request.form.get("confirm") != "yes":
                # Preview first: what the new day would move, without keeping anything.
                db.session.rollback()
                impact = calendar_change_impact(council.id, form.region.data, {form.on.data: form.reason.data}, now)
                return render_template("calendar/preview.html", form=form, impact=impact)
            replanned = replan_after_calendar_change(council.id, row.region, now)
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, problem.field or "on").errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"{row.on.day} {row.on:%B %Y} added as a non-working day: {replanned['reminders']} reminder(s) "
                  f"and {replanned['targets']} internal target(s) moved; served deadlines were not changed")
            return redirect(url_for("calendar.closures"), code=303)
    return render_template("calendar/closures.html", form=form, closures=list_closures(council.id),
                           remove_form=RemoveForm()), (422 if form.errors else 200)


@bp.post("/admin/non-working-days/<int:closure_id>/remove")
@requires(Permission.MANAGE_CALENDAR)
def remove(closure_id: int):
    """Remove an extra non-working day."""
    form = RemoveForm()
    if not form.validate_on_submit():
        abort(400)
    remove_closure(get_council(g.viewer.council_id), current_user, closure_id, now_utc())
    db.session.commit()
    flash("Non-working day removed")
    return redirect(url_for("calendar.closures"), code=303)
