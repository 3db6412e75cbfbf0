"""Case pages: the list with filters, the case with its deadlines, records, next steps and timeline, the forms
that create records, one GOV.UK form per transition, and stored letters to download."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from models import db
from models.case_queries import case_records, case_timeline, case_with_contents, deadlines_for, get_case, get_record
from models.case_store import (
    SecondCase,
    add_milestone,
    add_plan_row,
    consider_termination,
    create_action_plan,
    draft_default_notice,
    draft_notice,
    open_case,
    open_case_on,
    preview_step,
    propose_suspension,
)
from models.council_store import kept_for_viewer
from models.document_store import documents_for, get_document
from models.engine import allowed_triggers, fire, workflow_for
from models.list_store import ListSpec
from models.portal_store import COMMENTABLE, plan_comments
from models.provider_store import contract_choices
from models.registry import CASE_COLLECTIONS, KINDS
from models.rulebook_store import rulebook_for
from web import portal
from web.case_forms import (
    ConfirmForm,
    MilestoneForm,
    NoticeForm,
    OpenCaseForm,
    PlanForm,
    ReasonOnlyForm,
    RowForm,
    fields_for,
    suspension_form,
    transition_data,
    transition_form,
)
from web.check_answers import CHECKED_STEPS, answers_in_words, issue_preview, step_outcome
from web.clock import now_utc, today_london
from web.deadline_rows import DeadlineRow, deadline_rows
from web.forms import options
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.steps import run_step
from workflows.access import Permission
from workflows.action_plan import ActionPlanWorkflow, PlanState
from workflows.case import OPEN, CaseState, CaseWorkflow
from workflows.default_notice import DefaultNoticeWorkflow
from workflows.errors import NotFound, ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.notice import NoticeWorkflow
from workflows.rulebook import Rulebook
from workflows.suspension import SCOPE_LABELS, SuspensionWorkflow
from workflows.termination import TerminationState
from workflows.turn import my_turn, shown, what_happens_next, whose_turn

bp = Blueprint("cases", __name__)

# The rung of the contract's ladder each case state stands on (rules.md 2.1.2).
STATE_RUNGS = {CaseState.NOTICE: "notice", CaseState.ACTION_PLAN: "action_plan", CaseState.DEFAULT: "default_notice",
               CaseState.SUSPENDED: "suspension", CaseState.REINSTATING: "suspension",
               CaseState.TERMINATION_CONSIDERED: "termination", CaseState.TERMINATED: "termination"}

# What can be created on a case: (rung, endpoint, verb on the button, who may).
CREATE_STEPS = (
    ("notice", "new_notice", "Draft", NoticeWorkflow.CREATE_ROLES),
    ("action_plan", "new_action_plan", "Start", ActionPlanWorkflow.CREATE_ROLES),
    ("default_notice", "new_default_notice", "Draft", DefaultNoticeWorkflow.CREATE_ROLES),
    ("suspension", "new_suspension", "Propose", SuspensionWorkflow.CREATE_ROLES),
    ("termination", "new_termination", "Consider", MANAGERS),
)
LIVE_PLAN = (PlanState.DRAFT, PlanState.SUBMITTED, PlanState.RETURNED, PlanState.AGREED)
# Who may add rows and milestones to a draft plan. The store does not check a role for these (see the report), so
# the pages do: the people who may start a plan.
PLAN_EDITORS = ActionPlanWorkflow.CREATE_ROLES


@bp.app_context_processor
def case_links() -> dict:
    """For the provider, contract and dashboard pages: whether to offer "Open a case" (council managers only)."""
    return {"can_open_cases": current_user.is_authenticated and current_user.role in CaseWorkflow.OPEN_ROLES}


def rung_label(book: Rulebook, state: CaseState) -> str:
    """What this contract calls the rung a case stands on ("Formal warning", "Referral embargo ...")."""
    if state is CaseState.CONCERN:
        return "Concern (enhanced monitoring)"
    if state is CaseState.RESOLVED:
        return "Closed as resolved"
    if state is CaseState.WITHDRAWN:
        return "Withdrawn"
    name = book.rung_name(STATE_RUNGS[state])
    if state is CaseState.REINSTATING:
        return f"{name}: phased reinstatement"
    if state is CaseState.TERMINATION_CONSIDERED:
        return f"{name}: being considered"
    return name


def in_sentence(name: str) -> str:
    """A rung name inside a sentence: "formal warning", but "Improvement Notice" stays a proper name."""
    words = [w for w in name.split() if w[:1].isalpha()]
    if len(words) > 1 and all(w[0].isupper() for w in words):
        return name
    return name[:1].lower() + name[1:]


PAST = {"Draft": "drafted", "Start": "started", "Propose": "proposed", "Add": "added",
        "Consider": "being considered"}


def made_sentence(title: str) -> str:
    """What a creation form leaves done, as a success banner says it: "Draft a formal warning" -> "Formal warning
    drafted", "Add a row to the action plan" -> "Row added to the action plan" (ux #11)."""
    verb, _, rest = title.partition(" ")
    for article in ("a ", "an ", "the "):
        rest = rest.removeprefix(article)
    head, to, tail = rest.partition(" to ")
    return f"{head[:1].upper()}{head[1:]} {PAST.get(verb, 'saved')}" + (f" to {tail}" if to else "")


