"""The one visibility scope (DESIGN.md "Data"; issue #2 "Visibility").

Every list, detail page, API endpoint, search and export gets its customers — or records that
hang off a customer — through `visible_customers` / `scope_to_user`. No view filters by hand.

- key account managers and specialists: their portfolio (primary or secondary manager);
- supervisors and back-office clerks: customers of their org unit's subtree;
- executives, administrators and superusers: the whole company.
"""

from django.db.models import Q, QuerySet
from django.http import Http404


def customer_scope_q(user, prefix: str = "") -> Q | None:
    """The filter for customers `user` may see, or None for "everything"."""
    return portfolio_scope_q(user, managers=(f"{prefix}primary_manager", f"{prefix}secondary_manager"),
                             unit=f"{prefix}org_unit")


def portfolio_scope_q(user, *, managers: tuple[str, ...], unit: str) -> Q | None:
    """The same visibility for any record that has its own managers and org unit, like a customer
    (a government key project with its 1+1 managers, an opportunity with its owner): portfolio
    roles see the records they manage, subtree roles their unit's subtree, company roles all."""
    from powerkam.org.models import COMPANY_ROLES, PORTFOLIO_ROLES, SUBTREE_ROLES

    if not user or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or user.role in COMPANY_ROLES:
        return None
    if user.role in PORTFOLIO_ROLES:
        q = Q()
        for field in managers:
            q |= Q(**{f"{field}_id": user.pk})
        return q
    if user.role in SUBTREE_ROLES and user.org_unit_id:
        units = subtree_unit_ids(user)
        if units is None:  # the user's unit is the company's only root: everything, no filter
            return None
        return Q(**{f"{unit}_id__in": units})
    return Q(pk__in=[])


def subtree_unit_ids(user) -> list[int] | None:
    """Ids of the org units in the subtree of the user's unit (itself included), or None when
    that subtree is every unit (the unit is the only root). One small query on org units,
    remembered on the user object for the request — like Django's cache of `user.org_unit`.

    Filtering customers by `org_unit_id IN (…)` instead of joining org units on
    `path LIKE 'x%'` lets the database skip the join for every customer row (issue #2:
    the company-wide supervisor's list and search), and works with several roots."""
    from powerkam.org.models import OrgUnit

    memo = getattr(user, "_scope_subtree", None)
    if memo is not None and memo[0] == user.org_unit_id:
        return memo[1]
    units = list(OrgUnit.objects.values_list("pk", "path"))
    own = next((path for pk, path in units if pk == user.org_unit_id), None)
    ids = sorted(pk for pk, path in units if own is not None and path.startswith(own))
    result = None if own is not None and len(ids) == len(units) else ids
    user._scope_subtree = (user.org_unit_id, result)
    return result


def visible_customers(user, queryset: QuerySet | None = None) -> QuerySet:
    from powerkam.customers.models import Customer

    qs = Customer.objects.all() if queryset is None else queryset
    q = customer_scope_q(user)
    return qs if q is None else qs.filter(q)


def scope_to_user(queryset: QuerySet, user, customer_field: str = "customer") -> QuerySet:
    """Scope any queryset whose rows carry a customer (through `customer_field`)."""
    from powerkam.customers.models import Customer

    if queryset.model is Customer:
        return visible_customers(user, queryset)
    q = customer_scope_q(user, prefix=f"{customer_field}__")
    if q is None:
        return queryset
    if isinstance(q.children[0], tuple) and q.children[0][0] == "pk__in":
        return queryset.none()
    return queryset.filter(q)


def get_visible_or_404(queryset: QuerySet, user, customer_field: str = "customer", **lookup):
    """A record the user may see, or 404 — never a 403 that would confirm it exists."""
    try:
        return scope_to_user(queryset, user, customer_field).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc
