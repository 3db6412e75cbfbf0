"""People (issue 15, item 3) and Cornwall's leaving-care records (item 4): the people list, adding one, a person's
page with every record linked to them, an administrator's export (JSON) and erasure; the leaving-care list (the
shared list), a record's page with its clocks and steps, a referral, and the CW-08 caseload per adviser."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from models.audit_store import events_for
from models.list_store import ListSpec
from models.people import PersonRole
from models.people_store import (
    NO_NAMES,
    adviser_choices,
    can_manage_data,
    can_record,
    caseloads,
    end_service,
    erase_person,
    export_person,
    get_leaving_care,
    get_person,
    list_people,
    record_person,
    records_of,
    refer_young_person,
    step_leaving_care,
)
from models.provider_store import contract_choices
from web.case_forms import DATE_HINT, Field, transition_form
from web.clock import now_utc, today_london
from web.deadline_rows import record_facts
from web.lists import csv_response, list_context, read_query
from web.permissions import requires
from web.steps import attempt, run_step
from workflows.access import Permission
from workflows.machine import MANAGERS, PROVIDERS

bp = Blueprint("people", __name__)
LEAVING_CARE = ListSpec("leaving_care", "people.list_leaving_care_page", "leaving-care records", "Referred",
                        "referred_on", "note")
ROLE_LABELS = {PersonRole.SERVICE_USER: "Service user", PersonRole.RESIDENT: "Resident",
               PersonRole.YOUNG_PERSON: "Young person"}
STEP_FIELDS = {
    "record_review": (Field("reviewed_on", "date", "Date the pathway plan was reviewed", DATE_HINT),
                      Field("note", "textarea", "Note (optional)", NO_NAMES, optional=True)),
    "record_contact": (Field("contacted_on", "date", "Date the adviser met the young person", DATE_HINT),
                       Field("note", "textarea", "Note (optional)", NO_NAMES, optional=True)),
    "close": (Field("reason", "textarea", "Why is the record closed?", NO_NAMES),),
}


@dataclass(frozen=True)
class _Page:
    """The words around a step's form: its question, caption, the way back and the button."""

    title: str
    caption: str
    back: str
    back_text: str
    button: str = "Save"


def _form_step(fields: tuple[Field, ...], version: int, defaults: dict, act: Callable[[dict, object], object],
               done: Callable[[object], tuple[str, str]], page: _Page):
    """A step's page: on a valid POST run `act(data, version seen)` through run_step (one transaction), flash and
    redirect (303) to where `done(result)` says; otherwise show the form with its problems (422)."""
    form = transition_form(fields, version, defaults)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        data = {f.name: getattr(form, f.name).data for f in fields}
        result, status = run_step(lambda: act(data, form.version.data), form, problems)
        if result is not None:
            message, target = done(result)
            flash(message)
            return redirect(target, code=303)
    elif form.errors:
        status = 422
    return render_template("duties/step.html", form=form, fields=fields, title=page.title, caption=page.caption,
                           back=page.back, back_text=page.back_text, button=page.button,
                           page_problems=problems), status


@bp.get("/people")
@requires(Permission.VIEW_PROVIDERS)
def list_people_page():
    """The people the person may see (a provider: its own contracts'), by reference, optionally of one contract."""
    contract = request.args.get("contract", type=int)
    return render_template("people/list_people.html", people=list_people(g.viewer, contract), roles=ROLE_LABELS,
                           can_record=can_record(g.viewer), contract=contract)


