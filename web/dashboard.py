"""The dashboard: a work queue for every role first (what needs this person now, as counts that link to filtered
lists, or a provider's tasks), then the providers and contracts they can see."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from markupsafe import Markup

from models.council_store import kept_for_viewer
from models.outbox_store import counts as outbox_counts
from models.provider_store import list_contracts, list_providers
from models.scheduler_store import scheduler_health
from models.work_queue import concerns_by_stage, council_queue, deadline_counts, deadline_window
from web import portal
from web.clock import now_utc, today_london
from web.permissions import requires
from workflows.access import Permission, Role
from workflows.machine import MANAGERS
from workflows.safeguarding import SAFEGUARDING

bp = Blueprint("dashboard", __name__)


MY_CONTRACTS_SHOWN = 10  # a council person's own contracts on the home page; every contract is on /contracts


def council_work(viewer) -> dict:
    """A council person's queue: deadlines by when they fall due, what waits for a manager, concerns by stage for a
    safeguarding officer, the contracts they manage (a few: the council's hundreds are on the providers and
    contracts pages, issue 17), and the scheduler's and outbox's health for an administrator (a fixed number of
    statements whatever the number of records)."""
    now, today = now_utc(), today_london()
    week_end, next_end = deadline_window(today)

    def counted() -> dict:
        counts = {"deadlines": deadline_counts(viewer, now, today), "queue": council_queue(viewer)}
        if viewer.role in SAFEGUARDING:
            counts["concerns"] = concerns_by_stage(viewer)
        mine = list_contracts(viewer, manager_id=viewer.user_id, limit=MY_CONTRACTS_SHOWN + 1)
        shown = mine[:MY_CONTRACTS_SHOWN]
        counts["contracts"] = Markup(render_template("contracts/_contract_table.html", contracts=shown)) \
            if shown else None
        counts["contracts_shown"], counts["more_contracts"] = len(shown), len(mine) > len(shown)
        return counts

    # The counts and the person's contracts are kept while nothing in the council changes
    # (models/council_store.kept_for_viewer); the scheduler's and the outbox's health below are read live.
    work = {**kept_for_viewer(viewer, ("dashboard",), counted), "week_end": week_end, "next_end": next_end,
            "manager": viewer.role in MANAGERS}
    if viewer.role is Role.ADMIN:
        work["scheduler"] = scheduler_health(now)
        work["outbox"] = outbox_counts(viewer.council_id)
    return work




@bp.get("/")
@requires(Permission.VIEW_DASHBOARD)
def dashboard():
    """The home page after signing in. A provider sees its organisation and contracts; a council person their work
    queue and the contracts they manage (council_work)."""
    if g.viewer.is_provider:  # a provider's home puts its tasks and what is due first (the provider portal)
        home = portal.home_context()
        return render_template("dashboard/dashboard.html", providers=list_providers(g.viewer),
                               contracts=list_contracts(g.viewer), home=home, tasks=portal.provider_tasks(home),
                               work=None)
    return render_template("dashboard/dashboard.html", providers=None, home=None, tasks=None,
                           work=council_work(g.viewer))


@bp.get("/concerns")
@requires(Permission.VIEW_PROVIDERS)
def concerns():
    """The menu's Concerns: complaints, safeguarding concerns, incidents, financial changes, duties to notify,
    requests, meetings, stay limits and soft-outcome checks."""
    return render_template("dashboard/concerns.html")
