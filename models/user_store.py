"""People, sign-in with lock-out, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from models import db, fixed
from models.audit_store import record_event
from models.council_store import council_versions_known
from models.entities import ApiToken, Council, Provider, SchedulerTick, SignInAttempt, User
from models.scheduling import Notification
from workflows.access import (
    Role,
    after_failed_sign_in,
    after_successful_sign_in,
    check_role_and_provider,
    is_locked,
)
from workflows.errors import NotFound, ValidationProblem

MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    """Email addresses compare without case or surrounding spaces."""
    return email.strip().lower()


def get_user(user_id: int) -> User | None:
    """A user by id."""
    return db.session.get(User, user_id)


@cache
def _session_user_statement():
    # Built once: building it costs more than running it, on every page a signed-in person opens.
    unread = select(func.count(Notification.id)).where(
        Notification.user_id == User.id, Notification.read_at.is_(None)).scalar_subquery()
    # Ticks are only ever appended, so the newest has the highest id (the primary key's index, at any size).
    last_tick = select(SchedulerTick.finished_at).order_by(SchedulerTick.id.desc()).limit(fixed(1)).scalar_subquery()
    return select(User, unread, last_tick, *_council_versions()).where(User.id == bindparam("user_id"))


def _council_versions():
    """The signed-in person's council's settings version and picture version, read with them
    (models/council_store.py, models/picture_versions.py)."""
    return (select(Council.settings_version).where(Council.id == User.council_id).scalar_subquery(),
            select(Council.picture_version).where(Council.id == User.council_id).scalar_subquery())


def load_session_user(user_id: int) -> tuple[User | None, int, datetime | None]:
    """A signed-in person with what every page's header shows, in one query: their unread notifications and when
    the scheduler last finished a sweep (None if it never has); and their council's settings version, so that the
    request works from the council's settings this worker keeps (models/council_store.py)."""
    row = db.session.execute(_session_user_statement(), {"user_id": user_id}).first()
    if row is None:
        return None, 0, None
    user, count, finished_at, settings_version, picture_version = row
    if finished_at is not None and finished_at.tzinfo is None:  # SQLite hands back naive UTC through a subquery
        finished_at = finished_at.replace(tzinfo=UTC)
    council_versions_known(user.council_id, settings_version, picture_version)
    return user, count or 0, finished_at


def find_user_by_email(email: str) -> User | None:
    """A user by email address, or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def list_users(council_id: int) -> list[User]:
    """Everyone in a council, providers' staff included."""
    return list(db.session.scalars(select(User).where(User.council_id == council_id).order_by(User.name)))


