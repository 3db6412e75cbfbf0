"""Persistence: typed SQLAlchemy models on one Base, and *_store modules that are the only code issuing queries."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BindParameter, DateTime, ForeignKey, Index, Integer, MetaData, bindparam, event, literal
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC instant on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Naive datetimes are refused: pass an aware instant")
        value = value.astimezone(UTC)
        # SQLite stores text; keep it naive-UTC there so comparisons in SQL sort correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in_utc(_target, value, _old, _initiator):
    return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo is not None else value


@event.listens_for(Mapper, "mapper_configured")
def _instants_held_in_utc(mapper, cls) -> None:
    """An instant assigned to a UTCDateTime column is held in UTC at once, as it will read back from the database:
    so a record serialised in the transaction that changed it (web/api.py answers before it commits) says what a
    later read would (an instant given at +01:00 is shown at +00:00 either way)."""
    for prop in mapper.column_attrs:
        if any(isinstance(column.type, UTCDateTime) for column in prop.columns):
            event.listen(getattr(cls, prop.key), "set", _in_utc, retval=True)


class Base(DeclarativeBase):
    """The one declarative base, with a naming convention so migrations name constraints predictably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def dialect_name() -> str:
    """The database this session talks to: "sqlite" or "postgresql" (for the few statements written for each)."""
    return db.session.get_bind().dialect.name


def fixed(value) -> BindParameter:
    """A value the code fixes (a page's size and offset, a kind's closed states, the live deadline statuses), written
    into the SQL text instead of sent as a parameter; a list or tuple becomes the list of an IN.

    PostgreSQL plans a prepared statement afresh for its first five runs, then keeps one generic plan if that looks
    no dearer, and a generic plan knows only the values written in the text. With LIMIT a parameter the case list's
    generic plan guessed 7,000 rows and hashed the whole table, so every view was planned afresh (0.47 ms of its
    0.9 ms); with the closed states parameters the complaints list's generic plan guessed one open complaint and
    sorted them all (issue 17). Values a person chose (a provider, a search, a council) stay parameters; statements
    are still built once (models/statement_cache.py), the text is completed at each run."""
    if isinstance(value, list | tuple):
        return bindparam(None, list(value), expanding=True, literal_execute=True)
    return literal(value, literal_execute=True)


def utcnow() -> datetime:
    """The current instant in UTC (persistence defaults only; domain code receives time as an argument)."""
    return datetime.now(UTC)

def provider_rows_index(table) -> Index:
    """A provider's rows in id order, (provider_id, id): the lists sorted by provider walk the council's providers by
    name and read each one's rows newest first along it (models/list_store.py, issue 17). PostgreSQL cannot read a
    (provider_id) index in id order; SQLite's already is, since its rowid is the id (migration 0025)."""
    return Index(f"ix_{table.name}_provider_id", table.c.provider_id, table.c.id)


class TenantRecord:
    """Columns every record people act on shares: its council and provider (the scope of every query) and an
    optimistic lock, so that when two people change it at once one of them is told instead of overwritten."""

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"))  # indexed with id: see __init_subclass__
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)  # maps a model: its table exists from here (a mixin has none)
        if "__table__" in cls.__dict__:
            provider_rows_index(cls.__table__)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version_id}


class ContractRecord(TenantRecord):
    """A record that may belong to a contract (a complaint, a concern, an incident, a financial change)."""

    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)



def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web app read while the scheduler writes; NORMAL sync is safe with WAL; wait for a busy writer
    # instead of failing at once.
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def hold_writes() -> bool:
    """Take SQLite's write lock for the session's transaction now, before it reads what it will write from, and
    say whether this began the transaction (so the caller may end it early if it finds nothing to write).

    Python's sqlite3 begins a transaction at the first INSERT, UPDATE or DELETE, or at a SAVEPOINT, and a
    transaction begun by a SAVEPOINT takes a read snapshot at its first SELECT. If another connection commits a
    write after that snapshot, this transaction's first write is refused at once with "database is locked",
    whatever the busy timeout: a scheduler tick read its batch, a web request saved a change meanwhile, and the
    batch and every timer of it failed. BEGIN IMMEDIATE waits (the busy timeout) for any writer to finish and
    then holds the lock until commit, so the reads and the writes see one state. Nothing is done on PostgreSQL,
    whose transactions lock the rows they claim, or in a transaction already begun (call it before a savepoint:
    a transaction begun by a write holds the lock already)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return False
    driver = connection.connection.driver_connection
    if driver.in_transaction:
        return False
    driver.execute("BEGIN IMMEDIATE")
    return True


def is_clash(error: BaseException) -> bool:
    """Whether `error` is two people's changes meeting in the database, one of them losing: a unique key the
    other's row took between a check and an insert, a versioned row changed meanwhile (StaleDataError), or the
    other holding the lock (SQLite busy past its timeout, PostgreSQL ending a deadlock by failing one side). Such a
    change is to be tried again (a 409), not a fault (a 500)."""
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    if isinstance(error, StaleDataError):
        return True
    if isinstance(error, IntegrityError):
        return getattr(error.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(error.orig)
    if isinstance(error, OperationalError):
        return any(words in str(error.orig).lower() for words in ("database is locked", "deadlock detected"))
    return False


def _install_sqlite_pragmas() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


_install_sqlite_pragmas()
