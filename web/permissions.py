"""The one permission decorator every view carries, and the API's bearer-token equivalent.

A test walks app.url_map and fails for any endpoint whose view lacks a marker set here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, jsonify, redirect, request, url_for
from flask_login import current_user

from workflows.access import Permission

PUBLIC = "public"


def public(view: Callable) -> Callable:
    """Mark a view that anyone may reach without signing in (sign-in page, assets, health)."""
    view.remedy_permission = PUBLIC
    return view


def requires(*permissions: Permission) -> Callable:
    """Require a signed-in person whose role grants every one of these permissions (403 otherwise)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            viewer = current_user.viewer
            if not all(viewer.can(p) for p in permissions):
                abort(403)
            g.viewer = viewer
            return view(*args, **kwargs)

        wrapped.remedy_permission = permissions
        return wrapped

    return decorate


def api_requires(*permissions: Permission) -> Callable:
    """Require a valid bearer token whose user's role grants every one of these permissions."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from models.user_store import user_for_token
            from web.clock import now_utc

            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _api_error(401, "Send an API token in the header 'Authorization: Bearer <token>'")
            user = user_for_token(token.strip(), now_utc())
            if user is None:
                return _api_error(401, "That API token is not recognised or has been revoked: ask for a new one")
            viewer = user.viewer
            if not all(viewer.can(p) for p in permissions):
                return _api_error(403, "Your role does not allow this")
            g.api_user, g.viewer = user, viewer
            return view(*args, **kwargs)

        wrapped.remedy_permission = permissions
        return wrapped

    return decorate


def _api_error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="remedy"'
    return response
