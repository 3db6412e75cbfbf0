"""Writing and matching many rows at once, for the scheduler's fast path and the monitoring sweep: plain rows
straight to the driver (COPY on PostgreSQL), ids reserved ahead where the rows need them, and a batch of ids
matched as one array parameter on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import itemgetter

from psycopg.types.numeric import IntDumper
from sqlalchemy import ARRAY, JSON, Date, Integer, String, Text, any_, bindparam, cast, func, insert, select, text

from models import UTCDateTime, db


def insert_many(table, rows: Iterable, names: Sequence[str] | None = None) -> None:
    """Insert many rows in one go, each distinct value bound once: on SQLite one INSERT through sqlite3's
    executemany, on PostgreSQL one COPY straight into the table. The rows are dicts, or, given `names`, tuples of
    those columns' values in that order (no dict built and taken apart again per row: the scheduler's fast path
    writes tens of thousands of them).

    SQLAlchemy's own executemany builds and type-processes every parameter of every row (a batch's instants are
    all the same `now`), which cost about three times the insert itself. The values are converted here by the same
    bind processors the ORM would use (UTCDateTime, JSON, the dialect's date and time formats), so the rows stored
    are the same. A row that breaks a unique key (an outbox message already queued: only a timer fired twice could
    do that, and a timer fires once) fails the whole insert; the scheduler then rolls the batch back and fires its
    timers the slow way, which leaves a queued message alone (outbox_store.enqueue)."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if names is None:
        names = list(first)
        values = itemgetter(*names)
        rows = map(values, chain((first,), rows))
    else:
        rows = chain((first,), rows)
    convert = []
    for name in names:
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if dialect.name == "postgresql" and isinstance(table.c[name].type, JSON):
            # COPY takes a JSON value as its text: written here by the serializer psycopg's Json wrapper would call
            # (the same text), not wrapped for psycopg to unwrap and dump (48,000 values in the first sweep).
            convert.append(getattr(dialect, "_json_serializer", None) or json.dumps)
        elif processor is None:
            convert.append(None)
        elif isinstance(table.c[name].type, UTCDateTime):
            memo: dict = {}  # one conversion per distinct instant

            def once(value, processor=processor, memo=memo):
                if value not in memo:
                    memo[value] = processor(value)
                return memo[value]
            convert.append(once)
        else:
            convert.append(processor)
    converted = [(i, f) for i, f in enumerate(convert) if f is not None]

    def parameters():
        for row in rows:
            one = list(row)
            for i, f in converted:
                one[i] = f(one[i])
            yield one
    quoted = ", ".join(f'"{n}"' for n in names)
    if dialect.name != "postgresql":
        marks = ", ".join("?" * len(names))
        # sqlite3's own executemany on the session's connection, inside its transaction (SQLAlchemy's would check
        # every row's type again on the way).
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', parameters())
        finally:
            cursor.close()
        return
    # PostgreSQL: COPY is the bulk path the server has; psycopg's executemany still pays a round of protocol
    # messages per row, and the temporary table this used to COPY into first (for ON CONFLICT) wrote every row
    # twice and created a table in every transaction.
    with connection.connection.driver_connection.cursor() as cursor:  # psycopg, inside the session's transaction
        # COPY's text names no types, so integers are written by psycopg's own dumper, in C. The connection's
        # (models/connections._IntAtLeastInt4, which keeps statements' parameters off smallint) is Python, called
        # for every integer of every row: 130,000 of them in a tick firing 10,000 deadlines.
        cursor.adapters.register_dumper(int, IntDumper)
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in parameters():
                copy.write_row(row)


def plain_rows(query) -> list:
    """A column-only query's rows, all at once, on the session's connection (the caller flushes first, as the ORM's
    autoflush would), as tuples with the values SQLAlchemy's rows would give. Where no column's type converts what
    the driver returns (on PostgreSQL: integers, text, dates and floats, which psycopg loads itself), they are the
    driver's own tuples. Where only dates convert (SQLite keeps them as text), each distinct text is converted once,
    by SQLAlchemy's own processor: a sweep's 273,000 KPI results share a few hundred period starts. Any other
    conversion (an instant, JSON) gives SQLAlchemy's rows. The monitoring sweep reads those 273,000 results: as
    SQLAlchemy's rows they cost 0.66-0.74 s on PostgreSQL, as psycopg's tuples 0.33 s."""
    connection = db.session.connection()
    dialect = connection.dialect
    result = connection.execute(query)
    described = result.cursor.description or ()
    if len(described) != len(query.selected_columns):
        return result.all()
    processors = [column.type.dialect_impl(dialect).result_processor(dialect, description[1])
                  for column, description in zip(query.selected_columns, described, strict=True)]
    dates = [i for i, processor in enumerate(processors) if processor is not None]
    if any(not isinstance(query.selected_columns[i].type, Date) for i in dates):
        return result.all()
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if not dates:
        return rows
    for i in dates:  # each distinct text converted once, then every row takes its value
        memo = {text: processors[i](text) for text in {row[i] for row in rows} if text is not None}
        memo[None] = None
        rows = [(*row[:i], memo[row[i]], *row[i + 1:]) for row in rows]
    return rows


def among(column, values):
    """`column IN (values)` for a batch: on PostgreSQL one array parameter (`= ANY(%s)`), so a statement's text is
    the same for every batch (psycopg prepares it once) and the driver does not split a thousand placeholders."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        if isinstance(column.type, Integer) and all(type(value) is int for value in values):
            # Ids as the array's own text, '{1,2,3}', cast by the server: psycopg dumps a list element by element
            # in Python (0.17 s of a tick's client CPU for its 80,000 ids); str.join does it in C.
            literal = "{" + ",".join(map(str, values)) + "}"
            return column == any_(cast(bindparam(None, literal, type_=Text), ARRAY(Integer)))
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    # SQLite: the batch as one JSON text parameter, read back by json_each. An IN list of 5,000 placeholders cost
    # more to build (SQLAlchemy expands and names each one), bind and parse than the lookups it asks for.
    batch = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
    return column.in_(select(batch.c.value))


def insert_with_ids(table, rows: list[dict]) -> list[int]:
    """Insert rows that other rows will point at (breaches and their audit events) and return their ids, in order.

    On PostgreSQL the ids are taken from the table's own sequence in one query and the rows COPYed in with them
    (SQLAlchemy's INSERT ... RETURNING of many rows builds one statement with a placeholder per value, which psycopg
    takes seconds to parse at 10,000 rows). On SQLite the first row is inserted alone and gives its id; the rest
    take the ids after it, through sqlite3's executemany (insert_many). That first insert makes the transaction
    SQLite's one writer until it commits, so no other connection can take those ids meanwhile, and an id after the
    largest ever given was never used. SQLAlchemy, asked for the ids in order, inserted the rows one statement
    each (12,000 breaches: 1.3 s of a 5 s sweep)."""
    if not rows:
        return []
    if db.session.connection().dialect.name != "postgresql":
        first = db.session.execute(insert(table).returning(table.c.id), rows[0]).scalar_one()
        ids = list(range(first, first + len(rows)))
        insert_many(table, ({"id": row_id, **row} for row_id, row in zip(ids[1:], rows[1:], strict=True)))
        return ids
    ids = list(db.session.scalars(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                       "FROM generate_series(1, :n)"), {"table": table.name, "n": len(rows)}))
    insert_many(table, ({"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)))
    return ids
