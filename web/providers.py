"""Provider and contract pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user

from models import db
from models.audit_store import events_for
from models.concern_store import complaint_figures, large_scale_enquiries
from models.entities import CqcRatingValue
from models.picture_store import open_cases, provider_happenings
from models.provider_store import (
    get_contract,
    get_provider,
    list_contracts,
    list_providers,
    record_cqc_rating,
)
from models.registry import page_for
from web.cases import rung_label
from web.clock import now_utc, today_london
from web.forms import CqcRatingForm
from web.permissions import requires
from workflows.access import Permission
from workflows.errors import ValidationProblem
from workflows.picture import KINDS as PICTURE_KINDS
from workflows.picture import counts_by_quarter, quarter_bounds, quarter_label, recent_quarters
from workflows.picture import timeline as picture_timeline
from workflows.safeguarding import SAFEGUARDING

bp = Blueprint("providers", __name__)
PICTURE_QUARTERS = 4  # a year of counts
TIMELINE_LENGTH = 60


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
    """One provider: its details, CQC rating history and contracts."""
    provider = get_provider(g.viewer, provider_id)
    contracts = list_contracts(g.viewer, provider_id=provider.id)
    events = events_for(g.viewer.council_id, "provider", provider.id) if not g.viewer.is_provider else []
    happenings = provider_happenings(g.viewer, provider.id)
    quarters = recent_quarters(today_london(), PICTURE_QUARTERS)
    books = current_app.extensions["rulebooks"]
    cases = [(case, rung_label(books[case.contract.rulebook_id], case.state))
             for case in open_cases(g.viewer, provider.id)]
    enquiries = large_scale_enquiries(g.viewer, provider.id)
    return render_template(
        "providers/show_provider.html", provider=provider, contracts=contracts, events=events,
        can_rate=g.viewer.can(Permission.RECORD_CQC_RATING), open_cases=cases,
        timeline=[(h, _href(h)) for h in picture_timeline(happenings)[:TIMELINE_LENGTH]], kinds=PICTURE_KINDS,
        quarters=[(quarter_label(q), counts, complaint_figures(g.viewer, provider.id, *quarter_bounds(q)))
                  for q, counts in counts_by_quarter(happenings, quarters).items()],
        enquiry=next((e for e in enquiries if e.ends_on is None), None), enquiries=enquiries,
        can_flag=g.viewer.role in SAFEGUARDING,
        # Contracts whose rulebook makes a Large Scale Enquiry count (Cheshire East: CE-38 suspension, CE-51).
        lse_contracts=[c.reference for c in contracts
                       if "large_scale_enquiry" in books[c.rulebook_id].suspension_requires
                       or any("large_scale_enquiry" in r.requires for r in books[c.rulebook_id].suspension_grounds)])


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
    return render_template("contracts/show_contract.html", contract=contract, rulebook=rulebook)
