"""Customer search and filters, shared by the UI list, the API and exports."""

import django_filters
from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value
from django.utils.translation import gettext_lazy as _

from powerkam.core.filters import RecordIdFilter

from . import search_index
from .models import Contact, Customer


class NameHasBigram(Func):
    """`<customer>.name_bigrams @> ARRAY[UPPER(term)]`: the customer's name contains the
    two-character `term` (PostgreSQL only: the generated column and GIN index of migration
    customers 0006). The column is not a model field, so it is named after the compiled `name`
    column — with the query's alias for the customer table, also inside a subquery."""

    output_field = BooleanField()

    def __init__(self, term: str):
        super().__init__(F("name"), Value(term))

    def as_sql(self, compiler, connection, **extra):
        name, term = self.get_source_expressions()
        name_sql, name_params = compiler.compile(name)
        term_sql, term_params = compiler.compile(term)
        quoted = connection.ops.quote_name("name")
        if not name_sql.endswith(quoted):  # pragma: no cover - a compiled column always ends so
            raise ValueError(f"unexpected column SQL {name_sql!r}")
        column = name_sql[: -len(quoted)] + connection.ops.quote_name("name_bigrams")
        return f"{column} @> ARRAY[UPPER({term_sql})::text]", [*name_params, *term_params]


class NameHasGrams(Func):
    """`<customer>.id IN (SELECT rowid FROM customers_name_grams WHERE … MATCH …)`: the customer's
    name has every two-character piece of `term` (SQLite only: the FTS5 table of migration
    customers 0007, see search_index). Follows the query's alias for the customer table."""

    output_field = BooleanField()

    def __init__(self, term: str):
        super().__init__(F("pk"), Value(search_index.match_expression(term)))

    def as_sql(self, compiler, connection, **extra):
        pk, match = self.get_source_expressions()
        pk_sql, pk_params = compiler.compile(pk)
        match_sql, match_params = compiler.compile(match)
        table = search_index.TABLE
        return (f"{pk_sql} IN (SELECT rowid FROM {table} WHERE {table} MATCH {match_sql})",
                [*pk_params, *match_params])


def name_condition(queryset: QuerySet, term: str) -> Q:
    """`name__icontains=term`, with an index condition that gives the same rows without reading
    every customer (issue #11): on PostgreSQL for a two-character term the bigram column
    (name_bigrams; pg_trgm cannot serve a fragment shorter than three characters, and
    two-character words are the commonest search in Chinese; longer terms use the trigram
    index by themselves); on SQLite for any term of two characters or more the FTS5 table of
    name pieces (search_index). A one-character term reads every name."""
    q = Q(name__icontains=term)
    vendor = connections[queryset.db].vendor
    if len(term) == 2 and vendor == "postgresql":
        q = Q(NameHasBigram(term)) & q
    elif len(term) >= 2 and vendor == "sqlite":
        q = Q(NameHasGrams(term)) & q
    return q


def search_customers(queryset: QuerySet, term: str) -> QuerySet:
    """Search by name fragment, customer number (prefix), credit code, or contact phone."""
    term = (term or "").strip()
    if not term:
        return queryset
    q = name_condition(queryset, term) | Q(number__startswith=term)
    upper = term.upper()
    if len(upper) >= 6 and upper.isalnum():
        q |= Q(credit_code__startswith=upper)
    digits = term.replace("-", "").replace(" ", "")
    if digits.isdigit() and len(digits) >= 4:
        q |= Q(pk__in=Contact.objects.filter(Q(mobile__contains=digits) | Q(phone__contains=digits)).values("customer_id"))
    return queryset.filter(q)


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    org_unit = RecordIdFilter(method="filter_org_unit", label=_("Org unit (with sub-units)"))
    manager = RecordIdFilter(method="filter_manager", label=_("Manager"))
    has_open_findings = django_filters.BooleanFilter(method="filter_findings", label=_("Has open data-quality findings"))

    class Meta:
        model = Customer
        fields = {
            "lifecycle_status": ["exact"],
            "is_key_account": ["exact"],
            "ka_tier": ["exact"],
            "industry": ["exact"],
            "usage_category": ["exact"],
            "voltage_level": ["exact"],
            "importance_level": ["exact"],
            "scope": ["exact"],
            "cooperation_depth": ["exact"],
            "customer_type": ["exact"],
            "contract_capacity_kva": ["gte", "lte"],
        }

    def filter_q(self, queryset, name, value):
        return search_customers(queryset, value)

    def filter_org_unit(self, queryset, name, value):
        from powerkam.org.models import OrgUnit

        path = OrgUnit.objects.filter(pk=value).values_list("path", flat=True).first()
        return queryset.filter(org_unit__path__startswith=path) if path else queryset.none()

    def filter_manager(self, queryset, name, value):
        return queryset.filter(Q(primary_manager_id=value) | Q(secondary_manager_id=value))

    def filter_findings(self, queryset, name, value):
        from .models import DataQualityFinding

        open_ids = DataQualityFinding.objects.filter(status=DataQualityFinding.Status.OPEN).values("customer_id")
        return queryset.filter(pk__in=open_ids) if value else queryset.exclude(pk__in=open_ids)


CUSTOMER_ORDERING = {
    "number": "number", "-number": "-number",
    "name": "name", "-name": "-name",
    "capacity": "contract_capacity_kva", "-capacity": "-contract_capacity_kva",
    "updated": "updated_at", "-updated": "-updated_at",
}
