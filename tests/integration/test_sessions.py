"""Sessions end for real: signing out, a new password or an administrator's "sign out everywhere" makes a copied
session cookie worthless, and a session ends after 30 minutes idle or 8 hours in all (review section 3c)."""

from datetime import UTC, datetime, timedelta

import time_machine

from tests.conftest import DEMO_PASSWORD, Browser, csrf_token


def copy_of(app, browser: Browser) -> Browser:
    """Another browser holding a copy of this one's session cookie, as a thief would."""
    thief = Browser(app.test_client())
    thief.client.set_cookie("remedy_session", browser.client.get_cookie("remedy_session").value)
    return thief


def signed_in(browser: Browser) -> bool:
    response = browser.get("/cases")
    return response.status_code == 200


def test_a_copied_cookie_stops_working_after_sign_out(app, login_as):
    manager = login_as("contract_manager")
    thief = copy_of(app, manager)
    assert signed_in(thief)
    page = manager.get("/cases").get_data(as_text=True)
    response = manager.client.post("/sign-out", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert not signed_in(manager)
    replay = thief.get("/cases")
    assert replay.status_code == 302 and "/sign-in" in replay.headers["Location"]


def test_a_new_password_ends_every_other_session_and_keeps_this_one(app, login_as, demo):
    manager = login_as("contract_manager")
    thief = copy_of(app, manager)
    bad = manager.post_form("/account/password", {"current_password": "wrong", "new_password": "x" * 12})
    assert bad.status_code == 422 and "Enter your current password correctly" in bad.get_data(as_text=True)
    short = manager.post_form("/account/password", {"current_password": DEMO_PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and "Password must be 12 characters or more" in short.get_data(as_text=True)
    assert signed_in(thief)
    changed = manager.post_form("/account/password", {"current_password": DEMO_PASSWORD,
                                                      "new_password": "a brand new passphrase"})
    assert changed.status_code == 303
    assert signed_in(manager)
    assert not signed_in(thief)
    fresh = Browser(app.test_client())
    assert fresh.sign_in(demo["contract_manager"], DEMO_PASSWORD).status_code == 422
    assert fresh.sign_in(demo["contract_manager"], "a brand new passphrase").status_code == 303


def test_an_administrator_signs_someone_out_everywhere(app, login_as, demo):
    from models.user_store import find_user_by_email

    viewer = login_as("council_viewer")
    admin = login_as("admin")
    with app.app_context():
        viewer_id = find_user_by_email(demo["council_viewer"]).id
    assert "Sign out everywhere" in admin.get("/admin/users").get_data(as_text=True)
    response = admin.post_form(f"/admin/users/{viewer_id}/sign-out", {}, page="/admin/users")
    assert response.status_code == 303
    assert not signed_in(viewer)
    assert signed_in(admin)
    # A provider manager has no such power.
    provider = login_as("provider_manager")
    assert provider.post_form(f"/admin/users/{viewer_id}/sign-out", {}, page="/cases").status_code == 403


def test_a_session_ends_after_30_minutes_idle(app, login_as):
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        manager = login_as("contract_manager")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert signed_in(manager)
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert signed_in(manager)  # 29 minutes since the last request
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        response = manager.get("/cases")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        page = manager.get(response.headers["Location"]).get_data(as_text=True)
        assert "You were signed out because you had not used Remedy for a while" in page


def test_a_session_ends_8_hours_after_sign_in_however_busy(app, login_as):
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        manager = login_as("contract_manager")
    for minutes in range(20, 8 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert signed_in(manager), minutes
    with time_machine.travel(start + timedelta(hours=8, minutes=5), tick=False):
        assert not signed_in(manager)
