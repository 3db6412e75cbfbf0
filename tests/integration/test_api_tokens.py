"""An API token's "last used" is right and costs no lock: it is written at most once a minute, in its own short
transaction, so a GET keeps it and requests sharing a token never wait on each other (review section 7)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from tests.conftest import statements

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def token(app, api_token):
    return api_token("contract_manager")


def last_used(app):
    from models import db
    from models.entities import ApiToken

    with app.app_context():
        value = db.session.scalar(select(ApiToken.last_used_at).order_by(ApiToken.id.desc()).limit(1))
        db.session.remove()
    return value


def get_cases(app, token):
    response = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response


def token_updates(app, action) -> int:
    """How many UPDATE api_token statements run while doing something."""
    with statements(app) as seen:
        action()
    return sum(statement.lstrip().upper().startswith("UPDATE API_TOKEN") for statement in seen)


def test_a_get_keeps_last_used_and_it_is_written_at_most_once_a_minute(app, token):
    assert last_used(app) is None
    with time_machine.travel(T0, tick=False):
        assert token_updates(app, lambda: get_cases(app, token)) == 1
    assert last_used(app) == T0
    with time_machine.travel(T0 + timedelta(seconds=40), tick=False):
        assert token_updates(app, lambda: [get_cases(app, token) for _ in range(5)]) == 0
    assert last_used(app) == T0
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        get_cases(app, token)
    assert last_used(app) == T0 + timedelta(seconds=61)


def test_a_request_does_not_wait_on_a_lock_held_on_its_token(app, token):
    """Another transaction holds the token row (PostgreSQL) or the database's write lock (SQLite): a GET within the
    minute still answers at once, because it writes nothing."""
    from models import db

    with time_machine.travel(T0, tick=False):
        get_cases(app, token)
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    try:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT id FROM api_token FOR UPDATE"))
        else:
            connection.execute(text("UPDATE council SET name = name"))  # takes SQLite's write lock
        results = []

        def request():
            with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
                results.append(get_cases(app, token).status_code)

        worker = threading.Thread(target=request)
        worker.start()
        worker.join(timeout=10)
        assert results == [200], "the request waited on the lock held on its token"
    finally:
        transaction.rollback()
        connection.close()
        worker.join()
