"""Duties to notify and requests with a due date (issue 15): list, record, show with the deadline and how it was
counted, and the steps (record the notice; answer or withdraw a request)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models.list_store import ListSpec
from models.notification_store import (
    can_record,
    duty_choices,
    duty_of,
    get_notification,
    notify,
    record_notification,
)
from models.request_store import (
    attach_evidence,
    can_answer,
    can_ask,
    get_request,
    record_request,
    request_evidence,
    step_request,
)
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import now_utc, today_london
from web.deadline_rows import record_facts
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.portal import read_uploads
from web.steps import run_and_flash, run_step
from workflows.access import Permission
from workflows.evidence import ACCEPTED_TYPES

bp = Blueprint("duties", __name__)
NOTIFICATIONS = ListSpec("notification", "duties.list_notifications_page", "notifications", "Happened", "occurred_on",
                         "what_happened")
REQUESTS = ListSpec("request", "duties.list_requests_page", "requests", "Asked", "asked_on", "what_asked")

NOTIFY_FIELDS = (Field("notified_on", "date", "Date the council was told", DATE_HINT),
                 Field("how", "text", "How the council was told (optional)", "For example, by email to the "
                                                                            "contract manager. No names.",
                       optional=True))
ANSWER_FIELDS = (Field("answered_on", "date", "Date it was answered", DATE_HINT),
                 Field("answer", "textarea", "The answer", "No names: use the council's reference for a person."))
WITHDRAW_FIELDS = (Field("reason", "textarea", "Why is the request withdrawn?"),)


def _split(choice: str | None) -> tuple[str, str]:
    contract_id, _, entry = (choice or "").partition(":")
    return contract_id, entry


def _step_page(title: str, caption: str, back: str, back_text: str, form, fields, problems, status, button="Save"):
    return render_template("duties/step.html", form=form, fields=fields, title=title, caption=caption, back=back,
                           back_text=back_text, button=button, page_problems=problems), status


# -- duties to notify ----------------------------------------------------------------------------------------------


@bp.get("/duty-notifications")
@requires(Permission.VIEW_PROVIDERS)
def list_notifications_page():
    """Duties to notify the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(NOTIFICATIONS, g.viewer, read_query(NOTIFICATIONS), now_utc())
    return render_template("duties/list_notifications.html", **list_context(NOTIFICATIONS, g.viewer, now_utc()),
                           can_record=can_record(g.viewer))


