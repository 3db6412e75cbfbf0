"""Styled error pages, and JSON errors for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from models import is_clash
from models.engine import CHANGED_MEANWHILE
from web.bounds import BadParameter
from workflows.errors import NotFound as RecordNotFound

API_MESSAGES = {
    400: "The request could not be understood: check its JSON and parameters",
    401: "Sign in or send an API token",
    403: "Your role does not allow this",
    404: "There is nothing here, or you cannot see it",
    405: "That method is not allowed here",
    409: "That cannot be done now",
    413: "The request is too large: a file must be smaller than 20 MB",
    422: "The data could not be accepted",
    500: "Something went wrong in Remedy; the problem has been logged",
}


def api_error(status: int, message: str | None = None, field: str | None = None):
    """A JSON error body with a sentence a person can act on, naming the parameter or key at fault if there is one."""
    body = {"error": message or API_MESSAGES.get(status, "Request failed")}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    return response


def _out_of_range(error: Exception) -> bool:
    """A number too big for the database reached a query: SQLite raises OverflowError, PostgreSQL a DataError."""
    if isinstance(error, OverflowError):
        return True
    from sqlalchemy.exc import DataError

    return isinstance(error, DataError) and "out of range" in str(error.orig)


def register(app: Flask) -> None:
    """Install the handlers."""

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if wants_json():
            return api_error(400, "The request was refused because it had no valid CSRF token")
        return render_template("errors/400.html", reason=error.description), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if isinstance(error, BadParameter):
            if wants_json():
                return api_error(status, error.description, error.field)
            return render_template("errors/400.html", reason=error.description), status
        if wants_json():
            response = api_error(status)
            if status == 405 and getattr(error, "valid_methods", None):
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        template = {403: "errors/403.html", 404: "errors/404.html"}.get(status)
        if status == 413:
            return render_template("errors/400.html", reason=(
                "What you sent is too large: each file must be smaller than 20 MB, and files sent together smaller "
                "than 25 MB. Go back and choose a smaller file, or send the files one at a time.")), status
        if template is None:
            if status >= 500:
                return render_template("errors/500.html"), status
            return render_template("errors/400.html", reason=error.description), status
        return render_template(template), status

    @app.errorhandler(RecordNotFound)
    def record_not_found(error: RecordNotFound):
        # A store's NotFound: the record does not exist or is not this person's (never told apart), so a view can
        # load with the store's own getter and let a stranger's id be the 404 every other missing page is.
        from models import db

        db.session.rollback()
        if wants_json():
            return api_error(404, str(error))
        return render_template("errors/404.html"), 404

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        from models import db

        db.session.rollback()
        if _out_of_range(error):
            # The last line of defence behind web/bounds.py: a number no record can have is a request to refuse,
            # not a fault. Logged, so the input that slipped past the bounds can be found and checked at the door.
            app.logger.warning("Out-of-range number reached the database: %s %s", request.method, request.path)
            message = "A number in the request is too large: no record has it"
            if wants_json():
                return api_error(422, message)
            return render_template("errors/400.html", reason=message), 422
        if is_clash(error):  # the last line of defence: web.steps.attempt answers most of them itself
            app.logger.warning("Simultaneous change refused: %s %s: %s", request.method, request.path, error)
            if wants_json():
                return api_error(409, CHANGED_MEANWHILE)
            return render_template("errors/409.html"), 409
        app.logger.exception("Unhandled error")
        if wants_json():
            return api_error(500)
        return render_template("errors/500.html"), 500
