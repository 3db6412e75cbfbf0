"""Shared fixtures: a fresh app and empty database per test, on SQLite by default or DATABASE_URL (PostgreSQL)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent


def _database_url(tmp_path_factory) -> str:
    from app import database_url

    raw = os.environ.get("DATABASE_URL")
    if raw:
        return database_url(raw, ROOT / "instance")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'remedy-test.sqlite3'}"


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    """The test database, with the schema built once by the migrations (so they are exercised on every run)."""
    uri = _database_url(tmp_path_factory)
    engine = create_engine(uri)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "test"})
    from models import db

    with app.app_context():
        upgrade()
        db.engine.dispose()
    return uri


@pytest.fixture
def scratch_uri(request, tmp_path):
    """An empty database for one test alone (a migration's, which builds the schema as far as it needs): a SQLite
    file, or a schema of its own named after the test's module in the DATABASE_URL database (PostgreSQL), so the
    session's test schema is untouched."""
    raw = os.environ.get("DATABASE_URL")
    if not raw:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    from sqlalchemy.engine import make_url

    from app import database_url

    schema = request.module.__name__.rsplit(".", 1)[-1]
    url = make_url(database_url(raw, ROOT / "instance"))
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        # Every connection of the app under test creates and reads its tables in the scratch schema.
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@contextmanager
def statements(app):
    """The SQL statements the app's engine sends inside the block, in order (a list that fills as they run)."""
    from sqlalchemy import event

    from models import db

    seen: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def forget_pictures(app) -> None:
    """Forget what the app (a worker) keeps of its councils' lists, counts and case pages and its providers' pages,
    so that the next view draws them afresh, as the first view after a change does (models/picture_versions.py)."""
    from models.picture_versions import forget_pictures as forget

    forget(app)


@contextmanager
def statements_afresh(app):
    """statements(app) of views drawn afresh (forget_pictures first): what a first view after a change costs."""
    forget_pictures(app)
    with statements(app) as seen:
        yield seen


@contextmanager
def across_migration(uri: str, revision: str, seed: Callable):
    """A migration under test: an app on the scratch database `uri` brought to the revision before `revision`,
    `seed(connection)` run there (plain SQL: the schema as it was then), then upgraded to `revision`. Yields (the
    app's db, what seed returned, the revision before) inside the app's context; the connections are closed after."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from app import create_app
    from models import db

    previous = ScriptDirectory(str(ROOT / "migrations")).get_revision(revision).down_revision
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "test"})
    with app.app_context():
        try:
            upgrade(revision=previous)
            with db.engine.begin() as conn:
                seeded = seed(conn)
            upgrade(revision=revision)
            yield db, seeded, previous
        finally:
            db.session.remove()
            db.engine.dispose()


def _empty_all_tables(app) -> None:
    """Every table emptied and, on PostgreSQL, every id sequence started again. With DELETE, not TRUNCATE: a test
    fills a few small tables, and TRUNCATE costs PostgreSQL a new file for each table it names (120 ms a test for
    the 80 tables, where a DELETE of an empty table costs next to nothing)."""
    from models import db

    with app.app_context():
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                # Children before parents, in one round trip.
                conn.execute(text("; ".join(f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables))))
                # Every sequence used since it was made or last started again, whether its table holds rows or not.
                conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                                  "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())


@pytest.fixture
def app(database_uri, tmp_path):
    """A fresh Remedy app on an empty database."""
    from app import create_app

    app = create_app({
        "SCHEDULER_LOCK_DIR": str(tmp_path),
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SECRET_KEY": "test-secret-key",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MAIL_CAPTURE": True,  # the SMTP tests switch this off and point at a real local server
        "TWO_FACTOR_DEMO_EXEMPT": True,  # the demo accounts have no phones; tests/integration/test_two_factor.py
        # switches this off
        "SERVER_NAME": None,
    })
    _empty_all_tables(app)  # the next test's app empties them again: not after each test as well
    yield app
    from models import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # close pooled connections so none outlive the test


@pytest.fixture
def second_worker(app, tmp_path):
    """Another web worker on the same database: an app of its own, its own pool and whatever it keeps (what one worker
    keeps must not hide another's changes)."""
    from app import create_app
    from models import db

    other = create_app({**{key: app.config[key] for key in (
        "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "PASSWORD_HASH_METHOD", "MAIL_CAPTURE", "TWO_FACTOR_DEMO_EXEMPT",
        "TESTING", "EVIDENCE_DIR")}, "SCHEDULER_LOCK_DIR": str(tmp_path / "second"), "SERVER_NAME": None})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo(app):
    """The demo council, providers, contracts and users; returns {role value: email}."""
    from models import db
    from models.demo import load_demo

    with app.app_context():
        sign_ins = load_demo()
        db.session.commit()
    return {role.value: email for email, _password, role in sign_ins}


@pytest.fixture
def saved_meanwhile(app, demo):
    """`run(action, when)`: runs `action` while another connection saves a change to a person (a new name), begun
    as the action sends its first statement starting `when` and given half a second before the action goes on.
    Returns what the action returned, once the change is saved: it may wait for the action's transaction, but
    neither may fail."""
    import threading

    from sqlalchemy import event, text

    from models import db

    def run(action, when: str):
        saved, writers = [], []

        def save() -> None:
            with app.app_context(), db.engine.begin() as connection:
                connection.execute(text('UPDATE "user" SET name = :name WHERE email = :email'),
                                   {"name": "Renamed meanwhile", "email": demo["contract_manager"]})
            saved.append(True)

        def meanwhile(_conn, _cursor, statement, *_args) -> None:
            if statement.startswith(when) and not writers:
                writers.append(threading.Thread(target=save))
                writers[0].start()
                writers[0].join(0.5)  # saved by now, unless the action's transaction holds it back

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", meanwhile)
        try:
            result = action()
        finally:
            event.remove(engine, "before_cursor_execute", meanwhile)
        assert writers, f"the action sent no statement starting {when!r}"
        writers[0].join(10)
        assert saved == [True]
        with app.app_context():
            assert db.session.scalar(text('SELECT name FROM "user" WHERE email = :email'),
                                     {"email": demo["contract_manager"]}) == "Renamed meanwhile"
        return result

    return run


DEMO_PASSWORD = "remedy-demo-password"


def csrf_token(html: str) -> str:
    """The CSRF token in a page's form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that signs in and posts forms with their CSRF token, as a person's browser would."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post_form(self, url, data, page=None, **kwargs):
        page_html = self.client.get(page or url).get_data(as_text=True)
        return self.client.post(url, data={**data, "csrf_token": csrf_token(page_html)}, **kwargs)

    def sign_in(self, email, password=DEMO_PASSWORD):
        return self.post_form("/sign-in", {"email": email, "password": password})


@pytest.fixture
def visitor(app):
    """A signed-out client."""
    return Browser(app.test_client())


@pytest.fixture
def login_as(app, demo):
    """login_as(role value) -> a client signed in as the demo user with that role."""

    def sign_in(role: str) -> Browser:
        b = Browser(app.test_client())
        response = b.sign_in(demo[role])
        assert response.status_code == 303, response.get_data(as_text=True)
        return b

    return sign_in


@pytest.fixture
def api_token(app, demo):
    """api_token(role value) -> a bearer token for the demo user with that role."""
    from datetime import UTC, datetime

    from models import db
    from models.user_store import find_user_by_email, issue_token

    def make(role: str) -> str:
        with app.app_context():
            _row, plain = issue_token(find_user_by_email(demo[role]), "tests", datetime.now(UTC))
            db.session.commit()
            return plain

    return make


@pytest.fixture
def api(app, demo, api_token):
    """api(role or token, method, url, json=None, status=None, **kwargs) -> the JSON body, or the response when it is
    not JSON; with `status`, the response must have it. A demo role's token is made once per test."""
    client = app.test_client()
    tokens: dict[str, str] = {}

    def call(role, method, url, json=None, status=None, **kwargs):
        if role not in tokens:
            tokens[role] = api_token(role) if role in demo else role  # else: a token the test made itself
        response = client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {tokens[role]}"},
                               **kwargs)
        body = response.get_json(silent=True)
        if status is not None:
            assert response.status_code == status, body
        return body if body is not None else response

    def every(role, url):
        """Every item of an API list, walking its pages of 100 (each list answers a page at a time)."""
        items, page = [], 1
        while True:
            body = call(role, "GET", f"{url}{'&' if '?' in url else '?'}per_page=100&page={page}", status=200)
            items += body["items"]
            if len(body["items"]) < 100:
                return items
            page += 1

    call.every = every
    return call


def assert_page(response, title: str, status: int = 200) -> str:
    """Assert a full GOV.UK page: the status, its <title>, one <h1>, and no duplicate ids. Returns the HTML."""
    from html.parser import HTMLParser

    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:2000]
    assert f"<title>{title}" in html or f"<title>Error: {title}" in html, re.search(r"<title>.*?</title>", html)

    class Ids(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids: list[str] = []
            self.h1 = 0

        def handle_starttag(self, tag, attrs):
            self.h1 += tag == "h1"
            self.ids += [v for k, v in attrs if k == "id"]

    parser = Ids()
    parser.feed(html)
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert parser.h1 == 1, f"expected one <h1>, found {parser.h1}"
    return html
