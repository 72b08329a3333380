"""Foreign keys resolved through the requesting user's scope (issue #9 "Trust" §2).

Every id a user sends — in an API body, in a nested list, in a page form — names a record the
user could pick on the page, or it is refused with the same message as an id that does not
exist at all ("does not exist or is not visible to you"): the answer never tells whether the
record exists elsewhere, and never names it.

The choices come from one function per kind of reference, in the app that owns the records
(org.selectors.assignable_org_units, org.selectors.assignable_staff, customers.selectors
.usable_substations, …). The page form sets its field's queryset from that function and the
API field calls the same function per request, so the API accepts exactly what the page offers.
"""

from collections.abc import Callable

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import serializers

NOT_VISIBLE = _("Does not exist or is not visible to you.")

# scope(user, context) -> the records that user may name here; `context` is the serializer's
# context (the request, and whatever the view adds, e.g. the visit being recorded).
Scope = Callable[[object, dict], QuerySet]


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key accepted only from `scope(request.user, context)`, built per request.

    `model` keeps the OpenAPI schema right (the pk type) without touching the database."""

    default_error_messages = {"does_not_exist": NOT_VISIBLE}

    def __init__(self, model: type[Model], scope: Scope, **kwargs):
        self.scope = scope
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model._default_manager.none()
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        return self.scope(getattr(request, "user", None), self.context)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class ScopedModelChoiceField(forms.ModelChoiceField):
    """A page form's foreign key: the form sets `queryset` from the same scope function as the
    API; anything else is refused with the same neutral message."""

    default_error_messages = {"invalid_choice": NOT_VISIBLE}


class ScopedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    default_error_messages = {"invalid_choice": NOT_VISIBLE, "invalid_pk_value": NOT_VISIBLE}


class ScopedModelChoiceFilter(filters.ModelChoiceFilter):
    """A list's `?customer=` (or any reference) filter whose choices are `scope(request.user)`:
    a foreign id is refused exactly like a missing one, where the plain filter would answer an
    empty 200 for the one and a 400 for the other, telling which ids exist elsewhere."""

    def __init__(self, model: type[Model], scope: Scope, **kwargs):
        def choices(request) -> QuerySet:
            user = getattr(request, "user", None)
            return scope(user, {}) if user is not None else model._default_manager.none()

        super().__init__(queryset=choices, **kwargs)


# --- the scopes every app needs -------------------------------------------------------------


def customers_in_scope(user, context=None) -> QuerySet:
    """A `customer` reference: the customers the user sees (core.scoping)."""
    from .scoping import visible_customers

    return visible_customers(user)


def contacts_in_scope(user, context=None) -> QuerySet:
    """A `contact` reference: contacts of the customers the user sees. Whether it is the
    contact of the record's own customer is the service's rule."""
    from powerkam.customers.models import Contact

    from .scoping import scope_to_user

    return scope_to_user(Contact.objects.all(), user)


def _customer_bearing(model) -> bool:
    """A model whose rows belong to one customer (the scope's unit): the customer itself or a
    model with a `customer` foreign key."""
    from powerkam.customers.models import Customer

    if model is Customer:
        return True
    try:
        field = model._meta.get_field("customer")
    except Exception:  # noqa: BLE001 - FieldDoesNotExist and non-model querysets alike
        return False
    return getattr(field, "related_model", None) is Customer


class ScopedFilterSet(filters.FilterSet):
    """Every list's reference filters (`?customer=`, `?bill=`, `?ticket=` …) resolved through
    the requesting user's scope, whichever FilterSet declares them: a foreign id is refused
    exactly like a missing one ("Select a valid choice"), where the plain filter answers an empty
    200 for the one and a 400 for the other, telling which ids exist elsewhere. Staff and org
    units are not scoped here: they are not secrets (the staff list is readable by everyone)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        from .scoping import scope_to_user

        user = getattr(request, "user", None)
        for f in self.filters.values():
            if not isinstance(f, filters.ModelChoiceFilter | filters.ModelMultipleChoiceFilter):
                continue
            if isinstance(f, ScopedModelChoiceFilter) or callable(f.queryset) or f.queryset is None:
                continue
            if _customer_bearing(f.queryset.model):
                f.queryset = scope_to_user(f.queryset, user) if user is not None else f.queryset.none()


class ScopedFilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend with ScopedFilterSet as the base of the filtersets it builds
    from a view's `filterset_fields` (settings.REST_FRAMEWORK's default filter backend)."""

    filterset_base = ScopedFilterSet