def _article(name: str) -> str:
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _field_error(form, problem: ValidationProblem, problems: list[str], phase_numbers=()) -> None:
    """Put the domain's sentence on the field it names, or in the error summary when no field matches."""
    name = problem.field
    match = re.search(r"phase (\d+)", str(problem))
    if phase_numbers and name in ("starts_on", "ends_on", "scope", "conditions") and match:
        # The domain numbers the phases it was given; blank phases on the form were left out.
        given = int(match.group(1))
        if 0 < given <= len(phase_numbers):
            name = f"phase{phase_numbers[given - 1]}_{name}"
    field = form._fields.get(name) if name else None
    if field is not None and name not in ("csrf_token", "version", "submit"):
        field.errors = list(field.errors) + [str(problem)]
    else:
        problems.append(str(problem))


# -- the list ----------------------------------------------------------------------------------------------------


def _number(value: str | None) -> int | None:
    return int(value) if (value or "").isdigit() else None


CASES = ListSpec("case", "cases.list_cases_page", "cases")


@bp.get("/cases")
@requires(Permission.VIEW_PROVIDERS)
def list_cases_page():
    """Every case the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    books = current_app.extensions["rulebooks"]

    def rung(row) -> str:
        return rung_label(books[row.rulebook_id], CaseState(row.state))

    if request.args.get("format") == "csv":
        return csv_response(CASES, g.viewer, read_query(CASES), now_utc(), stage=lambda r: f"{r.stage}: {rung(r)}")
    return render_template("cases/list_cases.html", **list_context(CASES, g.viewer, now_utc(), describe=rung),
                           can_open=g.viewer.role in CaseWorkflow.OPEN_ROLES)


# -- opening a case ------------------------------------------------------------------------------------------------


@bp.route("/cases/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def open_case_page():
    """Open a case on a contract (council managers)."""
    if g.viewer.role not in CaseWorkflow.OPEN_ROLES:
        abort(403)
    form = OpenCaseForm()
    form.contract.choices = options([("", "Select a contract")] + [
        (str(i), label) for i, label in contract_choices(g.viewer)])
    if request.method == "GET" and request.args.get("contract"):
        form.contract.data = request.args["contract"]
    problems: list = []
    existing = None
    if request.method == "GET" and form.contract.data and form.contract.data.isdigit():
        existing = open_case_on(g.viewer, int(form.contract.data))  # warned before anything is typed
    if form.validate_on_submit():
        try:
            case = open_case(g.viewer, current_user, int(form.contract.data) if form.contract.data.isdigit()
                             else -1, form.summary.data, now_utc(), second_reason=form.second_reason.data,
                             check_second=True)
        except SecondCase as exc:
            db.session.rollback()
            existing = exc.existing
            form.second_reason.errors = ["Give a reason for opening a second case, or go to "
                                         f"{existing.reference} instead"]
        except TransitionNotAllowed as exc:
            db.session.rollback()
            if exc.forbidden:
                abort(403)
            problems.append(str(exc))
        except NotFound:
            db.session.rollback()
            form.contract.errors = ["Select a contract from the list"]
        except ValidationProblem as problem:
            db.session.rollback()
            _field_error(form, problem, problems)
        else:
            db.session.commit()
            flash(f"Case {case.reference} opened")
            return redirect(url_for("cases.show_case", case_id=case.id), code=303)
    status = 422 if form.errors or problems else 200
    return render_template("cases/open_case.html", form=form, page_problems=problems, existing=existing,
                           asks_reason=existing is not None or bool(form.second_reason.data)), status


# -- the case page -------------------------------------------------------------------------------------------------


def _deadline_rows(case, now) -> list[DeadlineRow]:
    return deadline_rows(g.viewer, deadlines_for(g.viewer.council_id, case_id=case.id), now)


def _create_steps(case, book: Rulebook, records: dict) -> list[tuple[str, str]]:
    """(endpoint, button text) for the records this person may start on this contract's case now."""
    if case.state not in OPEN:
        return []
    steps = []
    for rung, endpoint, verb, roles in CREATE_STEPS:
        if not book.has_rung(rung) or g.viewer.role not in roles:
            continue
        if rung == "action_plan" and any(p.state in LIVE_PLAN for p in records["action_plan"]):
            continue  # one plan at a time; a changed agreed plan is a new version
        if rung == "termination" and any(t.state is TerminationState.CONSIDERED for t in records["termination"]):
            continue
        name = book.rung_name(rung)
        steps.append((endpoint, f"{verb} {name.lower()}" if rung == "termination" else
                      f"{verb} {_article(in_sentence(name))}"))
    return steps


