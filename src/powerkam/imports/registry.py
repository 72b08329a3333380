"""Import kinds: what can be imported, registered by the app that owns the data.

The five archive kinds (customers, contacts, supply_points, transformers, metering_points) are
registered by `powerkam.imports.services`; any other app registers its own kind from its
`AppConfig.ready()` without touching `powerkam/imports/`. A registered kind gets everything an
archive kind has: a line on the /imports/ page with its downloadable template
(`services.template_xlsx(kind)`), the upload form and the API (`POST /api/v1/imports/`,
`GET /api/v1/imports/templates/<kind>/`), the dry run with a preview, the Chinese row/column
error report (xlsx), the all-or-nothing commit, and the background job with a progress bar for
files over POWERKAM_IMPORT_INLINE_ROWS rows. No migration is needed (ImportJob.kind takes its
choices from this registry).

How to register a kind (example: bills, from billing/apps.py)::

    class BillingConfig(AppConfig):
        def ready(self):
            from powerkam.imports.registry import register_kind
            from .imports import BILL_COLUMNS, BillImporter

            register_kind("bills", _("Bills"), BILL_COLUMNS, BillImporter,
                          help_text=_("Monthly bills from the billing system, upserted by bill number."))

`kind` is a slug of lower-case letters and underscores, at most 24 characters; the label and help
text are lazy gettext strings.

Columns (`powerkam.imports.columns`): a tuple of `ColumnSpec(field, zh, en, parse=..., required=...,
choices=..., max_length=..., help=..., example=..., aliases=...)`; `col(Model, "field", "中文表头",
"English header", parser, **kw)` fills max_length from the model field and uses parse_choice for
`choices=`. `customer_ref(Model)` is the standard "客户编号" (customer number) column; its cells
arrive as `parsed[CUSTOMER_NUMBER_REF]`. Headers are matched on the Chinese or English header or
an alias, ignoring spaces, case, full-width brackets and a trailing "*". Parsers are
`parse(cell, spec) -> value` and raise `ValueError("message")` for a bad cell (parse_text,
parse_decimal — non-negative, 2 places —, parse_positive_int, parse_bool, parse_date,
parse_choice, parse_uscc, parse_phone, parse_email, parse_ratio; write your own the same way).
Empty cells are left out of `parsed`; a `required=True` column must be present and filled.

The importer (`powerkam.imports.services.Importer` subclass) — the contract:

- it is built once per file run as `importer_class(kind, actor=, columns=, filename=, result=)`;
  `self.actor` is the Staff (None for the system), `self.result` the ImportResult;
- `validate(batch) -> list[Plan]` gets up to BATCH_SIZE rows as `[(row_number, cells), …]`
  (row_number as in the spreadsheet, header = row 1). Call `self.parse_row(row, cells)` →
  `(parsed: {field: value}, ok)`; it already reported the cell errors. Look up references for
  the WHOLE batch with one IN query each, never per row. Return one `Plan(row, action, obj,
  changed, customer_id=)` per valid row, action "create" / "update" / "unchanged", and count
  `self.result.created / updated / unchanged += 1`; call `self.preview(row, action, cells)`;
- customers by number, within the actor's visibility: `self.customers_by_number(numbers)` →
  `{number: Customer}` (one query; a number you may not see is simply absent: report it as
  "does not exist or is outside your scope", never reveal that it exists);
- errors: `self.error(row, field_name, message)` (the column is named by its header in the
  file; field_name "" for the whole row) or `self.result.add_error(row, header, message)`.
  Messages are gettext strings (English source, Chinese in the catalogue), specific to the cell;
- all-or-nothing: `validate` must not write. `write(plans)` is only called for batches while the
  whole file is still error-free, inside one transaction that `run_import` rolls back if any
  later row fails; `finish()` runs once at the end, still inside it. Raise nothing to refuse
  rows: report errors. The default `write` bulk-creates/-updates `plan.obj` with simple-history
  rows by the actor (plain bulk_create when the model has no history), and adds one
  "archive.imported" timeline event per touched customer (`plan.customer_id`); the default
  `finish` re-evaluates the archive data-quality rules for touched customers — override it
  (e.g. `def finish(self): pass`) when your kind does not change the archive;
- `ChildImporter` does most of this for records hanging off a customer with a natural key:
  set `model` and `KEY_FIELDS` (the natural key's fields, e.g. `("number",)`) — or, for a key
  that is not plain fields, implement `key_of_values(customer_id, parsed)`, `key_of_record(record)`,
  `describe_key(parsed)`; optionally `FIELDS` (attributes set from `parsed`; default: every
  column but the customer number), `existing_queryset(customer_ids, rows)` (the records that may
  match, default all of the customers'), `load_references(customer_ids, rows)`,
  `resolve(row, customer, parsed) -> ok` (turn reference cells into ids, report errors),
  `new_record(customer, parsed)`. It refuses unknown/out-of-scope/closed customers and keys
  repeated within the file, and makes the upsert idempotent (a row that changes nothing is
  "unchanged" and writes nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # no runtime import: models.py and columns.py import this module
    from .columns import ColumnSpec

KIND_RE = re.compile(r"^[a-z][a-z_]{0,23}$")  # URL pattern of the template view, ImportJob.kind max_length


@dataclass(frozen=True)
class ImportKind:
    kind: str
    label: Any  # lazy gettext
    columns: tuple[ColumnSpec, ...]
    importer_class: type
    help_text: Any = None


_KINDS: dict[str, ImportKind] = {}


def register_kind(kind: str, label, columns: tuple[ColumnSpec, ...], importer_class: type, *,
                  help_text=None) -> ImportKind:
    """Register an import kind (see the module docstring). Registering the same kind again with
    the same importer replaces it (autoreload, tests); another importer under a taken name is an
    error."""
    from .columns import ColumnSpec

    if not KIND_RE.match(kind or ""):
        raise ValueError(f"Import kind {kind!r}: use 1–24 lower-case letters and underscores.")
    columns = tuple(columns)
    if not columns or not all(isinstance(c, ColumnSpec) for c in columns):
        raise ValueError(f"Import kind {kind!r}: columns must be a non-empty tuple of ColumnSpec.")
    fields = [c.field for c in columns]
    if len(set(fields)) != len(fields):
        raise ValueError(f"Import kind {kind!r}: a field appears in two columns.")
    if not isinstance(importer_class, type) or not hasattr(importer_class, "validate"):
        raise ValueError(f"Import kind {kind!r}: importer_class must be an Importer subclass.")
    current = _KINDS.get(kind)
    if current is not None and current.importer_class.__qualname__ != importer_class.__qualname__:
        raise ValueError(f"Import kind {kind!r} is already registered by {current.importer_class!r}.")
    entry = ImportKind(kind, label, columns, importer_class, help_text)
    _KINDS[kind] = entry
    return entry


def unregister_kind(kind: str) -> None:
    """For tests."""
    _KINDS.pop(kind, None)


def _ensure_builtins() -> None:
    if "customers" not in _KINDS:
        from . import services  # noqa: F401 - registers the archive kinds on import


def all_kinds() -> list[ImportKind]:
    _ensure_builtins()
    return list(_KINDS.values())


def kind_names() -> list[str]:
    return [k.kind for k in all_kinds()]


def is_kind(kind: str) -> bool:
    _ensure_builtins()
    return kind in _KINDS


def get_kind(kind: str) -> ImportKind:
    """The registered kind; KeyError for an unknown one."""
    _ensure_builtins()
    return _KINDS[kind]


def kind_choices() -> list[tuple[str, Any]]:
    """(kind, label) for ImportJob.kind and the upload form (a callable: no migration per kind)."""
    return [(k.kind, k.label) for k in all_kinds()]


def iter_columns(kind: str) -> Iterator[ColumnSpec]:
    yield from get_kind(kind).columns
