"""Complaints (HF section 15, CE-59, KT S3): recorded by the provider or the council, reported, answered with a draft
the council reviews, sent with the HF-75 checklist, closed with an outcome and lessons, or taken to the Ombudsman."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models.concern_store import (
    apply_complaint,
    complaint_workflow,
    get_complaint,
    get_concern,
    record_complaint,
)
from models.list_store import ListSpec
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import LONDON, now_utc
from web.deadline_rows import record_facts
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.steps import chosen_provider, local_instant, outcome, provider_fields, run_step
from workflows.access import Permission
from workflows.complaint import (
    CHANNELS,
    CHECKLIST_LABELS,
    COMPLAINANT_TYPES,
    OUTCOMES,
    RESPONSE_CHECKLIST,
    ComplaintState,
    resolved_within_28_days,
)
from workflows.errors import NotFound, ValidationProblem
from workflows.safeguarding import may_record_concerns

bp = Blueprint("complaints", __name__)
COMPLAINTS = ListSpec("complaint", "complaints.list_complaints_page", "complaints", "Received", "received_at")

CHANNEL_LABELS = {"phone": "Phone", "email": "Email", "letter": "Letter", "in_person": "In person",
                  "online": "Online form", "other": "Other"}
COMPLAINANT_LABELS = {"service_user": "The person receiving care", "family_member": "A family member or carer",
                      "advocate": "An advocate", "professional": "A professional", "member_of_public":
                      "A member of the public", "other": "Someone else"}
OUTCOME_LABELS = {"upheld": "Upheld", "partially_upheld": "Partially upheld", "not_upheld": "Not upheld"}
YES_NO = (("yes", "Yes"), ("no", "No"))

# The fields each step asks for; steps not listed only ask the person to confirm.
STEP_FIELDS: dict[str, tuple[Field, ...]] = {
    "submit_draft": (Field("draft", "textarea", "Draft response",
                           "The council's complaints manager reviews it before it is sent (HF-74, HF-78)"),),
    "return_draft": (Field("comment", "textarea", "What needs to change in the draft", "The provider sees this"),),
    "send_response": (Field("checklist", "checkboxes", "What the response covers",
                            "Tick each one: the contract requires them all (HF-75)",
                            choices=tuple((k, CHECKLIST_LABELS[k]) for k in RESPONSE_CHECKLIST)),),
    "close": (Field("outcome", "radios", "Outcome", choices=tuple((k, OUTCOME_LABELS[k]) for k in OUTCOMES)),
              Field("lessons", "textarea", "Lessons learnt and the actions agreed",
                    "Agreed learning and actions are carried out and evidenced (HF-71)")),
    "resolve_informally": (Field("resolution", "textarea", "How was it resolved?",
                                 "Informal complaints are logged with their resolution (HF-72)"),),
}


def _new_fields() -> tuple[Field, ...]:
    fields = list(provider_fields(g.viewer))
    if not g.viewer.is_provider:
        fields.append(Field("by_council", "radios", "Who received the complaint?",
                            choices=(("no", "The provider"), ("yes", "The council"))))
    fields += [
        Field("formal", "radios", "Is it a formal complaint?", "An informal complaint is logged with its resolution",
              choices=YES_NO),
        Field("received_on", "date", "Date it was received", DATE_HINT),
        Field("received_time", "time", "Time it was received", "Use the 24-hour clock, for example 14:30"),
        Field("channel", "radios", "How was it made?", choices=tuple((c, CHANNEL_LABELS[c]) for c in CHANNELS)),
        Field("complainant_type", "select", "Who complained?",
              choices=(("", "Select who complained"), *((c, COMPLAINANT_LABELS[c]) for c in COMPLAINANT_TYPES))),
        Field("summary", "textarea", "What is the complaint about?"),
        Field("raises_safeguarding", "checkboxes", "Safeguarding",
              "A complaint that raises a safeguarding concern is passed to safeguarding at once (HF-76)",
              choices=(("yes", "It raises a safeguarding concern"),)),
    ]
    return tuple(fields)



@bp.get("/complaints")
@requires(Permission.VIEW_PROVIDERS)
def list_complaints_page():
    """Complaints the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(COMPLAINTS, g.viewer, read_query(COMPLAINTS), now_utc())
    return render_template("complaints/list_complaints.html", **list_context(COMPLAINTS, g.viewer, now_utc()),
                           can_record=may_record_concerns(g.viewer))




