"""Remedy's application factory: configuration, extensions, templates, blueprints, error pages and commands."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import jinja2
from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers

from models import db
from web.routing import Rule
from web.templating import Environment
from workflows.rulebook import load_rulebooks

ROOT = Path(__file__).resolve().parent


def database_url(raw: str | None, instance_path: Path) -> str:
    """The SQLAlchemy URL: DATABASE_URL if set (PostgreSQL through psycopg 3), else SQLite in instance/."""
    if not raw:
        return f"sqlite:///{instance_path / 'remedy.sqlite3'}"
    # Hosting platforms hand out postgres:// or postgresql:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _secret_key(production: bool, instance_path: Path) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set in the environment when REMEDY_ENV=production")
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _reading_request() -> bool:
    """Whether a database connection is being taken for a GET or HEAD request (which reads without a transaction
    until it writes: models/connections.py)."""
    from flask import has_request_context, request

    return has_request_context() and request.method in ("GET", "HEAD")


def create_app(overrides: dict | None = None) -> Flask:
    """Build a Remedy app; `overrides` replaces any configuration value (tests pass TESTING and a database)."""
    overrides = overrides or {}
    # Flask's own static route is replaced by one with a permission marker (web/assets.py).
    app = Flask(__name__, static_folder=None, instance_path=str(ROOT / "instance"), instance_relative_config=True)
    app.jinja_environment = Environment  # type: ignore[assignment]  # web/templating.py: cheaper macro imports
    app.url_rule_class = Rule  # web/routing.py: each address builder compiled once a process, not once an app
    instance_path = Path(app.instance_path)
    production = os.environ.get("REMEDY_ENV", "development") == "production"
    app.config.from_mapping(
        REMEDY_ENV="production" if production else "development",
        SQLALCHEMY_DATABASE_URI=database_url(os.environ.get("DATABASE_URL"), instance_path),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_NAME="remedy_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        # A page session ends after this long without a request, and this long after sign-in whatever happens.
        SESSION_IDLE_MINUTES=int(os.environ.get("REMEDY_SESSION_IDLE_MINUTES", "30")),
        SESSION_MAX_HOURS=int(os.environ.get("REMEDY_SESSION_MAX_HOURS", "8")),
        # Two-factor sign-in: administrators, commissioning managers and safeguarding officers always; every role
        # when the council sets REMEDY_TWO_FACTOR_FOR_EVERYONE=1. REMEDY_DEMO_WITHOUT_TWO_FACTOR=1 (make run sets
        # it) lets the demo accounts in without a phone; it is refused in production.
        TWO_FACTOR_FOR_EVERYONE=os.environ.get("REMEDY_TWO_FACTOR_FOR_EVERYONE", "") == "1",
        TWO_FACTOR_DEMO_EXEMPT=os.environ.get("REMEDY_DEMO_WITHOUT_TWO_FACTOR", "") == "1",
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        RULEBOOK_DIR=str(ROOT / "rulebooks"),
        ASSETS_DIR=str(ROOT / "static" / "assets"),
        STATIC_DIR=str(ROOT / "static"),
        TIMEZONE="Europe/London",
        BASE_URL=os.environ.get("REMEDY_BASE_URL", "http://127.0.0.1:5000"),
        # Outgoing mail: SMTP settings from the environment; REMEDY_MAIL_CAPTURE=1 keeps mail on the
        # "Sent mail" page instead of sending it (make run does this).
        MAIL_SERVER=os.environ.get("MAIL_SERVER", "127.0.0.1"),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME"),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD"),
        MAIL_USE_TLS=os.environ.get("MAIL_USE_TLS", "") == "1",
        MAIL_FROM=os.environ.get("MAIL_FROM", "Remedy <remedy@localhost>"),
        MAIL_CAPTURE=os.environ.get("REMEDY_MAIL_CAPTURE", "") == "1",
        # How long one tick may spend draining the outbox (ticks are a minute apart): a backlog goes in one tick.
        DELIVERY_BUDGET_SECONDS=float(os.environ.get("REMEDY_DELIVERY_BUDGET_SECONDS", "45")),
        # "separate": the outbox is delivered by `flask scheduler deliver` workers, not by the scheduler's tick.
        DELIVERY_WORKERS=os.environ.get("REMEDY_DELIVERY_WORKERS", "in_scheduler"),
        # PostgreSQL: how many connections fire a backlog of due timers at once (scheduler/tick.sweep).
        SWEEP_CONNECTIONS=int(os.environ.get("REMEDY_SWEEP_CONNECTIONS", "2")),
        # Where the SQLite scheduler lock file lives (PostgreSQL uses an advisory lock instead).
        SCHEDULER_LOCK_DIR=os.environ.get("REMEDY_SCHEDULER_LOCK_DIR", str(instance_path)),
        # Providers' evidence files: outside static/, under random names, served only through a permission check.
        EVIDENCE_DIR=os.environ.get("REMEDY_EVIDENCE_DIR", str(instance_path / "evidence")),
    )
    if "SECRET_KEY" not in overrides:
        app.config["SECRET_KEY"] = _secret_key(production, instance_path)
    app.config.update(overrides)
    if production and app.config["TWO_FACTOR_DEMO_EXEMPT"]:
        raise RuntimeError("REMEDY_DEMO_WITHOUT_TWO_FACTOR is for the demo only: unset it when REMEDY_ENV=production")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        instance_path.mkdir(parents=True, exist_ok=True)

    # A bad rulebook stops start-up with the file, line and problem.
    app.extensions["rulebooks"] = load_rulebooks(Path(app.config["RULEBOOK_DIR"]))

    db.init_app(app)
    # A server's connections can be dropped under the pool (a restart, an idle timeout): a connection idle for a
    # while is pinged before use, and GET requests read without BEGIN/ROLLBACK (models/connections.py, issue 17).
    from models.connections import install as install_connections

    with app.app_context():
        install_connections(db.engine, reading=_reading_request)
    from flask_migrate import Migrate

    import models.cases  # noqa: F401  (registers every table with the metadata, for migrations)
    import models.concerns  # noqa: F401
    import models.entities  # noqa: F401
    import models.monitoring  # noqa: F401
    import models.people  # noqa: F401
    import models.picture_versions  # noqa: F401  (every process that writes moves providers' picture versions)
    import models.portal  # noqa: F401
    import models.referrals  # noqa: F401
    import models.scheduling  # noqa: F401

    Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)

    app.jinja_loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(ROOT / "templates")),
        jinja2.PrefixLoader({
            "govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": jinja2.PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    from scheduler.cli import scheduler_cli
    from web import register_web
    from web.cli import register_cli

    register_web(app)
    register_cli(app)
    app.cli.add_command(scheduler_cli)
    return app
