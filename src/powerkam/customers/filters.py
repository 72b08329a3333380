"""Customer search and filters, shared by the UI list, the API and exports."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from powerkam.core.filters import RecordIdFilter

from .models import Contact, Customer


def search_customers(queryset: QuerySet, term: str) -> QuerySet:
    """Search by name fragment, customer number (prefix), credit code, or contact phone."""
    term = (term or "").strip()
    if not term:
        return queryset
    q = Q(name__icontains=term) | Q(number__startswith=term)
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
