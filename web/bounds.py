"""The ranges Remedy accepts for numbers and dates that arrive in addresses, query strings and forms, enforced in one
place for the pages and the API: a value the database or the working-day calendar cannot hold is refused with a
sentence (404 for a record's id, 422 for a filter or a date), never allowed through to fail as a 500.

- Record ids in paths: the `int` URL converter, from 1 to 2,147,483,647 (PostgreSQL's `integer`, which every id and
  foreign key column is). Anything else matches no route, so it is a 404 like any id that does not exist.
- Whole numbers in query strings (`?provider=`, `?contract=`, `?page=`, `?year=`): `request.args.get(name,
  type=int)` keeps its meaning for a missing or blank value (the default) but refuses a number outside
  -2,147,483,648 to 2,147,483,647 with a 422 naming the parameter. Text that is no number at all is refused the
  same way by the API, and read as the default by the pages.
- Dates: 1 January 1900 to 31 December 2100, the span the working-day calendar knows bank holidays for.
- Text: the NUL character is taken out of every query-string, form and JSON value (PostgreSQL cannot store it in a
  text column, so it would fail as a 500; it never means anything in what a person types). Other control
  characters are kept and escaped wherever they are shown.
"""

from __future__ import annotations

from datetime import date

from flask import Flask, Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import IntegerConverter, ValidationError

from workflows.calendar import FIRST_YEAR, LAST_YEAR

DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
FIRST_DATE = date(FIRST_YEAR, 1, 1)
LAST_DATE = date(LAST_YEAR, 12, 31)
DATE_RANGE_TEXT = f"between {FIRST_YEAR} and {LAST_YEAR}"


class BadParameter(UnprocessableEntity):
    """A query parameter out of range or of the wrong kind; the description is a sentence naming it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def whole_number(raw: str | None, field: str, label: str | None = None) -> int | None:
    """A whole number the database can hold, None for a blank value, or BadParameter saying what to enter."""
    text = (raw or "").strip()
    if not text:
        return None
    label = label or field
    # Checked as text first: int() of thousands of digits is itself slow, and Python refuses over 4,300.
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
        raise BadParameter(f"Enter {label} as a whole number from {DB_INT_MIN:,} to {DB_INT_MAX:,}", field)
    value = int(text)
    if not DB_INT_MIN <= value <= DB_INT_MAX:
        raise BadParameter(f"Enter {label} as a whole number from {DB_INT_MIN:,} to {DB_INT_MAX:,}", field)
    return value


def record_id(raw: str | None) -> int | None:
    """A chosen record's id from a form (a select's value), or None when it cannot be one (so it is not found)."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= DB_INT_MAX else None


def check_date(value: date, field: str, label: str | None = None) -> date:
    """The date itself when it lies in the range Remedy works with; otherwise BadParameter saying the range."""
    if not FIRST_DATE <= value <= LAST_DATE:
        raise BadParameter(f"{(label or field).capitalize()} must be a date {DATE_RANGE_TEXT}", field)
    return value


def date_param(raw: str | None, field: str) -> date:
    """A required YYYY-MM-DD date from a query string, within Remedy's range."""
    if not raw:
        raise BadParameter(f"Give {field} as a date, like {field}=2026-12-18", field)
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(f"{field} must be a real date written YYYY-MM-DD, not {raw[:40]!r}", field) from None
    return check_date(value, field)


def whole_numbers_up_to(limit: int) -> str:
    """A regular expression for exactly the whole numbers 1 to `limit`, written without leading zeros."""
    top = str(limit)
    parts = [rf"[1-9]\d{{0,{len(top) - 2}}}"] if len(top) > 1 else []  # every number with fewer digits
    for i, digit in enumerate(map(int, top)):  # same length: equal to `limit` up to place i, then lower there
        lowest = 1 if i == 0 else 0
        if digit > lowest:
            rest = len(top) - i - 1
            parts.append(f"{top[:i]}[{lowest}-{digit - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    return "(?:" + "|".join([*parts, top]) + ")"


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: a positive id the database can hold (anything else is simply not found).

    The range is in the converter's pattern, not only in `to_python`: werkzeug answers 405 rather than 404 when a
    path's pattern matches a route for another method (GET /contracts/<id>/settings) and the route for this one
    (POST) then refuses the value, so an id out of range must match no route at all."""

    regex = whole_numbers_up_to(DB_INT_MAX)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = DB_INT_MAX,  # noqa: A002
                 signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str):
        if len(value) > 10:  # before int(): a path of thousands of digits must not cost a worker anything
            raise ValidationError()
        return super().to_python(value)


def without_nul(value):
    """A string, or the strings inside JSON lists and objects, with NUL taken out."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


class BoundedArgs(ImmutableMultiDict):
    """Query-string and form values without NUL, whose `get(..., type=int)` refuses what the database cannot hold
    rather than 500ing."""

    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, dict | ImmutableMultiDict):
            mapping = [(without_nul(k), without_nul(v)) for k, v in mapping]
        super().__init__(mapping)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        if type is int:
            if key not in self:
                return default
            try:
                value = whole_number(self[key], key)
            except BadParameter:
                # A page's address with junk in it (?page=abc) shows the default, as people expect of a web page;
                # the API says what is wrong. A number too large for the database is refused by both, below.
                if _lenient() and not self[key].strip().lstrip("-").isdigit():
                    return default
                raise
            return default if value is None else value
        return super().get(key, default=default, type=type)


def _lenient() -> bool:
    from flask import has_request_context, request

    return has_request_context() and not request.path.startswith("/api/")


class RemedyRequest(Request):
    """Flask's request with bounded whole numbers in its query string and form values, and no NUL in any text."""

    parameter_storage_class = BoundedArgs

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        return without_nul(super().get_json(force=force, silent=silent, cache=cache))


def init_bounds(app: Flask) -> None:
    """Install the bounded id converter and request class; call before any blueprint is registered."""
    app.url_map.converters["int"] = RecordIdConverter
    app.request_class = RemedyRequest
