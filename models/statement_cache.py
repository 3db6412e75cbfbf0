"""Statements built once per worker (issue 17): building a list's SQLAlchemy statement (its filters, correlated
subqueries and joins) costs more than the database takes to run it, on every view of every list.

A statement is kept under a key that names everything it was built from (the list, the person, the filters, the
database); what changes from one request to the next (the time now) is a bind parameter, given when it runs. The
least recently used statements give way past SIZE, so many people and filters cannot grow it without end."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import TypeVar

SIZE = 512
T = TypeVar("T")
_built: OrderedDict[Hashable, object] = OrderedDict()
_lock = Lock()


def built(key: Hashable, build: Callable[[], T]) -> T:
    """What build() returns, built once for this key and kept (see the module's note)."""
    with _lock:
        if key in _built:
            _built.move_to_end(key)
            return _built[key]  # type: ignore[return-value]
    statement = build()
    with _lock:
        _built[key] = statement
        while len(_built) > SIZE:
            _built.popitem(last=False)
    return statement


def forget_statements() -> None:
    """Drop every kept statement (tests)."""
    with _lock:
        _built.clear()
