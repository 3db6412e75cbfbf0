"""Administration: people and their roles."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user

from models import db
from models.outbox_store import captured_mail, dead_letters, retry
from models.outbox_store import counts as outbox_counts
from models.provider_store import list_providers
from models.scheduler_store import scheduler_health
from models.timer_store import pending_due_count
from models.user_store import create_user, end_sessions, get_user, list_users
from web.clock import now_utc
from web.forms import RemoveForm, SignOutEverywhereForm, UserForm, options
from web.permissions import requires
from workflows.access import Permission, Role
from workflows.errors import ValidationProblem

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@requires(Permission.MANAGE_USERS)
def index():
    """The administration home page."""
    return render_template("admin/index.html")


@bp.get("/scheduler")
@requires(Permission.MANAGE_USERS)
def scheduler():
    """Scheduler health: the last tick, lag, what is due and what failed; undelivered messages to retry."""
    now = now_utc()
    health = scheduler_health(now)
    last_tick = datetime.fromisoformat(health["last_tick_at"]) if health["last_tick_at"] else None
    return render_template("admin/scheduler.html", health=health, last_tick=last_tick, due=pending_due_count(now),
                           outbox=outbox_counts(g.viewer.council_id), dead=dead_letters(g.viewer.council_id),
                           form=RemoveForm())


@bp.post("/scheduler/messages/<int:message_id>/retry")
@requires(Permission.MANAGE_USERS)
def retry_message(message_id: int):
    """Put an undelivered message back in the queue."""
    if not RemoveForm().validate_on_submit():
        abort(400)
    retry(g.viewer.council_id, message_id, now_utc())
    db.session.commit()
    flash("The message will be sent again at the next tick")
    return redirect(url_for("admin.scheduler"), code=303)


@bp.get("/sent-mail")
@requires(Permission.MANAGE_USERS)
def sent_mail():
    """Mail kept instead of sent (make run captures mail so nothing leaves the machine)."""
    return render_template("admin/sent_mail.html", mails=captured_mail(g.viewer.council_id))


@bp.get("/rulebooks")
@requires(Permission.MANAGE_USERS)
def rulebooks():
    """Every contract rulebook, with how much each says about monitoring."""
    return render_template("admin/rulebooks.html", books=list(current_app.extensions["rulebooks"].values()))


@bp.get("/rulebooks/<book_id>")
@requires(Permission.MANAGE_USERS)
def rulebook(book_id: str):
    """One rulebook in plain English: the ladder, clocks, returns and due dates, KPIs and breach rules."""
    book = current_app.extensions["rulebooks"].get(book_id)
    if book is None:
        abort(404)
    return_names = {r.id: r.name for r in book.monitoring.returns}
    return render_template("admin/rulebook.html", book=book, return_names=return_names,
                           rules=[(rule, rule.describe(return_names)) for rule in book.monitoring.breaches])


@bp.route("/users", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def users():
    """Everyone who can sign in, and a form to add someone."""
    form = UserForm()
    providers = list_providers(g.viewer)
    form.provider.choices = options([("", "None (council staff)")] + [(p.reference, f"{p.name} ({p.reference})")
                                                                     for p in providers])
    if form.validate_on_submit():
        try:
            user = create_user(council_id=g.viewer.council_id, email=form.email.data, name=form.name.data,
                               role=Role(form.role.data), password=form.password.data,
                               provider_reference=form.provider.data or None, actor=current_user)
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, problem.field or "email").errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"{user.name} can now sign in as {user.role.label.lower()}")
            return redirect(url_for("admin.users"), code=303)
    return render_template("admin/users.html", form=form, users=list_users(g.viewer.council_id),
                           sign_out_form=SignOutEverywhereForm()), (422 if form.errors else 200)


@bp.post("/users/<int:user_id>/sign-out")
@requires(Permission.MANAGE_USERS)
def sign_out_everywhere(user_id: int):
    """End every session a person has (a lost laptop, someone leaving): they must sign in again."""
    if not SignOutEverywhereForm().validate_on_submit():
        abort(400)
    user = get_user(user_id)
    if user is None or user.council_id != g.viewer.council_id:
        abort(404)
    end_sessions(user, current_user, now_utc(), "Signed out everywhere by an administrator")
    db.session.commit()
    flash(f"{user.name} has been signed out everywhere")
    return redirect(url_for("admin.users"), code=303)
