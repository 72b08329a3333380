"""KPI targets: the supervisor sets them, within their own unit (issue #15 item 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.org.models import OrgUnit, Role, Staff
from powerkam.org.selectors import visible_org_units, visible_portfolio_staff

from . import constants as c
from .models import Target


def can_set_targets(user) -> bool:
    return user.is_authenticated and not user.is_read_only and (
        user.is_superuser or user.role in (Role.SUPERVISOR, Role.ADMIN))


def _value(raw, metric: str = "") -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"value": _("The target must be a number.")}) from None
    if not value.is_finite() or value < 0:
        raise ValidationError({"value": _("The target must be a number of zero or more.")})
    top = c.TARGET_MAX.get(metric)
    if top is not None and value > top:
        raise ValidationError({"value": _("This target cannot be above %(max)s.") % {"max": top}})
    if value >= Decimal("1e14") or value != value.quantize(Decimal("0.01")):
        raise ValidationError({"value": _("Give the target with at most two decimals and 14 digits.")})
    return value


@transaction.atomic
def set_target(*, actor: Staff, month: date, metric: str, value, staff: Staff | None = None,
               org_unit: OrgUnit | None = None) -> Target:
    """Set (or change) one monthly target: a person's KPI, or a unit's dashboard figure. A person
    or unit outside the actor's own unit is refused; bad input writes nothing. Audited."""
    errors: dict[str, str] = {}
    if not can_set_targets(actor):
        raise ValidationError({"__all__": _("Only a supervisor or an administrator sets targets.")})
    if (staff is None) == (org_unit is None):
        errors["staff"] = _("Give either a staff member or an org unit.")
    if staff is not None:
        if metric not in c.Metric.values:
            errors["metric"] = _("Choose one of the KPIs.")
        if not visible_portfolio_staff(actor).filter(pk=staff.pk).exists():
            errors["staff"] = _("This person is not in your unit: you can set targets only for your own team.")
    if org_unit is not None:
        if metric not in c.DashboardMetric.values:
            errors["metric"] = _("Choose one of the dashboard figures.")
        if not visible_org_units(actor).filter(pk=org_unit.pk).exists():
            errors["org_unit"] = _("This org unit is not in your unit.")
    try:
        value = _value(value, metric)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if month is None:
        errors["month"] = _("Give the month.")
    if errors:
        raise ValidationError(errors)
    month = month.replace(day=1)
    target = Target.objects.filter(month=month, metric=metric, staff=staff,
                                   org_unit=None if staff else org_unit).first() or \
        Target(month=month, metric=metric, staff=staff, org_unit=None if staff else org_unit)
    target.value, target.set_by, target.set_at = value, actor, timezone.now()
    target._history_user = actor
    target.save()
    return target


# --- the unit targets page: every target of a month in one go --------------------------------------------


@dataclass(frozen=True)
class TargetCell:
    """One cell of the targets page: a person's KPI (staff_id) or a unit's dashboard figure
    (org_unit_id); an empty `raw` means "no target" (an existing one is removed)."""

    metric: str
    raw: str
    staff_id: int | None = None
    org_unit_id: int | None = None

    @property
    def name(self) -> str:
        return f"t-{self.staff_id}-{self.metric}" if self.staff_id else f"u-{self.org_unit_id}-{self.metric}"


def target_units(user) -> list[OrgUnit]:
    """The units whose dashboard targets `user` sets: the whole the dashboard shows (the company, or
    the user's own unit) and its columns — the units the dashboard reads targets for."""
    from .selectors import display_units

    columns, whole_path = display_units(user)
    whole = OrgUnit.objects.filter(path=whole_path).first() if whole_path else None
    return ([whole] if whole else []) + [u for u in columns if not whole or u.pk != whole.pk]


def month_targets(month: date, staff_ids: list[int], unit_ids: list[int]) -> dict[tuple[date, str], Decimal]:
    """The targets of `month` and the month before for these people and units (one query), keyed
    by (month, cell name)."""
    from powerkam.analytics.selectors import add_months

    month = month.replace(day=1)
    out: dict[tuple[date, str], Decimal] = {}
    for t in Target.objects.filter(Q(staff_id__in=staff_ids) | Q(staff__isnull=True, org_unit_id__in=unit_ids),
                                   month__in=[month, add_months(month, -1)]).values(
            "month", "metric", "staff_id", "org_unit_id", "value"):
        cell = TargetCell(metric=t["metric"], raw="", staff_id=t["staff_id"],
                          org_unit_id=None if t["staff_id"] else t["org_unit_id"])
        out[(t["month"], cell.name)] = t["value"]
    return out


@transaction.atomic
def set_targets(*, actor: Staff, month: date, cells: list[TargetCell]) -> dict[str, int]:
    """Set, change or remove the targets of one month for the people and units of the actor's own
    unit, all or nothing: a person or unit outside it, an unknown figure or a bad number refuses
    the whole page with a message per cell and writes nothing. Every change is audited."""
    if not can_set_targets(actor):
        raise ValidationError({"__all__": _("Only a supervisor or an administrator sets targets.")})
    if month is None:
        raise ValidationError({"month": _("Give the month.")})
    month = month.replace(day=1)
    staff_ids = {x.staff_id for x in cells if x.staff_id}
    unit_ids = {x.org_unit_id for x in cells if x.org_unit_id}
    team = set(visible_portfolio_staff(actor).filter(pk__in=staff_ids).values_list("pk", flat=True)) \
        if staff_ids else set()
    units = set(visible_org_units(actor).filter(pk__in=unit_ids).values_list("pk", flat=True)) if unit_ids else set()
    errors: dict[str, str] = {}
    values: dict[tuple[int | None, int | None, str], Decimal | None] = {}
    for x in cells:
        if bool(x.staff_id) == bool(x.org_unit_id):
            errors[x.name] = _("Give either a staff member or an org unit.")
        elif x.staff_id and x.metric not in c.Metric.values:
            errors[x.name] = _("Choose one of the KPIs.")
        elif x.org_unit_id and x.metric not in c.DashboardMetric.values:
            errors[x.name] = _("Choose one of the dashboard figures.")
        elif x.staff_id and x.staff_id not in team:
            errors[x.name] = _("This person is not in your unit: you can set targets only for your own team.")
        elif x.org_unit_id and x.org_unit_id not in units:
            errors[x.name] = _("This org unit is not in your unit.")
        else:
            try:
                values[(x.staff_id, x.org_unit_id, x.metric)] = _value(x.raw, x.metric) if x.raw.strip() else None
            except ValidationError as exc:
                errors[x.name] = " ".join(m for ms in exc.message_dict.values() for m in ms)
    if errors:
        raise ValidationError(errors)
    existing = {(t.staff_id, None if t.staff_id else t.org_unit_id, t.metric): t for t in Target.objects.filter(
        Q(staff_id__in=team) | Q(staff__isnull=True, org_unit_id__in=units), month=month)}
    counts = {"set": 0, "changed": 0, "removed": 0}
    now = timezone.now()
    for (staff_id, unit_id, metric), value in values.items():
        target = existing.get((staff_id, unit_id, metric))
        if value is None:
            if target is not None:
                target._history_user = actor
                target.delete()
                counts["removed"] += 1
            continue
        if target is not None and target.value == value:
            continue
        counts["changed" if target else "set"] += 1
        target = target or Target(month=month, metric=metric, staff_id=staff_id, org_unit_id=unit_id)
        target.value, target.set_by, target.set_at = value, actor, now
        target._history_user = actor
        target.save()
    return counts
