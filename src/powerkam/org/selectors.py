"""Read-side queries for org units, staff and portfolios (plain functions, HackSoft style)."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from powerkam.core.permissions import can_write

from .models import COMPANY_ROLES, PORTFOLIO_ROLES, SUBTREE_ROLES, OrgUnit, Role, Staff

# The 1:15 customer-manager system (seed 003-篇6 "1:15"客户经理制: "每人至少维护15位以上客户"):
# every front-line employee maintains at least 15 customers. "Far above" is not in the seed: it is
# each company's own ceiling for an overloaded portfolio, the setting POWERKAM_PORTFOLIO_FAR_ABOVE
# (environment variable of the same name, default PORTFOLIO_FAR_ABOVE_DEFAULT).
PORTFOLIO_MIN_CUSTOMERS = 15
PORTFOLIO_FAR_ABOVE_DEFAULT = 40

# Roles that may reassign a customer's managers (DOMAIN.md: supervisors assign).
REASSIGN_ROLES = {Role.SUPERVISOR, Role.ADMIN}


class PortfolioFlag:
    BELOW = "below"
    OK = "ok"
    FAR_ABOVE = "far_above"

    LABELS = {
        BELOW: _("Below 1:15"),
        OK: _("Within 1:15"),
        FAR_ABOVE: _("Far above 1:15"),
    }


def portfolio_far_above() -> int:
    """The ceiling above which a portfolio is "far above" 1:15 (settings.POWERKAM_PORTFOLIO_FAR_ABOVE)."""
    return int(getattr(settings, "POWERKAM_PORTFOLIO_FAR_ABOVE", PORTFOLIO_FAR_ABOVE_DEFAULT))


def portfolio_flag(size: int, far_above: int | None = None) -> str:
    """Fewer than 15 customers is below the 1:15 rule; more than the configured ceiling
    (portfolio_far_above(), or `far_above` when given) is far above."""
    if size < PORTFOLIO_MIN_CUSTOMERS:
        return PortfolioFlag.BELOW
    if size > (portfolio_far_above() if far_above is None else far_above):
        return PortfolioFlag.FAR_ABOVE
    return PortfolioFlag.OK


def can_reassign(user) -> bool:
    return can_write(user, REASSIGN_ROLES)


def visible_org_units(user) -> QuerySet:
    """Org units the user can see: the whole company for company roles, else their unit's subtree."""
    qs = OrgUnit.objects.filter(is_active=True)
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser or user.role in COMPANY_ROLES:
        return qs
    if user.org_unit_id:
        return qs.filter(path__startswith=user.org_unit.path)
    return qs.none()


def org_unit_options(user) -> list[tuple[int, str]]:
    """The org units a user sees as (pk, name indented by depth), for filter selects."""
    return [(u.pk, "\u3000" * max(u.depth, 0) + u.name) for u in visible_org_units(user).order_by("path")]


def assignable_org_units(user, *, include_ids=()) -> QuerySet:
    """Org units a user may put a customer in (the edit page's choices and the API's): the units
    they see, plus the one the record is in already, so that saving it unchanged is allowed."""
    qs = visible_org_units(user)
    ids = [i for i in include_ids if i]
    if ids:
        qs = qs | OrgUnit.objects.filter(pk__in=ids)
    return qs.order_by("path")


def assignable_staff(user) -> QuerySet:
    """Staff a user may name as responsible for work (a visit's assignee, participants,
    follow-up owners): active, not read-only staff of the units the user sees, and the user
    themself (company roles: everybody)."""
    qs = Staff.objects.filter(is_active=True).exclude(role=Role.EXECUTIVE).select_related("org_unit")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser or user.role in COMPANY_ROLES:
        return qs.order_by("org_unit__path", "full_name", "username")
    if user.org_unit_id:
        return qs.filter(Q(org_unit__path__startswith=user.org_unit.path) | Q(pk=user.pk)).order_by(
            "org_unit__path", "full_name", "username")
    return qs.filter(pk=user.pk)


def developer_choices(*, include_ids=()) -> QuerySet:
    """Who may be recorded as having brought a customer in ("谁开发，谁维护"): any active staff
    member, plus whoever is recorded already."""
    ids = [i for i in include_ids if i]
    return Staff.objects.filter(Q(is_active=True) | Q(pk__in=ids)).order_by("full_name", "username")


