from rest_framework.permissions import SAFE_METHODS, BasePermission


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
