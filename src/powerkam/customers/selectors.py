"""Read-side queries for the customer archive pages. Every function takes an already scoped
queryset or a customer the user may see; the number of SQL queries never depends on row counts."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.imports.exports import Column

from .models import (
    Contact,
    Customer,
    DataQualityFinding,
    MeteringPoint,
    Substation,
    SupplyContract,
    SupplyLine,
    SupplyPoint,
    Transformer,
)
from .validators import mask_id_number

OPEN = DataQualityFinding.Status.OPEN


def shown_id_number(user, value: str) -> str:
    """The ID number as `user` may see it: full for can_see_full_id, masked otherwise."""
    return value if getattr(user, "can_see_full_id", False) else mask_id_number(value)


def customer_export_columns(user) -> list[Column]:
    """The columns of every customer export (list page and API); ID numbers as `user` may see them."""
    def label(name: str):
        return Customer._meta.get_field(name).verbose_name

    def display(name: str):
        # One {code: label} map per export, not get_FOO_display() per cell (which rebuilds a dict
        # of the lazy labels on every call: the biggest cost of a 10,000-row export).
        labels = {code: str(label) for code, label in Customer._meta.get_field(name).flatchoices}
        return lambda row: labels.get(getattr(row, name), getattr(row, name)) if getattr(row, name) else ""

    return [
        Column(label("number"), lambda r: r.number),
        Column(label("name"), lambda r: r.name),
        Column(label("customer_type"), display("customer_type")),
        Column(label("credit_code"), lambda r: r.credit_code),
        Column(label("id_number"), lambda r: shown_id_number(user, r.id_number)),
        Column(label("legal_representative"), lambda r: r.legal_representative),
        Column(label("industry"), display("industry")),
        Column(label("usage_category"), display("usage_category")),
        Column(label("voltage_level"), display("voltage_level")),
        Column(label("contract_capacity_kva"), lambda r: r.contract_capacity_kva),
        Column(label("operating_capacity_kva"), lambda r: r.operating_capacity_kva),
        Column(label("lifecycle_status"), display("lifecycle_status")),
        Column(label("is_key_account"), lambda r: r.is_key_account),
        Column(label("ka_tier"), display("ka_tier")),
        Column(label("importance_level"), display("importance_level")),
        Column(label("org_unit"), lambda r: r.org_unit.name),
        Column(label("primary_manager"), lambda r: r.primary_manager.display_name if r.primary_manager_id else ""),
        Column(label("secondary_manager"), lambda r: r.secondary_manager.display_name if r.secondary_manager_id else ""),
        Column(label("opened_on"), lambda r: r.opened_on),
        Column(gettext_lazy("Open data-quality findings"), lambda r: r.open_findings),
    ]



def search_only_term(params, ignored: frozenset[str]) -> str | None:
    """The search term `q` ("" if absent) when `params` (a QueryDict) carries no other filter —
    only `q` and the caller's non-filter parameters (`ignored`: page, sort, …) — else None.

    CustomerFilter applies `q` as `filters.search_customers(queryset, q)` and changes nothing for
    absent filters, so for such a query string the caller can call search_customers itself and
    skip building and validating the filter set's form (15 fields, a few ms per request). A
    term with a NUL character is left to the form, which rejects it."""
    for key in params.keys():
        if key != "q" and key not in ignored:
            return None
    term = params.get("q", "")
    return None if "\x00" in term else term


def with_open_findings(queryset: QuerySet) -> QuerySet:
    """Annotate `open_findings` (a count) with one correlated subquery: no N+1."""
    counted = (DataQualityFinding.objects.filter(customer_id=OuterRef("pk"), status=OPEN)
               .order_by().values("customer_id").annotate(n=Count("pk")).values("n"))
    return queryset.annotate(open_findings=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))


def customer_list_queryset(queryset: QuerySet) -> QuerySet:
    """The rows of the customer list and its exports."""
    return with_open_findings(
        queryset.select_related("org_unit", "primary_manager", "secondary_manager")
    )


LIST_LABELS = ("lifecycle_status", "usage_category", "voltage_level", "ka_tier")


def with_choice_labels(rows, fields=LIST_LABELS) -> list:
    """The rows (customers) as a list, each with `<field>_label`: the choice's label in the
    active language, as get_<field>_display() gives it. One {code: label} map per field per
    call, instead of get_FOO_display() per cell, which rebuilds a dict of every lazy label on
    each call (4 per row of the list page)."""
    rows = list(rows)
    for name in fields:
        labels = {code: str(label) for code, label in Customer._meta.get_field(name).flatchoices}
        attr = f"{name}_label"
        for row in rows:
            value = getattr(row, name)
            setattr(row, attr, labels.get(value, value))
    return rows


def list_page_rows(rows) -> list:
    """The customer list page's rows with what its table shows, prepared once per row with the
    functions the template would call (same text): choice labels (with_choice_labels),
    `detail_url`, `capacity_text` (floatformat "-2g") and `updated_text` (date "Y-m-d H:i", in
    local time as the template converts it).
    The template engine resolving and filtering these per cell was most of the table's cost."""
    from django.template.defaultfilters import date as date_filter
    from django.template.defaultfilters import floatformat
    from django.urls import reverse
    from django.utils.timezone import template_localtime

    marker = 987654321
    prefix, suffix = reverse("customers:detail", args=[marker]).split(str(marker))
    rows = with_choice_labels(rows)
    for row in rows:
        row.detail_url = f"{prefix}{row.pk}{suffix}"
        row.capacity_text = floatformat(row.contract_capacity_kva, "-2g")
        row.updated_text = date_filter(template_localtime(row.updated_at), "Y-m-d H:i")
    return rows


