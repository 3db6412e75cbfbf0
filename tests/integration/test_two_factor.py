"""Two-factor sign-in: enrolment with a QR code, sign-in with a code from the app, a wrong code, lock-out after five
wrong codes, recovery codes, who must use it, and the demo-only way round it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine

from tests.conftest import DEMO_PASSWORD, Browser, assert_page

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def two_factor_on(app):
    app.config["TWO_FACTOR_DEMO_EXEMPT"] = False


def at(seconds: int):
    return time_machine.travel(T0 + timedelta(seconds=seconds), tick=False)


def password_step(app, email: str) -> Browser:
    browser = Browser(app.test_client())
    response = browser.sign_in(email)
    assert response.status_code == 303, response.get_data(as_text=True)
    return browser


def enrol(app, email: str) -> tuple[Browser, str, list[str]]:
    """Sign in with a password and set up the app; returns the browser, the secret and the recovery codes."""
    browser = password_step(app, email)
    html = assert_page(browser.get("/account/two-factor"), "Two-factor sign-in")
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', html)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    wrong = browser.post_form("/account/two-factor", {"code": "000000"})
    assert "Enter the 6-digit code your authenticator app shows now" in assert_page(wrong, "Two-factor sign-in", 422)
    done = browser.post_form("/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    html = assert_page(done, "Two-factor sign-in")
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", html)
    assert len(codes) == 10 and "They will not be shown again" in html
    return browser, secret, codes


def code_step(browser: Browser, code: str):
    return browser.post_form("/sign-in/security-code", {"code": code})


def test_an_administrator_must_set_it_up_before_anything_else(app, demo):
    with at(0):
        admin = password_step(app, demo["admin"])
        blocked = admin.get("/cases")
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/two-factor")
        html = assert_page(admin.get("/account/two-factor"), "Two-factor sign-in")
        assert "Your role must sign in with a security code" in html
    with at(30):
        enrol(app, demo["admin"])
    with at(60):
        assert admin.get("/cases").status_code == 200


def test_signing_in_asks_for_a_code_and_a_code_works_once(app, demo):
    with at(0):
        _browser, secret, _codes = enrol(app, demo["safeguarding_officer"])
    totp = pyotp.TOTP(secret)
    with at(60):
        officer = password_step(app, demo["safeguarding_officer"])
        half_way = officer.get("/cases")
        assert half_way.status_code == 302 and "/sign-in" in half_way.headers["Location"]  # not signed in yet
        html = assert_page(officer.get("/sign-in/security-code"), "Enter your security code")
        assert 'autocomplete="one-time-code"' in html
        wrong = code_step(officer, "123456" if totp.now() != "123456" else "654321")
        assert "Enter the 6-digit code your authenticator app shows now" in assert_page(
            wrong, "Enter your security code", 422)
        code = totp.now()
        assert code_step(officer, code).status_code == 303
        assert officer.get("/safeguarding").status_code == 200
        # The same code, seen over a shoulder, does not work again.
        thief = password_step(app, demo["safeguarding_officer"])
        assert code_step(thief, code).status_code == 422


def test_five_wrong_codes_lock_the_account_and_the_password_does_not_reset_the_count(app, demo):
    with at(0):
        _browser, secret, _codes = enrol(app, demo["commissioning_manager"])
    with at(60):
        browser = password_step(app, demo["commissioning_manager"])
        for _ in range(4):
            assert code_step(browser, "000001").status_code == 422
        # Signing in with the password again must not buy four more guesses.
        browser = password_step(app, demo["commissioning_manager"])
        locked = code_step(browser, "000001")
        assert "Your account is locked because of 5 failed sign-in attempts" in locked.get_data(as_text=True)
        # The code page is gone for this attempt, and the password is refused while locked.
        after = browser.get("/sign-in/security-code")
        assert after.status_code == 303 and after.headers["Location"].endswith("/sign-in")
        again = Browser(app.test_client()).sign_in(demo["commissioning_manager"])
        assert again.status_code == 422 and "locked" in again.get_data(as_text=True)
    with at(60 + 16 * 60):
        browser = password_step(app, demo["commissioning_manager"])
        assert code_step(browser, pyotp.TOTP(secret).now()).status_code == 303


def test_a_recovery_code_signs_in_once(app, demo):
    with at(0):
        _browser, _secret, codes = enrol(app, demo["admin"])
    with at(60):
        browser = password_step(app, demo["admin"])
        used = code_step(browser, codes[0].upper().replace("-", " "))
        assert used.status_code == 303
        assert "You have 9 left" in browser.get("/").get_data(as_text=True)
        again = password_step(app, demo["admin"])
        assert code_step(again, codes[0]).status_code == 422


def test_new_recovery_codes_replace_the_old_ones(app, demo):
    with at(0):
        browser, secret, codes = enrol(app, demo["admin"])
    with at(60):
        html = assert_page(browser.post_form("/account/two-factor", {"code": pyotp.TOTP(secret).now(),
                                                                     "action": "regenerate"}), "Two-factor sign-in")
        new_codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", html)
        assert len(new_codes) == 10 and not set(new_codes) & set(codes)
        assert "Turn off two-factor sign-in" not in browser.get("/account/two-factor").get_data(as_text=True)
    with at(90):
        old = password_step(app, demo["admin"])
        assert code_step(old, codes[1]).status_code == 422


def test_other_roles_may_choose_it_and_turn_it_off(app, demo):
    with at(0):
        manager = password_step(app, demo["contract_manager"])
        assert manager.get("/cases").status_code == 200  # not required
    with at(30):
        manager, secret, _codes = enrol(app, demo["contract_manager"])
    with at(60):
        response = manager.post_form("/account/two-factor", {"code": pyotp.TOTP(secret).now(), "action": "turn_off"})
        assert response.status_code == 303
    with at(90):
        browser = Browser(app.test_client())
        assert browser.sign_in(demo["contract_manager"]).headers["Location"] == "/"


def test_a_council_can_require_it_of_every_role(app, demo):
    app.config["TWO_FACTOR_FOR_EVERYONE"] = True
    with at(0):
        provider = password_step(app, demo["provider_user"])
        blocked = provider.get("/cases")
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/two-factor")


def test_the_demo_setting_lets_demo_accounts_in_without_a_phone_but_never_in_production(app, demo, monkeypatch):
    app.config["TWO_FACTOR_DEMO_EXEMPT"] = True
    admin = password_step(app, demo["admin"])
    assert admin.get("/admin/users").status_code == 200
    from app import create_app

    monkeypatch.setenv("REMEDY_ENV", "production")
    monkeypatch.setenv("REMEDY_DEMO_WITHOUT_TWO_FACTOR", "1")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    with pytest.raises(RuntimeError, match="REMEDY_DEMO_WITHOUT_TWO_FACTOR is for the demo only"):
        create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})


def test_the_demo_password_is_still_the_first_step(app, demo):
    response = Browser(app.test_client()).sign_in(demo["admin"], DEMO_PASSWORD + "x")
    assert response.status_code == 422
