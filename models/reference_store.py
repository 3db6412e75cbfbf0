"""References: each council numbers each kind of record from its own counter row, so no two records share one."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import db, dialect_name
from models.entities import ReferenceCounter
from models.registry import KINDS


def next_reference(council_id: int, prefix: str) -> str:
    """The council's next reference for a kind of record, such as CMP-00042; people creating records at the same
    moment each get their own (flushed, not committed: the number is taken with the record it names)."""
    insert = postgresql_insert if dialect_name() == "postgresql" else sqlite_insert
    # One statement: the council's first record of the kind makes its row at 1; every later one adds 1 to it. The
    # update holds the row's lock until commit (PostgreSQL; SQLite holds its one write lock), so creators at the same
    # moment queue here and each reads the number the one before left; count(*) + 1 let them all read the same.
    statement = insert(ReferenceCounter).values(council_id=council_id, prefix=prefix, last=1)
    number = db.session.execute(
        statement.on_conflict_do_update(index_elements=["council_id", "prefix"],
                                        set_={"last": ReferenceCounter.last + 1})
        .returning(ReferenceCounter.last)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return format_reference(prefix, number)


def format_reference(prefix: str, number: int) -> str:
    """How a reference is written: the kind's prefix and the council's number for it, CMP-00042."""
    return f"{prefix}-{number:05d}"


def reference_for(kind: str, council_id: int) -> str:
    """The next reference of a kind of record in a council, with the prefix its registry entry gives (CMP-00012)."""
    return next_reference(council_id, KINDS[kind].reference_prefix)
