"""How the app holds its PostgreSQL connections: what each request costs before its own statements run.

Profiled under load (py-spy on a gunicorn worker, issue 17), a PostgreSQL page spent about a third of its time on
round trips that do no work: a `pool_pre_ping` on every checkout, the `BEGIN` psycopg sends before the first
statement and the `ROLLBACK` that ends every GET (which also drops psycopg's prepared statements, so the server
parsed and planned every statement afresh). On a busy machine each round trip waits for the server process to be
scheduled, so it costs far more than the work itself. Two changes remove them, with no change in what a page sees:

- a connection is pinged only when it has sat idle in the pool for a while (a server restart or an idle timeout
  can only have dropped it then); a connection in steady use is trusted, as it just worked;
- a GET or HEAD request reads in autocommit mode. Under PostgreSQL's default READ COMMITTED each statement sees its
  own snapshot anyway, so a page reads exactly what it read inside a transaction; but there is no BEGIN and no
  ROLLBACK. The first statement that is not a plain SELECT (a flush, a Core write, a SELECT ... FOR UPDATE) opens a
  real transaction first, so a GET that writes still commits or rolls back as one unit, as before.

SQLite is left as it was: it has no round trips to save.

psycopg prepares a statement the sixth time a connection runs it, so the server parses it once. PostgreSQL then
plans it afresh for five more runs, and keeps one generic plan from then on if that plan looks no dearer than the
fresh ones did. A generic plan knows only the values written in the statement's text, so the values the code fixes
(a page's size and offset, a kind's closed states) are written there (models.fixed): with the LIMIT a parameter, the
case list's generic plan guessed 7,000 rows, so the list was planned afresh on every view (0.47 ms of 0.9 ms).
`planned_afresh` names any statement still planned at every run; the benchmark prints them.

psycopg sends a Python int as the smallest type that holds it (smallint below 32,768), and SQLAlchemy writes a cast
to the column's type beside each parameter (`$2::INTEGER`). A generic plan keeps that cast as work for every row
it tests, so PostgreSQL priced the generic plan of the safeguarding list's count a tenth above the plans made for
each run, and planned it afresh on every view (1.7 ms to plan, 0.7 ms to run). Integers are sent as integer or
wider (`_IntAtLeastInt4`), so the cast to INTEGER is no cast at all.

psycopg turns each statement's `%(name)s` placeholders into `$1`, `$2` with a regular expression, and keeps the
result for the 128 statements it saw last, but only for a statement of at most 4,096 bytes and 50 parameters. The
provider page's counts by quarter (13 KB, 136 parameters) were converted again at every view: 1.9 ms of a worker's
CPU, a tenth of the page; `/deadlines`' list (6.6 KB) 0.3 ms. And 24 of the app's pages run 74 different statements
between them, so a worker serving all of them would push some out of 128. `_remember_statements` lets psycopg keep
any statement the app runs (they are built once each: models/statement_cache.py, so there are a few hundred) and up
to QUERY_FORMS of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

from psycopg.types.numeric import IntBinaryDumper, IntDumper
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# A pooled connection idle longer than this is pinged before use; one used more recently is trusted.
PING_AFTER_IDLE_SECONDS = 10.0
# Marks (in the pool's record of a connection) one lent to a reading request, in autocommit mode.
READING = "remedy_reading"
# How many statements psycopg keeps converted (its own default: 128), and the longest it keeps (4,096 bytes and 50
# parameters by default): the provider page's counts are 13 KB with 136 parameters.
QUERY_FORMS = 1024
LONGEST_KEPT_BYTES = 65536
MOST_KEPT_PARAMETERS = 1000


def install(engine: Engine, reading: Callable[[], bool]) -> None:
    """Attach the idle-only ping and, for connections taken while `reading()` is true (a GET request), autocommit
    with a transaction opened by the first write, to a PostgreSQL engine. SQLite is left alone."""
    if engine.dialect.name != "postgresql" or event.contains(engine, "before_cursor_execute", _open_for_write):
        return
    _remember_statements()

    def checkout(dbapi_connection, record, _proxy) -> None:
        _ping_if_idle(dbapi_connection, record)
        if reading():
            dbapi_connection.autocommit = True  # the pool hands connections back idle (reset), so this is allowed
            record.info[READING] = True

    event.listen(engine, "connect", _integers_as_int4)
    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine.pool, "checkin", _checkin)
    event.listen(engine, "before_cursor_execute", _open_for_write)


def _remember_statements() -> None:
    """Let psycopg keep up to QUERY_FORMS converted statements, however long (see the module's docstring). Its
    limits are module attributes read at each call (psycopg 3.3: `psycopg._queries`); tests/integration/
    test_connections.py fails if a new psycopg moves them, and until then this leaves psycopg as it was."""
    import psycopg._queries as queries

    if not all(hasattr(queries, name) for name in ("_query2pg", "_query2pg_nocache", "MAX_CACHED_STATEMENT_LENGTH",
                                                    "MAX_CACHED_STATEMENT_PARAMS")):
        return
    if getattr(queries._query2pg, "cache_parameters", dict)().get("maxsize") != QUERY_FORMS:
        queries._query2pg = lru_cache(maxsize=QUERY_FORMS)(queries._query2pg_nocache)
    queries.MAX_CACHED_STATEMENT_LENGTH = max(queries.MAX_CACHED_STATEMENT_LENGTH, LONGEST_KEPT_BYTES)
    queries.MAX_CACHED_STATEMENT_PARAMS = max(queries.MAX_CACHED_STATEMENT_PARAMS, MOST_KEPT_PARAMETERS)


class _IntAtLeastInt4(IntDumper):
    """An int parameter as integer (int4) when it fits, never smallint; wider ones as psycopg chooses."""

    def upgrade(self, obj: int, format):
        return self._int4_dumper if -(2**31) <= obj < 2**31 else super().upgrade(obj, format)


class _IntAtLeastInt4Binary(IntBinaryDumper):
    """The same, in binary (what psycopg sends when the statement lets it choose)."""

    def upgrade(self, obj: int, format):
        return self._int4_dumper if -(2**31) <= obj < 2**31 else super().upgrade(obj, format)


def _integers_as_int4(dbapi_connection, _record) -> None:
    dbapi_connection.adapters.register_dumper(int, _IntAtLeastInt4)
    dbapi_connection.adapters.register_dumper(int, _IntAtLeastInt4Binary)


def _checkin(dbapi_connection, record) -> None:
    # The pool's reset has already ended any transaction (ROLLBACK), so autocommit may be switched back.
    if record.info.pop(READING, False) and dbapi_connection is not None and not dbapi_connection.closed:
        dbapi_connection.autocommit = False
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record) -> None:
    idle_since = record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return  # new, or back from a request a moment ago
    try:
        before = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # the ping must not leave a transaction open
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
            dbapi_connection.autocommit = before
    except Exception as error:  # noqa: BLE001 - any failure means the connection is gone: the pool replaces it
        raise exc.DisconnectionError(f"a pooled connection was dropped while idle: {error}") from error


def _open_for_write(conn, cursor, statement, _parameters, _context, _executemany) -> None:
    if not conn.info.get(READING):
        return
    head = statement.lstrip()[:6].upper()
    if head == "SELECT" and " FOR UPDATE" not in statement and " FOR SHARE" not in statement:
        return
    from psycopg.pq import TransactionStatus

    if conn.connection.dbapi_connection.info.transaction_status == TransactionStatus.IDLE:
        cursor.execute("BEGIN")  # commit() and the pool's reset end it: psycopg commits/rolls back when in one


def planned_afresh(session: Session) -> list[str]:
    """On PostgreSQL, the statements prepared on the session's connection that the server has planned afresh at
    every run since its first five (no generic plan): each is planned again on every request. None on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    found = session.execute(text("SELECT statement FROM pg_prepared_statements "
                                 "WHERE generic_plans = 0 AND custom_plans > 5")).scalars()
    return [" ".join(statement.split()) for statement in found]
