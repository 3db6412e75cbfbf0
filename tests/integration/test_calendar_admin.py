"""Extra non-working days kept in the database change the count, with their reason, and are audited."""

from tests.conftest import assert_page


def add(client, day, month, year, reason="Council closure for office move", kind="council_closure",
        region="england-and-wales", confirm="yes"):
    return client.post_form("/admin/non-working-days", {"on": [day, month, year], "region": region, "kind": kind,
                                                        "reason": reason, "confirm": confirm})


def test_a_closure_day_moves_the_count_and_explains_itself(login_as, app, api_token):
    admin = login_as("admin")
    assert add(admin, "4", "1", "2027").status_code == 303
    html = assert_page(admin.get("/admin/non-working-days"), "Non-working days")
    assert "Monday 4 January 2027" in html and "Council closure for office move" in html

    headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}
    body = app.test_client().get("/api/v1/workdays/add?start=2026-12-18&days=10", headers=headers).get_json()
    assert body["due_on"] == "2027-01-07"
    assert any(s["date"] == "2027-01-04" and "Council closure for office move" in s["reason"]
               for s in body["skipped"])

    from models.audit_store import events_for
    from models.calendar_store import list_closures
    from models.user_store import find_user_by_email

    with app.app_context():
        council_id = find_user_by_email("admin@remedy.example").council_id
        closure = list_closures(council_id)[0]
        assert [e.event for e in events_for(council_id, "calendar", closure.id)] == ["CLOSURE_ADDED"]


def test_a_one_off_bank_holiday_counts_in_its_region_only(login_as, app, api_token):
    admin = login_as("admin")
    assert add(admin, "5", "1", "2027", reason="Announced national day of celebration", kind="bank_holiday",
               region="scotland").status_code == 303
    headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}
    client = app.test_client()
    ew = client.get("/api/v1/workdays/add?start=2026-12-31&days=1", headers=headers).get_json()
    scot = client.get("/api/v1/workdays/add?start=2027-01-04&days=1&region=scotland", headers=headers).get_json()
    assert ew["due_on"] == "2027-01-04"
    assert scot["due_on"] == "2027-01-06"


def test_bad_closures_are_refused_with_reasons(login_as):
    admin = login_as("admin")
    html = assert_page(add(admin, "27", "12", "2027"), "Non-working days", status=422)
    assert "already a non-working day (Christmas Day (substitute day))" in html
    assert "weekend" in add(admin, "2", "1", "2027").get_data(as_text=True)
    assert "Enter the reason" in add(admin, "6", "1", "2027", reason="").get_data(as_text=True)
    assert add(admin, "6", "1", "2027").status_code == 303
    assert "already recorded" in add(admin, "6", "1", "2027").get_data(as_text=True)


def test_removing_a_closure_is_audited(login_as, app):
    admin = login_as("admin")
    add(admin, "6", "1", "2027")
    import re

    html = admin.get("/admin/non-working-days").get_data(as_text=True)
    closure_id = re.search(r"/admin/non-working-days/(\d+)/remove", html).group(1)
    response = admin.post_form(f"/admin/non-working-days/{closure_id}/remove", {}, page="/admin/non-working-days")
    assert response.status_code == 303
    assert "No extra non-working days" in admin.get("/admin/non-working-days").get_data(as_text=True)

    from models.audit_store import events_for

    with app.app_context():
        from models.user_store import find_user_by_email

        council_id = find_user_by_email("admin@remedy.example").council_id
        assert [e.event for e in events_for(council_id, "calendar", int(closure_id))] == [
            "CLOSURE_ADDED", "CLOSURE_REMOVED"]


def test_admin_adds_a_provider_user(login_as, app):
    admin = login_as("admin")
    response = admin.post_form("/admin/users", {"name": "Nina New", "email": "nina@brightwater.example",
                                                "role": "provider_user", "provider": "PRV-002",
                                                "password": "a long enough password"})
    assert response.status_code == 303
    assert "nina@brightwater.example" in admin.get("/admin/users").get_data(as_text=True)
    bad = admin.post_form("/admin/users", {"name": "No Provider", "email": "np@example.org",
                                           "role": "provider_user", "provider": "",
                                           "password": "a long enough password"})
    assert "A provider user must belong to a provider" in bad.get_data(as_text=True)


def test_audit_events_cannot_be_changed(app, demo):
    import pytest
    from sqlalchemy import select

    from models import db
    from models.entities import AuditEvent

    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).first()
        event.reason = "rewritten history"
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(AuditEvent)).first())
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()