def visible_portfolio_staff(user) -> QuerySet:
    """Active key account managers and specialists the user may see (and choose as managers)."""
    qs = Staff.objects.filter(is_active=True, role__in=PORTFOLIO_ROLES).select_related("org_unit")
    if not user or not user.is_authenticated:
        return qs.none()
    if user.is_superuser or user.role in COMPANY_ROLES:
        return qs
    if user.role in SUBTREE_ROLES and user.org_unit_id:
        return qs.filter(org_unit__path__startswith=user.org_unit.path)
    if user.role in PORTFOLIO_ROLES:
        return qs.filter(pk=user.pk)
    return qs.none()


def manager_choices(user, *, include_ids=()) -> QuerySet:
    """Staff a user may pick as primary/secondary manager: portfolio roles in the units they see
    (a manager may pick colleagues of their own unit), plus whoever is assigned already."""
    base = Staff.objects.filter(role__in=PORTFOLIO_ROLES).select_related("org_unit")
    if user.is_superuser or user.role in COMPANY_ROLES:
        q = Q(is_active=True)
    elif user.org_unit_id:
        q = Q(is_active=True, org_unit__path__startswith=user.org_unit.path)
    else:
        q = Q(pk=user.pk)
    ids = [i for i in include_ids if i]
    if ids:
        q |= Q(pk__in=ids)
    return base.filter(q).order_by("org_unit__path", "full_name", "username")


@dataclass
class PortfolioRow:
    staff: Staff
    primary: int
    secondary: int
    key_accounts: int

    @property
    def total(self) -> int:
        return self.primary + self.secondary

    @property
    def flag(self) -> str:
        return portfolio_flag(self.total)

    @property
    def flag_label(self) -> str:
        return str(PortfolioFlag.LABELS[self.flag])


def _count(field: str, extra: Q | None = None) -> Subquery:
    from powerkam.customers.constants import LifecycleStatus
    from powerkam.customers.models import Customer

    qs = Customer.objects.filter(**{field: OuterRef("pk")}).exclude(lifecycle_status=LifecycleStatus.CLOSED)
    if extra is not None:
        qs = qs.filter(extra)
    counted = qs.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def portfolio_rows(user, *, org_unit: OrgUnit | None = None) -> list[PortfolioRow]:
    """Each manager/specialist in scope with the customers they maintain (closed ones excluded).

    The portfolio size for the 1:15 rule counts customers as primary plus as secondary manager
    (under 1+1 dual managers both maintain the customer). One query whatever the staff count.
    """
    staff = visible_portfolio_staff(user)
    if org_unit is not None:
        staff = staff.filter(org_unit__path__startswith=org_unit.path)
    staff = staff.annotate(
        n_primary=_count("primary_manager"),
        n_secondary=_count("secondary_manager"),
        n_ka_primary=_count("primary_manager", Q(is_key_account=True)),
        n_ka_secondary=_count("secondary_manager", Q(is_key_account=True)),
    ).order_by("org_unit__path", "full_name", "username")
    return [
        PortfolioRow(staff=s, primary=s.n_primary, secondary=s.n_secondary,
                     key_accounts=s.n_ka_primary + s.n_ka_secondary)
        for s in staff
    ]


class Supervisors:
    """Active supervisors by org unit, to find the one responsible at or above a unit: the
    supervisor of the unit itself, else of its nearest ancestor that has one (lowest pk when a
    unit has several). Loaded once (one query, two with `nearest_ids`) for a whole batch job."""

    def __init__(self):
        self.all: list[Staff] = list(Staff.objects.filter(is_active=True, role=Role.SUPERVISOR)
                                     .select_related("org_unit").order_by("pk"))
        self.by_unit: dict[int, Staff] = {}
        for s in self.all:
            if s.org_unit_id:
                self.by_unit.setdefault(s.org_unit_id, s)

    @property
    def unit_count(self) -> int:
        """How many org units have an active supervisor."""
        return len(self.by_unit)

    def nearest_on_path(self, path: str) -> Staff | None:
        for unit_id in reversed([int(x) for x in (path or "").strip("/").split("/") if x]):
            if unit_id in self.by_unit:
                return self.by_unit[unit_id]
        return None

    def nearest(self, org_unit) -> Staff | None:
        return None if org_unit is None else self.nearest_on_path(org_unit.path)

    def nearest_ids(self, unit_ids) -> dict[int, int]:
        """{org unit id: staff id} for the units that have a supervisor at or above them."""
        paths = dict(OrgUnit.objects.values_list("pk", "path"))
        result = {}
        for unit_id in set(unit_ids):
            sup = self.nearest_on_path(paths.get(unit_id, ""))
            if sup is not None:
                result[unit_id] = sup.pk
        return result
