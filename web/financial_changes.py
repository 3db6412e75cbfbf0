"""Significant adverse changes in a provider's financial position (TH-16): list, record, show, and record that the
change was reported to the council within 7 working days."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from models.concern_store import overdue_ids
from models.financial_change_store import can_record, get_change, list_changes, record_change, report_change
from models.provider_store import contract_choices
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import now_utc, today_london
from web.deadline_rows import record_facts
from web.permissions import requires
from web.steps import run_step
from workflows.access import Permission

bp = Blueprint("financial_changes", __name__)

REPORT_FIELDS = (Field("reported_on", "date", "Date it was reported to the council",
                       "Within 7 working days of the change (TH-16). " + DATE_HINT),)


@bp.get("/financial-changes")
@requires(Permission.VIEW_PROVIDERS)
def list_changes_page():
    """Financial changes the person may see, most recent first."""
    changes = list_changes(g.viewer)
    return render_template("financial_changes/list_changes.html", changes=changes, can_record=can_record(g.viewer),
                           overdue=overdue_ids(g.viewer, "financial_change", (c.id for c in changes)))


@bp.route("/financial-changes/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_change():
    """Record a significant adverse change in a provider's financial position."""
    if not can_record(g.viewer):
        abort(403)
    fields = (
        Field("contract_id", "select", "Contract",
              choices=(("", "Select a contract"), *((str(i), name) for i, name in contract_choices(g.viewer)))),
        Field("occurred_on", "date", "Date the change occurred", "The 7 working days count from the next working "
                                                                  "day. " + DATE_HINT),
        Field("what_changed", "textarea", "What changed in the provider's financial position?"),
    )
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            return record_change(g.viewer, current_user, {
                "contract_id": form.contract_id.data, "occurred_on": form.occurred_on.data,
                "what_changed": form.what_changed.data}, now_utc())

        change, status = run_step(act, form, problems)
        if change is not None:
            flash(f"Financial change {change.reference} recorded")
            return redirect(url_for("financial_changes.show_change", change_id=change.id), code=303)
    elif form.errors:
        status = 422
    return render_template("financial_changes/step.html", form=form, fields=fields,
                           title="Record an adverse financial change", caption="Financial changes",
                           back=url_for("financial_changes.list_changes_page"), back_text="the financial changes",
                           button="Record the change", page_problems=problems), status


@bp.get("/financial-changes/<int:change_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_change(change_id: int):
    """A financial change, its TH-16 deadline with how it was counted, the steps the person may take, its trail."""
    change = get_change(g.viewer, change_id)
    return render_template("financial_changes/show_change.html", change=change,
                           **record_facts("financial_change", change))


@bp.route("/financial-changes/<int:change_id>/report", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def report_change_page(change_id: int):
    """Record the date the change was reported to the council (which meets the TH-16 deadline)."""
    change = get_change(g.viewer, change_id)
    if not can_record(g.viewer):
        abort(403)
    form = transition_form(REPORT_FIELDS, change.version_id, {"reported_on": today_london()})
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            return report_change(g.viewer, current_user, change.id, {"reported_on": form.reported_on.data},
                                 now_utc(), expected_version=form.version.data)

        done, status = run_step(act, form, problems)
        if done is not None:
            flash("The report to the council is recorded")
            return redirect(url_for("financial_changes.show_change", change_id=change.id), code=303)
    elif form.errors:
        status = 422
    return render_template("financial_changes/step.html", form=form, fields=REPORT_FIELDS,
                           title="Record that it was reported", caption=f"Financial change {change.reference}",
                           back=url_for("financial_changes.show_change", change_id=change.id),
                           back_text="the financial change", button="Save", page_problems=problems), status