@bp.route("/people/new", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def new_person():
    """Add a person: the council's reference (never a name), role, and a young person's month of birth."""
    if not can_record(g.viewer):
        abort(403)
    fields = (
        Field("contract_id", "select", "Contract", choices=(("", "Select a contract"),
                                                            *((str(i), t) for i, t in contract_choices(g.viewer)))),
        Field("reference", "text", "The council's reference for the person",
              "Not a name: the reference your council uses, for example YP-0417 or SU-2291."),
        Field("role", "radios", "Who is the person to the contract?",
              choices=tuple((r.value, ROLE_LABELS[r]) for r in PersonRole),
              required="Select who the person is to the contract"),
        Field("born_in", "text", "Month of birth (young people only, optional)",
              "Only where a clock needs an age (Cornwall CW-14: 15 years 9 months). Year and month, for example "
              "2010-03. Never the full date.", optional=True),
        Field("started_on", "date", "Date the service started (optional)", DATE_HINT, optional=True),
    )
    return _form_step(fields, 0, {"contract_id": request.args.get("contract", "")},
                      lambda data, _v: record_person(g.viewer, current_user, data, now_utc()),
                      lambda person: (f"{person.reference} added", url_for("people.show_person",
                                                                           person_id=person.id)),
                      _Page("Add a person", "People", url_for("people.list_people_page"), "the people",
                            "Add the person"))


@bp.get("/people/<int:person_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_person(person_id: int):
    """A person: their reference, role and dates, every record linked to them across kinds, and their trail."""
    person = get_person(g.viewer, person_id)
    return render_template("people/show_person.html", person=person, roles=ROLE_LABELS,
                           records=records_of(g.viewer, person), events=events_for(g.viewer.council_id, "person",
                                                                                    person.id, shown=True),
                           can_manage=can_manage_data(g.viewer), can_end=can_record(g.viewer),
                           can_refer=person.role is PersonRole.YOUNG_PERSON and person.erased_at is None
                           and g.viewer.role in MANAGERS | PROVIDERS)


@bp.route("/people/<int:person_id>/ending", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def ending_page(person_id: int):
    """Record the day the person's service ended (the contract's retention period counts from it)."""
    person = get_person(g.viewer, person_id)
    if not can_record(g.viewer):
        abort(403)
    fields = (Field("ended_on", "date", "Date the service ended", DATE_HINT),)
    return _form_step(fields, person.version_id, {"ended_on": today_london()},
                      lambda data, _v: end_service(g.viewer, current_user, person.id, data, now_utc()),
                      lambda _p: ("The end of the service is recorded", url_for("people.show_person",
                                                                                 person_id=person.id)),
                      _Page("Record the end of the service", person.reference,
                            url_for("people.show_person", person_id=person.id), "the person", "Record it"))


@bp.post("/people/<int:person_id>/export")
@requires(Permission.VIEW_PROVIDERS)
def export_page(person_id: int):
    """Download one person's records as JSON (administrators; the export is on the person's trail)."""
    get_person(g.viewer, person_id)
    body, failure = attempt(lambda: export_person(g.viewer, current_user, person_id, now_utc()))
    if failure is not None:
        abort(failure.status)
    return Response(json.dumps(body, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="person-{person_id}.json"'})


@bp.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def erase_page(person_id: int):
    """Erase one person's records on request (administrators), with the reason."""
    person = get_person(g.viewer, person_id)
    if not can_manage_data(g.viewer):
        abort(403)
    fields = (Field("reason", "textarea", "Why are this person's records erased?",
                    "For example: erasure request ER-2026-31 received on 3 December. The free text on their records "
                    "is blanked and their reference replaced by ERASED-" + str(person.id) + "; the records stay "
                    "in the figures. This cannot be undone."),)
    return _form_step(fields, person.version_id, {},
                      lambda data, _v: erase_person(g.viewer, current_user, person.id, data["reason"], now_utc()),
                      lambda done: (f"The person's records are erased: they are now {done.reference}",
                                    url_for("people.show_person", person_id=person.id)),
                      _Page("Erase this person's records", person.reference,
                            url_for("people.show_person", person_id=person.id), "the person", "Erase the records"))


@bp.route("/people/<int:person_id>/refer", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def refer_page(person_id: int):
    """Record the council's referral of a young person: the CW-14 allocation clock starts."""
    person = get_person(g.viewer, person_id)
    fields = (Field("referred_on", "date", "Date the council referred the young person", DATE_HINT),)
    return _form_step(fields, person.version_id, {"referred_on": today_london()},
                      lambda data, _v: refer_young_person(g.viewer, current_user, {"person_id": person.id, **data},
                                                          now_utc()),
                      lambda record: (f"Referral {record.reference} recorded",
                                      url_for("people.show_leaving_care", record_id=record.id)),
                      _Page("Record a referral", person.reference, url_for("people.show_person",
                                                                           person_id=person.id),
                            "the person", "Record the referral"))


@bp.get("/leaving-care")
@requires(Permission.VIEW_PROVIDERS)
def list_leaving_care_page():
    """Leaving-care records the person may see: searched, filtered, sorted and paged (web/lists.py), or as CSV."""
    if request.args.get("format") == "csv":
        return csv_response(LEAVING_CARE, g.viewer, read_query(LEAVING_CARE), now_utc())
    return render_template("people/list_leaving_care.html", **list_context(LEAVING_CARE, g.viewer, now_utc()))


@bp.get("/leaving-care/caseloads")
@requires(Permission.VIEW_PROVIDERS)
def caseloads_page():
    """CW-08: each personal adviser's allocated young people against the contract's cap, over-cap flagged."""
    return render_template("people/caseloads.html", rows=caseloads(g.viewer))


@bp.get("/leaving-care/<int:record_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_leaving_care(record_id: int):
    """A leaving-care record: the young person, the clocks and how each was counted, the steps, the trail."""
    record = get_leaving_care(g.viewer, record_id)
    return render_template("people/show_leaving_care.html", record=record,
                           **record_facts("leaving_care", record))


@bp.route('/leaving-care/<int:record_id>/<any("allocate", "record_review", "record_contact", "close"):trigger>',
          methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def leaving_care_step(record_id: int, trigger: str):
    """One step on a leaving-care record (the machine says who may)."""
    record = get_leaving_care(g.viewer, record_id)
    fields = STEP_FIELDS.get(trigger) or (
        Field("adviser_id", "select", "Personal adviser", "The provider's staff with a Remedy account.",
              choices=(("", "Select an adviser"), *((str(i), n) for i, n in adviser_choices(record.provider_id)))),
        Field("allocated_on", "date", "Date the adviser was allocated", DATE_HINT),
        Field("note", "textarea", "Note (optional)", NO_NAMES, optional=True))
    day = {"allocate": "allocated_on", "record_review": "reviewed_on", "record_contact": "contacted_on"}.get(trigger)
    label = dict(record_facts("leaving_care", record)["steps"]).get(trigger, trigger.replace("_", " ").capitalize())
    return _form_step(fields, record.version_id, {day: today_london()} if day else {},
                      lambda data, version: step_leaving_care(g.viewer, current_user, record.id, trigger, data,
                                                              now_utc(), expected_version=version),
                      lambda _r: ("Recorded", url_for("people.show_leaving_care", record_id=record.id)),
                      _Page(label, f"Leaving-care record {record.reference}",
                            url_for("people.show_leaving_care", record_id=record.id), "the record"))