def customer_360(queryset: QuerySet, pk: int) -> Customer:
    """The customer with every archive record the 360 page shows, in a fixed number of queries.
    `queryset` is the user's visible customers; raises Customer.DoesNotExist if out of scope."""
    return (
        queryset.select_related("org_unit", "primary_manager", "secondary_manager", "developed_by")
        .prefetch_related(
            "contacts",
            Prefetch("supply_points", queryset=SupplyPoint.objects.select_related("substation", "supply_line__substation")),
            Prefetch("transformers", queryset=Transformer.objects.select_related("supply_point")),
            Prefetch("metering_points", queryset=MeteringPoint.objects.select_related("supply_point")),
            "contracts",
            Prefetch("findings", queryset=DataQualityFinding.objects.filter(status=OPEN), to_attr="open_findings_list"),
        )
        .get(pk=pk)
    )


TIMELINE_LIMIT = 100


def timeline(customer: Customer, limit: int = TIMELINE_LIMIT) -> list:
    """The newest events on the customer's timeline (any module's), newest first."""
    return list(customer.timeline.select_related("actor").order_by("-occurred_at", "-id")[:limit])


def transformer_summary(customer: Customer) -> dict[str, Any]:
    """Total in-service transformer kVA vs contract capacity (from prefetched transformers)."""
    total = sum((t.total_kva for t in customer.transformers.all() if t.in_service), Decimal("0"))
    return {"in_service_kva": total, "contract_kva": customer.contract_capacity_kva,
            "matches": total == customer.contract_capacity_kva}


# --- Audit trail -------------------------------------------------------------------------------

AUDITED_CHILDREN = (Contact, SupplyPoint, Transformer, MeteringPoint, SupplyContract)
# Bookkeeping fields that change on every save and say nothing to a reader.
AUDIT_SKIP_FIELDS = {"id", "customer", "updated_at", "created_at"}
AUDIT_LIMIT = 200
MASKED_FIELDS = {"id_number"}


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class AuditEntry:
    when: datetime
    who: Any
    model_label: str
    object_label: str
    action: str  # "created", "changed", "deleted"
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return {"created": _("Created"), "changed": _("Changed"), "deleted": _("Deleted")}[self.action]


