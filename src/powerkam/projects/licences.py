"""三不指定 and the builder's licence (issue #12 §4).

The company may not designate the designer, builder or equipment supplier: they are recorded as
the customer's choice (free text plus licence data) and nothing here proposes, ranks or fills in
a contractor. The builder's 承装（修、试）电力设施许可证 must be valid on the stage date and its
class must cover the project's voltage (constants.LICENCE_MAX_KV); otherwise the project shows a
warning and completion acceptance is blocked until a supervisor records an override with a reason.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from powerkam.customers.constants import VoltageLevel

from . import constants as c


def builder_of(project, contractors=None):
    rows = contractors if contractors is not None else list(project.contractors.all())
    return next((x for x in rows if x.role == c.ContractorRole.BUILDER), None)


def licence_problems(project, on_date: date, contractors=None) -> list[str]:
    """Why the builder's licence does not allow the works on `on_date` (empty: it does)."""
    builder = builder_of(project, contractors)
    if builder is None:
        return [_("The customer's builder is not recorded yet.")]
    problems = []
    if not builder.licence_class or not builder.licence_valid_to:
        problems.append(_("The builder's licence (承装（修、试）电力设施许可证) class and validity are not recorded."))
        return problems
    if builder.licence_valid_to < on_date:
        problems.append(_("The builder's licence expired on %(date)s.") % {"date": builder.licence_valid_to.isoformat()})
    elif builder.licence_valid_from and builder.licence_valid_from > on_date:
        problems.append(_("The builder's licence is valid only from %(date)s.")
                        % {"date": builder.licence_valid_from.isoformat()})
    if not c.licence_covers(builder.licence_class, project.voltage_level):
        problems.append(_("A %(cls)s licence does not cover %(voltage)s works.") % {
            "cls": c.LicenceClass(builder.licence_class).label,
            "voltage": VoltageLevel(project.voltage_level).label})
    return problems


def is_overridden(project, contractors=None) -> bool:
    builder = builder_of(project, contractors)
    return builder is not None and bool(builder.override_reason) and builder.override_at is not None


def acceptance_blocked(project, on_date: date, contractors=None) -> list[str]:
    """The licence problems that block completion acceptance (none once overridden)."""
    if is_overridden(project, contractors):
        return []
    return licence_problems(project, on_date, contractors)
