"""Safeguarding concerns (CE monthly-return vocabulary, HF section 13) and Large Scale Enquiries.

Details are restricted: safeguarding officers and the officers named on a concern see them; other council staff see
only that a concern exists; a provider sees only what a safeguarding officer has shared with it (every disclosure is
on the audit trail). The stores decide what each person sees; these views show it.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models.audit_store import events_for
from models.case_queries import deadlines_for
from models.concern_store import (
    apply_concern,
    concern_workflow,
    end_large_scale_enquiry,
    get_concern,
    listable_concerns,
    local_practice,
    name_officer,
    raise_concern,
    record_concern_meeting,
    record_notifications,
    request_investigation,
    set_local_practice,
    share_with_provider,
    start_large_scale_enquiry,
)
from models.list_store import ListSpec
from models.provider_store import get_provider
from models.user_store import list_users
from web.bounds import record_id
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import now_utc
from web.deadline_rows import deadline_rows
from web.forms import options
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.steps import chosen_provider, outcome, provider_fields, run_step
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.safeguarding import (
    INVESTIGATION_TEMPLATE,
    MEETING_KINDS,
    OUTCOME_LABELS,
    OUTCOMES,
    SAFEGUARDING,
    may_record_concerns,
)

bp = Blueprint("safeguarding", __name__)
CONCERNS = ListSpec("safeguarding_concern", "safeguarding.list_concerns_page", "safeguarding concerns", "Raised",
                    "raised_on", "details", listable=listable_concerns)

KIND_LABELS = {"first_account": "First Account", "care_concern": "Care Concern"}

# The fields each workflow step asks for.
TRANSITION_FIELDS: dict[str, tuple[Field, ...]] = {
    "triage": (Field("decision", "textarea", "Triage decision and why"),),
    "commence_enquiry": (Field("commenced_on", "date", "Date the section 42 enquiry commenced", DATE_HINT),),
    "close_without_enquiry": (Field("reason", "textarea", "Why is no enquiry needed?"),),
    "conclude": (Field("outcome", "radios", "Outcome of the enquiry",
                       choices=tuple((k, OUTCOME_LABELS[k]) for k in OUTCOMES)),
                 Field("summary", "textarea", "Summary of the findings")),
}

# Other things a safeguarding officer records on a concern: (heading, button, fields).
ACTIONS: dict[str, tuple[str, str, tuple[Field, ...]]] = {
    "meeting": ("Record a strategy meeting or case conference", "Record the meeting", (
        Field("kind", "radios", "What kind of meeting?", choices=tuple(MEETING_KINDS.items())),
        Field("held_on", "date", "Date of the meeting", DATE_HINT),
        Field("attendees", "text", "Who attended"),
        Field("actions", "textarea", "Actions agreed, with who and by when"),
    )),
    "investigation": ("Ask the provider to investigate", "Send the request", (
        Field("requested_on", "date", "Date of the request", DATE_HINT),
        Field("request", "textarea", "What the provider is asked to do",
              "The council's template: the provider sees this request, and nothing else you have not shared"),
    )),
    "notifications": ("Record the regulator and DBS notifications", "Save the dates", (
        Field("regulator_informed_on", "date", "Date the regulator (CQC) was informed (optional)", DATE_HINT,
              optional=True),
        Field("dbs_referral_on", "date", "Date of the DBS referral (optional)", DATE_HINT, optional=True),
        Field("dbs_council_told_on", "date", "Date the council was told of the DBS referral (optional)", DATE_HINT,
              optional=True),
    )),
    "share": ("Share a summary with the provider", "Share with the provider", (
        Field("text", "textarea", "What the provider may see",
              "Only this text is shown to the provider. The disclosure is recorded with your name."),
    )),
    "officer": ("Name an officer on this concern", "Name the officer", (
        Field("user", "select", "Council officer", "A named officer can see the concern's details"),
    )),
}


# What each of those leaves done, for the success banner.
DONE = {"meeting": "Meeting recorded on the concern", "investigation": "Investigation requested from the provider",
        "notifications": "Regulator and DBS dates saved", "share": "Summary shared with the provider",
        "officer": "Officer named on the concern: they can now see its details"}


@bp.get("/safeguarding")
@requires(Permission.VIEW_PROVIDERS)
def list_concerns_page():
    """Safeguarding concerns the person may know of, searched, filtered, sorted and paged (web/lists.py), with only
    what they may see of each: details, stage and clocks only where the registry's rule allows (SG restricted)."""
    if request.args.get("format") == "csv":
        return csv_response(CONCERNS, g.viewer, read_query(CONCERNS), now_utc())
    return render_template("safeguarding/list_concerns.html", **list_context(CONCERNS, g.viewer, now_utc()),
                           can_raise=may_record_concerns(g.viewer),
                           practice=local_practice(g.viewer.council_id) if not g.viewer.is_provider else None,
                           can_set_practice=g.viewer.role in SAFEGUARDING)