def kind_names(book: Rulebook) -> dict[str, str]:
    """What the contract calls each kind of record, for headings and the timeline."""
    names = {kind: book.rung_name(kind) for kind in ("notice", "action_plan", "default_notice", "suspension",
                                                       "termination")}
    return {"case": "Case", "milestone": "Milestone", "calendar": "Calendar", **names}


def phases_of(suspension) -> list[dict]:
    """A suspension's reinstatement phases with real dates (they are stored as text)."""
    def day(value):
        return date.fromisoformat(value) if isinstance(value, str) and value else value

    return [{**p, "starts_on": day(p.get("starts_on")), "ends_on": day(p.get("ends_on"))}
            for p in suspension.phases or []]


def offered_steps(kind: str, record, now, today) -> list[tuple[str, str]]:
    """The steps the page offers on a record: those the person may take now, a step both sides may take only while
    it is their side's turn (workflows/turn.py)."""
    rows = KINDS[kind].workflow.TRANSITIONS
    return [(trigger, label) for trigger, label in allowed_triggers(g.viewer, kind, record, now, today)
            if shown(g.viewer, kind, record.state,
                     next(r for r in rows if r.trigger == trigger and record.state in r.source))]


def plan_is_editable(plan) -> bool:
    """Whether the page offers this person the plan's rows and milestones to add, change and remove: a draft or
    returned plan, someone who may write plans, and the provider's turn being theirs (KT-19: the provider writes)."""
    return (plan.state in (PlanState.DRAFT, PlanState.RETURNED) and g.viewer.role in PLAN_EDITORS
            and my_turn(g.viewer, "action_plan", plan.state))


# The case page shows the newest events of its timeline; the whole history is one link away (issue 17: a case with
# hundreds of events drew every one on every view).
TIMELINE_SHOWN = 30


@bp.get("/cases/<int:case_id>/history")
@requires(Permission.VIEW_PROVIDERS)
def case_history(case_id: int):
    """The whole timeline of a case, every event of the case and its records, newest first."""
    case = get_case(g.viewer, case_id)
    return render_template("cases/case_history.html", case=case, timeline=case_timeline(g.viewer, case, shown=True),
                           kind_names=kind_names(rulebook_for(case.contract)))


