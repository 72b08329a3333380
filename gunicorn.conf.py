"""gunicorn settings used by `make run` (and by default when gunicorn starts in this folder).

No `Server` header: gunicorn announces "Server: gunicorn" on every response, which tells an
attacker what to look up (issue #9 item 9)."""

from gunicorn.http import wsgi


class _Response(wsgi.Response):
    def default_headers(self):
        return [h for h in super().default_headers() if not h.lower().startswith("server:")]


wsgi.Response = _Response
