"""Incidents and accidents (date, type, action taken); key-holding incidents carry HF-69's clocks: reported to the
council within 24 hours and a written report within 3 days."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models.concern_store import get_incident, record_incident, report_incident
from models.list_store import ListSpec
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import now_utc
from web.deadline_rows import record_facts
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.steps import chosen_provider, local_instant, provider_fields, run_step
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.safeguarding import INCIDENT_KINDS, may_record_concerns

bp = Blueprint("incidents", __name__)
INCIDENTS = ListSpec("incident", "incidents.list_incidents_page", "incidents", "Happened", "occurred_at",
                     "description")

KIND_LABELS = {"key_holding": "Key holding or key-safe code", "lost_keys": "Lost keys", "accident": "Accident",
               "medication": "Medication", "missed_visit": "Missed visit",
               "doorstep_refusal": "Doorstep cancellation or refusal (Appendix B)", "other": "Other"}
REPORT_FIELDS = (
    Field("reported", "checkboxes", "Reported to the council",
          "A key-holding incident is reported to an Authorised Officer within 24 hours (HF-69)",
          choices=(("yes", "It has been reported to the council's Authorised Officer"),)),
    Field("written_report", "textarea", "Written report (optional until you have it)",
          "The written report is due within 3 days (HF-69)"),
)



@bp.get("/incidents")
@requires(Permission.VIEW_PROVIDERS)
def list_incidents_page():
    """Incidents the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(INCIDENTS, g.viewer, read_query(INCIDENTS), now_utc())
    return render_template("incidents/list_incidents.html", **list_context(INCIDENTS, g.viewer, now_utc()),
                           can_record=may_record_concerns(g.viewer))


@bp.route("/incidents/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_incident():
    """Record an incident or accident."""
    if not may_record_concerns(g.viewer):
        abort(403)
    fields = provider_fields(g.viewer) + (
        Field("kind", "radios", "What kind of incident?", choices=tuple((k, KIND_LABELS[k]) for k in INCIDENT_KINDS)),
        Field("occurred_on", "date", "Date it happened", DATE_HINT),
        Field("occurred_time", "time", "Time it happened", "Use the 24-hour clock, for example 14:30"),
        Field("description", "textarea", "What happened?"),
        Field("action_taken", "textarea", "What action was taken?"),
    )
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            provider_id = chosen_provider(g.viewer, form)
            occurred_at = local_instant(form.occurred_on.data, form.occurred_time.data, "occurred_time",
                                        "it happened")
            return record_incident(g.viewer, current_user, provider_id, {
                "kind": form.kind.data, "occurred_at": occurred_at, "description": form.description.data,
                "action_taken": form.action_taken.data}, now_utc())

        incident, status = run_step(act, form, problems)
        if incident is not None:
            flash(f"Incident {incident.reference} recorded")
            return redirect(url_for("incidents.show_incident", incident_id=incident.id), code=303)
    elif form.errors:
        status = 422
    return render_template("incidents/step.html", form=form, fields=fields, title="Record an incident",
                           caption="Incidents", back=url_for("incidents.list_incidents_page"),
                           back_text="the incidents", button="Record the incident", page_problems=problems), status


@bp.get("/incidents/<int:incident_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_incident(incident_id: int):
    """An incident, its clocks and its reports."""
    incident = get_incident(g.viewer, incident_id)
    facts = record_facts("incident", incident)
    return render_template("incidents/show_incident.html", incident=incident, kind_labels=KIND_LABELS,
                           can_report=bool(facts["steps"]), **facts)


@bp.route("/incidents/<int:incident_id>/report", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def report_incident_page(incident_id: int):
    """Record that the incident was reported to the council, and its written report."""
    incident = get_incident(g.viewer, incident_id)
    if not may_record_concerns(g.viewer):
        abort(403)
    form = transition_form(REPORT_FIELDS, incident.version_id)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            if "yes" not in (form.reported.data or []) and incident.reported_at is None:
                raise ValidationProblem("Confirm the incident has been reported to the council", "reported")
            return report_incident(g.viewer, current_user, incident.id, form.written_report.data, now_utc(),
                                   expected_version=form.version.data)

        done, status = run_step(act, form, problems)
        if done is not None:
            flash("Incident report recorded")
            return redirect(url_for("incidents.show_incident", incident_id=incident.id), code=303)
    elif form.errors:
        status = 422
    return render_template("incidents/step.html", form=form, fields=REPORT_FIELDS, title="Record the report",
                           caption=f"Incident {incident.reference}",
                           back=url_for("incidents.show_incident", incident_id=incident.id),
                           back_text="the incident", button="Save", page_problems=problems), status
