"""Two-factor sign-in: enrolling an authenticator app (TOTP, RFC 6238, through pyotp), checking its codes or a
single-use recovery code, and the same lock-out as passwords (five wrong in a row lock the account for 15 minutes).

Who must use it: the roles in TWO_FACTOR_ROLES (administrators, commissioning managers and safeguarding officers)
always; everyone when the council sets TWO_FACTOR_FOR_EVERYONE; anyone else who chooses to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from flask import current_app
from sqlalchemy import select

from models import db
from models.audit_store import record_event
from models.entities import RecoveryCode, SignInAttempt, User
from models.user_store import SignInRefused, _locked_message
from workflows.access import Role, after_failed_sign_in, after_successful_sign_in, is_locked
from workflows.errors import ValidationProblem

TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.COMMISSIONING_MANAGER, Role.SAFEGUARDING_OFFICER})
RECOVERY_CODES = 10
STEP_SECONDS = 30
ISSUER = "Remedy"


def two_factor_required(user: User) -> bool:
    """Whether this person may not use Remedy without a second factor."""
    return user.role in TWO_FACTOR_ROLES or bool(current_app.config.get("TWO_FACTOR_FOR_EVERYONE"))


def must_enrol(user: User) -> bool:
    """Whether this person has to set up two-factor sign-in before anything else (never in a demo without it)."""
    return (two_factor_required(user) and user.totp_enabled_at is None
            and not current_app.config.get("TWO_FACTOR_DEMO_EXEMPT"))


def enrolment_secret(user: User) -> str:
    """The secret a person is enrolling with: kept until they confirm it with a code (or start again)."""
    if user.totp_enabled_at is None and not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(enrolment_secret(user)).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _matching_step(user: User, code: str, now: datetime) -> int | None:
    """The 30-second step (this one, or one either side for a slow clock) whose code this is, if any."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6) or not user.totp_secret:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    for step in (_step(now) - 1, _step(now), _step(now) + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _hash(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).replace("-", "").encode()).hexdigest()


def _new_recovery_codes(user: User, now: datetime) -> list[str]:
    """Replace a person's recovery codes with new ones, returned once in plain (only hashes are kept)."""
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(old)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, single use, behind the same lock-out as passwords
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw), created_at=now))
    db.session.flush()
    return codes


def confirm_enrolment(user: User, code: str, now: datetime) -> list[str]:
    """Turn two-factor sign-in on once the person proves their app makes the right codes; returns their recovery
    codes, shown once."""
    if user.totp_enabled_at is not None:
        raise ValidationProblem("Two-factor sign-in is already on", "code")
    step = _matching_step(user, code, now)
    if step is None:
        raise ValidationProblem("Enter the 6-digit code your authenticator app shows now", "code")
    user.totp_enabled_at, user.totp_last_step = now, step
    record_event(council_id=user.council_id, actor=user, entity_type="user", entity_id=user.id,
                 event_name="TWO_FACTOR_ENABLED", at=now)
    return _new_recovery_codes(user, now)


def regenerate_recovery_codes(user: User, now: datetime) -> list[str]:
    """New recovery codes for a person whose old ones are used up or were seen; the old ones stop working."""
    codes = _new_recovery_codes(user, now)
    record_event(council_id=user.council_id, actor=user, entity_type="user", entity_id=user.id,
                 event_name="RECOVERY_CODES_REPLACED", at=now)
    return codes


def turn_off(user: User, now: datetime) -> None:
    """Turn two-factor sign-in off for a person who is not required to use it."""
    if two_factor_required(user):
        raise ValidationProblem("Your role must use two-factor sign-in", "code")
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(old)
    record_event(council_id=user.council_id, actor=user, entity_type="user", entity_id=user.id,
                 event_name="TWO_FACTOR_DISABLED", at=now)


def check_second_factor(user: User, code: str, now: datetime, remote_addr: str | None = None) -> str:
    """Accept a code from the person's app (each at most once) or one of their unused recovery codes, and say which;
    a wrong one counts towards the same lock-out as a wrong password."""

    def attempt(outcome: str) -> None:
        db.session.add(SignInAttempt(user_id=user.id, email=user.email, at=now, outcome=outcome,
                                     remote_addr=remote_addr))
        db.session.flush()

    if is_locked(user.sign_in_state, now):
        attempt("locked")
        raise SignInRefused(_locked_message(user.locked_until))
    step = _matching_step(user, code, now)
    used = None
    if step is not None and step > (user.totp_last_step or 0):
        user.totp_last_step = step
        used = "app"
    elif step is None:
        recovery = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None)))
        if recovery is not None:
            recovery.used_at = now
            used = "recovery_code"
            record_event(council_id=user.council_id, actor=user, entity_type="user", entity_id=user.id,
                         event_name="RECOVERY_CODE_USED", at=now)
    if used is None:
        state = after_failed_sign_in(user.sign_in_state, now)
        user.failed_sign_ins, user.locked_until = state.failed_sign_ins, state.locked_until
        if is_locked(state, now):
            attempt("locked_out")
            record_event(council_id=user.council_id, actor=None, entity_type="user", entity_id=user.id,
                         event_name="ACCOUNT_LOCKED", at=now, reason="5 wrong security codes in a row",
                         data={"locked_until": state.locked_until.isoformat()})
            raise SignInRefused(_locked_message(state.locked_until))
        attempt("wrong_code")
        raise SignInRefused("Enter the 6-digit code your authenticator app shows now, or one of your recovery codes")
    state = after_successful_sign_in()
    user.failed_sign_ins, user.locked_until, user.last_sign_in_at = state.failed_sign_ins, None, now
    attempt("succeeded_with_" + used)
    return used


def unused_recovery_codes(user: User) -> int:
    """How many of a person's recovery codes are left."""
    return len(list(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))))
