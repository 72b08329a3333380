"""Request guards that answer before any view runs."""

from __future__ import annotations

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
    (powerkam.core.parsers), file uploads are not checked (an xlsx is binary).
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
        if content_type == "multipart/form-data" and request.method == "POST":
            try:
                return contains_nul(request.POST)
            except MultiPartParserError:  # a broken body: the view (or DRF's parser) answers 400
                return False
        return False
