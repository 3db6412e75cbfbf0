"""Case pages: the list with filters, the case with its deadlines, records, next steps and timeline, the forms
that create records, and one GOV.UK form per transition."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from models import db
from models.calendar_store import working_calendar
from models.case_store import (
    BY_COLLECTION,
    KINDS,
    add_milestone,
    add_plan_row,
    allowed_triggers,
    apply_transition,
    case_records,
    case_timeline,
    consider_termination,
    create_action_plan,
    deadlines_for,
    documents_for,
    draft_default_notice,
    draft_notice,
    get_case,
    get_document,
    get_record,
    list_cases,
    open_case,
    overdue_case_ids,
    propose_suspension,
    rulebook_for,
    workflow_for,
)
from models.provider_store import list_contracts, provider_names
from web import letters
from web.case_forms import PHASES, fields_for
from web.clock import now_utc, today_london
from web.forms import GovDateField, options
from web.permissions import requires
from workflows.access import Permission
from workflows.case import CaseState
from workflows.deadline import effective_status
from workflows.errors import Conflict, NotFound, ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed

bp = Blueprint("cases", __name__)
PER_PAGE = 25


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    provider = SelectField("Provider", widget=GovSelect(), choices=[], validators=[Optional()])
    state = SelectField("Stage", widget=GovSelect(), validators=[Optional()],
                        choices=options([("", "Any")] + [(s.value, s.value.replace("_", " ").capitalize())
                                                         for s in CaseState]))
    overdue = SelectField("Overdue", widget=GovSelect(), validators=[Optional()],
                          choices=options([("", "Any"), ("yes", "Overdue only"), ("no", "Not overdue")]))
    submit = SubmitField("Filter", widget=GovSubmitInput())


@bp.get("/cases")
@requires(Permission.VIEW_PROVIDERS)
def list_cases_page():
    """Every case the person may see, filtered and paged."""
    form = FilterForm(request.args)
    form.provider.choices = options([("", "Any")] + [(str(pid), name) for pid, name in provider_names(g.viewer)])
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    state = CaseState(form.state.data) if form.state.data else None
    overdue = {"yes": True, "no": False}.get(form.overdue.data or "")
    provider_id = int(form.provider.data) if (form.provider.data or "").isdigit() else None
    items, total = list_cases(g.viewer, now_utc(), provider_id=provider_id, state=state, overdue=overdue,
                              page=page, per_page=PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    overdue_ids = overdue_case_ids(g.viewer, [c.id for c in items], now_utc())
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("cases/list_cases.html", form=form, cases=items, total=total, page=page, pages=pages,
                           args=args, overdue_ids=overdue_ids, can_open=g.viewer.role in MANAGERS)


class OpenCaseForm(FlaskForm):
    contract = SelectField("Contract", widget=GovSelect(), choices=[])
    summary = TextAreaField("Summary of the concern", widget=GovTextArea())
    submit = SubmitField("Open the case", widget=GovSubmitInput())


@bp.route("/cases/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def open_case_page():
    """Open a case on a contract (council managers)."""
    if g.viewer.role not in MANAGERS:
        abort(403)
    form = OpenCaseForm()
    form.contract.choices = options((str(c.id), f"{c.reference}: {c.provider.name}") for c in list_contracts(g.viewer))
    if request.method == "GET" and request.args.get("contract"):
        form.contract.data = request.args["contract"]
    if form.validate_on_submit():
        try:
            case = open_case(g.viewer, current_user, int(form.contract.data), form.summary.data, now_utc())
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, problem.field or "summary").errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"Case {case.reference} opened")
            return redirect(url_for("cases.show_case", case_id=case.id), code=303)
    return render_template("cases/open_case.html", form=form), (422 if form.errors else 200)


def _load_case(case_id: int):
    try:
        return get_case(g.viewer, case_id)
    except NotFound:
        abort(404)


@bp.get("/cases/<int:case_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_case(case_id: int):
    """A case: its rung, deadlines and how each was counted, its records and next steps, and its timeline."""
    case = _load_case(case_id)
    now, today = now_utc(), today_london()
    book = rulebook_for(case.contract)
    calendar = working_calendar(case.council_id, book.region)
    deadlines = [{"deadline": d, "status": effective_status(d.status, False, d.due_at, now),
                  "left": calendar.working_days_between(today, d.due_on)}
                 for d in deadlines_for(g.viewer.council_id, case_id=case.id)]
    records = case_records(g.viewer, case)
    actions = {(kind, r.id): allowed_triggers(g.viewer, kind, r, now, today)
               for kind, rows in records.items() for r in rows}
    create = []
    if g.viewer.role in MANAGERS and case.state.value not in ("resolved", "terminated", "withdrawn"):
        for rung, endpoint in (("notice", "new_notice"), ("action_plan", "new_action_plan"),
                               ("default_notice", "new_default_notice"), ("suspension", "new_suspension"),
                               ("termination", "new_termination")):
            if book.has_rung(rung):
                create.append((endpoint, book.rung_name(rung)))
    elif g.viewer.is_provider and book.has_rung("action_plan") and case.state.value not in (
            "resolved", "terminated", "withdrawn"):
        create.append(("new_action_plan", book.rung_name("action_plan")))
    return render_template("cases/show_case.html", case=case, rulebook=book, deadlines=deadlines, records=records,
                           actions=actions, case_actions=allowed_triggers(g.viewer, "case", case, now, today),
                           create=create, timeline=case_timeline(g.viewer, case),
                           documents=documents_for(g.viewer, case), collection_of=_collection_of)


def _collection_of(kind: str) -> str:
    return KINDS[kind].collection


@bp.get("/documents/<int:document_id>")
@requires(Permission.VIEW_PROVIDERS)
def download_document(document_id: int):
    """A stored letter, as an attachment, only for people who may see its case."""
    try:
        document = get_document(g.viewer, document_id)
    except NotFound:
        abort(404)
    response = Response(document.content, mimetype=document.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- creating records on a case ----------------------------------------------------------------------------------


class NoticeForm(FlaskForm):
    findings = TextAreaField("What is not adequate, and why", widget=GovTextArea())
    required_action = TextAreaField("The action plan the provider must produce", widget=GovTextArea())
    submit = SubmitField("Save the draft", widget=GovSubmitInput())


class PlanForm(FlaskForm):
    notice = SelectField("Against which notice", widget=GovSelect(), choices=[], validators=[Optional()])
    due_days = IntegerField("Working days the provider has for the plan", widget=GovTextInput(),
                            validators=[Optional()])
    submit = SubmitField("Start the action plan", widget=GovSubmitInput())


class ReasonOnlyForm(FlaskForm):
    reason = TextAreaField("Reason", widget=GovTextArea())
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())


def _field_error(form, problem: ValidationProblem, problems: list[str]) -> None:
    field = getattr(form, problem.field, None) if problem.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [str(problem)]
    else:
        problems.append(str(problem))


def _create(case_id: int, title: str, form, make, template="cases/create_record.html", **context):
    case = _load_case(case_id)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            make(case)
        except TransitionNotAllowed as exc:
            db.session.rollback()
            if exc.forbidden:
                abort(403)
            problems.append(str(exc))
        except ValidationProblem as problem:
            db.session.rollback()
            _field_error(form, problem, problems)
        else:
            db.session.commit()
            flash(f"{title}: saved")
            return redirect(url_for("cases.show_case", case_id=case.id), code=303)
    status = 422 if form.errors or problems else 200
    return render_template(template, case=case, form=form, title=title, page_problems=problems, **context), status


@bp.route("/cases/<int:case_id>/notices/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_notice(case_id: int):
    """Draft the contract's notice."""
    case = _load_case(case_id)
    title = f"Draft a {rulebook_for(case.contract).rung_name('notice').lower()}"
    form = NoticeForm()
    return _create(case_id, title, form, lambda c: draft_notice(g.viewer, current_user, c.id, form.findings.data,
                                                                form.required_action.data, now_utc()))