@bp.route("/duty-notifications/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_notification():
    """Record something the provider must tell the council (a duty its contract's rulebook lists)."""
    if not can_record(g.viewer):
        abort(403)
    fields = (
        Field("duty", "select", "What happened, under which contract",
              "Only the duties each contract's rulebook lists are offered.",
              choices=(("", "Select a duty"), *duty_choices(g.viewer, "duties"))),
        Field("occurred_on", "date", "Date it happened", DATE_HINT),
        Field("what_happened", "textarea", "What happened", "No names: use the council's reference for a person."),
    )
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        contract_id, duty = _split(form.duty.data)

        def act():
            return record_notification(g.viewer, current_user, {
                "contract_id": contract_id, "duty": duty, "occurred_on": form.occurred_on.data,
                "what_happened": form.what_happened.data}, now_utc())

        record, status = run_step(act, form, problems)
        if record is not None:
            flash(f"Notification {record.reference} recorded")
            return redirect(url_for("duties.show_notification", notification_id=record.id), code=303)
    elif form.errors:
        status = 422
    return _step_page("Record something the council must be told", "Duties to notify",
                      url_for("duties.list_notifications_page"), "the duties to notify", form, fields, problems,
                      status, button="Record it")


@bp.get("/duty-notifications/<int:notification_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_notification(notification_id: int):
    """A duty to notify: what happened, the deadline and how it was counted, the steps, the trail."""
    record = get_notification(g.viewer, notification_id)
    return render_template("duties/show_notification.html", record=record, duty=duty_of(record),
                           **record_facts("notification", record))


@bp.route("/duty-notifications/<int:notification_id>/notify", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def notify_page(notification_id: int):
    """Record the date the council was told (which stops the duty's clock)."""
    record = get_notification(g.viewer, notification_id)
    if not can_record(g.viewer):
        abort(403)
    form = transition_form(NOTIFY_FIELDS, record.version_id, {"notified_on": today_london()})
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            return notify(g.viewer, current_user, record.id, {"notified_on": form.notified_on.data,
                                                              "how": form.how.data},
                          now_utc(), expected_version=form.version.data)

        done, status = run_step(act, form, problems)
        if done is not None:
            flash("The notice to the council is recorded")
            return redirect(url_for("duties.show_notification", notification_id=record.id), code=303)
    elif form.errors:
        status = 422
    return _step_page("Record when the council was told", f"Notification {record.reference}",
                      url_for("duties.show_notification", notification_id=record.id), "the notification", form,
                      NOTIFY_FIELDS, problems, status)


# -- requests ------------------------------------------------------------------------------------------------------


@bp.get("/requests")
@requires(Permission.VIEW_PROVIDERS)
def list_requests_page():
    """Requests the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(REQUESTS, g.viewer, read_query(REQUESTS), now_utc())
    return render_template("duties/list_requests.html", **list_context(REQUESTS, g.viewer, now_utc()),
                           can_ask=can_ask(g.viewer))


@bp.route("/requests/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_request():
    """Ask a provider for something its contract's rulebook lists, with the date to answer by."""
    if not can_ask(g.viewer):
        abort(403)
    fields = (
        Field("request_type", "select", "What the council is asking for, under which contract",
              "Only the request types each contract's rulebook lists are offered.",
              choices=(("", "Select a request type"), *duty_choices(g.viewer, "requests"))),
        Field("asked_on", "date", "Date the council asked", DATE_HINT),
        Field("due_on", "date", "Date the answer is due by",
              "Only where the contract leaves the period to the council; otherwise Remedy counts it. " + DATE_HINT,
              optional=True),
        Field("what_asked", "textarea", "What the council is asking for",
              "No names: use the council's reference for a person."),
    )
    form = transition_form(fields, 0, {"asked_on": today_london()})
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        contract_id, request_type = _split(form.request_type.data)

        def act():
            return record_request(g.viewer, current_user, {
                "contract_id": contract_id, "request_type": request_type, "asked_on": form.asked_on.data,
                "due_on": form.due_on.data, "what_asked": form.what_asked.data}, now_utc())

        record, status = run_step(act, form, problems)
        if record is not None:
            flash(f"Request {record.reference} made")
            return redirect(url_for("duties.show_request", request_id=record.id), code=303)
    elif form.errors:
        status = 422
    return _step_page("Make a request", "Requests", url_for("duties.list_requests_page"), "the requests", form,
                      fields, problems, status, button="Make the request")


@bp.get("/requests/<int:request_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_request(request_id: int):
    """A request: what was asked, the deadline and how it was counted, the answer, the steps, the trail."""
    record = get_request(g.viewer, request_id)
    return render_template("duties/show_request.html", record=record, duty=duty_of(record),
                           files=request_evidence(g.viewer, [record.id])[record.id], accepted=ACCEPTED_TYPES,
                           can_send_files=can_answer(g.viewer) and record.state.value != "withdrawn",
                           **record_facts("request", record))


@bp.post("/requests/<int:request_id>/evidence")
@requires(Permission.VIEW_PROVIDERS)
def request_evidence_upload(request_id: int):
    """Send evidence files with the answer to a request (either side; the portal's evidence store and checks)."""
    get_request(g.viewer, request_id)
    uploads = read_uploads()
    if run_and_flash(lambda: attach_evidence(g.viewer, current_user, request_id, uploads, now_utc())):
        flash(f"{len(uploads)} evidence file{'' if len(uploads) == 1 else 's'} sent with the answer")
    return redirect(url_for("duties.show_request", request_id=request_id, _anchor="evidence"), code=303)


@bp.route('/requests/<int:request_id>/<any("answer", "withdraw"):trigger>', methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def request_step(request_id: int, trigger: str):
    """Answer a request (either side) or withdraw it (the council)."""
    record = get_request(g.viewer, request_id)
    if not can_answer(g.viewer) or (trigger == "withdraw" and not can_ask(g.viewer)):
        abort(403)
    fields = ANSWER_FIELDS if trigger == "answer" else WITHDRAW_FIELDS
    form = transition_form(fields, record.version_id, {"answered_on": today_london()} if trigger == "answer" else {})
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        data = {f.name: getattr(form, f.name).data for f in fields}

        def act():
            return step_request(g.viewer, current_user, record.id, trigger, data, now_utc(),
                                expected_version=form.version.data)

        done, status = run_step(act, form, problems)
        if done is not None:
            flash("The answer is recorded" if trigger == "answer" else "The request is withdrawn")
            return redirect(url_for("duties.show_request", request_id=record.id), code=303)
    elif form.errors:
        status = 422
    return _step_page("Answer the request" if trigger == "answer" else "Withdraw the request",
                      f"Request {record.reference}", url_for("duties.show_request", request_id=record.id),
                      "the request", form, fields, problems, status)
