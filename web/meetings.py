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
from models.planned_meeting_store import get_planned, list_planned, plan_meetings, step_planned
from models.provider_store import contract_choices
from models.rulebook_store import rulebooks
from web.clock import now_utc, today_london
from web.forms import MeetingForm, PlanMeetingsForm, ReasonForm, SendMinutesForm, options
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
    plan_form = PlanMeetingsForm()
    plan_form.contract.choices = options((str(i), label) for i, label in contract_choices(g.viewer))
    return render_template("meetings/list_meetings.html", meetings=list_meetings(g.viewer),
                           planned=list_planned(g.viewer, open_only=True), plan_form=plan_form,
                           can_record=g.viewer.role in MANAGERS and not g.viewer.is_provider)


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_meeting():
    """Record a meeting and draft its minutes."""
    if g.viewer.role not in MANAGERS:
        abort(403)
    form = MeetingForm()
    form.contract.choices = options((str(i), label) for i, label in contract_choices(g.viewer))
    form.cadence.choices = cadence_choices()
    if form.validate_on_submit():
        try:
            meeting = record_meeting(g.viewer, current_user, int(form.contract.data), form.held_on.data,
                                     form.attendees.data, form.minutes.data, today_london(), now_utc(),
                                     cadence=form.cadence.data or None)
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, problem.field or "minutes").errors = [str(problem)]
        else:
            db.session.commit()
            flash("Meeting recorded: send the minutes to the provider when they are ready")
            return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id), code=303)
    return render_template("meetings/new_meeting.html", form=form), (422 if form.errors else 200)


def cadence_choices() -> list[tuple[str, str]]:
    """Every meeting cadence the rulebooks name (issue 15, item 6), each once; the contract's first when none."""
    seen: dict[str, str] = {}
    for book in rulebooks().values():
        for cadence in book.meetings:
            seen.setdefault(cadence.id, f"{cadence.what} ({cadence.rule})")
    return [("", "The contract's monitoring meeting"), *sorted(seen.items())]


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
                           events=events_for(g.viewer.council_id, "meeting", meeting.id, shown=True),
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


# -- meeting cadences (issue 15, item 6): the next meeting of each cadence -----------------------------------------


@bp.post("/planned-meetings/plan")
@requires(Permission.VIEW_PROVIDERS)
def plan_next_meetings():
    """Plan the contract's next meetings: one cadence after the last held, or after monitoring began."""
    form = PlanMeetingsForm()
    form.contract.choices = options((str(i), label) for i, label in contract_choices(g.viewer))
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        flash(errors[0] if errors else "The form expired: try again", "error")
        return redirect(url_for("meetings.list_meetings_page"), code=303)
    made: list = []
    if run_and_flash(lambda: made.extend(plan_meetings(g.viewer, current_user, form.contract.data, now_utc()))):
        flash(f"Planned {len(made)} meeting{'' if len(made) == 1 else 's'}: " + "; ".join(
            f"{p.what} by {p.due_on:%-d %B %Y}" for p in made) if made else
            "Every meeting of that contract is already planned")
    return redirect(url_for("meetings.list_meetings_page"), code=303)


@bp.get("/planned-meetings/<int:planned_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_planned(planned_id: int):
    """A planned meeting: when it is due and why, whether it was held, and its trail."""
    plan = get_planned(g.viewer, planned_id)
    return render_template("meetings/show_planned.html", plan=plan,
                           allowed=workflow_for(g.viewer, "planned_meeting", plan, now_utc(),
                                                today_london()).allowed_triggers(),
                           can_record=g.viewer.role in MANAGERS and not g.viewer.is_provider,
                           deadlines=deadlines_for(g.viewer.council_id, entity=("planned_meeting", plan.id)),
                           events=events_for(g.viewer.council_id, "planned_meeting", plan.id, shown=True),
                           reason_form=ReasonForm())


@bp.post("/planned-meetings/<int:planned_id>/cancel")
@requires(Permission.VIEW_PROVIDERS)
def cancel_planned(planned_id: int):
    """Cancel a planned meeting the contract no longer needs, with the reason."""
    form = ReasonForm()
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        flash(errors[0] if errors else "The form expired: try again", "error")
    elif run_and_flash(lambda: step_planned(g.viewer, current_user, planned_id, "cancel",
                                            {"reason": form.reason.data}, now_utc())):
        flash("Planned meeting cancelled")
    return redirect(url_for("meetings.show_planned", planned_id=planned_id), code=303)
