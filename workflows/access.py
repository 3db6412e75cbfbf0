"""Who may do what in Remedy: roles, permissions and the sign-in lock-out policy (pure Python)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class Role(enum.Enum):
    """A person's role; council roles act for the council, provider roles only for their own provider."""

    ADMIN = "admin"
    COMMISSIONING_MANAGER = "commissioning_manager"
    CONTRACT_MANAGER = "contract_manager"
    COUNCIL_VIEWER = "council_viewer"
    SAFEGUARDING_OFFICER = "safeguarding_officer"
    PROVIDER_MANAGER = "provider_manager"
    PROVIDER_USER = "provider_user"

    @property
    def label(self) -> str:
        """The role's name as people say it."""
        return ROLE_LABELS[self]

    @property
    def is_provider(self) -> bool:
        """True for roles that belong to a provider organisation rather than the council."""
        return self in PROVIDER_ROLES


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    # The authorised officer who may serve defaults, suspend and terminate (KT section 1.2, 2nd point of contact).
    Role.COMMISSIONING_MANAGER: "Commissioning manager",
    Role.CONTRACT_MANAGER: "Contract manager",
    Role.COUNCIL_VIEWER: "Council viewer",
    Role.SAFEGUARDING_OFFICER: "Safeguarding officer",
    Role.PROVIDER_MANAGER: "Provider manager",
    Role.PROVIDER_USER: "Provider user",
}

PROVIDER_ROLES = frozenset({Role.PROVIDER_MANAGER, Role.PROVIDER_USER})
COUNCIL_ROLES = frozenset(set(Role) - PROVIDER_ROLES)


class Permission(enum.Enum):
    """Something a view or API call lets a person do."""

    VIEW_DASHBOARD = "view_dashboard"
    VIEW_PROVIDERS = "view_providers"  # providers see only their own (scoped in the store)
    RECORD_CQC_RATING = "record_cqc_rating"
    MANAGE_CALENDAR = "manage_calendar"
    MANAGE_USERS = "manage_users"
    MANAGE_OWN_ACCOUNT = "manage_own_account"
    USE_API = "use_api"
    VIEW_WORKDAYS = "view_workdays"
    MANAGE_CONTRACT_SETTINGS = "manage_contract_settings"  # what the contract leaves to the council (A4)
    MANAGE_PERSONAL_DATA = "manage_personal_data"  # export or erase one person's records (UK GDPR, issue 15)


_EVERYONE = {
    Permission.VIEW_DASHBOARD,
    Permission.VIEW_PROVIDERS,
    Permission.MANAGE_OWN_ACCOUNT,
    Permission.USE_API,
    Permission.VIEW_WORKDAYS,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(set(Permission)),
    Role.COMMISSIONING_MANAGER: frozenset(_EVERYONE | {Permission.RECORD_CQC_RATING}),
    Role.CONTRACT_MANAGER: frozenset(_EVERYONE | {Permission.RECORD_CQC_RATING}),
    Role.COUNCIL_VIEWER: frozenset(_EVERYONE),
    Role.SAFEGUARDING_OFFICER: frozenset(_EVERYONE),
    Role.PROVIDER_MANAGER: frozenset(_EVERYONE),
    Role.PROVIDER_USER: frozenset(_EVERYONE),
}


@dataclass(frozen=True)
class Viewer:
    """The person asking, as the stores need them to scope every query."""

    user_id: int
    council_id: int
    role: Role
    provider_id: int | None = None

    @property
    def is_provider(self) -> bool:
        """True when this person sees only their own provider's records."""
        return self.role.is_provider

    def can(self, permission: Permission) -> bool:
        """Whether this person's role grants the permission."""
        return permission in ROLE_PERMISSIONS[self.role]


def check_role_and_provider(role: Role, provider_id: int | None) -> str | None:
    """Return why a role and provider do not fit together (provider roles need a provider), or None."""
    if role.is_provider and provider_id is None:
        return f"A {role.label.lower()} must belong to a provider"
    if not role.is_provider and provider_id is not None:
        return f"A {role.label.lower()} works for the council and cannot belong to a provider"
    return None


# Sign-in lock-out: after MAX_FAILED_SIGN_INS failures in a row the account is locked for LOCK_OUT.
MAX_FAILED_SIGN_INS = 5
LOCK_OUT = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInState:
    """The lock-out counters kept on a user record."""

    failed_sign_ins: int
    locked_until: datetime | None


def is_locked(state: SignInState, now: datetime) -> bool:
    """Whether the account is locked at this instant."""
    return state.locked_until is not None and now < state.locked_until


def after_failed_sign_in(state: SignInState, now: datetime) -> SignInState:
    """The counters after a wrong password: the fifth failure in a row locks the account for 15 minutes."""
    if state.locked_until is not None and now >= state.locked_until:
        state = SignInState(0, None)  # a lock that has run out starts a fresh count
    failures = state.failed_sign_ins + 1
    if failures >= MAX_FAILED_SIGN_INS:
        return SignInState(0, now + LOCK_OUT)
    return SignInState(failures, state.locked_until)


def after_successful_sign_in() -> SignInState:
    """The counters after a correct password: everything is cleared."""
    return SignInState(0, None)