def create_user(
    *,
    council_id: int,
    email: str,
    name: str,
    role: Role,
    password: str,
    provider_reference: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a person with a hashed password; the provider reference is required exactly for provider roles."""
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValidationProblem("Enter an email address in the correct format, like name@example.org", "email")
    if not name.strip():
        raise ValidationProblem("Enter the person's name", "name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationProblem(f"Password must be {MIN_PASSWORD_LENGTH} characters or more", "password")
    if find_user_by_email(email):
        raise ValidationProblem(f"There is already a user with the email address {email}", "email")
    provider_id = None
    if provider_reference:
        provider = db.session.scalar(
            select(Provider).where(Provider.council_id == council_id, Provider.reference == provider_reference)
        )
        if provider is None:
            raise ValidationProblem(f"There is no provider with the reference {provider_reference}", "provider")
        provider_id = provider.id
    problem = check_role_and_provider(role, provider_id)
    if problem:
        raise ValidationProblem(problem, "provider")
    user = User(
        council_id=council_id,
        email=email,
        name=name.strip(),
        role=role,
        provider_id=provider_id,
        password_hash=generate_password_hash(password, method=_hash_method()),
        session_token=secrets.token_hex(16),
    )
    db.session.add(user)
    db.session.flush()
    record_event(council_id=council_id, actor=actor, entity_type="user", entity_id=user.id,
                 event_name="USER_CREATED", data={"email": email, "role": role.value})
    return user


def _hash_method() -> str:
    # Tests set a cheap method; production keeps werkzeug's default (scrypt).
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


class SignInRefused(Exception):
    """Sign-in failed; the message is safe to show."""


def sign_in(email: str, password: str, now: datetime, remote_addr: str | None = None) -> User:
    """Check a password, keeping the lock-out counters: the fifth wrong password in a row locks for 15 minutes."""
    email = normalise_email(email)
    user = find_user_by_email(email)

    def attempt(outcome: str) -> None:
        db.session.add(SignInAttempt(user_id=user.id if user else None, email=email[:254], at=now,
                                     outcome=outcome, remote_addr=remote_addr))
        db.session.flush()

    generic = "Enter a correct email address and password"
    if user is None or not user.active:
        # Hash anyway so an unknown address takes as long as a known one.
        check_password_hash(_DUMMY_HASH, password)
        attempt("unknown_email" if user is None else "inactive")
        raise SignInRefused(generic)
    if is_locked(user.sign_in_state, now):
        attempt("locked")
        raise SignInRefused(_locked_message(user.locked_until))
    if not check_password_hash(user.password_hash, password):
        state = after_failed_sign_in(user.sign_in_state, now)
        user.failed_sign_ins, user.locked_until = state.failed_sign_ins, state.locked_until
        if is_locked(state, now):
            attempt("locked_out")
            record_event(council_id=user.council_id, actor=None, entity_type="user", entity_id=user.id,
                         event_name="ACCOUNT_LOCKED", at=now,
                         reason="5 failed sign-in attempts in a row",
                         data={"locked_until": state.locked_until.isoformat()})
            raise SignInRefused(_locked_message(state.locked_until))
        attempt("wrong_password")
        raise SignInRefused(generic)
    if user.totp_enabled_at is not None:
        # Half-way: the counters reset only once the second factor is right too, or a known password would buy
        # unlimited guesses at the code, four at a time.
        attempt("password_accepted")
        return user
    state = after_successful_sign_in()
    user.failed_sign_ins, user.locked_until, user.last_sign_in_at = state.failed_sign_ins, None, now
    attempt("succeeded")
    return user


def end_sessions(user: User, actor: User | None, now: datetime, reason: str) -> None:
    """End every session a person has, on every device: a copied session cookie stops working at once."""
    user.session_token = secrets.token_hex(16)
    record_event(council_id=user.council_id, actor=actor, entity_type="user", entity_id=user.id,
                 event_name="SESSIONS_ENDED", at=now, reason=reason)


def change_password(user: User, current: str, new: str, now: datetime) -> None:
    """A person sets a new password after proving the current one; every session they had ends."""
    if not check_password_hash(user.password_hash, current):
        raise ValidationProblem("Enter your current password correctly", "current_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ValidationProblem(f"Password must be {MIN_PASSWORD_LENGTH} characters or more", "new_password")
    if new == current:
        raise ValidationProblem("Enter a new password that is different from your current one", "new_password")
    user.password_hash = generate_password_hash(new, method=_hash_method())
    end_sessions(user, user, now, "Password changed")


def _locked_message(until: datetime) -> str:
    from zoneinfo import ZoneInfo

    local = until.astimezone(ZoneInfo("Europe/London"))
    return (
        "Your account is locked because of 5 failed sign-in attempts. "
        f"Try again after {local:%H:%M} ({local:%-d %B %Y}), or ask an administrator to help."
    )


def count_sign_in_attempts(email: str, outcome: str | None = None) -> int:
    """How many attempts are recorded for an address (optionally with a given outcome)."""
    query = select(func.count(SignInAttempt.id)).where(SignInAttempt.email == normalise_email(email))
    if outcome:
        query = query.where(SignInAttempt.outcome == outcome)
    return db.session.scalar(query)


_DUMMY_HASH = generate_password_hash("not a real password, only for timing")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Create an API token; the plain token is returned once and only its hash is kept."""
    plain = "rmdy_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_hash_token(plain), prefix=plain[:12], name=name.strip() or "API token",
                   created_at=now)
    db.session.add(row)
    db.session.flush()
    record_event(council_id=user.council_id, actor=user, entity_type="user", entity_id=user.id,
                 event_name="API_TOKEN_ISSUED", at=now, data={"token_id": row.id, "prefix": row.prefix})
    return row, plain


@cache
def _token_statement():
    return (select(ApiToken, *_council_versions()).join(ApiToken.user)
            .where(ApiToken.token_hash == bindparam("token_hash")).options(contains_eager(ApiToken.user)))


def user_for_token(plain: str, now: datetime) -> User | None:
    """The active user a bearer token belongs to, or None if it is unknown or revoked (the token, its person and their
    council's settings version in one statement: every API request starts here)."""
    found = db.session.execute(_token_statement(), {"token_hash": _hash_token(plain)}).first()
    if found is None:
        return None
    row, settings_version, picture_version = found
    if row.revoked_at is not None or not row.user.active:
        return None
    council_versions_known(row.user.council_id, settings_version, picture_version)
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_PRECISION:
        _note_token_use(row.id, now)
    return row.user


# How stale "last used" may be. Writing it on every request would take the token row's lock (on SQLite, the whole
# database's) for the length of each request and serialise everything that shares the token.
TOKEN_USE_PRECISION = timedelta(minutes=1)


def _note_token_use(token_id: int, now: datetime) -> None:
    """Record that a token was used, in its own short transaction on its own connection: it is kept even when the
    request's own work is rolled back (every GET), and it never holds a lock while the request runs."""
    table = ApiToken.__table__
    stale = or_(table.c.last_used_at.is_(None), table.c.last_used_at <= now - TOKEN_USE_PRECISION)
    try:
        with db.engine.begin() as connection:
            # The condition makes concurrent requests write once between them, not once each.
            connection.execute(update(table).where(table.c.id == token_id, stale).values(last_used_at=now))
    except OperationalError:  # SQLite busy past its timeout: "last used" is a convenience, the request is not
        current_app.logger.warning("Could not record the use of API token %s", token_id)


def list_tokens(user: User) -> list[ApiToken]:
    """A person's API tokens, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(user: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of a person's own tokens."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if row is None:
        raise NotFound("There is no such token")
    if row.revoked_at is None:
        row.revoked_at = now
        record_event(council_id=user.council_id, actor=user, entity_type="user", entity_id=user.id,
                     event_name="API_TOKEN_REVOKED", at=now, data={"token_id": row.id, "prefix": row.prefix})
    return row
