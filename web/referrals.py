"""H&F referrals and packages of care (issue 15, item 2): the shared list of each, the record page with its clocks
explained and its trail, the forms that send a referral or record a package, and one form per step."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models.list_store import ListSpec
from models.referral_store import (
    can_refer,
    get_confirmation,
    get_package,
    get_referral,
    home_care_contracts,
    person_reference,
    record_package,
    record_referral,
    start_confirmations,
    step_confirmation,
    step_package,
    step_referral,
)
from models.rulebook_store import rulebook_for
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import now_utc, today_london
from web.deadline_rows import record_facts
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.steps import local_instant, run_step
from workflows.access import Permission
from workflows.referral import REFUSAL_REASONS

bp = Blueprint("referrals", __name__)
REFERRALS = ListSpec("referral", "referrals.list_referrals_page", "referrals", "Received", "received_at")
PACKAGES = ListSpec("package", "referrals.list_packages_page", "packages of care", "Started", "started_on")
CONFIRMATIONS = ListSpec("capacity", "referrals.list_confirmations_page", "capacity confirmations", "Due", "due_on")

NO_NAMES = "Do not include names: use the council's reference for the person."
TIME_HINT = "Use the 24-hour clock, for example 14:30. Leave the date blank for now."


def _when(name: str, what: str) -> tuple[Field, Field]:
    """A date and a time that together make one instant (left blank: now)."""
    return (Field(f"{name}_on", "date", f"Date {what}", DATE_HINT, optional=True),
            Field(f"{name}_time", "time", f"Time {what}", TIME_HINT, optional=True))


@dataclass(frozen=True)
class StepForm:
    """One step's form: its title, fields, and which date-and-time pairs make the instants the domain asks for."""

    title: str
    fields: tuple[Field, ...]
    instants: tuple[tuple[str, str, str], ...] = ()  # (domain key, field prefix, what)
    done: str = "Saved"


REFERRAL_STEPS = {
    "acknowledge": StepForm("Acknowledge the referral", _when("at", "it was acknowledged"),
                            (("acknowledged_at", "at", "it was acknowledged"),), "The acknowledgement is recorded"),
    "accept": StepForm("Accept the referral", _when("at", "it was accepted"),
                       (("decided_at", "at", "it was accepted"),), "The referral is accepted"),
    "decline": StepForm("Decline the referral", (
        Field("refusal_reason", "radios", "Why is the referral declined?", choices=tuple(REFUSAL_REASONS.items())),
        Field("within_capacity", "radios", "Had the provider confirmed capacity for this package?",
              "A refusal within confirmed capacity counts against BCM 2.2 (HF-16), reviewed case by case",
              choices=(("yes", "Yes"), ("no", "No"))),
        Field("refusal_detail", "textarea", "More about the reason (optional)", NO_NAMES, optional=True),
        *_when("at", "it was declined")), (("decided_at", "at", "it was declined"),), "The refusal is recorded"),
    "start": StepForm("Record that the package started", _when("at", "it started"),
                      (("started_at", "at", "it started"),), "The package started: its package of care is recorded"),
    "withdraw": StepForm("Withdraw the referral", (Field("reason", "textarea", "Why is it withdrawn?", NO_NAMES),),
                         done="The referral is withdrawn"),
}
PACKAGE_STEPS = {
    "agree_plan": StepForm("Record the care delivery plan agreed", (
        Field("agreed_on", "date", "Date the plan was agreed", "HF-18: within a week of the referral. " + DATE_HINT),),
        done="The plan is recorded"),
    "allocate_key_worker": StepForm("Record the key worker allocated", (
        Field("allocated_on", "date", "Date the key worker was allocated",
              "HF-30: within 2 weeks of the start. " + DATE_HINT),), done="The key worker is recorded"),
    "review": StepForm("Record a review", (
        Field("reviewed_on", "date", "Date of the review", DATE_HINT),), done="The review is recorded"),
    "record_manual_entry": StepForm("Record a manual call-monitoring entry", (
        *_when("visit", "of the visit"), *_when("entered", "the manual entry was made")),
        (("visit_at", "visit", "of the visit"), ("entered_at", "entered", "the manual entry was made")),
        "The manual entry is recorded"),
    "record_extra_hours": StepForm("Record extra hours for an unforeseen event", (
        Field("extra_hours", "number", "Extra hours delivered"), *_when("delivered", "they were delivered"),
        *_when("agreed", "the council agreed them")),
        (("delivered_at", "delivered", "they were delivered"), ("agreed_at", "agreed", "the council agreed them")),
        "The extra hours are recorded"),
    "admit_to_hospital": StepForm("Record a hospital admission", _when("admitted", "the resident was admitted"),
                                  (("admitted_at", "admitted", "the resident was admitted"),),
                                  "The hospital admission is recorded"),
    "return_home": StepForm("Record the resident home from hospital", _when("home", "the resident came home"),
                            (("home_at", "home", "the resident came home"),), "The resident is home"),
    "suspend_after_no_reply": StepForm("Suspend after a 'no reply'", (
        Field("reason", "textarea", "The outcome of the 'no reply' follow-up", "HF-63. " + NO_NAMES),),
        done="The package is suspended"),
    "resume": StepForm("Resume the package", (Field("reason", "textarea", "Why does the package resume?",
                                                    NO_NAMES),), done="The package has resumed"),
    "end": StepForm("End the package", (Field("ended_on", "date", "Date the package ended", DATE_HINT),
                                        Field("reason", "textarea", "Why did it end? (optional)", NO_NAMES,
                                              optional=True)), done="The package has ended"),
}


