"""Changing a draft or returned action plan: change or remove a row or a milestone, with a confirmation before
anything is removed (issue 16). Every change goes through the plan's store functions (models/case_store.py), which
check who may, the plan's state and the version the person saw, and audit what changed or was removed."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import HiddenField, SubmitField, TextAreaField

from models.case_queries import get_record
from models.case_store import (
    change_milestone,
    change_plan_row,
    check_editable,
    plan_of_row,
    remove_milestone,
    remove_plan_row,
)
from models.portal_store import comment_on_plan, plan_comments
from web.case_forms import MilestoneForm, RowForm
from web.clock import now_utc, today_london
from web.permissions import requires
from web.steps import run_step
from workflows.access import Permission
from workflows.machine import TransitionNotAllowed

bp = Blueprint("plans", __name__)


class ChangeRowForm(RowForm):
    version = HiddenField()
    submit = SubmitField("Save the changes", widget=GovSubmitInput())


class ChangeMilestoneForm(MilestoneForm):
    version = HiddenField()
    submit = SubmitField("Save the changes", widget=GovSubmitInput())


class CommentForm(FlaskForm):
    text = TextAreaField("Your comment", widget=GovTextArea(),
                         description="Say what should change and why. Do not include names of people who use the "
                                     "service.")
    submit = SubmitField("Add the comment", widget=GovSubmitInput())


class RemoveForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField("Yes, remove it", widget=GovSubmitInput())


def _back(plan, anchor: str | None = None) -> str:
    return url_for("cases.show_case", case_id=plan.case_id, _anchor=anchor or f"plan-{plan.id}")


def _refused(plan, record=None):
    """None when the person may change the plan now; otherwise a 403, or the case page saying why not."""
    try:
        check_editable(g.viewer, plan, "Milestones" if record is not None else "Rows", record=record)
    except TransitionNotAllowed as exc:
        if exc.forbidden:
            abort(403)
        flash(str(exc), "error")
        return redirect(_back(plan), code=303)
    return None


def _page(template: str, plan, form, title: str, problems: list[str], status: int, **context):
    return render_template(template, case=plan.case, plan=plan, form=form, title=title, page_problems=problems,
                           back=_back(plan), **context), status


def _edit(plan, record, form, version: int, step, done, anchor: str | None, template: str, title: str,
          step_form: bool = True, **context):
    """The one shape of every change to a draft or returned plan (a row or milestone changed or removed): refused
    when the plan cannot be changed now, the form carrying the version it was read at, the step run in one
    transaction with its problems on the page, then back to the plan on the case page. `record` is the milestone for
    a milestone's page (None for a row); `step(version)` makes the change and `done()` says what was done (read
    after a change, so a changed title is the new one)."""
    refused = _refused(plan, record)
    if refused:
        return refused
    if not form.is_submitted():
        form.version.data = str(version)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        _done, status = run_step(lambda: step(form.version.data), form if step_form else None, problems)
        if status == 200:
            flash(done())
            return redirect(_back(plan, anchor), code=303)
        form.version.data = str(version)
    elif form.errors:
        status = 422
    return _page(template, plan, form, title, problems, status, **context)


@bp.route("/action-plan-rows/<int:row_id>/change", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def change_row(row_id: int):
    """Change a row of a draft or returned plan."""
    row, plan = plan_of_row(g.viewer, row_id)
    form = ChangeRowForm(obj=row)
    return _edit(plan, None, form, plan.version_id,
                 lambda version: change_plan_row(g.viewer, current_user, row.id, form.row(), now_utc(),
                                                 today_london(), expected_version=version),
                 lambda: f"Row {row.position} ({row.kpi}) of the plan saved", f"row-{row.id}", "plans/change.html",
                 f"Change row {row.position} of the action plan")


@bp.route("/action-plan-rows/<int:row_id>/remove", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def remove_row(row_id: int):
    """Ask before taking a row out of a draft or returned plan, then take it out."""
    row, plan = plan_of_row(g.viewer, row_id)
    removed = f"Row {row.position} ({row.kpi}) removed from the plan"  # read before the row is gone
    summary = [("KPI", row.kpi), ("Current performance", f"{row.current_performance} ({row.rag.capitalize()})"),
               ("Issue", row.issue), ("Action", row.action), ("Who will do it", row.owner),
               ("Expected outcome", row.expected_outcome), ("Deadline", row.deadline)]
    return _edit(plan, None, RemoveForm(), plan.version_id,
                 lambda version: remove_plan_row(g.viewer, current_user, row.id, now_utc(), expected_version=version),
                 lambda: removed, None, "plans/remove.html",
                 f"Remove row {row.position} from the action plan?", step_form=False, summary=summary)


@bp.route("/milestones/<int:milestone_id>/change", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def change_milestone_page(milestone_id: int):
    """Change what a milestone of a draft or returned plan is, or when it is due."""
    milestone = get_record(g.viewer, "milestone", milestone_id)
    form = ChangeMilestoneForm(obj=milestone)
    return _edit(milestone.plan, milestone, form, milestone.version_id,
                 lambda version: change_milestone(g.viewer, current_user, milestone.id,
                                                  {"title": form.title.data, "due_on": form.due_on.data}, now_utc(),
                                                  expected_version=version),
                 lambda: f"Milestone \u201c{milestone.title}\u201d saved", f"milestone-{milestone.id}",
                 "plans/change.html",
                 "Change a milestone")


@bp.route("/milestones/<int:milestone_id>/remove", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def remove_milestone_page(milestone_id: int):
    """Ask before taking a milestone out of a draft or returned plan, then take it out."""
    milestone = get_record(g.viewer, "milestone", milestone_id)
    removed = f"Milestone \u201c{milestone.title}\u201d removed from the plan"  # read before it is gone
    return _edit(milestone.plan, milestone, RemoveForm(), milestone.version_id,
                 lambda version: remove_milestone(g.viewer, current_user, milestone.id, now_utc(),
                                                  expected_version=version),
                 lambda: removed, None, "plans/remove.html",
                 "Remove this milestone from the action plan?", step_form=False,
                 summary=[("Milestone", milestone.title), ("Due", milestone.due_on)])


def _comment(plan, about: str, summary: list, anchor: str, row=None, milestone=None):
    """The comment page for one row or milestone: what it says, the comments on it so far, and a comment box."""
    form = CommentForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        _done, status = run_step(lambda: comment_on_plan(g.viewer, current_user, plan, form.text.data, now_utc(),
                                                         row=row, milestone=milestone), form, problems)
        if status == 200:
            flash(f"Comment added to {about[:1].lower()}{about[1:]}")
            return redirect(_back(plan, anchor), code=303)
    key = ("row", row.id) if row is not None else ("milestone", milestone.id)
    return _page("plans/comment.html", plan, form, f"Comment on {about[:1].lower()}{about[1:]}", problems, status,
                 summary=summary, comments=plan_comments(g.viewer, [plan.id])[plan.id].get(key, []))


@bp.route("/action-plan-rows/<int:row_id>/comment", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def comment_on_row(row_id: int):
    """Comment on one row of a plan being agreed (either side)."""
    row, plan = plan_of_row(g.viewer, row_id)
    summary = [("KPI", row.kpi), ("Action", row.action), ("Who will do it", row.owner),
               ("Expected outcome", row.expected_outcome), ("Deadline", row.deadline)]
    return _comment(plan, f"Row {row.position} ({row.kpi})", summary, f"row-{row.id}", row=row)


@bp.route("/milestones/<int:milestone_id>/comment", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def comment_on_milestone(milestone_id: int):
    """Comment on one milestone of a plan being agreed (either side)."""
    milestone = get_record(g.viewer, "milestone", milestone_id)
    return _comment(milestone.plan, f"Milestone \u201c{milestone.title}\u201d",
                    [("Milestone", milestone.title), ("Due", milestone.due_on)], f"milestone-{milestone.id}",
                    milestone=milestone)
