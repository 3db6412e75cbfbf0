"""The thin HTTP layer: one blueprint per area, forms, permissions and filters."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from workflows.access import Permission, Role

csrf = CSRFProtect()
login_manager = LoginManager()


def register_web(app: Flask) -> None:
    """Attach sign-in, CSRF, security headers, error pages, template helpers and every blueprint."""
    from models.engine import install_letter_service
    from models.user_store import load_session_user
    from web import (
        account,
        admin,
        api,
        api_cases,
        api_concerns,
        api_duties,
        api_financial_changes,
        api_meetings,
        api_people,
        api_referrals,
        api_returns,
        api_settings,
        api_soft_outcomes,
        api_stay_limits,
        assets,
        auth,
        calendar,
        cases,
        complaints,
        components,
        dashboard,
        deadlines,
        duties,
        errors,
        filters,
        financial_changes,
        incidents,
        letters,
        meetings,
        notifications,
        people,
        plans,
        portal,
        providers,
        referrals,
        returns,
        safeguarding,
        soft_outcomes,
        stay_limits,
    )
    from web.bounds import init_bounds
    from web.security import init_security

    init_bounds(app)  # before any route is added: the bounded <int:> converter applies as rules are built
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(identity: str):
        user_id, _, token = identity.partition(":")
        if not user_id.isdigit():
            return None
        user, unread, last_tick_at = load_session_user(int(user_id))
        # A rotated session token ends every session of that person.
        if user is None or not user.active or user.session_token != token:
            return None
        g.header_facts = {"unread": unread, "last_tick_at": last_tick_at}
        return user

    init_security(app)
    install_letter_service(letters.serve_letter)  # the engine stores a served letter in the step's own flush
    auth.init_sessions(app)
    errors.register(app)
    filters.register(app)
    components.register(app)

    for module in (assets, auth, dashboard, providers, calendar, admin, account):
        app.register_blueprint(module.bp)
    # these routes live on the API blueprint
    assert api_cases.bp is api.bp and api_concerns.bp is api.bp and api_returns.bp is api.bp
    assert api_financial_changes.bp is api.bp and api_duties.bp is api.bp
    assert api_settings.bp is api.bp
    assert api_referrals.bp is api.bp  # H&F referrals and packages (issue 15, item 2)
    assert api_people.bp is api.bp  # people and leaving care (issue 15)
    assert api_meetings.bp is api.bp  # meeting cadences (issue 15, item 6)
    assert api_stay_limits.bp is api.bp and api_soft_outcomes.bp is api.bp  # Thurrock (issue 15, item 5)
    app.register_blueprint(cases.bp)
    app.register_blueprint(letters.bp)
    app.register_blueprint(deadlines.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(complaints.bp)
    app.register_blueprint(safeguarding.bp)
    app.register_blueprint(incidents.bp)
    app.register_blueprint(financial_changes.bp)
    app.register_blueprint(duties.bp)
    app.register_blueprint(referrals.bp)  # H&F referrals and packages of care (issue 15, item 2)
    app.register_blueprint(people.bp)  # people and leaving care (issue 15)
    app.register_blueprint(stay_limits.bp)  # issue 15, item 5
    app.register_blueprint(soft_outcomes.bp)  # issue 15, item 5
    app.register_blueprint(portal.bp)
    app.register_blueprint(plans.bp)
    app.register_blueprint(returns.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies

    @app.context_processor
    def navigation():
        # govuk-frontend-wtf renders every form field through render_template, which runs this again: work it
        # out once per request.
        if "navigation_context" not in g:
            g.navigation_context = {"service_navigation": _service_navigation(), "account_links": _account_links(),
                                    "Permission": Permission,
                                    "Role": Role, "scheduler_warning": _scheduler_warning()}
        return g.navigation_context

    @app.before_request
    def remember_path():
        g.path = request.path


def _service_navigation() -> list[dict]:
    """Service navigation links for the signed-in person's role."""
    if not current_user.is_authenticated:
        return []
    viewer = current_user.viewer
    # Nine short items fit one row at 1280 px wide (issue 16): the person's name, notifications, administration
    # and sign-out sit in the account bar above; Working days is in the footer. Each item is also active on the
    # pages it gathers (Concerns: complaints, safeguarding, incidents, financial changes and meetings).
    items = [("Home", "dashboard.dashboard", Permission.VIEW_DASHBOARD, ()),
             ("Cases", "cases.list_cases_page", Permission.VIEW_PROVIDERS, ()),
             ("Your organisation" if viewer.is_provider else "Providers", "providers.list_providers_page",
              Permission.VIEW_PROVIDERS, ("/contracts", "/people", "/leaving-care"))]
    if not viewer.is_provider:
        items.append(("Review", "portal.review_queue", Permission.VIEW_PROVIDERS, ()))
    items += [("Returns", "returns.list_returns_page", Permission.VIEW_PROVIDERS, ()),
              ("Performance", "returns.performance", Permission.VIEW_PROVIDERS, ()),
              ("Breaches", "returns.list_breaches_page", Permission.VIEW_PROVIDERS, ()),
              ("Concerns", "dashboard.concerns", Permission.VIEW_PROVIDERS,
               ("/complaints", "/safeguarding", "/incidents", "/financial-changes", "/meetings",
                "/duty-notifications", "/requests", "/referrals", "/packages",
                "/capacity-confirmations", "/planned-meetings", "/stay-limits",
                "/soft-outcome-checks")),
              ("Deadlines", "deadlines.list_deadlines", Permission.VIEW_DASHBOARD, ())]
    path = request.path
    links = []
    for text, endpoint, permission, gathers in items:
        if not viewer.can(permission):
            continue
        href = _href(endpoint)
        active = path == href or (href != "/" and path.startswith(href)) or path.startswith(gathers)
        links.append({"href": href, "text": text, "active": active})
    return links