@bp.get("/cases/<int:case_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_case(case_id: int):
    """A case: its rung, deadlines and how each was counted, its records and next steps, letters and timeline.

    Its content is kept while nothing in the council changes (models/council_store.kept_for_viewer), as the lists
    are: a case is read far more often than it changes, and reading its records, deadlines and timeline and drawing
    them was most of the page's work (issue 17). Every step on it is a link to its own page, so nothing kept holds a
    form or its token; a step taken moves the council's version and the next view draws afresh."""
    return render_template("cases/show_case.html",
                           page=kept_for_viewer(g.viewer, ("case", case_id), lambda: _case_page(case_id)))


def _case_page(case_id: int) -> dict:
    case, (records, attached) = case_with_contents(g.viewer, case_id)
    now, today = now_utc(), today_london()
    book = rulebook_for(case.contract)
    actions = {(kind, r.id): offered_steps(kind, r, now, today) for kind, rows in records.items() for r in rows}
    deadlines = _deadline_rows(case, now)
    timeline = case_timeline(g.viewer, case, newest=TIMELINE_SHOWN + 1, shown=True)
    content = render_template(
        "cases/_case.html", case=case, rulebook=book, rung=rung_label(book, case.state),
        deadlines=deadlines, records=records, actions=actions,
        case_actions=allowed_triggers(g.viewer, "case", case, now, today),
        create=_create_steps(case, book, records), timeline=timeline[-TIMELINE_SHOWN:],
        whole_history=len(timeline) > TIMELINE_SHOWN,
        kind_names=kind_names(book),
        documents=documents_for(g.viewer, case) if "document" in attached else [],
        is_overdue=case.overdue or any(r.status == "breached" for r in deadlines),
        scope_labels=SCOPE_LABELS, phases_of=phases_of,
        editable_plans={p.id for p in records["action_plan"] if plan_is_editable(p)},
        turns={(kind, r.id): whose_turn(kind, r.state) for kind in ("notice", "action_plan") for r in records[kind]},
        plan_next={p.id: what_happens_next("action_plan", p.state, g.viewer) for p in records["action_plan"]},
        portal=portal.case_context(case, records, attached))
    return {"reference": case.reference, "provider_id": case.provider_id, "provider_name": case.provider.name,
            "content": Markup(content)}


@bp.get("/documents/<int:document_id>")
@requires(Permission.VIEW_PROVIDERS)
def download_document(document_id: int):
    """A stored letter, as an attachment, only for people who may see its case."""
    document = get_document(g.viewer, document_id)
    response = Response(document.content, mimetype=document.media_type)
    filename = re.sub(r'[^A-Za-z0-9._-]', "_", document.filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- creating records on a case ----------------------------------------------------------------------------------


def _create(case, title: str, form, make, roles, template="cases/create_record.html", confirm=False, **context):
    """Show a creation form; on a valid POST make the record, commit and go back to the case. A short form
    (confirm=True) has the page's title on its button."""
    if g.viewer.role not in roles:
        abort(403)  # the store refuses too; this also spares people a form they could never send
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        _made, status = run_step(lambda: make(case), form, problems)
        if status == 200:
            flash(f"{made_sentence(title)}: {case.reference}")
            return redirect(url_for("cases.show_case", case_id=case.id), code=303)
    elif form.errors:
        status = 422
    return render_template(template, case=case, form=form, title=title, page_problems=problems,
                           submit_text=title if confirm else None, **context), status


@bp.route("/cases/<int:case_id>/notices/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_notice(case_id: int):
    """Draft the contract's notice (KT-18: what is inadequate, why, and the plan required)."""
    case = get_case(g.viewer, case_id)
    name = rulebook_for(case.contract).rung_name("notice")
    form = NoticeForm()
    return _create(case, f"Draft {_article(in_sentence(name))}", form,
                   lambda c: draft_notice(g.viewer, current_user, c.id, form.findings.data,
                                          form.required_action.data, now_utc()), NoticeWorkflow.CREATE_ROLES)


@bp.route("/cases/<int:case_id>/action-plans/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_action_plan(case_id: int):
    """Start an action plan, against a notice or required directly by the council (TH-19)."""
    case = get_case(g.viewer, case_id)
    book = rulebook_for(case.contract)
    form = PlanForm()
    notices = [n for n in case_records(g.viewer, case)["notice"] if n.state.value not in ("draft", "withdrawn")]
    form.notice.choices = options([("", "None: the council requires a plan directly")]
                                  + [(str(n.id), f"{n.title} ({n.state.value.replace('_', ' ')})") for n in notices])
    if request.method == "GET" and notices:
        form.notice.data = str(notices[-1].id)
    ask_days = g.viewer.role in MANAGERS and bool(book.clocks_starting("plan_required"))

    def make(c):
        notice_id = _number(form.notice.data)
        if form.notice.data and notice_id not in {n.id for n in notices}:
            raise ValidationProblem("Select a notice from the list", "notice")
        return create_action_plan(g.viewer, current_user, c.id, now_utc(), today_london(), notice_id=notice_id,
                                  due_days=form.due_days.data if ask_days else None)

    return _create(case, f"Start {_article(in_sentence(book.rung_name('action_plan')))}", form, make,
                   ActionPlanWorkflow.CREATE_ROLES, template="cases/new_action_plan.html", ask_days=ask_days,
                   rulebook=book)


@bp.route("/cases/<int:case_id>/default-notices/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_default_notice(case_id: int):
    """Draft a default notice for the commissioning manager to serve."""
    case = get_case(g.viewer, case_id)
    name = rulebook_for(case.contract).rung_name("default_notice")
    return _create(case, f"Draft {_article(in_sentence(name))}", ConfirmForm(),
                   lambda c: draft_default_notice(g.viewer, current_user, c.id, now_utc()),
                   DefaultNoticeWorkflow.CREATE_ROLES, confirm=True,
                   intro="The draft is served later, by a commissioning manager, with the default, the remedial "
                         "action and the period allowed.")


@bp.route("/cases/<int:case_id>/suspensions/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_suspension(case_id: int):
    """Propose a suspension for the commissioning manager to confirm."""
    case = get_case(g.viewer, case_id)
    form = suspension_form(rulebook_for(case.contract))
    return _create(case, "Propose a suspension", form,
                   lambda c: propose_suspension(g.viewer, current_user, c.id, form.reason.data, now_utc(),
                                                ground=getattr(form, "ground", None) and form.ground.data),
                   SuspensionWorkflow.CREATE_ROLES, confirm=True,
                   intro=f"A commissioning manager decides whether to go ahead: "
                         f"{rulebook_for(case.contract).rung_name('suspension')}.")


@bp.route("/cases/<int:case_id>/terminations/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_termination(case_id: int):
    """Put termination forward for the commissioning manager to decide."""
    case = get_case(g.viewer, case_id)
    form = ReasonOnlyForm()
    return _create(case, "Consider termination", form,
                   lambda c: consider_termination(g.viewer, current_user, c.id, form.reason.data, now_utc(),
                                                  today_london()),
                   MANAGERS, confirm=True,
                   intro=f"A commissioning manager decides: {rulebook_for(case.contract).rung_name('termination')}.")


@bp.route("/action-plans/<int:plan_id>/rows/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_plan_row(plan_id: int):
    """Add a row in Kent's Appendix A columns."""
    plan = get_record(g.viewer, "action_plan", plan_id)
    form = RowForm()
    return _create(plan.case, "Add a row to the action plan", form,
                   lambda c: add_plan_row(g.viewer, current_user, plan.id, form.row(), now_utc(), today_london()),
                   PLAN_EDITORS)


@bp.route("/action-plans/<int:plan_id>/milestones/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_milestone(plan_id: int):
    """Add a milestone with its date."""
    plan = get_record(g.viewer, "action_plan", plan_id)
    form = MilestoneForm()
    return _create(plan.case, "Add a milestone", form,
                   lambda c: add_milestone(g.viewer, current_user, plan.id, form.title.data, form.due_on.data,
                                           now_utc()), PLAN_EDITORS)


# -- one form per transition ---------------------------------------------------------------------------------------


def record_name(kind: str, record, book: Rulebook) -> str:
    """A record's name in words, for captions and hidden button text."""
    if kind == "case":
        return f"case {record.reference}"
    if kind == "notice":
        return record.title
    if kind == "action_plan":
        return f"{record.title} (version {record.plan_version})"
    if kind == "milestone":
        return f"milestone {record.title}"
    if kind == "default_notice":
        return f"{book.rung_name('default_notice')}{f' number {record.number}' if record.number else ''}"
    return book.rung_name(kind)


@bp.route("/<any(" + ", ".join(f'"{c}"' for c in CASE_COLLECTIONS) + "):collection>/<int:record_id>/<trigger>",
          methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def transition(collection: str, record_id: int, trigger: str):
    """A GOV.UK form for one transition of one record; errors come back as an error summary."""
    kind = CASE_COLLECTIONS[collection].name
    record = get_record(g.viewer, kind, record_id)
    case = record if kind == "case" else record.case
    now, today = now_utc(), today_london()
    workflow = workflow_for(g.viewer, kind, record, now, today)
    if trigger not in {row.trigger for row in workflow.TRANSITIONS}:
        abort(404)
    if g.viewer.role not in {role for row in workflow.TRANSITIONS if row.trigger == trigger for role in row.roles}:
        abort(403)  # a step this role never takes, whatever state the record is in (provider staff: council steps)
    # The domain's refusal says whether the role may never do this (403) or whether the state is in the way.
    refusal = workflow.why_not(trigger)
    if refusal and refusal[1]:
        abort(403)
    if refusal is None and kind != "case" and case.state not in OPEN:
        refusal = (f"Case {case.reference} is closed ({case.state.value.replace('_', ' ')}): its records stay as "
                   "they were", False)
    book = rulebook_for(case.contract)
    fields = fields_for(kind, trigger, book, record)
    phased = (kind, trigger) == ("suspension", "begin_reinstatement")
    form = transition_form(fields, record.version_id)
    label = workflow.label(trigger)
    status, problems = 200, []
    check_first = (kind, trigger) in CHECKED_STEPS
    if check_first and request.method == "POST" and request.form.get("change"):
        pass  # back from the check page to change an answer: the form shows what was sent
    elif check_first and request.form.get("check") and form.validate_on_submit():
        data, _numbers = transition_data(form, fields, phased)
        preview, status = run_step(
            lambda: preview_step(g.viewer, current_user, kind, record.id, trigger, data, now, today,
                                 lambda issued: issue_preview(kind, issued), expected_version=form.version.data),
            form, problems, on_problem=lambda f, problem, found: _field_error(f, problem, found, []))
        if status == 200:
            answers = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "check")]
            return render_template("cases/check_step.html", case=case, record=record, title=f"Check before you "
                                   f"{label[:1].lower()}{label[1:]}", label=label, answers=answers,
                                   summary=answers_in_words(fields, form), preview=preview,
                                   about=record_name(kind, record, book))
    elif form.validate_on_submit():
        data, phase_numbers = transition_data(form, fields, phased)
        _done, status = run_step(
            lambda: fire(g.viewer, current_user, kind, record.id, trigger, data, now, today,
                         expected_version=form.version.data),
            form, problems, on_problem=lambda f, problem, found: _field_error(f, problem, found, phase_numbers))
        if status == 200:
            flash(step_outcome(kind, record, case, trigger, label, record_name(kind, record, book)))
            return redirect(url_for("cases.show_case", case_id=case.id), code=303)
        form.version.data = str(record.version_id)  # they have now been told what changed
        refusal = workflow_for(g.viewer, kind, record, now, today).why_not(trigger)  # after a change by others
    elif form.errors:
        status = 422
    if refusal and refusal[0] not in problems:
        problems.append(refusal[0])
    return render_template("cases/transition.html", case=case, record=record, kind=kind, form=form, fields=fields,
                           phased=phased, title=label, refusal=refusal, rulebook=book, check_first=check_first,
                           about=record_name(kind, record, book), page_problems=problems,
                           plan_comments=plan_comments(g.viewer, [record.id])[record.id]
                           if kind == "action_plan" else None,
                           commenting=kind == "action_plan" and record.state in COMMENTABLE
                           and g.viewer.role in MANAGERS and trigger == "return_for_changes",
                           next_text=what_happens_next(kind, PlanState.SUBMITTED, g.viewer)
                           if (kind, trigger) == ("action_plan", "submit") else None), status
