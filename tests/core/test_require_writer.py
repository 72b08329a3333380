"""The one writer check (core.permissions): who may change records, and how a refusal reads.
Every page, API and service that changes records calls it (executives are read-only everywhere,
DOMAIN.md "Who uses it"; outages are kept to clerks, supervisors and administrators)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from powerkam.core.permissions import can_write, require_writer
from powerkam.org.models import Role, Staff

OUTAGE_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)


def person(role: str, *, superuser: bool = False, active: bool = True) -> Staff:
    return Staff(username=f"{role}-{superuser}-{active}", role=role, is_superuser=superuser, is_active=active)


@pytest.mark.parametrize(("who", "roles", "allowed"), [
    (person(Role.MANAGER), None, True),
    (person(Role.CLERK), None, True),
    (person(Role.EXECUTIVE), None, False),
    (person(Role.EXECUTIVE, superuser=True), None, True),  # a superuser is never read-only
    (person(Role.MANAGER, active=False), None, False),
    (AnonymousUser(), None, False),
    (None, None, False),
    (person(Role.MANAGER), OUTAGE_ROLES, False),
    (person(Role.CLERK), OUTAGE_ROLES, True),
    (person(Role.MANAGER, superuser=True), OUTAGE_ROLES, True),
    (person(Role.EXECUTIVE), OUTAGE_ROLES, False),
])
def test_who_may_write(who, roles, allowed):
    assert can_write(who, roles) is allowed
    if allowed:
        require_writer(who, roles=roles)
    else:
        with pytest.raises(PermissionDenied):
            require_writer(who, roles=roles)


def test_the_refusal_says_why():
    with translation.override("en"):
        with pytest.raises(PermissionDenied, match="Your role is read-only"):
            require_writer(person(Role.EXECUTIVE))
        with pytest.raises(PermissionDenied, match="Log in"):
            require_writer(AnonymousUser())
        with pytest.raises(PermissionDenied, match="Only clerks"):
            require_writer(person(Role.EXECUTIVE), roles=OUTAGE_ROLES,
                           message="Only clerks, supervisors and administrators manage outages.")
    with translation.override("zh-hans"), pytest.raises(PermissionDenied, match="只读"):
        require_writer(person(Role.EXECUTIVE))


def test_a_workflow_may_refuse_as_one_of_its_rules():
    """The stop-supply procedure reports a read-only actor as it reports its other rules (a 400)."""
    with pytest.raises(ValidationError):
        require_writer(person(Role.EXECUTIVE), error=ValidationError)
