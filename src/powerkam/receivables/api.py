"""/api/v1/ endpoints of receivables."""


def register(router) -> None:
    """Add this app's viewsets to the one /api/v1/ router."""