@bp.route("/complaints/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_complaint():
    """Record a complaint as received."""
    if not may_record_concerns(g.viewer):
        abort(403)
    fields = _new_fields()
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            provider_id = chosen_provider(g.viewer, form, "Select the provider the complaint is about")
            received_at = local_instant(form.received_on.data, form.received_time.data, "received_time",
                                        "the complaint was received")
            data = {"received_at": received_at, "channel": form.channel.data,
                    "complainant_type": form.complainant_type.data, "summary": form.summary.data,
                    "formal": form.formal.data == "yes",
                    "by_council": not g.viewer.is_provider and form.by_council.data == "yes",
                    "raises_safeguarding": "yes" in (form.raises_safeguarding.data or [])}
            if form.formal.data not in ("yes", "no"):
                raise ValidationProblem("Select whether it is a formal complaint", "formal")
            return record_complaint(g.viewer, current_user, provider_id, data, now_utc())

        complaint, status = run_step(act, form, problems)
        if complaint is not None:
            flash(f"Complaint {complaint.reference} recorded")
            return redirect(url_for("complaints.show_complaint", complaint_id=complaint.id), code=303)
    elif form.errors:
        status = 422
    return render_template("complaints/new_complaint.html", form=form, fields=fields,
                           page_problems=problems), status


def _number(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@bp.get("/complaints/<int:complaint_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_complaint(complaint_id: int):
    """A complaint: how it arrived, its clocks and how each was counted, the draft, the response and the outcome."""
    complaint = get_complaint(g.viewer, complaint_id)
    concern = None
    if complaint.safeguarding_concern_id:
        try:
            concern = get_concern(g.viewer, complaint.safeguarding_concern_id)
        except NotFound:
            concern = None  # the person may not know of it
    received_on = complaint.received_at.astimezone(LONDON).date()
    return render_template(
        "complaints/show_complaint.html", complaint=complaint, concern=concern, **record_facts("complaint", complaint),
        within_28=resolved_within_28_days(received_on, complaint.resolved_on),
        channel=CHANNEL_LABELS.get(complaint.channel, complaint.channel),
        complainant=COMPLAINANT_LABELS.get(complaint.complainant_type, complaint.complainant_type),
        outcome=OUTCOME_LABELS.get(complaint.outcome or "", ""), checklist_labels=CHECKLIST_LABELS,
        informal=complaint.state in (ComplaintState.LOGGED_INFORMAL, ComplaintState.RESOLVED_INFORMALLY))


@bp.route("/complaints/<int:complaint_id>/<trigger>", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def complaint_step(complaint_id: int, trigger: str):
    """One step of a complaint, as a GOV.UK form."""
    complaint = get_complaint(g.viewer, complaint_id)
    now = now_utc()
    workflow = complaint_workflow(g.viewer, complaint, now)
    if trigger not in {row.trigger for row in workflow.TRANSITIONS}:
        abort(404)
    refusal = workflow.why_not(trigger)
    if refusal and refusal[1]:
        abort(403)
    fields = STEP_FIELDS.get(trigger, ())
    form = transition_form(fields, complaint.version_id)
    label = workflow.label(trigger)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit() and not refusal:
        data = {f.name: form[f.name].data for f in fields if form[f.name].data not in (None, "", [])}
        done, status = run_step(lambda: apply_complaint(g.viewer, current_user, complaint.id, trigger, data, now,
                                                        expected_version=form.version.data),
                                form, problems)
        if done is not None:
            flash(outcome(workflow, trigger, complaint.reference))
            return redirect(url_for("complaints.show_complaint", complaint_id=complaint.id), code=303)
    elif form.errors:
        status = 422
    if refusal:
        problems.append(refusal[0])
        status = 409 if status == 200 and form.is_submitted() else status
    return render_template("complaints/step.html", complaint=complaint, form=form, fields=fields, title=label,
                           refusal=refusal, page_problems=problems), status
