"""GET requests read without a transaction on PostgreSQL (no BEGIN, no ROLLBACK, no ping: models/connections.py,
issue 17), yet a GET that writes still writes as one unit: kept only if it commits. The same behaviour on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from models import db
from models.entities import Council


def _status(app):
    """The PostgreSQL connection's transaction status as the view saw it ("IDLE" outside a transaction)."""
    if db.engine.dialect.name != "postgresql":
        return None
    return db.session.connection().connection.dbapi_connection.info.transaction_status.name


def _probe(app):
    seen: dict = {}

    def read():
        seen["count"] = db.session.scalar(select(func.count(Council.id)))
        seen["after_read"] = _status(app)
        return "read"

    def write(commit: str):
        db.session.add(Council(name=f"Probe {commit}", region="england-and-wales"))
        db.session.flush()
        seen["after_write"] = _status(app)
        if commit == "yes":
            db.session.commit()
        return "written"

    from web.permissions import public

    app.add_url_rule("/probe/read", "probe_read", public(read))
    app.add_url_rule("/probe/write/<commit>", "probe_write", public(write))
    return seen


def _councils(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Council.name).where(Council.name.like("Probe %"))))


def test_a_get_reads_outside_a_transaction_and_a_write_inside_one_is_kept_only_if_committed(app):
    seen = _probe(app)
    client = app.test_client()
    assert client.get("/probe/read").status_code == 200
    assert seen["count"] == 0
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    # On PostgreSQL nothing was begun for the read: no BEGIN before it and nothing to roll back after it.
    assert seen["after_read"] == ("IDLE" if postgresql else None)

    assert client.get("/probe/write/no").status_code == 200
    # The write opened a real transaction, which the end of the request rolled back: nothing half-kept.
    assert seen["after_write"] == ("INTRANS" if postgresql else None)
    assert _councils(app) == []

    assert client.get("/probe/write/yes").status_code == 200
    assert _councils(app) == ["Probe yes"]

    # The connection goes back to the pool as it came: the next request that writes is transactional as ever.
    with app.app_context():
        db.session.add(Council(name="Probe rolled back", region="england-and-wales"))
        db.session.flush()
        db.session.rollback()
    assert _councils(app) == ["Probe yes"]


def test_a_connection_idle_in_the_pool_is_pinged_and_replaced_when_the_server_dropped_it(app, monkeypatch):
    """The ping that pool_pre_ping made on every checkout now runs only for a connection idle a while."""
    from models import connections

    seen = _probe(app)
    client = app.test_client()
    assert client.get("/probe/read").status_code == 200
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            assert not connections.event.contains(db.engine, "before_cursor_execute", connections._open_for_write)
            return
        # Kill the pooled connection from the server side, as a restart or an idle timeout would.
        killer = create_engine(db.engine.url, poolclass=NullPool)
        with killer.connect() as other:
            other.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        killer.dispose()
    monkeypatch.setattr(connections, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert client.get("/probe/read").status_code == 200
    assert seen["count"] == 0


def test_an_integer_parameter_is_sent_as_integer_so_a_generic_plan_has_no_cast_to_make(app):
    """psycopg would send 5 as smallint, and SQLAlchemy's `$1::INTEGER` would then be a cast for every row a generic
    plan tests: priced above the plans made for each run, the safeguarding list's count was planned afresh at every
    view. Small and large integers alike arrive as integer; one too wide for it as bigint."""
    from sqlalchemy import bindparam, text

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        typed = text("SELECT pg_typeof(:small)::text, pg_typeof(:large)::text, pg_typeof(:wide)::text, :wide + 0")
        typed = typed.bindparams(bindparam("small"), bindparam("large"), bindparam("wide"))
        row = db.session.execute(typed, {"small": 5, "large": 65_130, "wide": 2**40}).one()
        assert row == ("integer", "integer", "bigint", 2**40)
        # A bulk COPY (models/bulk_store.insert_many) writes its integers with psycopg's own dumper, on its own
        # cursor: the connection's statements still send them as integer afterwards.
        from models.bulk_store import insert_many
        from models.entities import AuditEvent

        council = Council(name="Bulk copy")
        db.session.add(council)
        db.session.flush()
        insert_many(AuditEvent.__table__, [{"council_id": council.id, "at": datetime(2026, 12, 1, tzinfo=UTC),
                                           "actor_label": "Test", "entity_type": "case", "entity_id": 7,
                                           "event": "COPIED", "data": {}}])
        assert db.session.execute(typed, {"small": 5, "large": 65_130, "wide": 2**40}).one() == row
        assert db.session.scalar(select(AuditEvent.entity_id).where(AuditEvent.event == "COPIED")) == 7
        db.session.rollback()


def test_psycopg_keeps_the_conversion_of_a_long_statement_with_many_parameters(app):
    """psycopg converts `%(name)s` placeholders with a regular expression, and by default keeps the result only for
    128 statements of at most 4,096 bytes and 50 parameters: the provider page's counts by quarter (13 KB, 136
    parameters) were converted again at every view, a tenth of the page's CPU. The app raises both limits; if a new
    psycopg moves them, this fails rather than the page quietly slowing down."""
    import psycopg._queries as queries
    from sqlalchemy import bindparam, text

    from models import connections

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        assert queries._query2pg.cache_parameters()["maxsize"] == connections.QUERY_FORMS
        assert queries.MAX_CACHED_STATEMENT_LENGTH >= connections.LONGEST_KEPT_BYTES
        assert queries.MAX_CACHED_STATEMENT_PARAMS >= connections.MOST_KEPT_PARAMETERS
        names = [f"p{n}" for n in range(120)]  # 120 parameters, over 5 KB of text
        long = text("SELECT " + " + ".join(f"CAST(:{name} AS integer) /* {'x' * 30} */" for name in names))
        long = long.bindparams(*(bindparam(name) for name in names))
        assert len(str(long)) > 4096
        values = {name: 1 for name in names}
        assert db.session.execute(long, values).scalar_one() == 120
        before = queries._query2pg.cache_info()
        assert db.session.execute(long, values).scalar_one() == 120
        after = queries._query2pg.cache_info()
        assert (after.hits, after.misses) == (before.hits + 1, before.misses)