def _audit_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in AUDIT_SKIP_FIELDS]


def _display(f: models.Field, value: Any, fk_names: dict, can_see_full_id: bool) -> str:
    if value is None or value == "":
        return "—"
    if f.name in MASKED_FIELDS and not can_see_full_id:
        from .validators import mask_id_number

        return mask_id_number(str(value))
    if f.is_relation:
        return fk_names.get((f.related_model, value), f"#{value}")
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def audit_trail(customer: Customer, *, can_see_full_id: bool = False, limit: int = AUDIT_LIMIT) -> list[AuditEntry]:
    """The history of the customer and of all its archive records (including deleted ones),
    newest first: who, when, which field, old → new, with the fields' verbose names.

    One query per audited model plus one per related model named in a change — a constant
    number whatever the history's length. Diffs are computed in Python between consecutive
    historical records of the same object.
    """
    sources: list[tuple[type[models.Model], QuerySet]] = [
        (Customer, Customer.history.filter(id=customer.pk)),
    ] + [(m, m.history.filter(customer_id=customer.pk)) for m in AUDITED_CHILDREN]

    raw: list[tuple[type[models.Model], Any, Any]] = []  # (model, record, previous record)
    fk_ids: dict[type[models.Model], set] = defaultdict(set)
    for model, qs in sources:
        records = list(qs.select_related("history_user").order_by("id", "history_date", "history_id"))
        previous_by_id: dict[int, Any] = {}
        fields = [f for f in _audit_fields(model) if f.is_relation]
        for rec in records:
            prev = previous_by_id.get(rec.id)
            raw.append((model, rec, prev))
            previous_by_id[rec.id] = rec
            if prev is None or rec.history_type != "~":
                continue
            for f in fields:  # only foreign keys that changed need a name
                old, new = getattr(prev, f.attname), getattr(rec, f.attname)
                if old != new:
                    fk_ids[f.related_model].update(v for v in (old, new) if v is not None)

    fk_names: dict[tuple, str] = {}
    for related, ids in fk_ids.items():
        rows = related._default_manager.filter(pk__in=ids)
        if related is SupplyLine:  # its str() names the substation
            rows = rows.select_related("substation")
        for obj in rows:
            fk_names[(related, obj.pk)] = str(obj)

    entries: list[AuditEntry] = []
    for model, rec, prev in raw:
        fields = _audit_fields(model)
        if rec.history_type == "+":
            action, changes = "created", []
        elif rec.history_type == "-":
            action, changes = "deleted", []
        else:
            action = "changed"
            changes = []
            if prev is not None:
                for f in fields:
                    old, new = getattr(prev, f.attname), getattr(rec, f.attname)
                    if old != new:
                        changes.append(FieldChange(
                            field=f.name, label=str(f.verbose_name),
                            old=_display(f, old, fk_names, can_see_full_id),
                            new=_display(f, new, fk_names, can_see_full_id)))
            if not changes:
                continue  # a save that changed only bookkeeping fields
        object_label = customer.name if model is Customer else _object_label(model, rec)
        entries.append(AuditEntry(
            when=rec.history_date, who=rec.history_user, model_label=str(model._meta.verbose_name),
            object_label=object_label, action=action, changes=changes))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


def _object_label(model: type[models.Model], rec: Any) -> str:
    for name in ("number", "name", "model_no"):
        value = getattr(rec, name, None)
        if value:
            return str(value)
    return f"#{rec.id}"


# --- Data quality -------------------------------------------------------------------------------

def open_findings(findings: QuerySet, *, rule: str = "", org_unit=None) -> QuerySet:
    """Open findings (already scoped) narrowed by rule and org unit subtree."""
    qs = findings.filter(status=OPEN)
    if rule:
        qs = qs.filter(rule=rule)
    if org_unit is not None:
        qs = qs.filter(customer__org_unit__path__startswith=org_unit.path)
    return qs