def _href(endpoint: str) -> str:
    """A link of the header's that never changes while the app runs: its address built once, not on every page."""
    from flask import url_for

    hrefs = current_app.extensions.setdefault("remedy_navigation_hrefs", {})
    key = (endpoint, request.script_root)
    return hrefs.get(key) or hrefs.setdefault(key, url_for(endpoint))


def _account_links() -> list[dict]:
    """The account bar's links for the signed-in person: notifications (with the unread count) and, for an
    administrator, administration."""
    if not current_user.is_authenticated:
        return []
    viewer = current_user.viewer
    unread = _header_facts()["unread"]
    links = [{"href": _href("notifications.list_notifications"),
              "text": f"Notifications ({unread} unread)" if unread else "Notifications"}]
    if viewer.can(Permission.MANAGE_USERS):
        links.append({"href": _href("admin.index"), "text": "Administration"})
    return links


STALE_AFTER_SECONDS = 300


def _scheduler_warning() -> str | None:
    """For council staff: a warning when the scheduler has not ticked for 5 minutes (reminders are not going out)."""
    if not current_user.is_authenticated or current_user.role.is_provider:
        return None
    if not current_app_config("SCHEDULER_WARNING", True):
        return None
    from web.clock import now_utc

    last_tick_at = _header_facts()["last_tick_at"]
    if last_tick_at is None:
        return ("The scheduler has never run: reminders are not being sent and breaches are not being recorded. "
                "Start it with 'flask --app app scheduler run'.")
    lag_seconds = (now_utc() - last_tick_at).total_seconds()
    if lag_seconds > STALE_AFTER_SECONDS:
        minutes = int(lag_seconds // 60)
        return (f"The scheduler last ran {minutes} minutes ago: reminders are not being sent and breaches are not "
                "being recorded until it runs again.")
    return None


def _header_facts() -> dict:
    """What the header needs about the signed-in person, read with them in one query (see load_user); a person
    signed in some other way (a test's login_user) gets the same facts by their own queries."""
    if "header_facts" not in g:
        from models.outbox_store import unread_count
        from models.scheduler_store import last_tick

        tick = last_tick()
        g.header_facts = {"unread": unread_count(current_user), "last_tick_at": tick.finished_at if tick else None}
    return g.header_facts


def current_app_config(key: str, default):
    return current_app.config.get(key, default)
