"""/api/v1/ endpoints of billing."""


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
