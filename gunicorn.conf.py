"""gunicorn settings used by `make run` (and by default when gunicorn starts in this folder).

No `Server` header: gunicorn announces "Server: gunicorn" on every response, which tells an
attacker what to look up (issue #9 item 9)."""

from gunicorn.http import wsgi


class _Response(wsgi.Response):
    def default_headers(self):
        return [h for h in super().default_headers() if not h.lower().startswith("server:")]


wsgi.Response = _Response

# Keep-alive (issue #11, Locust): gunicorn's default of 2 s closes an idle connection just as a
# browser or client that paused 0.5-2 s between pages reuses it, and that request fails with
# "connection reset" (4 of 770 requests with 16 users). The gthread worker parks idle
# keep-alive connections in its poller, so a longer keep-alive holds no thread; 75 s is nginx's
# default.
keepalive = 75
