"""Which connection projects a user sees: the one visibility scope (core.scoping) applied to
the project's customer, plus what a project without a customer yet (a new applicant) needs
(issue #12 §7: "the tracker's and managers' portfolios, supervisors' subtrees"):

- managers and specialists: projects of their portfolio's customers, and the projects they
  track or took in;
- supervisors and clerks: projects of their org subtree (the project's supply station);
- executives, administrators: everything.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from powerkam.core.scoping import customer_scope_q, subtree_unit_ids

from .models import Project


def project_scope_q(user, *, resolve: bool = False) -> Q | None:
    """The filter for the projects `user` may see, or None for "everything".

    `resolve=True`: the same rule, with its customer side (the customer's unit or managers, a
    condition across the join to every customer) evaluated now, in one query, into the ids of
    the projects it adds to the project's own side (its station, tracker, first-contact owner).
    What is left is a condition on the project's own indexed columns, cheap to repeat: a page
    that filters the projects several times (the cycle-time report) pays for the join once."""
    from powerkam.org.models import PORTFOLIO_ROLES, SUBTREE_ROLES

    if not user or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = customer_scope_q(user, prefix="customer__")
    if q is None:
        return None
    if user.role in PORTFOLIO_ROLES:
        own = Q(tracker_id=user.pk) | Q(first_contact_owner_id=user.pk)
        return _resolved(own, q) if resolve else q | own
    if user.role in SUBTREE_ROLES and user.org_unit_id:
        units = subtree_unit_ids(user)
        if units is None:
            return None
        own, by_customer = Q(org_unit_id__in=units), Q(customer__org_unit_id__in=units)
        return _resolved(own, by_customer) if resolve else own | by_customer
    return Q(pk__in=[])


# Above this many projects added by the customer side, `resolve` keeps the join (a list of ids
# that long would cost more than it saves, and SQLite allows 32,766 parameters a statement).
RESOLVE_MAX_IDS = 5000


def _resolved(own: Q, by_customer: Q) -> Q:
    """`own | by_customer` with `by_customer` evaluated into the ids of the projects it adds
    (usually few: a project's station is mostly its customer's unit)."""
    extra = list(Project.objects.filter(by_customer).exclude(own).order_by()
                 .values_list("pk", flat=True)[:RESOLVE_MAX_IDS + 1])
    if len(extra) > RESOLVE_MAX_IDS:
        return own | by_customer
    return own | Q(pk__in=extra) if extra else own


def visible_projects(user, queryset: QuerySet | None = None, *, resolve: bool = False) -> QuerySet:
    qs = Project.objects.all() if queryset is None else queryset
    q = project_scope_q(user, resolve=resolve)
    return qs if q is None else qs.filter(q)


def projects_in_scope(user, context=None) -> QuerySet:
    """A `project` reference (core.scoped.ScopedPrimaryKeyRelatedField)."""
    return visible_projects(user)
