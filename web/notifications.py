"""In-app notifications: a list per person with an unread count."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from models import db
from models.outbox_store import mark_all_read, notifications_for
from web.clock import now_utc
from web.forms import RemoveForm
from web.permissions import requires
from workflows.access import Permission

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@requires(Permission.VIEW_DASHBOARD)
def list_notifications():
    """Your reminders and overdue notices, newest first."""
    return render_template("notifications/list_notifications.html", notifications=notifications_for(current_user),
                           form=RemoveForm())


@bp.post("/notifications/read")
@requires(Permission.VIEW_DASHBOARD)
def mark_read():
    """Mark every notification as read."""
    if not RemoveForm().validate_on_submit():
        abort(400)
    count = mark_all_read(current_user, now_utc())
    db.session.commit()
    flash(f"{count} notification{'s' if count != 1 else ''} marked as read")
    return redirect(url_for("notifications.list_notifications"), code=303)
