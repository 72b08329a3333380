"""Request guards that answer before any view runs, and the headers every response carries."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

NUL = "\x00"


def contains_nul(value) -> bool:
    """A NUL character anywhere in a string, or in the keys and values of a dict, list or QueryDict."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, QueryDict):
        return any(contains_nul(k) or contains_nul(v) for k, values in value.lists() for v in values)
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def nul_message() -> str:
    return _("The request contains a NUL character (\\0), which is not allowed.")


class RejectNulMiddleware:
    """400 for a NUL character in the path, the query string or a form body.

    PostgreSQL refuses NUL in text (a search box or a form field reaching the database failed
    with a 500); no field of ours has a use for it. JSON bodies are checked by the API's parser
    (powerkam.core.parsers); multipart bodies in process_view, except for views that parse their
    own body (an upload view installs a size-limited upload handler first, imports.uploads) — their
    text fields refuse NUL themselves (Django's and DRF's CharField carry
    ProhibitNullCharactersValidator).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": nul_message()}, status=400)
            return HttpResponseBadRequest(nul_message(), content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if NUL in request.path_info or contains_nul(request.GET):
            return True
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded":
            return contains_nul(QueryDict(request.body, encoding=request.encoding))
        return False

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A multipart form's fields, read only where the CSRF check reads the body anyway: a
        csrf_exempt view (the API, the import upload) parses its own body, behind its own upload
        handlers, so it is left alone."""
        if (request.method == "POST" and (request.content_type or "") == "multipart/form-data"
                and not getattr(view_func, "csrf_exempt", False)):
            try:
                nul = contains_nul(request.POST)
            except MultiPartParserError:  # a broken body: the view answers 400
                return None
            if nul:
                return HttpResponseBadRequest(nul_message(), content_type="text/plain; charset=utf-8")
        return None


class ContentSecurityPolicyMiddleware:
    """The Content-Security-Policy header on every response (issue #9 item 9).

    Pages load scripts only from our own static files — no inline <script>, no on*= attributes, no
    eval — so an injected script tag or attribute does not run. Inline styles stay allowed: Bootstrap
    components, htmx's indicator style and ECharts set them. The policy is `settings.POWERKAM_CSP`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.POWERKAM_CSP
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
