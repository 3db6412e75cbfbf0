"""Provider portal pages: the provider's home (what is due first), milestone progress with evidence files,
representations on a notice, a new version of an agreed plan; and for the council, the review queue and the
review of a milestone's evidence. Evidence files are downloaded only by people who may see them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import MultipleFileField, RadioField, SubmitField, TextAreaField
from wtforms.validators import Optional

from models.calendar_store import working_calendar
from models.case_queries import get_record, list_cases
from models.concern_store import list_complaints
from models.deadline_store import upcoming_deadlines
from models.portal_store import (
    COMMENTABLE,
    Upload,
    evidence_for,
    evidence_path,
    get_evidence,
    health_of,
    live_plans,
    make_representation,
    milestones_awaiting_review,
    notice_deadlines,
    open_milestones,
    open_notices,
    open_representations,
    plan_comments,
    record_progress,
    representation_window,
    representations_for,
    review_evidence,
    revise_plan,
    updates_for,
)
from models.return_store import list_returns
from models.rulebook_store import rulebook_for
from web.clock import now_utc, today_london
from web.filters import weekday_date
from web.forms import options
from web.permissions import requires
from web.steps import run_step
from workflows.access import Permission
from workflows.action_plan import REVISABLE, ActionPlanWorkflow, PlanState
from workflows.clock import working_days_left
from workflows.complaint import ComplaintState
from workflows.evidence import ACCEPTED_TYPES, MAX_EVIDENCE_BYTES, format_size
from workflows.machine import MANAGERS, PROVIDER_MANAGERS, PROVIDERS
from workflows.milestone import MilestoneState
from workflows.notice import representation_refusal
from workflows.returns import ReturnState

bp = Blueprint("portal", __name__)

# Complaints waiting on the provider (HF-78: passed on by the council, or returned with comments).
COMPLAINTS_WITH_PROVIDER = (ComplaintState.WITH_PROVIDER, ComplaintState.DRAFT_RETURNED, ComplaintState.RECEIVED)
HEALTH_TAG = {"on track": "govuk-tag--green", "at risk": "govuk-tag--yellow", "overdue": "govuk-tag--red"}


@bp.record_once
def _template_helpers(state) -> None:
    """Template globals (macros see globals, not a view's context): the colour beside a plan's health label, and
    file sizes in words."""
    state.app.add_template_global(HEALTH_TAG, "HEALTH_TAG")
    state.app.add_template_global(format_size, "format_size")


# -- the provider's home: what is due first ------------------------------------------------------------------------


def home_context() -> dict:
    """What the provider's home page shows, soonest due first (scoped to the provider in every store query)."""
    viewer = g.viewer
    now, today = now_utc(), today_london()
    deadlines = upcoming_deadlines(viewer, now, today.replace(year=today.year + 5))
    calendars = {}

    def left(deadline):
        key = (deadline.council_id, deadline.region)
        calendar = calendars.get(key) or calendars.setdefault(key, working_calendar(*key))
        return working_days_left(today, deadline.due_on, calendar)

    due = [{"deadline": d, "left": left(d), "overdue": d.status == "breached" or d.due_at < now} for d in deadlines]
    notices = open_notices(viewer)
    plans = live_plans(viewer)
    waiting = []
    for notice in notices:
        if notice.state.value == "issued":
            waiting.append((url_for("cases.transition", collection="notices", record_id=notice.id,
                                    trigger="acknowledge"), f"Acknowledge receipt of the {notice.title.lower()}",
                            notice.case.reference))
    for plan in plans:
        if plan.state is PlanState.RETURNED:
            waiting.append((url_for("cases.show_case", case_id=plan.case_id, _anchor=f"plan-{plan.id}"),
                            f"Change and resubmit the returned plan (version {plan.plan_version})",
                            plan.case.reference))
        elif plan.state is PlanState.AGREED and viewer.role in PROVIDER_MANAGERS:
            waiting.append((url_for("cases.transition", collection="action-plans", record_id=plan.id,
                                    trigger="sign_off"), f"Sign off the agreed plan (version {plan.plan_version})",
                            plan.case.reference))
        elif plan.state is PlanState.DRAFT:
            waiting.append((url_for("cases.show_case", case_id=plan.case_id, _anchor=f"plan-{plan.id}"),
                            f"Finish and submit the draft plan (version {plan.plan_version})", plan.case.reference))
    complaints = [c for c in list_complaints(viewer) if c.state in COMPLAINTS_WITH_PROVIDER]
    cases, open_count = list_cases(viewer, now, open_only=True, per_page=10)
    # Returns still to send (due, or queried by the council), the soonest due first; ones with no due date last.
    returns = sorted((r for r in list_returns(viewer, until=today)
                      if r.state in (ReturnState.DUE, ReturnState.QUERIED)),
                     key=lambda r: (r.due_on is None, r.due_on or today, r.id))
    return {"due": due, "waiting": waiting, "notices": notices, "cases": cases, "open_count": open_count,
            "notice_deadlines": notice_deadlines(viewer, [n.id for n in notices]),
            "plans": [(p, health_of(p, today)) for p in plans], "milestones": open_milestones(viewer),
            "complaints": complaints, "returns": returns[:10], "more_returns": len(returns) > 10}


def _task(title: str, href: str | None, due, status: str, tag: str | None = None) -> dict:
    """One GOV.UK task-list item: a link only when the person may do the task now; the status as plain text when it
    is done or with someone else, as a tag when it waits for them."""
    item = {"title": {"text": title}, "href": href}
    if due is not None:
        item["hint"] = {"text": f"Due {weekday_date(due)}"}
    item["status"] = {"tag": {"text": status, "classes": tag}} if tag else {"text": status}
    if href is None:
        item.pop("href")
    return item


def provider_tasks(home: dict) -> list[dict]:
    """What the provider must do, as a GOV.UK task list, soonest due first: write and send the action plan a notice
    asks for, acknowledge a notice, answer a complaint, report on milestones and send returns. Built from the home
    page's records (no further queries)."""
    viewer = g.viewer
    may_plan = viewer.role in ActionPlanWorkflow.CREATE_ROLES
    by_record = {}
    for item in home["due"]:
        deadline = item["deadline"]
        by_record.setdefault((deadline.entity_type, deadline.entity_id), deadline)
    plans = {}
    for plan, _health in home["plans"]:
        plans.setdefault(plan.notice_id, plan)
    tasks = []  # (due, order, item)
    for notice in home["notices"]:
        deadline = home["notice_deadlines"].get(notice.id)
        due = deadline.due_on if deadline else None
        case_page = url_for("cases.show_case", case_id=notice.case_id)
        if notice.state.value == "issued":
            tasks.append((notice.served_on, 0, _task(f"Acknowledge receipt of the {notice.title.lower()}",
                                                     url_for("cases.transition", collection="notices",
                                                             record_id=notice.id, trigger="acknowledge"),
                                                     None, "To do", "govuk-tag--blue")))
        plan = plans.get(notice.id)
        title = "Write and send your action plan"
        if plan is None:
            href = url_for("cases.new_action_plan", case_id=notice.case_id) if may_plan else None
            item = _task(title, href, due, "Not yet started", "govuk-tag--blue")
        elif plan.state is PlanState.DRAFT:
            item = _task(title, f"{case_page}#plan-{plan.id}", due, "In progress", "govuk-tag--light-blue")
        elif plan.state is PlanState.RETURNED:
            item = _task("Change and resend your action plan", f"{case_page}#plan-{plan.id}", due,
                         "Returned by the council", "govuk-tag--yellow")
        elif plan.state is PlanState.SUBMITTED:
            item = _task(title, f"{case_page}#plan-{plan.id}", None, "With the council")
        elif plan.state is PlanState.AGREED:
            href = (url_for("cases.transition", collection="action-plans", record_id=plan.id, trigger="sign_off")
                    if viewer.role in PROVIDER_MANAGERS else None)
            item = _task("Sign the agreed action plan", href, None, "To do", "govuk-tag--blue")
        else:
            continue
        tasks.append((due, 1, item))
    for complaint in home["complaints"]:
        deadline = by_record.get(("complaint", complaint.id))
        due = deadline.due_on if deadline else None
        verb = "Report complaint" if complaint.state is ComplaintState.RECEIVED else "Send your draft response to"
        tasks.append((due, 2, _task(f"{verb} {complaint.reference}",
                                    url_for("complaints.show_complaint", complaint_id=complaint.id), due,
                                    "Returned by the council" if complaint.state is ComplaintState.DRAFT_RETURNED
                                    else "To do", "govuk-tag--blue")))
    for milestone in home["milestones"]:
        tasks.append((milestone.due_on, 3, _task(f"Report progress on \u201c{milestone.title}\u201d",
                                                 url_for("cases.show_case", case_id=milestone.case_id,
                                                         _anchor=f"milestone-{milestone.id}"),
                                                 milestone.due_on, "In progress" if milestone.state.value ==
                                                 "in_progress" else "To do", "govuk-tag--blue")))
    for row in home["returns"]:
        status = ("Queried by the council", "govuk-tag--yellow") if row.state is ReturnState.QUERIED else (
            ("To do", "govuk-tag--blue") if row.due_on else ("Not due yet: the council sets the date", None))
        tasks.append((row.due_on, 4, _task(f"Send the {row.name[:1].lower()}{row.name[1:]} for {row.label}",
                                           url_for("returns.show_return", row_id=row.id), row.due_on, *status)))
    far = date.max
    return [item for _due, _order, item in sorted(tasks, key=lambda t: (t[0] or far, t[1]))]


# -- milestone progress with evidence --------------------------------------------------------------------------


class ProgressForm(FlaskForm):
    status = RadioField("Status", widget=GovRadioInput(), validators=[Optional()], validate_choice=False,
                        choices=options([("in_progress", "In progress"), ("done", "Done")]))
    commentary = TextAreaField("Commentary", widget=GovTextArea())
    files = MultipleFileField("Evidence files (optional)", widget=GovFileInput(multiple=True))
    submit = SubmitField("Save progress", widget=GovSubmitInput())


def read_uploads() -> list[Upload]:
    """The files sent (field "files"), read with a bound so that one over the limit is refused without being held
    whole: the milestone progress page, a request's evidence page and the API."""
    uploads = []
    for item in request.files.getlist("files"):
        if not item or not item.filename:
            continue
        content = item.stream.read(MAX_EVIDENCE_BYTES + 1)
        uploads.append(Upload(item.filename, content))
    return uploads


@bp.route("/milestones/<int:milestone_id>/progress", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def milestone_progress(milestone_id: int):
    """Report progress on a milestone: its status, a commentary and evidence files (PDF, DOCX, XLSX, CSV, PNG or
    JPEG up to 20 MB)."""
    milestone = get_record(g.viewer, "milestone", milestone_id)
    if g.viewer.role not in PROVIDERS | MANAGERS:
        abort(403)
    form = ProgressForm()
    if request.method == "GET":
        form.status.data = "done" if milestone.state is MilestoneState.DONE else "in_progress"
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            record_progress(g.viewer, current_user, milestone.id, form.status.data or "", form.commentary.data,
                            read_uploads(), now_utc(), today_london())

        _done, status = run_step(act, form, problems)
        if status == 200:
            flash(f"Progress on the milestone {milestone.title!r} saved")
            return redirect(url_for("cases.show_case", case_id=milestone.case_id, _anchor=f"milestone-{milestone.id}"),
                            code=303)
    elif form.errors:
        status = 422
    milestone = get_record(g.viewer, "milestone", milestone_id)
    return render_template("portal/milestone_progress.html", milestone=milestone, case=milestone.case, form=form,
                           page_problems=problems, accepted=ACCEPTED_TYPES,
                           updates=updates_for(g.viewer, [milestone.id])[milestone.id],
                           files=evidence_for(g.viewer, [milestone.id])[milestone.id]), status


@bp.get("/evidence/<int:evidence_id>")
@requires(Permission.VIEW_PROVIDERS)
def download_evidence(evidence_id: int):
    """An evidence file, as an attachment, only for people who may see it (another provider's is a 404)."""
    evidence = get_evidence(g.viewer, evidence_id)
    path = evidence_path(evidence)
    if not path.is_file():
        abort(404)
    response = Response(path.read_bytes(), mimetype=evidence.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{evidence.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- the council's review ----------------------------------------------------------------------------------------


class ReviewForm(FlaskForm):
    decision = RadioField("Is the evidence accepted?", widget=GovRadioInput(), validators=[Optional()],
                          validate_choice=False,
                          choices=options([("verify", "Yes: verify the evidence and the milestone"),
                                           ("reject", "No: reject the evidence")]))
    reason = TextAreaField("Reason (needed when rejecting)", widget=GovTextArea())
    submit = SubmitField("Save the decision", widget=GovSubmitInput())


@bp.route("/milestones/<int:milestone_id>/review", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def review_milestone(milestone_id: int):
    """Verify a done milestone's evidence, or reject it with a reason (council managers)."""
    milestone = get_record(g.viewer, "milestone", milestone_id)
    if g.viewer.role not in MANAGERS:
        abort(403)
    form = ReviewForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            review_evidence(g.viewer, current_user, milestone.id, form.decision.data or "", form.reason.data,
                            now_utc(), today_london())

        _done, status = run_step(act, form, problems)
        if status == 200:
            flash("Evidence verified" if form.decision.data == "verify" else "Evidence rejected")
            return redirect(url_for("portal.review_queue"), code=303)
    elif form.errors:
        status = 422
    milestone = get_record(g.viewer, "milestone", milestone_id)
    if milestone.state is not MilestoneState.DONE and not problems:
        problems.append(f"This milestone is {milestone.state.value.replace('_', ' ')}: only a milestone marked done "
                        "has evidence to review")
        status = status if request.method == "POST" else 200
    return render_template("portal/review_milestone.html", milestone=milestone, case=milestone.case, form=form,
                           page_problems=problems, can_review=milestone.state is MilestoneState.DONE,
                           updates=updates_for(g.viewer, [milestone.id])[milestone.id],
                           files=evidence_for(g.viewer, [milestone.id])[milestone.id]), status


@bp.get("/review")
@requires(Permission.VIEW_PROVIDERS)
def review_queue():
    """The council's queue: plans submitted for agreement, evidence to check and providers' representations on open
    notices; every live plan labelled on track, at risk or overdue."""
    if g.viewer.is_provider:
        abort(403)
    today = today_london()
    plans = live_plans(g.viewer)
    milestones = milestones_awaiting_review(g.viewer)
    return render_template("portal/review_queue.html",
                           submitted=[p for p in plans if p.state is PlanState.SUBMITTED],
                           milestones=milestones, files=evidence_for(g.viewer, [m.id for m in milestones]),
                           plans=[(p, health_of(p, today)) for p in plans], can_review=g.viewer.role in MANAGERS,
                           representations=open_representations(g.viewer))


# -- notices: representations ----------------------------------------------------------------------------------


class RepresentationForm(FlaskForm):
    text = TextAreaField("Your representations", widget=GovTextArea())
    submit = SubmitField("Send your representations", widget=GovSubmitInput())


@bp.route("/notices/<int:notice_id>/representations", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def representations(notice_id: int):
    """The provider's representations on a notice's findings, within the notice's window."""
    notice = get_record(g.viewer, "notice", notice_id)
    if not g.viewer.is_provider:
        abort(403)
    form = RepresentationForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            make_representation(g.viewer, current_user, notice.id, form.text.data, now_utc(), today_london())

        _done, status = run_step(act, form, problems)
        if status == 200:
            flash("Your representations were sent to the council")
            return redirect(url_for("cases.show_case", case_id=notice.case_id, _anchor=f"notice-{notice.id}"),
                            code=303)
    elif form.errors:
        status = 422
    notice = get_record(g.viewer, "notice", notice_id)
    window = representation_window(g.viewer, notice)
    refusal = representation_refusal(notice.state, today_london(), window)
    if refusal and refusal not in problems:
        problems.append(refusal)
    return render_template("portal/representations.html", notice=notice, case=notice.case, form=form,
                           window=window, refusal=refusal, page_problems=problems,
                           earlier=representations_for(g.viewer, [notice.id])[notice.id]), status


# -- a new version of an agreed plan -----------------------------------------------------------------------------


class ConfirmForm(FlaskForm):
    submit = SubmitField("Start a new version", widget=GovSubmitInput())


@bp.route("/action-plans/<int:plan_id>/new-version", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_plan_version(plan_id: int):
    """Start the next version of an agreed plan (KT section 11.3): agreed again by both parties."""
    plan = get_record(g.viewer, "action_plan", plan_id)
    if g.viewer.role not in ActionPlanWorkflow.CREATE_ROLES:
        abort(403)
    form = ConfirmForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        revision, status = run_step(lambda: revise_plan(g.viewer, current_user, plan.id, now_utc()), form, problems)
        if status == 200:
            flash(f"Version {revision.plan_version} of the plan started: change it, then submit it for agreement")
            return redirect(url_for("cases.show_case", case_id=revision.case_id, _anchor=f"plan-{revision.id}"),
                            code=303)
    plan = get_record(g.viewer, "action_plan", plan_id)
    if plan.state not in REVISABLE and not problems:
        problems.append("Only an agreed plan is changed by a new version")
    return render_template("portal/new_plan_version.html", plan=plan, case=plan.case, form=form,
                           page_problems=problems, rulebook=rulebook_for(plan.case.contract)), status


# -- what the case page shows of the portal ------------------------------------------------------------------------


def case_context(case, records: dict, attached: frozenset[str]) -> dict:
    """For the case page: each milestone's progress and evidence, each notice's representations, each plan's health
    and the portal actions this person may take. `attached` (case_queries.case_contents) names what the case has any
    of; what it has none of is not read."""
    viewer, today = g.viewer, today_london()

    def read(name: str, reader, ids: list[int], empty=list):
        return reader(viewer, ids) if name in attached else {i: empty() for i in ids}

    milestone_ids = [m.id for m in records["milestone"]]
    notice_ids = [n.id for n in records["notice"]]
    plans = records["action_plan"]
    started_from = {p.previous_id for p in plans if p.previous_id}
    windows = {n.id: representation_window(viewer, n) for n in records["notice"]} if viewer.is_provider else {}
    return {
        "evidence": read("evidence_file", evidence_for, milestone_ids),
        "updates": read("milestone_update", updates_for, milestone_ids),
        "representations": read("notice_representation", representations_for, notice_ids),
        "health": {p.id: health_of(p, today) for p in plans},
        "can_represent": {n.id for n in records["notice"]
                          if viewer.is_provider and not representation_refusal(n.state, today, windows[n.id])},
        "can_revise": {p.id for p in plans if p.state in REVISABLE and p.id not in started_from
                       and viewer.role in ActionPlanWorkflow.CREATE_ROLES},
        "can_report": {m.id for m in records["milestone"] if viewer.role in PROVIDERS | MANAGERS
                       and m.plan.state is PlanState.IN_PROGRESS
                       and m.state in (MilestoneState.PLANNED, MilestoneState.IN_PROGRESS, MilestoneState.OVERDUE,
                                       MilestoneState.DONE)},
        "can_review": {m.id for m in records["milestone"] if viewer.role in MANAGERS
                       and m.state is MilestoneState.DONE},
        "comments": read("plan_comment", plan_comments, [p.id for p in plans], dict),
        "can_comment": {p.id for p in plans if p.state in COMMENTABLE and viewer.role in PROVIDERS | MANAGERS},
    }
