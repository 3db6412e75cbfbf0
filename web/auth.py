"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from models import db
from models.entities import User
from models.two_factor_store import check_second_factor, must_enrol, unused_recovery_codes
from models.user_store import SignInRefused, end_sessions, get_user, sign_in
from web.clock import now_utc
from web.forms import SecurityCodeForm, SignInForm, SignOutForm
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
            next_page = _safe_next(request.args.get("next"))
            if user.totp_enabled_at is not None:
                # Nothing is signed in yet: the browser only remembers whose code to ask for, for 5 minutes.
                session.clear()
                session[PENDING] = {"user_id": user.id, "token": user.session_token,
                                    "at": now_utc().timestamp(), "next": next_page}
                return redirect(url_for("auth.security_code"), code=303)
            start_session(user)
            if must_enrol(user):
                return redirect(url_for("account.two_factor"), code=303)
            return redirect(next_page, code=303)
    status = 200 if not (form.errors or refusal) else 422 if request.method == "POST" else 200
    return render_template("auth/sign_in.html", form=form), status


PENDING = "two_factor_pending"
PENDING_SECONDS = 5 * 60


def _pending_user() -> User | None:
    """The person whose password was just accepted, if that was under 5 minutes ago and nothing has changed."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or now_utc().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = get_user(pending["user_id"])
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    return user


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@public
def security_code():
    """The second step of signing in: a code from the person's authenticator app, or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Sign in again: the time to enter a security code ran out")
        return redirect(url_for("auth.sign_in"), code=303)
    form = SecurityCodeForm()
    if form.validate_on_submit():
        try:
            used = check_second_factor(user, form.code.data, now_utc(), request.remote_addr)
        except SignInRefused as exc:
            db.session.commit()  # keep the failed-attempt counters and the attempt record
            form.code.errors = [str(exc)]
            if user.locked_until is not None:
                session.pop(PENDING, None)
        else:
            db.session.commit()
            next_page = session[PENDING]["next"]
            start_session(user)
            if used == "recovery_code":
                flash(f"You signed in with a recovery code. You have {unused_recovery_codes(user)} left: "
                      "create new ones if you are running out.")
            return redirect(next_page, code=303)
    return render_template("auth/security_code.html", form=form), (422 if form.errors else 200)


@bp.post("/sign-out")
@public
def sign_out():
    """Sign out (a POST with a CSRF token, so a link elsewhere cannot sign anyone out)."""
    form = SignOutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        # The session cookie is signed, not stored: only a new token on the person makes a copy of it worthless.
        end_sessions(current_user, current_user, now_utc(), "Signed out")
        db.session.commit()
        end_session()
        flash("You have signed out")
    return redirect(url_for("auth.sign_in"), code=303)


def start_session(user: User) -> None:
    """Sign a person in on this browser, noting when, for the idle and absolute time limits."""
    session.clear()  # nothing from before sign-in (a fixed session) carries over
    login_user(user)
    now = now_utc().timestamp()
    session["signed_in_at"] = session["seen_at"] = now


def end_session() -> None:
    """Forget the person on this browser."""
    logout_user()
    session.clear()


def init_sessions(app: Flask) -> None:
    """End a page session after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after sign-in; until
    someone who must use two-factor sign-in has set it up, every page takes them to set it up."""

    @app.before_request
    def expire_sessions():
        if request.path.startswith(("/api/", "/assets/", "/static/")) or "_user_id" not in session:
            return None
        now = now_utc().timestamp()
        idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
        lifetime = current_app.config["SESSION_MAX_HOURS"] * 3600
        # A session from before these limits has no times: it ends too.
        if now - session.get("seen_at", 0) > idle or now - session.get("signed_in_at", 0) > lifetime:
            end_session()
            flash("You were signed out because you had not used Remedy for a while. Sign in again to continue.")
            if request.method == "GET":
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            return redirect(url_for("auth.sign_in"), code=303)
        # Written back at most once a minute: every request would otherwise send a new cookie.
        if now - session.get("seen_at", 0) > 60:
            session["seen_at"] = now
        if (request.endpoint not in ENROLMENT_ENDPOINTS and current_user.is_authenticated
                and must_enrol(current_user)):
            return redirect(url_for("account.two_factor"), code=303 if request.method != "GET" else 302)
        return None


# What a person who must set up two-factor sign-in can reach before they have.
ENROLMENT_ENDPOINTS = {"account.two_factor", "auth.sign_out", "auth.sign_in"}
