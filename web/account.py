"""A person's own account: their password and API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from models import db
from models.user_store import change_password, issue_token, list_tokens, revoke_token
from web.auth import start_session
from web.clock import now_utc
from web.forms import PasswordForm, RemoveForm, TokenForm
from web.permissions import requires
from workflows.access import Permission
from workflows.errors import NotFound, ValidationProblem

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/api-tokens", methods=["GET", "POST"])
@requires(Permission.MANAGE_OWN_ACCOUNT)
def tokens():
    """Create and revoke API tokens; a new token is shown once."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _row, new_token = issue_token(current_user, form.name.data, now_utc())
        db.session.commit()
        form = TokenForm(formdata=None)
    return render_template("account/tokens.html", form=form, tokens=list_tokens(current_user), new_token=new_token,
                           revoke_form=RemoveForm()), (422 if form.errors else 200)


@bp.post("/api-tokens/<int:token_id>/revoke")
@requires(Permission.MANAGE_OWN_ACCOUNT)
def revoke(token_id: int):
    """Revoke one of your tokens: it stops working at once."""
    if not RemoveForm().validate_on_submit():
        abort(400)
    try:
        revoke_token(current_user, token_id, now_utc())
    except NotFound:
        abort(404)
    db.session.commit()
    flash("Token revoked")
    return redirect(url_for("account.tokens"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@requires(Permission.MANAGE_OWN_ACCOUNT)
def password():
    """Change your password; every other session you have ends, and this one carries on."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data, now_utc())
        except ValidationProblem as problem:
            db.session.rollback()
            getattr(form, problem.field or "new_password").errors = [str(problem)]
        else:
            db.session.commit()
            start_session(current_user)
            flash("Your password has been changed. You have been signed out on every other device.")
            return redirect(url_for("dashboard.dashboard"), code=303)
    return render_template("account/password.html", form=form), (422 if form.errors else 200)
