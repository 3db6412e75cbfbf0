"""models/statement_cache.py: a statement is built once per key and kept; the least recently used give way."""

from __future__ import annotations

from models import statement_cache


def test_a_statement_is_built_once_per_key_and_the_least_recently_used_give_way(monkeypatch):
    monkeypatch.setattr(statement_cache, "SIZE", 3)
    statement_cache.forget_statements()
    builds = []

    def build(name):
        builds.append(name)
        return object()

    a = statement_cache.built("a", lambda: build("a"))
    assert statement_cache.built("a", lambda: build("a")) is a and builds == ["a"]
    b = statement_cache.built("b", lambda: build("b"))
    assert b is not a
    statement_cache.built("c", lambda: build("c"))
    statement_cache.built("a", lambda: build("a"))  # used again: now the newest
    statement_cache.built("d", lambda: build("d"))  # one too many: "b", the least recently used, goes
    assert statement_cache.built("a", lambda: build("a")) is a
    assert statement_cache.built("b", lambda: build("b")) is not b
    assert builds == ["a", "b", "c", "d", "b"]
    statement_cache.forget_statements()
