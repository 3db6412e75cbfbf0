"""Administration: people and their roles."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user

from models import db
from models.provider_store import list_providers
from models.user_store import create_user, list_users
from web.forms import UserForm, options
from web.permissions import requires
from workflows.access import Permission, Role
from workflows.errors import ValidationProblem

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@requires(Permission.MANAGE_USERS)
def index():
    """The administration home page."""
    return render_template("admin/index.html")


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
    return render_template("admin/users.html", form=form, users=list_users(g.viewer.council_id)), (
        422 if form.errors else 200)
