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


def project_scope_q(user) -> Q | None:
    """The filter for the projects `user` may see, or None for "everything"."""
    from powerkam.org.models import PORTFOLIO_ROLES, SUBTREE_ROLES

    if not user or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    q = customer_scope_q(user, prefix="customer__")
    if q is None:
        return None
    if user.role in PORTFOLIO_ROLES:
        return q | Q(tracker_id=user.pk) | Q(first_contact_owner_id=user.pk)
    if user.role in SUBTREE_ROLES and user.org_unit_id:
        units = subtree_unit_ids(user)
        return None if units is None else Q(org_unit_id__in=units) | Q(customer__org_unit_id__in=units)
    return Q(pk__in=[])


def visible_projects(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = Project.objects.all() if queryset is None else queryset
    q = project_scope_q(user)
    return qs if q is None else qs.filter(q)


def projects_in_scope(user, context=None) -> QuerySet:
    """A `project` reference (core.scoped.ScopedPrimaryKeyRelatedField)."""
    return visible_projects(user)
