"""Provider and contract pages."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from models import db
from models.concern_store import large_scale_enquiries
from models.contract_settings_store import change_setting, settings_rows
from models.council_store import kept_for_viewer
from models.entities import CqcRatingValue, Provider
from models.kept import kept_in
from models.picture_store import happenings, provider_picture
from models.picture_versions import PROVIDER_PICTURES, picture_key
from models.planned_meeting_store import list_planned
from models.provider_store import (
    get_contract,
    get_provider,
    list_contracts,
    list_providers,
    record_cqc_rating,
)
from models.registry import page_for
from models.rulebook_store import rulebook_for
from web.cases import rung_label
from web.clock import now_utc, today_london
from web.forms import ContractSettingForm, CqcRatingForm, options
from web.permissions import requires
from workflows.access import Permission
from workflows.errors import NotFound, ValidationProblem
from workflows.machine import MANAGERS, TransitionNotAllowed
from workflows.picture import KINDS as PICTURE_KINDS
from workflows.picture import quarter_label, recent_quarters
from workflows.safeguarding import SAFEGUARDING

bp = Blueprint("providers", __name__)
PICTURE_QUARTERS = 4  # a year of counts
TIMELINE_LENGTH = 10  # the newest on the provider page; the rest are on its history, HISTORY_PAGE at a time
HISTORY_PAGE = 50
OPEN_CASES_SHOWN = 10  # the newest; the rest are one link away, on the case list filtered to the provider (issue 17)
PICTURES_KEPT = 1_000  # a worker's rendered pictures (one a person and a provider), started again when full


@bp.get("/providers")
@requires(Permission.VIEW_PROVIDERS)
def list_providers_page():
    """Every provider the person may see."""
    providers = list_providers(g.viewer)
    if g.viewer.is_provider and len(providers) == 1:
        return redirect(url_for("providers.show_provider", provider_id=providers[0].id))
    return render_template("providers/list_providers.html", providers=providers)


@bp.get("/providers/<int:provider_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_provider(provider_id: int):
    """One provider: its details, CQC rating history and contracts.

    Kept while nothing in the council changes (models/council_store.kept_for_viewer), as a case page is; beneath
    it, the picture (open cases, a year of counts, happenings) is kept under the provider's own version, so a
    change elsewhere in the council redraws the page around a picture still kept (issue 17)."""
    return render_template("providers/show_provider.html",
                           page=kept_for_viewer(g.viewer, ("provider", provider_id),
                                                lambda: _provider_page(provider_id)))


def _provider_page(provider_id: int) -> dict:
    provider = get_provider(g.viewer, provider_id, with_ratings=True)
    contracts = provider.contracts  # read with the provider
    books = current_app.extensions["rulebooks"]
    enquiries = large_scale_enquiries(g.viewer, provider.id)
    content = render_template(
        "providers/_provider.html", provider=provider, contracts=contracts, picture=_picture(provider),
        can_rate=g.viewer.can(Permission.RECORD_CQC_RATING),
        enquiry=next((e for e in enquiries if e.ends_on is None), None), enquiries=enquiries,
        can_flag=g.viewer.role in SAFEGUARDING,
        # Contracts whose rulebook makes a Large Scale Enquiry count (Cheshire East: CE-38 suspension, CE-51).
        lse_contracts=[c.reference for c in contracts
                       if "large_scale_enquiry" in books[c.rulebook_id].suspension_requires
                       or any("large_scale_enquiry" in r.requires for r in books[c.rulebook_id].suspension_grounds)])
    return {"name": provider.name, "content": Markup(content)}


class _Drawn(NamedTuple):
    body: Markup  # templates/providers/_picture.html
    trail: Markup  # templates/providers/_trail.html


def _picture(provider: Provider) -> _Drawn:
    """The provider page's picture (its open cases, a year of counts, its newest happenings) and its audit trail,
    rendered, as this person may see them: kept by this worker under the provider's picture version, read with the
    provider before anything of the picture (models/picture_versions.py), so drawn again only after a change to
    what it shows, by anyone, through any worker."""

    quarters = recent_quarters(today_london(), PICTURE_QUARTERS)

    def draw() -> _Drawn:
        picture = provider_picture(g.viewer, provider.id, quarters, TIMELINE_LENGTH, OPEN_CASES_SHOWN)
        books = current_app.extensions["rulebooks"]
        cases = [(case, rung_label(books[case.contract.rulebook_id], case.state)) for case in picture.open_cases]
        body = render_template(
            "providers/_picture.html", provider=provider, open_cases=cases[:OPEN_CASES_SHOWN],
            more_open_cases=len(cases) > OPEN_CASES_SHOWN, kinds=PICTURE_KINDS,
            timeline=[(h, _href(h)) for h in picture.timeline], more_history=picture.more is not None,
            quarters=[(quarter_label(q.quarter), q.counts, q.complaints) for q in picture.quarters])
        return _Drawn(Markup(body), Markup(render_template("providers/_trail.html", events=picture.events)))

    key = picture_key(g.viewer, provider, tuple(quarters))  # a new quarter is a new key
    return kept_in(current_app.extensions.setdefault(PROVIDER_PICTURES, {}), key, draw, float("inf"),
                   most=PICTURES_KEPT)


@bp.get("/providers/<int:provider_id>/history")
@requires(Permission.VIEW_PROVIDERS)
def provider_history(provider_id: int):
    """Everything that has happened to a provider that the person may know of, newest first, HISTORY_PAGE at a time:
    ?after=<kind>:<id> names the last happening of the page before. A place that is not one of this provider's
    happenings the person may know of (a mistyped or stale link) answers 404 with the newest page and says so."""
    provider = get_provider(g.viewer, provider_id)
    after = _happening_named(request.args.get("after"))
    lost = after is False
    try:
        timeline, more = happenings(g.viewer, provider.id, HISTORY_PAGE, after or None)
    except NotFound:
        lost = True
        timeline, more = happenings(g.viewer, provider.id, HISTORY_PAGE)
    return render_template("providers/history.html", provider=provider, timeline=[(h, _href(h)) for h in timeline],
                           first_page=not after or lost, lost=lost,
                           next_page=url_for("providers.provider_history", provider_id=provider.id,
                                             after=f"{more[0]}:{more[1]}") if more else None), 404 if lost else 200


def _happening_named(text: str | None) -> tuple[str, int] | None | bool:
    """(kind, id) from ?after=notice:123; None when not given; False when it names nothing there could be."""
    if text is None:
        return None
    kind, _, number = text.partition(":")
    if kind not in PICTURE_KINDS or not (number.isascii() and number.isdigit()) or len(number) > 10:
        return False
    return kind, int(number)


def _href(happening) -> str | None:
    if happening.target is None:
        return None
    kind, entity_id = happening.target
    return page_for(kind, entity_id, None)


@bp.route("/providers/<int:provider_id>/cqc-ratings/new", methods=["GET", "POST"])
@requires(Permission.RECORD_CQC_RATING)
def record_rating(provider_id: int):
    """Record a new CQC rating for a provider."""
    provider = get_provider(g.viewer, provider_id)
    form = CqcRatingForm()
    if form.validate_on_submit():
        try:
            record_cqc_rating(g.viewer, current_user, provider.id, CqcRatingValue(form.rating.data),
                              form.rated_on.data, form.report_url.data, today_london(), now_utc())
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, problem.field or "rating").errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"CQC rating recorded: {CqcRatingValue(form.rating.data).label}")
            return redirect(url_for("providers.show_provider", provider_id=provider.id), code=303)
    return render_template("providers/record_rating.html", provider=provider, form=form), (
        422 if form.errors else 200)


@bp.get("/contracts")
@requires(Permission.VIEW_PROVIDERS)
def list_contracts_page():
    """Every contract the person may see."""
    return render_template("contracts/list_contracts.html", contracts=list_contracts(g.viewer),
                           rulebooks=current_app.extensions["rulebooks"])


@bp.get("/contracts/<int:contract_id>")
@requires(Permission.VIEW_PROVIDERS)
def show_contract(contract_id: int):
    """One contract: its terms, rulebook and escalation contacts."""
    contract = get_contract(g.viewer, contract_id)
    rulebook = current_app.extensions["rulebooks"].get(contract.rulebook_id)
    computed = None
    if rulebook is not None and rulebook.home_care is not None:  # H&F: the KPIs its records prove (issue 15)
        from models.referral_store import computed_kpis
        from workflows.home_care_kpis import financial_quarter

        today = today_london()
        quarter = financial_quarter(today)
        computed = (quarter, computed_kpis(g.viewer, contract.id, *quarter, today)[1])
    return render_template("contracts/show_contract.html", contract=contract, rulebook=rulebook,
                           can_see_settings=not g.viewer.is_provider, computed=computed,
                           planned=list_planned(g.viewer, contract_id=contract.id, open_only=True),
                           can_record_events=g.viewer.role in MANAGERS)  # the events page's own rule


# The form's fields each setting needs, and the names check_setting (workflows/settings.py) gives its problems.
_FIELD_FOR_PROBLEM = {"working_days": "working_days", "from": "due_from", "hand": "receipt_hand",
                      "email": "receipt_email", "post": "receipt_post", "report_working_days": "report_working_days",
                      "draft_working_days": "draft_working_days", "reason": "reason", "key": "setting",
                      "value": "setting", "months": "retention_months"}


def _setting_choices(rows: list[dict]) -> list[tuple[str, str]]:
    """What an administrator may set here: due dates the contract does not give (A4), the deemed-receipt rule, and
    local complaint clocks where the contract has none of its own (HF-74 and HF-78 are H&F's alone)."""
    choices = []
    for row in rows:
        if row["source"].startswith("the contract"):
            continue
        ident = f"return_due:{row['item']}" if row["key"] == "return_due" else row["key"]
        label = {"deemed_receipt": "Deemed receipt of a notice", "complaint_clocks": "Local complaint clocks"}.get(
            row["key"], row["name"])
        choices.append((ident, label))
    return choices


def _setting_value(form: ContractSettingForm, key: str, item: str, existing: dict):
    """The setting's new value from the form (None: clear it), or a ValidationProblem naming the missing field."""
    if form.action.data == "clear":
        if key == "return_due":
            rest = {k: v for k, v in existing.items() if k != item}
            return rest or None
        return None
    if key == "return_due":
        if form.working_days.data is None:
            raise ValidationProblem("Enter the number of working days after the period ends", "working_days")
        due = {"working_days": form.working_days.data}
        if form.due_from.data:
            due["from"] = form.due_from.data.isoformat()
        return {**existing, item: due}
    if key == "deemed_receipt":
        values = {m: getattr(form, f"receipt_{m}").data for m in ("hand", "email", "post")}
        for method, days in values.items():
            if days is None:
                raise ValidationProblem(f"Enter the working days to deemed receipt {_BY[method]}", method)
        return values
    if key == "retention":  # issue 15: people's records are erased this long after their service ends
        if form.retention_months.data is None:
            raise ValidationProblem("Enter how many months to keep people's records after their service ends",
                                    "months")
        return {"months": form.retention_months.data}
    values = {f: getattr(form, f).data for f in ("report_working_days", "draft_working_days")
              if getattr(form, f).data is not None}
    if not values:
        raise ValidationProblem("Enter the working days for reporting a complaint, for a draft response, or both",
                                "report_working_days")
    return values


_BY = {"hand": "by hand", "email": "by email", "post": "by post"}


@bp.route("/contracts/<int:contract_id>/settings", methods=["GET", "POST"])
@requires(Permission.VIEW_PROVIDERS)
def contract_settings_page(contract_id: int):
    """The council's settings on a contract, each with its value and source ("the contract, seed line N", "council
    setting" or "not set"); administrators set or clear them with a reason, on the audit trail (A4, issue 14)."""
    if g.viewer.is_provider:
        abort(404)  # council settings are the council's business
    contract = get_contract(g.viewer, contract_id)
    regime = current_app.extensions["rulebooks"][contract.rulebook_id]
    rows = settings_rows(contract, rulebook_for(contract), regime)
    can_change = g.viewer.can(Permission.MANAGE_CONTRACT_SETTINGS)
    form = ContractSettingForm()
    form.setting.choices = options(_setting_choices(rows))
    if form.is_submitted() and not can_change:
        abort(403)
    if form.validate_on_submit():
        key, _, item = form.setting.data.partition(":")
        try:
            value = _setting_value(form, key, item, dict((contract.settings or {}).get("return_due") or {})
                                   if key == "return_due" else {})
            change_setting(g.viewer, current_user, contract.id, key, value, form.reason.data, today_london(),
                           now_utc())
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, _FIELD_FOR_PROBLEM.get(problem.field or "", "setting")).errors = [str(problem)]
        except TransitionNotAllowed:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            label = dict(_setting_choices(rows)).get(form.setting.data, "The setting")
            flash(f"{label}: {'cleared' if form.action.data == 'clear' else 'saved'}")
            return redirect(url_for("providers.contract_settings_page", contract_id=contract.id), code=303)
    return render_template("contracts/settings.html", contract=contract, rulebook=regime, rows=rows, form=form,
                           can_change=can_change), (422 if form.errors else 200)
