"""Errors the domain and the stores raise, each carrying a sentence a person can act on."""

from __future__ import annotations


class RemedyError(Exception):
    """Base class: the message is shown to people as it is."""


class ValidationProblem(RemedyError):
    """Input that cannot be accepted; `field` names the form field or JSON key at fault, where there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(RemedyError):
    """The record does not exist, or the person asking may not see it (the two are never told apart)."""


class Conflict(RemedyError):
    """Someone else changed the record first; the message says what to do."""


class MalformedRequest(RemedyError):
    """A request that is not even well formed (a version that is not a number): a 400, never silently ignored."""
