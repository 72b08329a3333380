"""REST API (/api/v1/)."""


def register(router) -> None:
    pass