@bp.route("/safeguarding/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def raise_concern_page():
    """Raise a safeguarding concern (a First Account or Care Concern)."""
    if not may_record_concerns(g.viewer):
        abort(403)
    fields = provider_fields(g.viewer) + (
        Field("kind", "radios", "What kind of concern is it?", choices=tuple(KIND_LABELS.items())),
        Field("raised_on", "date", "Date the concern was raised", DATE_HINT),
        Field("details", "textarea", "What is the concern?",
              "Only safeguarding officers and the officers named on it will see this"),
    )
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            provider_id = chosen_provider(g.viewer, form, "Select the provider the concern is about")
            if form.raised_on.data is None:
                raise ValidationProblem("Enter the date the concern was raised", "raised_on")
            return raise_concern(g.viewer, current_user, provider_id, form.kind.data, form.details.data,
                                 form.raised_on.data, now_utc())

        concern, status = run_step(act, form, problems)
        if concern is not None:
            flash(f"Safeguarding concern {concern.reference} raised: the safeguarding team decides what happens next")
            return redirect(url_for("safeguarding.show_concern", concern_id=concern.id), code=303)
    elif form.errors:
        status = 422
    return render_template("safeguarding/step.html", form=form, fields=fields, title="Raise a safeguarding concern",
                           caption="Safeguarding", back=url_for("safeguarding.list_concerns_page"),
                           back_text="safeguarding concerns", refusal=None, button="Raise the concern",
                           page_problems=problems), status


@bp.get("/safeguarding/<int:concern_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_concern(concern_id: int):
    """A concern, as far as this person may see it."""
    view = get_concern(g.viewer, concern_id)
    concern, now = view.concern, now_utc()
    context = {"view": view, "concern": concern, "kind_labels": KIND_LABELS, "outcome_labels": OUTCOME_LABELS,
               "meeting_kinds": MEETING_KINDS}
    if view.level == "full":
        workflow = concern_workflow(g.viewer, concern, now)
        context.update(
            steps=[(t, workflow.label(t)) for t in workflow.allowed_triggers()],
            actions=_actions_for(concern) if g.viewer.role in SAFEGUARDING else [],
            deadlines=deadline_rows(g.viewer, deadlines_for(g.viewer.council_id,
                                                            entity=("safeguarding_concern", concern.id)), now),
            events=events_for(g.viewer.council_id, "safeguarding_concern", concern.id, shown=True),
            officers=[o.user for o in concern.officers])
    return render_template("safeguarding/show_concern.html", **context)


def _actions_for(concern) -> list[tuple[str, str]]:
    out = []
    for name, (heading, _button, _fields) in ACTIONS.items():
        if name in ("meeting", "investigation") and concern.state.value != "enquiry":
            continue
        out.append((name, heading))
    return out


@bp.route("/safeguarding/<int:concern_id>/<step>", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def concern_step(concern_id: int, step: str):
    """One step on a concern: a workflow transition or something else a safeguarding officer records."""
    view = get_concern(g.viewer, concern_id)
    concern, now = view.concern, now_utc()
    workflow = concern_workflow(g.viewer, concern, now)
    refusal = None
    if step in TRANSITION_FIELDS:
        refusal = workflow.why_not(step)
        if refusal and refusal[1]:
            abort(403)
        title, button, fields = workflow.label(step), None, TRANSITION_FIELDS[step]
    elif step in ACTIONS:
        if g.viewer.role not in SAFEGUARDING:
            abort(403)
        title, button, fields = ACTIONS[step]
    else:
        abort(404)
    defaults = {}
    if step == "investigation":
        defaults["request"] = concern.investigation_request or INVESTIGATION_TEMPLATE + concern.details
    if step == "share":
        defaults["text"] = concern.shared_with_provider or ""
    form = transition_form(fields, concern.version_id, defaults)
    if step == "officer":
        named = {o.user_id for o in concern.officers}
        form.user.choices = options([("", "Select an officer")] + [
            (str(u.id), f"{u.name} ({u.role.label})") for u in list_users(g.viewer.council_id)
            if not u.role.is_provider and u.role not in SAFEGUARDING and u.id not in named])
    problems: list[str] = []
    status = 200
    if form.validate_on_submit() and not refusal:
        data = {f.name: form[f.name].data for f in fields if form[f.name].data not in (None, "", [])}
        done, status = run_step(lambda: _record(step, concern, data, now, form), form, problems)
        if status == 200:
            flash(DONE[step] if step in DONE else outcome(workflow, step, concern.reference))
            return redirect(url_for("safeguarding.show_concern", concern_id=concern.id), code=303)
    elif form.errors:
        status = 422
    if refusal:
        problems.append(refusal[0])
    return render_template("safeguarding/step.html", form=form, fields=fields, title=title, button=button,
                           caption=f"Safeguarding concern {concern.reference}",
                           back=url_for("safeguarding.show_concern", concern_id=concern.id),
                           back_text="the concern", refusal=refusal, page_problems=problems), status


def _record(step: str, concern, data: dict, now, form):
    actor = current_user
    if step in TRANSITION_FIELDS:
        return apply_concern(g.viewer, actor, concern.id, step, data, now, expected_version=form.version.data)
    if step == "meeting":
        return record_concern_meeting(g.viewer, actor, concern.id, data, now)
    if step == "investigation":
        return request_investigation(g.viewer, actor, concern.id, data, now)
    if step == "notifications":
        return record_notifications(g.viewer, actor, concern.id, data, now)
    if step == "share":
        return share_with_provider(g.viewer, actor, concern.id, data.get("text", ""), now)
    user_id = record_id(str(data.get("user") or ""))
    if user_id is None:
        raise ValidationProblem("Select the officer to name", "user")
    return name_officer(g.viewer, actor, concern.id, user_id, now)


@bp.route("/safeguarding/local-practice", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def local_practice_page():
    """The council's own safeguarding timescales (the seeds set none): safeguarding officers and administrators."""
    if g.viewer.role not in SAFEGUARDING:
        abort(403)
    current = local_practice(g.viewer.council_id)
    fields = (
        Field("decision_working_days", "number", "Working days for the triage decision",
              "Counted from the day the concern is raised; 1 means by the end of the next working day"),
        Field("strategy_meeting_working_days", "number", "Working days to hold a strategy meeting",
              "Counted from the day the section 42 enquiry commences"),
        Field("enquiry_working_days", "number", "Working days to conclude a section 42 enquiry",
              "Counted from the day the enquiry commences"),
    )
    form = transition_form(fields, 0, current.__dict__)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        data = {f.name: form[f.name].data for f in fields}
        done, status = run_step(lambda: set_local_practice(g.viewer, current_user, data, now_utc()), form, problems)
        if done is not None:
            flash("Safeguarding timescales saved: new deadlines use them; running ones keep their dates")
            return redirect(url_for("safeguarding.list_concerns_page"), code=303)
    elif form.errors:
        status = 422
    return render_template("safeguarding/step.html", form=form, fields=fields, title="Safeguarding timescales",
                           caption="Local practice, not contract terms", button="Save the timescales",
                           back=url_for("safeguarding.list_concerns_page"), back_text="safeguarding concerns",
                           refusal=None, page_problems=problems), status


# -- Large Scale Enquiries (CE-38 suspension route, CE-51 extra monitoring) ---------------------------------------


@bp.route("/providers/<int:provider_id>/large-scale-enquiry/<step>", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def large_scale_enquiry(provider_id: int, step: str):
    """Start or end a Large Scale Enquiry on a provider (safeguarding officers)."""
    if step not in ("start", "end"):
        abort(404)
    provider = get_provider(g.viewer, provider_id)
    if g.viewer.role not in SAFEGUARDING:
        abort(403)
    title = "Start a Large Scale Enquiry" if step == "start" else "End the Large Scale Enquiry"
    fields = (Field("starts_on" if step == "start" else "ends_on", "date",
                    "Date the enquiry started" if step == "start" else "Date the enquiry ended", DATE_HINT),)
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        on = form[fields[0].name].data

        def act():
            if on is None:
                raise ValidationProblem(f"Enter the {fields[0].label.lower()}", fields[0].name)
            if step == "start":
                return start_large_scale_enquiry(g.viewer, current_user, provider.id, on, now_utc())
            return end_large_scale_enquiry(g.viewer, current_user, provider.id, on, now_utc())

        done, status = run_step(act, form, problems)
        if done is not None:
            flash("Large Scale Enquiry started: Cheshire East may now suspend (CE-38) and extra monitoring applies "
                  "(CE-51)" if step == "start" else "Large Scale Enquiry ended")
            return redirect(url_for("providers.show_provider", provider_id=provider.id), code=303)
    elif form.errors:
        status = 422
    return render_template("safeguarding/step.html", form=form, fields=fields, title=title, button=title,
                           caption=provider.name, back=url_for("providers.show_provider", provider_id=provider.id),
                           back_text="the provider", refusal=None, page_problems=problems), status

