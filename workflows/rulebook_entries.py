"""Reading a rulebook's arrays of tables ([[duties]], [[requests]], [[meetings]], [[stay_limits]]) the one way.

Each entry has an `id`, the `rule` it comes from (a rules.md id such as CE-46) and a `what` in words, and may give
the `seed_line` that says it. `entries` checks those, finds each entry's line in the file, and hands every entry to
its parser with a `bad(problem, key)` that names the entry and points at the key's line; `finish` refuses keys the
table does not know. The tables' own keys are the parsers' business (workflows/duties.py, meeting_cadence.py,
stay_limit_spec.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
RULE = re.compile(r"^[A-Z]{1,3}-[A-Z]?\d{2,3}$")
COMMON_KEYS = frozenset({"id", "rule", "what", "seed_line"})


class TableError(ValueError):
    """An entry of a rulebook table that does not make sense, with its line (None when it cannot be found)."""

    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


Bad = Callable[..., TableError]


def entries(text: str, data: dict, table: str, error: type[TableError],
            example_rule: str = "CE-46") -> Iterator[tuple[dict, Bad]]:
    """Each [[table]] entry, its common keys checked (id unique within the table), with its `bad`."""
    raw = data.get(table, [])
    lines = text.splitlines()
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        first = next((n for n, line in enumerate(lines, start=1) if re.match(rf"\s*\[*{table}\b", line)), None)
        raise error(first, f"'{table}' must be written as [[{table}]] entries")
    headers = [n for n, line in enumerate(lines, start=1) if line.strip() == f"[[{table}]]"]

    def key_line(top: int | None, key: str) -> int | None:
        if top is None:
            return None
        for number in range(top + 1, len(lines) + 1):
            if lines[number - 1].strip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[number - 1]):
                return number
        return top

    seen: set[str] = set()
    for index, entry in enumerate(raw):
        top = headers[index] if index < len(headers) else None

        def bad(problem: str, key: str | None = None, top=top, entry=entry) -> TableError:
            ident = entry.get("id")
            where = f"[[{table}]] {ident!r}" if isinstance(ident, str) and ident else f"[[{table}]]"
            return error(key_line(top, key) if key else top, f"{where}: {problem}")

        for key in ("id", "rule", "what"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise bad(f"'{key}' must be a non-empty string", key)
        if not ID.match(entry["id"]):
            raise bad("'id' must be lower-case letters, digits and hyphens", "id")
        if entry["id"] in seen:
            raise bad(f"id {entry['id']!r} is used twice", "id")
        seen.add(entry["id"])
        if not RULE.match(entry["rule"]):
            raise bad(f"'rule' must be a rule id from shared/domain/rules.md, like {example_rule}", "rule")
        seed_line = entry.get("seed_line")
        if seed_line is not None and (isinstance(seed_line, bool) or not isinstance(seed_line, int) or seed_line < 1):
            raise bad("'seed_line' must be the line number in the seed that gives it", "seed_line")
        yield entry, bad


def one_of(entry: dict, keys: tuple[str, ...], bad: Bad, problem: str) -> str:
    """The one key of `keys` the entry gives (exactly one must be given)."""
    given = [k for k in keys if k in entry]
    if len(given) != 1:
        raise bad(problem, given[1] if given else None)
    return given[0]


def whole(entry: dict, key: str, low: int, high: int, bad: Bad) -> int:
    """A whole number from low to high."""
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad(f"'{key}' must be a whole number from {low} to {high}", key)
    return value


def finish(entry: dict, keys: frozenset[str] | set[str], bad: Bad) -> None:
    """Refuse a key the table does not know (the common keys are always known)."""
    unknown = sorted(set(entry) - set(keys) - COMMON_KEYS)
    if unknown:
        raise bad(f"unknown key {unknown[0]!r}", unknown[0])
