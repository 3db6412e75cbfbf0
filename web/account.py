"""A person's own account: their password, two-factor sign-in and API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import db
from models.two_factor_store import (
    check_second_factor,
    confirm_enrolment,
    enrolment_secret,
    provisioning_uri,
    regenerate_recovery_codes,
    turn_off,
    two_factor_required,
    unused_recovery_codes,
)
from models.user_store import SignInRefused, change_password, issue_token, list_tokens, revoke_token
from web.auth import start_session
from web.clock import now_utc
from web.forms import PasswordForm, RemoveForm, SecurityCodeForm, TokenForm
from web.permissions import requires
from workflows.access import Permission
from workflows.errors import ValidationProblem

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
    revoke_token(current_user, token_id, now_utc())
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


@bp.route("/two-factor", methods=["GET", "POST"])
@requires(Permission.MANAGE_OWN_ACCOUNT)
def two_factor():
    """Set up two-factor sign-in with an authenticator app, replace recovery codes, or turn it off if allowed."""
    import segno

    user = current_user
    form = SecurityCodeForm()
    codes = None
    if user.totp_enabled_at is None:
        if form.validate_on_submit():
            try:
                codes = confirm_enrolment(user, form.code.data, now_utc())
            except ValidationProblem as problem:
                form.code.errors = [str(problem)]
            else:
                db.session.commit()
                form = SecurityCodeForm(formdata=None)
        else:
            enrolment_secret(user)
            db.session.commit()  # the secret must still be the same when the code comes back
    elif form.validate_on_submit():
        # Changing two-factor sign-in needs a fresh code: a session left open is not enough.
        try:
            check_second_factor(user, form.code.data, now_utc(), request.remote_addr)
            if request.form.get("action") == "turn_off":
                turn_off(user, now_utc())
            else:
                codes = regenerate_recovery_codes(user, now_utc())
        except (SignInRefused, ValidationProblem) as problem:
            db.session.commit()  # a wrong code still counts towards the lock-out
            form.code.errors = [str(problem)]
        else:
            db.session.commit()
            if user.totp_enabled_at is None:
                flash("Two-factor sign-in is off")
                return redirect(url_for("account.two_factor"), code=303)
            form = SecurityCodeForm(formdata=None)
    qr = None
    if user.totp_enabled_at is None:
        qr = segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5, dark="#0b0c0c")
    return render_template("account/two_factor.html", form=form, user=user, qr=qr, codes=codes,
                           secret=user.totp_secret if user.totp_enabled_at is None else None,
                           required=two_factor_required(user),
                           unused=unused_recovery_codes(user) if user.totp_enabled_at else 0), (
        422 if form.errors else 200)
