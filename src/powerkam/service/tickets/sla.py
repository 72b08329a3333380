"""SLA deadlines for ticket stages, over the working-day calendar (core.workdays).

A limit is counted in one of three units (`SlaUnit`):
- working days: the deadline is the close of business (17:30) of the n-th working day after
  the stage starts — public holidays skipped, adjusted working weekends (调休) counted;
- working hours: 08:30–17:30 on working days (core.workdays.add_working_hours);
- calendar hours: plain elapsed time (fault repairs run round the clock).

Escalation moments are computed once when the stage starts and stored on it:
`warn_at` (level 1, station) when `warn_percent` of the stage's time has elapsed — counted in
working time for the working units so that a holiday does not trigger it — `due_at` (level 2,
region) and `company_at` (level 3, company) = deadline plus the rule's margin.

A stage's deadline never falls before the deadline of the stage it follows (`not_before`):
each limit counts from the moment its stage starts, so a complaint verified early (or accepted
on a weekend) would otherwise get a review deadline before its verification deadline.

`provisional` is True when the computation consulted a day of a year whose holidays are not
entered yet (core.workdays.tracking): the moments are a Monday–Friday guess, recomputed by
services.recompute_provisional_deadlines from the stage's stored start and rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from powerkam.core import workdays

from . import constants as c


@dataclass(frozen=True)
class SlaSpec:
    limit: Decimal
    unit: str
    warn_percent: int
    company_margin: Decimal


@dataclass(frozen=True)
class Deadlines:
    due_at: datetime
    warn_at: datetime
    company_at: datetime
    provisional: bool = False  # due_at and warn_at
    company_provisional: bool = False  # company_at (counted further, past the deadline)


def rule_for(ticket_type: str, stage: str) -> SlaSpec:
    """The SLA table's row for (type, stage); the built-in default if an admin deleted it."""
    from .models import SlaRule

    row = SlaRule.objects.filter(ticket_type=ticket_type, stage=stage).first()
    if row is not None:
        return SlaSpec(row.limit, row.unit, row.warn_percent, row.company_margin)
    limit, unit, margin = c.DEFAULT_SLA.get((ticket_type, stage), (Decimal("1"), c.SlaUnit.WORKDAYS, Decimal("1")))
    return SlaSpec(limit, unit, c.WARN_PERCENT, margin)


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt) if timezone.is_aware(dt) else timezone.make_aware(dt)


def _at(day: date, t) -> datetime:
    return timezone.make_aware(datetime.combine(day, t))


def add_limit(start: datetime, amount: Decimal, unit: str) -> datetime:
    """`start` plus `amount` in `unit`."""
    start = _local(start)
    if unit == c.SlaUnit.WORKDAYS:
        # Whole working days; a fraction rounds up to the next whole day.
        n = math.ceil(Decimal(amount))
        return _at(workdays.add_workdays(start.date(), n), c.DAY_END)
    if unit == c.SlaUnit.WORKING_HOURS:
        return workdays.add_working_hours(start, float(amount), day_start=c.DAY_START, day_end=c.DAY_END)
    return start + timedelta(hours=float(amount))


def working_seconds_between(start: datetime, end: datetime) -> float:
    """Seconds of working time (08:30–17:30 on working days) between two moments."""
    start, end = _local(start), _local(end)
    total, day = 0.0, start.date()
    while day <= end.date():
        if workdays.is_workday(day):
            lo = max(start, _at(day, c.DAY_START))
            hi = min(end, _at(day, c.DAY_END))
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def deadlines(start: datetime, spec: SlaSpec, not_before: datetime | None = None) -> Deadlines:
    start = _local(start)
    with workdays.tracking() as calc:
        due = add_limit(start, spec.limit, spec.unit)
        if not_before is not None and due < _local(not_before):
            due = _local(not_before)
        share = spec.warn_percent / 100
        if spec.unit == c.SlaUnit.CALENDAR_HOURS:
            warn = start + (due - start) * share
        else:
            warn_hours = working_seconds_between(start, due) * share / 3600
            warn = workdays.add_working_hours(start, warn_hours, day_start=c.DAY_START, day_end=c.DAY_END) \
                if warn_hours > 0 else start
        warn = min(warn, due)
    with workdays.tracking() as company_calc:
        company = add_limit(due, spec.company_margin, spec.unit) if spec.company_margin else due
    return Deadlines(due_at=due, warn_at=warn, company_at=max(company, due), provisional=calc.provisional,
                     company_provisional=calc.provisional or company_calc.provisional)


def stage_deadlines(ticket_type: str, stage: str, start: datetime, not_before: datetime | None = None) -> Deadlines:
    return deadlines(start, rule_for(ticket_type, stage), not_before)


def spec_of(stage) -> SlaSpec:
    """The rule a stage's deadlines were computed with (stored on it when it started); the SLA
    table's current row for stages started before rules were stored."""
    if stage.sla_limit is not None and stage.sla_unit:
        return SlaSpec(stage.sla_limit, stage.sla_unit, stage.sla_warn_percent or c.WARN_PERCENT,
                       stage.sla_company_margin if stage.sla_company_margin is not None else Decimal("0"))
    return rule_for(stage.ticket.ticket_type, stage.stage)