def findings_by_org_unit(findings: QuerySet) -> list[dict]:
    return list(
        findings.order_by().values("customer__org_unit_id", "customer__org_unit__name", "customer__org_unit__path")
        .annotate(findings=Count("pk"), customers=Count("customer", distinct=True))
        .order_by("customer__org_unit__path")
    )


def findings_by_rule(findings: QuerySet) -> list[dict]:
    from .quality import RULES, rule_label

    counts = {row["rule"]: row for row in findings.order_by().values("rule").annotate(
        findings=Count("pk"), customers=Count("customer", distinct=True))}
    order = [r.code for r in RULES]
    rows = [dict(counts[code], label=rule_label(code)) for code in order if code in counts]
    rows += [dict(v, label=rule_label(k)) for k, v in counts.items() if k not in order]
    return rows


def customers_with_findings(customers: QuerySet, findings: QuerySet) -> QuerySet:
    """Customers (already scoped) having any of `findings`, each with those findings prefetched
    as `open_findings_list`."""
    return (
        customers.filter(pk__in=findings.values("customer_id"))
        .select_related("org_unit", "primary_manager")
        .prefetch_related(Prefetch("findings", queryset=findings.order_by("rule"), to_attr="open_findings_list"))
        .order_by("org_unit__path", "number")
    )


# --- what a user may reference in a write (issue #9 "Trust" §2; core.scoped) ----------------


def customer_reference_scopes(instance: Customer | None = None) -> dict[str, Any]:
    """The org unit and staff a user may set on a customer, as core.scoped scopes
    (user, context) → queryset: the edit page's choices and the API's are these same ones.
    What the customer has already stays allowed, so saving it unchanged works."""
    from powerkam.org.selectors import assignable_org_units, developer_choices, manager_choices

    current = instance if instance is not None and instance.pk else None
    managers = (current.primary_manager_id, current.secondary_manager_id) if current else ()

    def managers_scope(user, context):
        return manager_choices(user, include_ids=managers)

    return {
        "org_unit": lambda user, context: assignable_org_units(
            user, include_ids=[current.org_unit_id] if current else []),
        "primary_manager": managers_scope,
        "secondary_manager": managers_scope,
        "developed_by": lambda user, context: developer_choices(
            include_ids=[current.developed_by_id] if current else []),
    }


def grid_unit_ids(user) -> set[int] | None:
    """Org units whose substations a user may record as feeding a customer, or None for every
    unit (company roles): the units on the path down to the user's own unit (a station's
    customers are fed from its region's substations) and the units below it; for a key account
    manager the same around each portfolio customer's unit."""
    from powerkam.core.scoping import customer_scope_q, visible_customers
    from powerkam.org.models import PORTFOLIO_ROLES, OrgUnit

    if not user or not user.is_authenticated:
        return set()
    if customer_scope_q(user) is None:
        return None
    paths = [user.org_unit.path] if user.org_unit_id else []
    if user.role in PORTFOLIO_ROLES:
        paths += list(visible_customers(user).order_by().values_list("org_unit__path", flat=True).distinct())
    if not paths:
        return set()
    ids = {int(part) for p in paths for part in p.strip("/").split("/") if part}
    below = models.Q()
    for p in set(paths):
        below |= models.Q(path__startswith=p)
    ids.update(OrgUnit.objects.filter(below).values_list("pk", flat=True))
    return ids


def usable_substations(user) -> QuerySet:
    """Substations a user may pick for a supply point (grid_unit_ids), and those of no unit."""
    units = grid_unit_ids(user)
    qs = Substation.objects.order_by("name")
    if units is None:
        return qs
    if not user or not user.is_authenticated:
        return qs.none()
    return qs.filter(models.Q(org_unit_id__in=units) | models.Q(org_unit__isnull=True))


def usable_supply_lines(user) -> QuerySet:
    """Supply lines leaving the substations the user may pick."""
    return (SupplyLine.objects.filter(substation__in=usable_substations(user).order_by().values("pk"))
            .select_related("substation").order_by("substation__name", "name"))