def _page(title: str, caption: str, back: str, back_text: str, form, fields, problems, status, button="Save"):
    return render_template("referrals/step.html", form=form, fields=fields, title=title, caption=caption, back=back,
                           back_text=back_text, button=button, page_problems=problems), status


def _data(form, step: StepForm) -> dict:
    """The form's answers in the domain's words: each date-and-time pair made one London instant."""
    paired = {f"{prefix}_{part}" for _key, prefix, _what in step.instants for part in ("on", "time")}
    data = {f.name: getattr(form, f.name).data for f in step.fields if f.name not in paired}
    for key, prefix, what in step.instants:
        day = getattr(form, f"{prefix}_on").data
        if day is not None:
            data[key] = local_instant(day, getattr(form, f"{prefix}_time").data, f"{prefix}_time", what)
    return data


def _contract_field() -> Field:
    return Field("contract_id", "select", "Contract", "Only contracts whose rulebook has referral and package windows",
                 choices=(("", "Select a contract"), *((str(c.id), f"{c.reference}: {c.provider.name}")
                                                       for c in home_care_contracts(g.viewer))))


# -- referrals -----------------------------------------------------------------------------------------------------


@bp.get("/referrals")
@requires(Permission.VIEW_PROVIDERS)
def list_referrals_page():
    """Referrals the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(REFERRALS, g.viewer, read_query(REFERRALS), now_utc())
    return render_template("referrals/list.html", **list_context(REFERRALS, g.viewer, now_utc()),
                           title="Referrals", new=url_for("referrals.new_referral") if can_refer(g.viewer) else None,
                           new_text="Send a referral", intro=(
                               "Package-of-care requests from Brokerage: acknowledged within 2 hours (HF-R01), "
                               "accepted or declined within 2 to 72 hours by how soon the package starts (HF-R02 to "
                               "HF-R05), and implemented within its grade's 3, 24 or 48 hours (HF-R06 to HF-R08). "
                               "These windows count real hours, nights, weekends and bank holidays included."))


@bp.route("/referrals/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_referral():
    """Send a referral to a provider (Brokerage)."""
    if not can_refer(g.viewer):
        abort(403)
    fields = (_contract_field(),
              Field("person", "text", "The council's reference for the person", "For example SU-0412. " + NO_NAMES),
              Field("summary", "textarea", "The package of care needed", NO_NAMES),
              *_when("received", "the referral was received"), *_when("starts", "the package is to start"),
              Field("grade", "radios", "Implementation grade", "Section 8.12: graded by the person making the request",
                    choices=(("urgent", "3 hour - urgent"), ("medium", "24 hour - medium"),
                             ("standard", "48 hour - standard"))),
              Field("hospital_discharge", "checkboxes", "Hospital discharge",
                    choices=(("yes", "This is a hospital discharge (at least a 24-hour response, HF-R07)"),)),
              Field("response_hours", "number", "Response time Brokerage set, in hours (optional)",
                    "HF-R09: only when Brokerage sets its own; otherwise Remedy uses section 3.36", optional=True))
    step = StepForm("Send a referral", fields, (("received_at", "received", "the referral was received"),
                                                ("starts_at", "starts", "the package is to start")))
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def act():
            data = _data(form, step)
            data["hospital_discharge"] = "yes" in (form.hospital_discharge.data or [])
            return record_referral(g.viewer, current_user, data, now_utc())

        record, status = run_step(act, form, problems)
        if record is not None:
            flash(f"Referral {record.reference} sent")
            return redirect(url_for("referrals.show_referral", referral_id=record.id), code=303)
    elif form.errors:
        status = 422
    return _page("Send a referral", "Referrals", url_for("referrals.list_referrals_page"), "the referrals", form,
                 fields, problems, status, button="Send the referral")


@bp.get("/referrals/<int:referral_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_referral(referral_id: int):
    """A referral: its times and grade, its three clocks and how each was counted, the steps, the trail."""
    record = get_referral(g.viewer, referral_id)
    book = rulebook_for(record.contract)
    return render_template("referrals/show_referral.html", record=record, person=person_reference(record),
                           grade=book.home_care.grade(record.grade) if book.home_care else None,
                           reasons=REFUSAL_REASONS, **record_facts("referral", record))


@bp.route('/referrals/<int:referral_id>/<any("acknowledge", "accept", "decline", "start", "withdraw"):trigger>',
          methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def referral_step(referral_id: int, trigger: str):
    """One step on a referral."""
    record = get_referral(g.viewer, referral_id)
    return _step(REFERRAL_STEPS[trigger], record, f"Referral {record.reference}",
                 url_for("referrals.show_referral", referral_id=record.id), "the referral",
                 lambda data, version: step_referral(g.viewer, current_user, record.id, trigger, data, now_utc(),
                                                     expected_version=version))


def _step(step: StepForm, record, caption: str, back: str, back_text: str, fire):
    form = transition_form(step.fields, record.version_id)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        done, status = run_step(lambda: fire(_data(form, step), form.version.data), form, problems)
        if done is not None:
            flash(step.done)
            return redirect(back, code=303)
    elif form.errors:
        status = 422
    return _page(step.title, caption, back, back_text, form, step.fields, problems, status)


# -- packages ------------------------------------------------------------------------------------------------------


@bp.get("/packages")
@requires(Permission.VIEW_PROVIDERS)
def list_packages_page():
    """Packages of care the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(PACKAGES, g.viewer, read_query(PACKAGES), now_utc())
    return render_template("referrals/list.html", **list_context(PACKAGES, g.viewer, now_utc()),
                           title="Packages of care",
                           new=url_for("referrals.new_package") if can_refer(g.viewer) else None,
                           new_text="Record a package of care", intro=(
                               "Each package's care delivery plan within a week of the referral (HF-18), key worker "
                               "within 2 weeks of the start (HF-30), first review within 6 and 8 weeks (HF-24, "
                               "HF-B06), then within 95 days and 4 months of the last (HF-25, HF-B07): calendar "
                               "days. A hospital stay over 48 real hours suspends the package (HF-64)."))


