"""The API's JSON parser: every JSON request body is an object (field → value).

DRF's own parser accepts any JSON value, so a list or a string reached views that read
`request.data.get(...)` and failed with a 500. Rejecting it here, before any view runs, answers
every endpoint alike with a 400 that says what is wrong. The same for a NUL character in it
(the middleware checks forms and query strings).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .middleware import contains_nul, nul_message


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("The request body must be a JSON object."))
        # "\u0000" in JSON is a NUL character, which PostgreSQL refuses in text columns.
        if contains_nul(data):
            raise ParseError(nul_message())
        return data
