"""Contract monitoring meetings and their minutes (KT-16): recorded and sent by the council, approved or withheld
by the provider within ten Business Days, or deemed approved by the scheduler."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from models import db
from models.audit_store import events_for
from models.case_queries import deadlines_for
from models.engine import workflow_for
from models.meeting_store import apply_minutes, get_meeting, list_meetings, record_meeting
from models.provider_store import contract_choices
from web.clock import now_utc, today_london
from web.forms import MeetingForm, ReasonForm, SendMinutesForm, options
from web.permissions import requires
from web.steps import run_and_flash
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS

bp = Blueprint("meetings", __name__)


@bp.get("/meetings")
@requires(Permission.VIEW_PROVIDERS)
def list_meetings_page():
    """Contract monitoring meetings and where their minutes stand."""
    return render_template("meetings/list_meetings.html", meetings=list_meetings(g.viewer),
                           can_record=g.viewer.role in MANAGERS)


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_meeting():
    """Record a meeting and draft its minutes."""
    if g.viewer.role not in MANAGERS:
        abort(403)
    form = MeetingForm()
    form.contract.choices = options((str(i), label) for i, label in contract_choices(g.viewer))
    if form.validate_on_submit():
        try:
            meeting = record_meeting(g.viewer, current_user, int(form.contract.data), form.held_on.data,
                                     form.attendees.data, form.minutes.data, today_london(), now_utc())
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, problem.field or "minutes").errors = [str(problem)]
        else:
            db.session.commit()
            flash("Meeting recorded: send the minutes to the provider when they are ready")
            return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id), code=303)
    return render_template("meetings/new_meeting.html", form=form), (422 if form.errors else 200)


def _workflow(meeting):
    return workflow_for(g.viewer, "meeting", meeting, now_utc(), today_london())


@bp.get("/meetings/<int:meeting_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_meeting(meeting_id: int):
    """A meeting, its minutes, the KT-16 deadline and what can be done next."""
    meeting = get_meeting(g.viewer, meeting_id)
    return render_template("meetings/show_meeting.html", meeting=meeting,
                           allowed=_workflow(meeting).allowed_triggers(),
                           deadlines=deadlines_for(g.viewer.council_id, entity=("meeting", meeting.id)),
                           events=events_for(g.viewer.council_id, "meeting", meeting.id),
                           send_form=SendMinutesForm(), reason_form=ReasonForm())


@bp.post("/meetings/<int:meeting_id>/<trigger>")
@requires(Permission.VIEW_PROVIDERS)
def act(meeting_id: int, trigger: str):
    """Send, approve or withhold the minutes."""
    if trigger not in ("send", "approve", "withhold"):
        abort(404)
    form = {"send": SendMinutesForm, "withhold": ReasonForm}.get(trigger, ReasonForm)()
    if not form.validate_on_submit() and trigger != "approve":
        errors = [e for field in form for e in field.errors]
        flash(errors[0] if errors else "The form expired: try again", "error")
        return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id), code=303)
    data = {"sent_on": form.sent_on.data} if trigger == "send" else (
        {"reason": form.reason.data} if trigger == "withhold" else {})
    if run_and_flash(lambda: apply_minutes(g.viewer, current_user, meeting_id, trigger, data, today_london(),
                                           now_utc())):
        flash({"send": "Minutes sent: the provider has ten Business Days to reply (KT-16)",
               "approve": "Minutes approved", "withhold": "Approval withheld, with your reasons"}[trigger])
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id), code=303)
