"""The council running Remedy, and what each worker keeps of the council's own settings.

A council's settings (its closure days, its safeguarding timescales) change rarely and are read on many pages. Each
change moves the council's settings version in the same transaction (settings_changed); every request reads the
version with the signed-in person or token (settings_version_known), and a worker keeps what it worked out from the
settings under that version (kept_for_council), so the next change is counted by every worker's next request."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, g, has_app_context
from sqlalchemy import select, update

from models import db
from models.entities import Council
from models.kept import kept_in
from workflows.errors import NotFound

T = TypeVar("T")


def settings_version_known(council_id: int, version: int) -> None:
    """The council's settings version as this request read it (with the signed-in person, or the API token)."""
    g.council_versions = {council_id: version}


def kept_for_council(council_id: int, key: Hashable, read: Callable[[], T]) -> T:
    """What read() makes of the council's settings: kept by this worker while the council's settings version stands,
    in a request that knows it; read afresh otherwise (the scheduler, commands, or after a change in this request)."""
    version = g.get("council_versions", {}).get(council_id) if has_app_context() else None
    if version is None:
        return read()
    return kept_in(current_app.extensions.setdefault("remedy_council_kept", {}), (council_id, version, key), read,
                   float("inf"))


def settings_changed(council_id: int) -> None:
    """One of the council's settings changed: move its version (in the caller's transaction), so that every worker
    works from the settings afresh, and this request too from now on."""
    db.session.execute(update(Council).where(Council.id == council_id)
                       .values(settings_version=Council.settings_version + 1))
    if has_app_context():
        g.pop("council_versions", None)


def get_council(council_id: int) -> Council:
    """A council by id."""
    council = db.session.get(Council, council_id)
    if council is None:
        raise NotFound("There is no such council")
    return council


def first_council() -> Council | None:
    """The council of a single-council installation (the first one created), if any."""
    return db.session.scalar(select(Council).order_by(Council.id).limit(1))


def get_or_create_council(name: str, region: str = "england-and-wales") -> Council:
    """The council with this name, created if missing."""
    council = db.session.scalar(select(Council).where(Council.name == name))
    if council is None:
        council = Council(name=name, region=region)
        db.session.add(council)
        db.session.flush()
    return council