@bp.route("/packages/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_package():
    """Record a package of care already running (one not referred through Remedy)."""
    if not can_refer(g.viewer):
        abort(403)
    fields = (_contract_field(),
              Field("person", "text", "The council's reference for the person", "For example SU-0412. " + NO_NAMES),
              Field("summary", "textarea", "The care the package provides", NO_NAMES),
              *_when("referred", "the package was referred"),
              Field("started_on", "date", "Date the package started", DATE_HINT))
    step = StepForm("Record a package of care", fields, (("referred_at", "referred", "the package was referred"),))
    form = transition_form(fields, 0, {"started_on": today_london()})
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        record, status = run_step(lambda: record_package(g.viewer, current_user, _data(form, step), now_utc()),
                                  form, problems)
        if record is not None:
            flash(f"Package {record.reference} recorded")
            return redirect(url_for("referrals.show_package", package_id=record.id), code=303)
    elif form.errors:
        status = 422
    return _page("Record a package of care", "Packages of care", url_for("referrals.list_packages_page"),
                 "the packages of care", form, fields, problems, status, button="Record the package")


@bp.get("/packages/<int:package_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_package(package_id: int):
    """A package of care: its dates, its clocks and how each was counted, the steps, the trail."""
    record = get_package(g.viewer, package_id)
    return render_template("referrals/show_package.html", record=record, person=person_reference(record),
                           **record_facts("package", record))


@bp.route("/packages/<int:package_id>/<any(" + ", ".join(f'"{t}"' for t in PACKAGE_STEPS) + "):trigger>",
          methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def package_step(package_id: int, trigger: str):
    """One step on a package of care."""
    record = get_package(g.viewer, package_id)
    return _step(PACKAGE_STEPS[trigger], record, f"Package {record.reference}",
                 url_for("referrals.show_package", package_id=record.id), "the package",
                 lambda data, version: step_package(g.viewer, current_user, record.id, trigger, data, now_utc(),
                                                    expected_version=version))


# -- the weekly capacity confirmation ------------------------------------------------------------------------------

CONFIRM_STEP = StepForm("Record the capacity confirmation", (
    Field("available_hours", "number", "Hours available for new packages"),
    Field("available_from", "date", "Date the hours are available from",
          "HF-06: at least a week after the confirmation. " + DATE_HINT),
    *_when("at", "it was confirmed")), (("confirmed_at", "at", "it was confirmed"),), "The confirmation is recorded")


@bp.get("/capacity-confirmations")
@requires(Permission.VIEW_PROVIDERS)
def list_confirmations_page():
    """Weekly capacity confirmations the person may see: searched, filtered, sorted and paged, or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(CONFIRMATIONS, g.viewer, read_query(CONFIRMATIONS), now_utc())
    return render_template("referrals/list.html", **list_context(CONFIRMATIONS, g.viewer, now_utc()),
                           title="Capacity confirmations",
                           new=url_for("referrals.new_confirmations") if can_refer(g.viewer) else None,
                           new_text="Await weekly confirmations on a contract", intro=(
                               "The provider's written confirmation of its capacity and available hours every "
                               "Tuesday, with at least a week's notice (BCM 2.1, HF-B02, HF-06). A missed Tuesday or "
                               "short notice is recorded as a breach event: a warning notice and no new packages."))


@bp.route("/capacity-confirmations/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_confirmations():
    """Start awaiting the weekly confirmation on a contract."""
    if not can_refer(g.viewer):
        abort(403)
    fields = (_contract_field(), Field("week_of", "date", "A day in the first week to await",
                                       "Left blank: this week. " + DATE_HINT, optional=True))
    form = transition_form(fields, 0)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        record, status = run_step(lambda: start_confirmations(g.viewer, current_user, {
            "contract_id": form.contract_id.data, "week_of": form.week_of.data}, now_utc()), form, problems)
        if record is not None:
            flash(f"Confirmation {record.reference} awaited")
            return redirect(url_for("referrals.show_confirmation", confirmation_id=record.id), code=303)
    elif form.errors:
        status = 422
    return _page("Await weekly capacity confirmations", "Capacity confirmations",
                 url_for("referrals.list_confirmations_page"), "the capacity confirmations", form, fields, problems,
                 status, button="Start awaiting")


@bp.get("/capacity-confirmations/<int:confirmation_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_confirmation(confirmation_id: int):
    """One week's confirmation, its deadline and how it was counted, the step, the trail."""
    record = get_confirmation(g.viewer, confirmation_id)
    return render_template("referrals/show_confirmation.html", record=record,
                           **record_facts("capacity", record))


@bp.route("/capacity-confirmations/<int:confirmation_id>/confirm", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def confirm_page(confirmation_id: int):
    """Record the week's written confirmation."""
    record = get_confirmation(g.viewer, confirmation_id)
    return _step(CONFIRM_STEP, record, f"Capacity confirmation {record.reference}",
                 url_for("referrals.show_confirmation", confirmation_id=record.id), "the confirmation",
                 lambda data, version: step_confirmation(g.viewer, current_user, record.id, "confirm", data,
                                                         now_utc(), expected_version=version))
