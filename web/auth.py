"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from models import db
from models.user_store import SignInRefused, sign_in
from web.clock import now_utc
from web.forms import SignInForm, SignOutForm
from web.permissions import public

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link bounce through Remedy.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
@public
def sign_in_page():
    """The sign-in page; five wrong passwords in a row lock the account for 15 minutes."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.dashboard"))
    form = SignInForm()
    refusal = None
    if form.validate_on_submit():
        try:
            user = sign_in(form.email.data, form.password.data, now_utc(), request.remote_addr)
        except SignInRefused as exc:
            db.session.commit()  # keep the failed-attempt counters and the attempt record
            refusal = str(exc)
            form.password.errors = [refusal]
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
    status = 200 if not (form.errors or refusal) else 422 if request.method == "POST" else 200
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/sign-out")
@public
def sign_out():
    """Sign out (a POST with a CSRF token, so a link elsewhere cannot sign anyone out)."""
    form = SignOutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        logout_user()
        flash("You have signed out")
    return redirect(url_for("auth.sign_in"), code=303)
