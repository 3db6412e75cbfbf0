"""Contract regimes as data: each contract names a rulebook (a TOML file in rulebooks/) that says how it works.

This first version of the format carries what the foundation needs (identity, the seed it comes from, the
bank-holiday region and the service); the case-workflow and KPI work extend it. Loading validates every file and
reports the file, the line and the problem, so a bad rulebook stops start-up with a message a person can act on.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from workflows.calendar import REGIONS

FORMAT_VERSION = 1


class RulebookError(ValueError):
    """A rulebook file that cannot be used, with where and why."""

    def __init__(self, path: Path, line: int | None, problem: str):
        self.path, self.line, self.problem = path, line, problem
        where = f"{path.name}, line {line}" if line else path.name
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Rulebook:
    """One contract regime: which council's document it comes from and how its clocks count days."""

    id: str
    title: str
    council: str
    seed: str
    service: str
    region: str
    source: str
    lots: tuple[str, ...] = ()


_REQUIRED = ("id", "title", "council", "seed", "service", "region")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


def parse_rulebook(path: Path) -> Rulebook:
    """Read and validate one rulebook file."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise RulebookError(path, int(match.group(1)) if match else None, f"not valid TOML ({exc})") from None
    head = data.get("rulebook")
    if not isinstance(head, dict):
        raise RulebookError(path, None, "missing the [rulebook] table")
    version = head.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise RulebookError(path, _line_of(text, "format"), f"format {version!r} is not supported (use {FORMAT_VERSION})")
    for key in _REQUIRED:
        value = head.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RulebookError(path, _line_of(text, key), f"'{key}' must be a non-empty string")
    if not _ID.match(head["id"]):
        raise RulebookError(path, _line_of(text, "id"), "'id' must be lower-case letters, digits and hyphens")
    if head["id"] != path.stem:
        raise RulebookError(path, _line_of(text, "id"), f"'id' is {head['id']!r} but the file is named {path.stem!r}")
    if head["region"] not in REGIONS:
        raise RulebookError(
            path, _line_of(text, "region"), f"'region' must be one of {', '.join(REGIONS)}, not {head['region']!r}"
        )
    lots = head.get("lots", [])
    if not isinstance(lots, list) or not all(isinstance(lot, str) for lot in lots):
        raise RulebookError(path, _line_of(text, "lots"), "'lots' must be a list of strings")
    return Rulebook(
        id=head["id"],
        title=head["title"],
        council=head["council"],
        seed=head["seed"],
        service=head["service"],
        region=head["region"],
        source=head.get("source", ""),
        lots=tuple(lots),
    )


def load_rulebooks(folder: Path) -> dict[str, Rulebook]:
    """Load every rulebook in a folder (the template file, starting with an underscore, is skipped)."""
    books: dict[str, Rulebook] = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        book = parse_rulebook(path)
        books[book.id] = book
    if not books:
        raise RulebookError(folder, None, "no rulebooks found")
    return books
