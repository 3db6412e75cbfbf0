"""The dashboard: what a person can see of providers and contracts at a glance."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from models.provider_store import list_contracts, list_providers
from web import portal
from web.permissions import requires
from workflows.access import Permission

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@requires(Permission.VIEW_DASHBOARD)
def dashboard():
    """The home page after signing in."""
    providers = list_providers(g.viewer)
    contracts = list_contracts(g.viewer)
    # A provider's home puts what is due first (the provider portal).
    home = portal.home_context() if g.viewer.is_provider else None
    return render_template("dashboard/dashboard.html", providers=providers, contracts=contracts, home=home)
