"""Secret calendar-feed addresses: stored hashed, revocable and renewable by their owner."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from models import db
from models.entities import User
from models.scheduling import CalendarToken


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def renew_feed_token(user: User, now: datetime) -> str:
    """Revoke any current feed address and make a new one; the plain token is returned once."""
    revoke_feed_tokens(user)
    token = secrets.token_urlsafe(24)
    db.session.add(CalendarToken(user_id=user.id, token_hash=_hash(token), active=True, created_at=now))
    db.session.flush()
    return token


def revoke_feed_tokens(user: User) -> int:
    """Stop every feed address of a person working."""
    count = 0
    for row in db.session.scalars(select(CalendarToken).where(CalendarToken.user_id == user.id,
                                                              CalendarToken.active.is_(True))):
        row.active = False
        count += 1
    return count


def has_feed(user: User) -> bool:
    """Whether the person has a working feed address."""
    return db.session.scalar(select(CalendarToken.id).where(CalendarToken.user_id == user.id,
                                                            CalendarToken.active.is_(True))) is not None


def user_for_feed(token: str) -> User | None:
    """The active person a feed token belongs to."""
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.token_hash == _hash(token),
                                                        CalendarToken.active.is_(True)))
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.active else None