def test_adding_a_day_is_previewed_first_and_never_moves_served_deadlines(login_as, app, api_token):
    import time_machine

    headers = {"Authorization": f"Bearer {api_token('contract_manager')}"}
    client = app.test_client()
    with time_machine.travel("2026-12-18T14:00:00+00:00", tick=False):
        case = client.post("/api/v1/cases", json={"contract": "LDDS-2023-07", "summary": "s"},
                           headers=headers).get_json()
        notice = client.post(f"/api/v1/cases/{case['id']}/notices", json={"findings": "f", "required_action": "a"},
                             headers=headers).get_json()
        client.post(f"/api/v1/notices/{notice['id']}/transitions",
                    json={"trigger": "issue", "served_on": "2026-12-18", "method": "hand"}, headers=headers)
        admin = login_as("admin")
        preview = add(admin, "4", "1", "2027", confirm="")
        html = assert_page(preview, "Check the effect of the new non-working day")
        assert "moves 1 reminder and 0 internal targets" in html  # the 5-day one: 29 to 24 December
        assert "1 served deadline falls across this day and will not move" in html
        assert "No extra non-working days" in admin.get("/admin/non-working-days").get_data(as_text=True)
        assert add(admin, "4", "1", "2027").status_code == 303
    record = client.get(f"/api/v1/notices/{notice['id']}", headers=headers).get_json()
    assert record["deadlines"][0]["due_on"] == "2027-01-06"  # served: frozen

    from sqlalchemy import select

    from models.scheduling import Timer

    with app.app_context():
        from models import db

        pending = {(t.kind, t.threshold): t.due_on.isoformat() for t in db.session.scalars(
            select(Timer).where(Timer.status == "pending"))}
    assert pending[("reminder", 1)] == "2027-01-05" and pending[("reminder", 5)] == "2026-12-24"


def test_every_worker_counts_on_a_new_closure_day_at_once(login_as, demo, second_worker):
    """A worker keeps its council's working calendars from one request to the next (models/council_store.py) until
    the council's settings version moves: a closure day added or removed through one worker is counted by another
    worker's very next page, with no wait."""
    import re

    from tests.conftest import Browser, statements

    manager = Browser(second_worker.test_client())
    assert manager.sign_in(demo["contract_manager"]).status_code in (302, 303)
    count = "/working-days?start=18&start=12&start=2026&days=10&region=england-and-wales"

    def due() -> str:
        return re.search(r"Due on (\w+ \d+ \w+ \d{4})", manager.get(count).get_data(as_text=True)).group(1)

    assert due() == "Wednesday 6 January 2027"
    with statements(second_worker) as read:
        assert due() == "Wednesday 6 January 2027"
    assert not any("FROM calendar_closure" in statement for statement in read)  # kept, not read again
    admin = login_as("admin")  # the first worker
    assert add(admin, "4", "1", "2027").status_code == 303
    assert due() == "Thursday 7 January 2027"
    html = admin.get("/admin/non-working-days").get_data(as_text=True)
    closure_id = re.search(r"/admin/non-working-days/(\d+)/remove", html).group(1)
    assert admin.post_form(f"/admin/non-working-days/{closure_id}/remove", {},
                           page="/admin/non-working-days").status_code == 303
    assert due() == "Wednesday 6 January 2027"


def test_two_admins_adding_the_same_day_at_once_get_one_row_and_a_clear_409(login_as, app):
    """The second admin's check found no such day, but the first committed it before the second's insert: the
    unique key refuses the second, who is told someone else made the change at that moment (409), not a server
    error, and nothing of theirs is kept (no second audit event)."""
    from sqlalchemy import event, text

    from models import db
    from models.audit_store import events_for
    from models.calendar_store import list_closures
    from models.user_store import find_user_by_email

    with app.app_context():
        engine = db.engine
        council_id = find_user_by_email("admin@remedy.example").council_id
        admin_id = find_user_by_email("admin@remedy.example").id
    first = []

    def the_other_admin_first(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO calendar_closure") and not first:
            first.append("saving")  # the other admin's own INSERT passes this hook too
            with engine.begin() as other:
                first[0] = (other.execute(text(
                    'INSERT INTO calendar_closure (council_id, region, "on", kind, reason, created_by_id, created_at) '
                    "VALUES (:council, 'england-and-wales', '2027-01-06', 'council_closure', 'Office move', :admin, "
                    "CURRENT_TIMESTAMP)"), {"council": council_id, "admin": admin_id}).rowcount)

    admin = login_as("admin")
    event.listen(engine, "before_cursor_execute", the_other_admin_first)
    try:
        refused = add(admin, "6", "1", "2027", reason="Staff training day")
    finally:
        event.remove(engine, "before_cursor_execute", the_other_admin_first)
    assert first == [1]
    html = assert_page(refused, "Someone else made a change at the same moment", status=409)
    assert "Your change was not saved" in html
    with app.app_context():
        [closure] = list_closures(council_id)
        assert closure.reason == "Office move"
        assert events_for(council_id, "calendar", closure.id) == []
