"""Signing in: hashed passwords, lock-out after 5 failures, CSRF, cookie flags."""

from datetime import UTC, datetime, timedelta

import time_machine

from tests.conftest import DEMO_PASSWORD, assert_page


def test_sign_in_takes_a_contract_manager_to_the_dashboard(visitor, demo):
    response = visitor.sign_in(demo["contract_manager"])
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    html = assert_page(visitor.get("/"), "Dashboard")
    assert "Sam Contracts" in html and "Sign out" in html


def test_passwords_are_stored_hashed(app, demo):
    from models.user_store import find_user_by_email

    with app.app_context():
        user = find_user_by_email(demo["admin"])
        assert DEMO_PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))


def test_wrong_password_gets_a_generic_error(visitor, demo):
    response = visitor.post_form("/sign-in", {"email": demo["admin"], "password": "wrong password!"})
    html = assert_page(response, "Sign in to Remedy", status=422)
    assert "Enter a correct email address and password" in html
    assert "govuk-error-summary" in html


def test_unknown_email_gets_the_same_error(visitor, demo):
    response = visitor.post_form("/sign-in", {"email": "nobody@remedy.example", "password": "whatever-it-is"})
    assert "Enter a correct email address and password" in response.get_data(as_text=True)


def test_empty_form_says_what_to_enter(visitor, demo):
    html = visitor.post_form("/sign-in", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter your email address" in html and "Enter your password" in html


def test_five_failures_lock_the_account_for_15_minutes_and_say_so(app, visitor, demo):
    email = demo["contract_manager"]
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            html = visitor.post_form("/sign-in", {"email": email, "password": "not-the-password"}).get_data(
                as_text=True)
            assert "locked" not in html
        html = visitor.post_form("/sign-in", {"email": email, "password": "not-the-password"}).get_data(
            as_text=True)
        assert "Your account is locked because of 5 failed sign-in attempts" in html
        assert "Try again after 10:15" in html
        # The right password does not help while locked.
        response = visitor.post_form("/sign-in", {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 422
        assert "locked" in response.get_data(as_text=True)
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert visitor.post_form("/sign-in", {"email": email, "password": DEMO_PASSWORD}).status_code == 422
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert visitor.post_form("/sign-in", {"email": email, "password": DEMO_PASSWORD}).status_code == 303

    from models.audit_store import events_for
    from models.user_store import count_sign_in_attempts, find_user_by_email

    with app.app_context():
        assert count_sign_in_attempts(email, "wrong_password") == 4
        assert count_sign_in_attempts(email, "locked_out") == 1
        assert count_sign_in_attempts(email, "locked") == 2
        assert count_sign_in_attempts(email, "succeeded") == 1
        user = find_user_by_email(email)
        assert [e.event for e in events_for(user.council_id, "user", user.id)].count("ACCOUNT_LOCKED") == 1
        assert user.failed_sign_ins == 0 and user.locked_until is None


def test_a_success_resets_the_failure_count(visitor, demo):
    email = demo["admin"]
    for _ in range(4):
        visitor.post_form("/sign-in", {"email": email, "password": "not-the-password"})
    assert visitor.sign_in(email).status_code == 303
    visitor.post_form("/sign-out", {}, page="/")
    for _ in range(4):
        html = visitor.post_form("/sign-in", {"email": email, "password": "not-the-password"}).get_data(
            as_text=True)
        assert "locked" not in html


def test_a_form_without_its_csrf_token_is_refused(visitor, demo):
    response = visitor.client.post("/sign-in", data={"email": demo["admin"], "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_a_signed_in_form_without_csrf_token_is_refused(login_as, app):
    client = login_as("admin")
    response = client.client.post("/admin/non-working-days",
                                  data={"on": ["24", "12", "2027"],
                                        "region": "england-and-wales", "kind": "council_closure",
                                        "reason": "Christmas Eve closure"})
    assert response.status_code == 400
    listing = client.get("/admin/non-working-days").get_data(as_text=True)
    assert "Christmas Eve closure" not in listing


def test_session_cookie_is_httponly_and_lax(visitor, demo):
    response = visitor.sign_in(demo["admin"])
    cookie = "; ".join(response.headers.getlist("Set-Cookie"))
    assert "remedy_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only in production, over HTTPS


def test_production_requires_a_secret_key_and_secure_cookies(monkeypatch, database_uri):
    import pytest

    from app import create_app

    monkeypatch.setenv("REMEDY_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_uri})
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_sign_out_ends_the_session(login_as):
    client = login_as("council_viewer")
    response = client.post_form("/sign-out", {}, page="/")
    assert response.status_code == 303
    assert client.get("/").status_code == 302


def test_sign_in_does_not_redirect_off_site(visitor, demo):
    page = visitor.get("/sign-in?next=//evil.example/").get_data(as_text=True)
    from tests.conftest import csrf_token

    response = visitor.client.post("/sign-in?next=//evil.example/",
                                   data={"email": demo["admin"], "password": DEMO_PASSWORD,
                                         "csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/"
