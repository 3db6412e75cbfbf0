"""The council running Remedy, and what each worker keeps of the council's own settings.

A council's settings (its closure days, its safeguarding timescales) change rarely and are read on many pages. Each
change moves the council's settings version in the same transaction (settings_changed); every request reads the
version with the signed-in person or token (council_versions_known), and a worker keeps what it worked out from the
settings under that version (kept_for_council), so the next change is counted by every worker's next request."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, g, has_app_context
from sqlalchemy import select, update

from models import db
from models.entities import Council
from models.kept import kept_in
from workflows.access import Viewer
from workflows.errors import NotFound

T = TypeVar("T")
PICTURE_SECONDS = 60.0  # the longest a kept list or count is shown (kept_for_viewer)
PICTURES_KEPT = 1000  # lists and counts a worker keeps, for everyone, before it starts again
PICTURES = "remedy_council_pictures"  # where on the app (each worker's) they are kept


def council_versions_known(council_id: int, settings_version: int, picture_version: int) -> None:
    """The council's settings version and picture version (models/picture_versions.py) as this request read them,
    with the signed-in person or the API token."""
    g.council_versions = {council_id: settings_version}
    g.council_picture = {council_id: picture_version}


def kept_for_council(council_id: int, key: Hashable, read: Callable[[], T]) -> T:
    """What read() makes of the council's settings: kept by this worker while the council's settings version stands,
    in a request that knows it; read afresh otherwise (the scheduler, commands, or after a change in this request)."""
    version = g.get("council_versions", {}).get(council_id) if has_app_context() else None
    if version is None:
        return read()
    return kept_in(current_app.extensions.setdefault("remedy_council_kept", {}), (council_id, version, key), read,
                   float("inf"))


def kept_for_viewer(viewer: Viewer, key: Hashable, draw: Callable[[], T]) -> T:
    """What draw() makes for this person from their council's records (a page of a list, the dashboard's counts, a case
    page or a provider page, each drawn without a form): kept by this worker while the council's picture version,
    read with the person in this request, stands, and for at most PICTURE_SECONDS, since time alone moves some of
    it (a deadline passing makes a record overdue before the scheduler records the breach, which moves the
    version). Drawn afresh in a request that does not know the version or has itself changed the council's
    records (models/picture_versions.py). The key names the person, their role and provider: what each may see is
    their own."""
    version = g.get("council_picture", {}).get(viewer.council_id) if has_app_context() else None
    if version is None:
        return draw()
    return kept_in(current_app.extensions.setdefault(PICTURES, {}),
                   (viewer.council_id, version, viewer.user_id, viewer.role, viewer.provider_id, key), draw,
                   PICTURE_SECONDS, most=PICTURES_KEPT)


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
