"""The OpenAPI schema tells the truth: what drf-spectacular cannot see by itself, filled in once
for every serializer and operation instead of on each view.

`AutoSchema` (DEFAULT_SCHEMA_CLASS) — read-only fields as the model makes them:
- a field read through a relation that may be empty (`source="secondary_manager.name"`) is
  nullable;
- a read-only choice field of a `blank=True` model field may be "" (DRF drops `allow_blank`
  from read-only fields, so the enum lacked it), and of a `null=True` one may be null.

`document_error_responses` (a POSTPROCESSING_HOOK) — the error responses every operation can give:

- 400 `ValidationError`: field name → messages (or `detail`, `non_field_errors`), for every
  write (a business rule may refuse it even without a body) and every read with parameters;
- 403 `ErrorDetail`: not signed in, or the role may not do this (every operation but the
  public ones, whose only security requirement is the empty one `[{}]`);
- 404 `ErrorDetail`: an operation on one record (a path parameter) that is not in your scope,
  or a page of a list past its end;
- 415 `ErrorDetail`: a body in a content type the operation does not read.

A view that documents its own response for one of these codes keeps it. The hook also gives
time fields their real format ("08:00:00", a local time of day without offset, is not an RFC
3339 `time`) and record ids in paths their type (integer, not a string with a pattern).
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

ERROR_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "What went wrong, in the caller's language.",
}
VALIDATION_ERROR = {
    "type": "object",
    "additionalProperties": {},
    "description": "Field name (or `detail`, `non_field_errors`) → the messages for it.",
}
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# Record ids in URLs match [0-9]+ (api_urls.Router); spectacular shows a regex as a string.
DIGITS = ("^[0-9]+$", "^\\d+$")
PARTIAL_TIME = {"type": "string", "format": "partial-time", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}


def _model_path(field) -> tuple[bool, object | None]:
    """(whether a relation on the way may be empty, the model field at the end) for a serializer
    field's `source`, or (False, None) when it is not a model path."""
    meta = getattr(getattr(field, "parent", None), "Meta", None)
    model = getattr(meta, "model", None)
    attrs = getattr(field, "source_attrs", None)
    if model is None or not attrs or field.source == "*":
        return False, None
    through_nullable = False
    for i, attr in enumerate(attrs):
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return through_nullable, None
        if i == len(attrs) - 1:
            return through_nullable, model_field
        if not model_field.is_relation or model_field.related_model is None:
            return through_nullable, None
        through_nullable = through_nullable or model_field.null or model_field.one_to_many \
            or (model_field.one_to_one and model_field.auto_created)
        model = model_field.related_model
    return through_nullable, None


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if field.read_only and not isinstance(field, serializers.SerializerMethodField):
            through_nullable, model_field = _model_path(field)
            if through_nullable or getattr(model_field, "null", False):
                field.allow_null = True
            if isinstance(field, serializers.ChoiceField) and getattr(model_field, "blank", False):
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _fix_time_formats(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            node.update(PARTIAL_TIME)
        for value in node.values():
            _fix_time_formats(value)
    elif isinstance(node, list):
        for value in node:
            _fix_time_formats(value)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(description: str, schema: str) -> dict:
    return {"content": {"application/json": {"schema": _ref(schema)}}, "description": description}


def _is_public(operation: dict) -> bool:
    security = operation.get("security")
    return security is not None and all(not requirement for requirement in security)


def document_error_responses(result: dict, generator, request, public) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDetail", ERROR_DETAIL)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    _fix_time_formats(result)
    for path_item in result.get("paths", {}).values():
        for method in HTTP_METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("pattern") in DIGITS:
                    parameter["schema"] = {"type": "integer"}
            if method != "get" or "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
                responses.setdefault("400", _response("Invalid input; nothing was changed.", "ValidationError"))
            if "requestBody" in operation:
                responses.setdefault("415", _response("The body's content type is not one this operation reads.",
                                                      "ErrorDetail"))
            if not _is_public(operation):
                responses.setdefault("403", _response("Not signed in, or not allowed for your role.", "ErrorDetail"))
            if any(p.get("in") == "path" or (p.get("in"), p.get("name")) == ("query", "page") for p in parameters):
                responses.setdefault("404", _response("No such record in your scope.", "ErrorDetail"))
    return result
