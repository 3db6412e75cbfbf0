"""Static files: the project's own CSS/JS at /static, and the GOV.UK Frontend build at /assets (where its
compiled CSS expects fonts and images)."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

from web.permissions import public

bp = Blueprint("assets", __name__)


@bp.get("/assets/<path:filename>")
@public
def govuk_asset(filename: str):
    """A built GOV.UK Frontend file (make assets puts them there)."""
    return send_from_directory(current_app.config["ASSETS_DIR"], filename, max_age=3600)


@bp.get("/static/<path:filename>")
@public
def static_file(filename: str):
    """One of Remedy's own static files."""
    return send_from_directory(current_app.config["STATIC_DIR"], filename, max_age=3600)
