"""KPI targets: the supervisor sets them, within their own unit (issue #15 item 5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.org.models import OrgUnit, Role, Staff
from powerkam.org.selectors import visible_org_units, visible_portfolio_staff

from . import constants as c
from .models import Target


def can_set_targets(user) -> bool:
    return user.is_authenticated and not user.is_read_only and (
        user.is_superuser or user.role in (Role.SUPERVISOR, Role.ADMIN))


def _value(raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"value": _("The target must be a number.")}) from None
    if not value.is_finite() or value < 0:
        raise ValidationError({"value": _("The target must be a number of zero or more.")})
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
        value = _value(value)
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
