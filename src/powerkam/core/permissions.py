"""Who may do what: the one writer check used by every page, API and service, and the REST
framework permission classes built on the same rule."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission


def can_write(user, roles: Iterable[str] | None = None) -> bool:
    """May `user` change records? An active, logged-in staff member whose role is not read-only
    (executives, DOMAIN.md "Who uses it"); where an area is kept to some roles, one of `roles`
    (a superuser always may)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or user.is_read_only:
        return False
    return roles is None or user.is_superuser or user.role in roles


def require_writer(user, *, roles: Iterable[str] | None = None, message=None,
                   error: type[Exception] = PermissionDenied) -> None:
    """Refuse whoever `can_write` rejects: nobody logged in, a read-only role ("Your role is
    read-only."), or, with `roles`, anyone else (`message` says who may). The refusal is
    PermissionDenied (a 403 on a page and in the API), or `error` where a workflow reports it
    as one of its steps' rules (the stop-supply procedure: a ValidationError, a 400)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise error(_("Log in to make changes."))
    if not can_write(user, roles):
        raise error(message or _("Your role is read-only."))


class StaffPermission(BasePermission):
    """Authenticated, active staff; executives are read-only everywhere."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if request.method in SAFE_METHODS:
            return True
        return not user.is_read_only


class AdminOnly(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return user.is_superuser or user.role == "admin"
