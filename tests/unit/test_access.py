"""Roles, permissions and the lock-out policy."""

from datetime import UTC, datetime, timedelta

import pytest

from workflows.access import (
    COUNCIL_ROLES,
    Permission,
    Role,
    SignInState,
    Viewer,
    after_failed_sign_in,
    check_role_and_provider,
    is_locked,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_fifth_failure_locks_for_fifteen_minutes():
    state = SignInState(0, None)
    for _ in range(4):
        state = after_failed_sign_in(state, NOW)
        assert not is_locked(state, NOW)
    state = after_failed_sign_in(state, NOW)
    assert is_locked(state, NOW) and is_locked(state, NOW + timedelta(minutes=14, seconds=59))
    assert not is_locked(state, NOW + timedelta(minutes=15))


def test_failure_after_an_expired_lock_starts_a_new_count():
    expired = SignInState(0, NOW - timedelta(minutes=1))
    assert after_failed_sign_in(expired, NOW) == SignInState(1, None)


@pytest.mark.parametrize("role", list(Role))
def test_provider_roles_need_a_provider_and_council_roles_must_not_have_one(role):
    if role in COUNCIL_ROLES:
        assert check_role_and_provider(role, None) is None
        assert "cannot belong to a provider" in check_role_and_provider(role, 3)
    else:
        assert check_role_and_provider(role, 3) is None
        assert "must belong to a provider" in check_role_and_provider(role, None)


@pytest.mark.parametrize("role, permission, allowed", [
    (Role.ADMIN, Permission.MANAGE_CALENDAR, True),
    (Role.CONTRACT_MANAGER, Permission.MANAGE_CALENDAR, False),
    (Role.CONTRACT_MANAGER, Permission.RECORD_CQC_RATING, True),
    (Role.COUNCIL_VIEWER, Permission.RECORD_CQC_RATING, False),
    (Role.PROVIDER_MANAGER, Permission.VIEW_PROVIDERS, True),
    (Role.PROVIDER_USER, Permission.MANAGE_USERS, False),
])
def test_role_permissions(role, permission, allowed):
    assert Viewer(1, 1, role, 1 if role.is_provider else None).can(permission) is allowed
