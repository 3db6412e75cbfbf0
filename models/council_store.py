"""The council running Remedy."""

from __future__ import annotations

from sqlalchemy import select

from models import db
from models.entities import Council
from workflows.errors import NotFound


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
