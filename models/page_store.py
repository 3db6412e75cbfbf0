"""One page of any list, read by the database (issue 17: every list has a bounded number of statements and a page
size): LIMIT/OFFSET in SQL on a stable order, and the total from models/count_store.py (exact up to its cap, "about"
above it). A store builds the scoped, filtered statement; this reads a page of it."""

from __future__ import annotations

from collections.abc import Hashable

from sqlalchemy import Select

from models import db, fixed
from models.count_store import Count, bounded_count, cap, capped, known_about


def newest_first(query: Select) -> Select:
    """A select(Model) statement's rows newest first: by id, which grows with each record made, so two rows never
    tie and a page follows the primary key's index."""
    model = query.column_descriptions[0]["entity"]
    return query.order_by(None).order_by(model.id.desc())


def read_page(query: Select, key: Hashable, page: int, per_page: int, rows: bool = False,
              after: int | None = None) -> tuple[list, Count]:
    """Page `page` (from 1) of `per_page` rows of a store's statement, with the total (counted under `key`). A
    select(Model) is read newest first (`newest_first`) as objects, with its count up to the cap beside each row:
    one statement (two for a page past the end, which has no row to carry the count; three when the total is over
    the cap and not counted in the last few minutes). With `rows`, a statement of several columns is read as tuples
    in its own order, which must be stable (end it with a unique column), and counted by a statement of its own.

    `after` (an id, for a select(Model)) reads the `per_page` rows that follow that row instead of a numbered page:
    straight from the primary key's index, as fast at the millionth row as at the first, where an offset must step
    over every row before it."""
    if not rows:
        query = newest_first(query)
    counting = query
    if after is not None:
        model = query.column_descriptions[0]["entity"]
        query, page = query.where(model.id < after), 1
    offset = (page - 1) * per_page
    found, counted = None, None
    if not rows and offset < cap() and known_about(key) is None:
        read = db.session.execute(query.limit(fixed(per_page)).offset(fixed(offset))
                                  .add_columns(capped(counting).scalar_subquery())).all()
        found, counted = [row[0] for row in read], (read[0][1] if read else None)
    total = bounded_count(key, counting, counted=counted)
    if found is not None:
        return found, total
    if after is None and total.exact and offset >= total:  # past the end (an "about" total may be a little old)
        return [], total
    sliced = query.limit(fixed(per_page)).offset(fixed(offset))
    found = db.session.execute(sliced).all() if rows else db.session.scalars(sliced).all()
    return list(found), total