@bp.route("/cases/<int:case_id>/action-plans/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_action_plan(case_id: int):
    """Start an action plan, against a notice or required directly by the council."""
    case = _load_case(case_id)
    book = rulebook_for(case.contract)
    form = PlanForm()
    notices = case_records(g.viewer, case)["notice"]
    form.notice.choices = options([("", "None: the council requires a plan directly")]
                                  + [(str(n.id), f"{n.title} ({n.state.value.replace('_', ' ')})") for n in notices])
    ask_days = g.viewer.role in MANAGERS and bool(book.clocks_starting("plan_required"))
    return _create(case_id, f"Start the {book.rung_name('action_plan').lower()}", form,
                   lambda c: create_action_plan(g.viewer, current_user, c.id, now_utc(), today_london(),
                                                notice_id=int(form.notice.data) if form.notice.data else None,
                                                due_days=form.due_days.data),
                   template="cases/new_action_plan.html", ask_days=ask_days)


@bp.route("/cases/<int:case_id>/default-notices/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_default_notice(case_id: int):
    """Draft a default notice for the commissioning manager to serve."""
    form = ConfirmForm()
    return _create(case_id, "Draft a default notice", form,
                   lambda c: draft_default_notice(g.viewer, current_user, c.id, now_utc()))


@bp.route("/cases/<int:case_id>/suspensions/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_suspension(case_id: int):
    """Propose a suspension for the commissioning manager to confirm."""
    form = ReasonOnlyForm()
    return _create(case_id, "Propose a suspension", form,
                   lambda c: propose_suspension(g.viewer, current_user, c.id, form.reason.data, now_utc()))


@bp.route("/cases/<int:case_id>/terminations/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_termination(case_id: int):
    """Put termination forward for the commissioning manager to decide."""
    form = ReasonOnlyForm()
    return _create(case_id, "Consider termination", form,
                   lambda c: consider_termination(g.viewer, current_user, c.id, form.reason.data, now_utc(),
                                                  today_london()))


class RowForm(FlaskForm):
    kpi = StringField("KPI", widget=GovTextInput())
    current_performance = StringField("Current performance level and date", widget=GovTextInput())
    rag = RadioField("Current RAG status", widget=GovRadioInput(), validators=[Optional()],
                     choices=options([("red", "Red"), ("amber", "Amber"), ("green", "Green")]))
    issue = TextAreaField("Issue or reason identified", widget=GovTextArea())
    action = TextAreaField("Action to be taken", widget=GovTextArea())
    owner = StringField("Who will do it", widget=GovTextInput())
    expected_outcome = TextAreaField("Expected outcome (SMART)", widget=GovTextArea())
    deadline = GovDateField("Deadline", widget=GovDateInput(), format="%d %m %Y", validators=[Optional()])
    submit = SubmitField("Add the row", widget=GovSubmitInput())


class MilestoneForm(FlaskForm):
    title = StringField("Milestone", widget=GovTextInput())
    due_on = GovDateField("Due date", widget=GovDateInput(), format="%d %m %Y", validators=[Optional()])
    submit = SubmitField("Add the milestone", widget=GovSubmitInput())


def _plan(plan_id: int):
    try:
        return get_record(g.viewer, "action_plan", plan_id)
    except NotFound:
        abort(404)


@bp.route("/action-plans/<int:plan_id>/rows/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_plan_row(plan_id: int):
    """Add a row in Kent's Appendix A columns."""
    plan = _plan(plan_id)
    form = RowForm()
    return _create(plan.case_id, "Add a row to the action plan", form,
                   lambda c: add_plan_row(g.viewer, current_user, plan.id, {
                       "kpi": form.kpi.data, "current_performance": form.current_performance.data,
                       "rag": form.rag.data, "issue": form.issue.data, "action": form.action.data,
                       "owner": form.owner.data, "expected_outcome": form.expected_outcome.data,
                       "deadline": form.deadline.data}, now_utc(), today_london()) and plan)


@bp.route("/action-plans/<int:plan_id>/milestones/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_milestone(plan_id: int):
    """Add a milestone with its date."""
    plan = _plan(plan_id)
    form = MilestoneForm()
    return _create(plan.case_id, "Add a milestone", form,
                   lambda c: add_milestone(g.viewer, current_user, plan.id, form.title.data, form.due_on.data,
                                           now_utc()) and plan)


# -- one form per transition ---------------------------------------------------------------------------------------


def _transition_form(fields, version: int, phases: bool):
    attrs = {"version": HiddenField(default=str(version))}
    for field in fields:
        if field.kind == "date":
            attrs[field.name] = GovDateField(field.label, widget=GovDateInput(), format="%d %m %Y",
                                             validators=[Optional()])
        elif field.kind == "radios":
            attrs[field.name] = RadioField(field.label, widget=GovRadioInput(), choices=options(field.choices),
                                           validators=[Optional()])
        elif field.kind == "number":
            attrs[field.name] = IntegerField(field.label, widget=GovTextInput(), validators=[Optional()])
        elif field.kind == "textarea":
            attrs[field.name] = TextAreaField(field.label, widget=GovTextArea())
        else:
            attrs[field.name] = StringField(field.label, widget=GovTextInput())
    if phases:
        for n in range(1, PHASES + 1):
            attrs[f"phase{n}_starts_on"] = GovDateField(f"Phase {n} starts", widget=GovDateInput(),
                                                        format="%d %m %Y", validators=[Optional()])
            attrs[f"phase{n}_ends_on"] = GovDateField(f"Phase {n} ends (optional)", widget=GovDateInput(),
                                                      format="%d %m %Y", validators=[Optional()])
            attrs[f"phase{n}_scope"] = StringField(f"Phase {n}: what is reinstated", widget=GovTextInput())
            attrs[f"phase{n}_conditions"] = TextAreaField(f"Phase {n}: conditions", widget=GovTextArea())
    attrs["submit"] = SubmitField("Continue", widget=GovSubmitInput())
    return type("TransitionForm", (FlaskForm,), attrs)()


@bp.route('/<any("cases", "notices", "action-plans", "milestones", "default-notices", "suspensions", "terminations")'
          ':collection>/<int:record_id>/<trigger>', methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def transition(collection: str, record_id: int, trigger: str):
    """A GOV.UK form for one transition of one record; errors come back as an error summary."""
    kind = BY_COLLECTION.get(collection)
    if kind is None or not trigger.replace("_", "").isalpha():
        abort(404)
    try:
        record = get_record(g.viewer, kind.name, record_id)
    except NotFound:
        abort(404)
    case = record if kind.name == "case" else record.case
    now, today = now_utc(), today_london()
    workflow = workflow_for(g.viewer, kind.name, record, now, today)
    if trigger not in {row.trigger for row in workflow.TRANSITIONS}:
        abort(404)
    book = rulebook_for(case.contract)
    fields = fields_for(kind.name, trigger, book)
    phases = (kind.name, trigger) == ("suspension", "begin_reinstatement")
    form = _transition_form(fields, record.version_id, phases)
    refusal = workflow._refusal(trigger)
    if refusal and refusal[1]:
        abort(403)
    status, problems = 200, []
    if form.validate_on_submit():
        data = {f.name: getattr(form, f.name).data for f in fields}
        data = {k: v for k, v in data.items() if v not in (None, "")}
        if phases:
            data["phases"] = [
                {"starts_on": getattr(form, f"phase{n}_starts_on").data,
                 "ends_on": getattr(form, f"phase{n}_ends_on").data,
                 "scope": getattr(form, f"phase{n}_scope").data,
                 "conditions": getattr(form, f"phase{n}_conditions").data}
                for n in range(1, PHASES + 1) if getattr(form, f"phase{n}_scope").data]
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            updated = apply_transition(g.viewer, current_user, kind.name, record.id, trigger, data, now, today,
                                       expected_version=version)
            letters.after_transition(current_user, kind.name, updated, trigger)
        except TransitionNotAllowed as exc:
            db.session.rollback()
            if exc.forbidden:
                abort(403)
            problems.append(str(exc))
            status = 409
        except Conflict as exc:
            db.session.rollback()
            problems.append(str(exc))
            status = 409
        except ValidationProblem as problem:
            db.session.rollback()
            _field_error(form, problem, problems)
            status = 422
        else:
            db.session.commit()
            flash(f"{workflow.label(trigger)}: done")
            return redirect(url_for("cases.show_case", case_id=case.id), code=303)
    elif form.errors:
        status = 422
    if refusal and not problems and request.method == "GET":
        problems.append(refusal[0])
    return render_template("cases/transition.html", case=case, record=record, kind=kind.name, form=form,
                           fields=fields, phases=phases, title=workflow.label(trigger), refusal=refusal,
                           rulebook=book, page_problems=problems), status
