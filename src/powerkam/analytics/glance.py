"""The 360 overview's figures at a glance (issue #10 item 5): arrears and days overdue, last
bill, credit code, 12-month kWh trend, open tickets and complaints, next visit and ladder step.

Two queries whatever the history: one row of correlated subqueries on the customer (each reads
one customer's rows through a (customer, …) index) and one GROUP BY month for the kWh trend.
Analytics is the top layer, so it may read money and service alike; the archive shows what
this returns through core.extensions (register_customer_glance) without importing it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models import DateField as DateF
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.billing.models import Bill
from powerkam.core import numbers
from powerkam.core.extensions import Glance, sparkline
from powerkam.customers.models import Customer

from .selectors import MONEY, OUTSTANDING, add_months, energy, money, month_range

TREND_MONTHS = 12


def _one(qs, value, output_field) -> Subquery:
    return Subquery(qs.values(value)[:1], output_field=output_field)


def _sum(qs, expression, output_field) -> Subquery:
    return Subquery(qs.order_by().values("customer_id").annotate(v=expression).values("v"), output_field=output_field)


def glance_figures(customer, today: date) -> dict[str, Any]:
    """The raw figures (Decimal, dates, counts) of one customer, in two queries."""
    from powerkam.credit.models import CreditAssessment
    from powerkam.receivables.models import LadderStep
    from powerkam.service.tickets.constants import Status as TicketStatus
    from powerkam.service.tickets.constants import TicketType
    from powerkam.service.tickets.models import Ticket
    from powerkam.service.visits.constants import VisitStatus
    from powerkam.service.visits.models import Visit

    mine = {"customer_id": OuterRef("pk")}
    open_bills = Bill.objects.filter(**mine, status=Bill.Status.OPEN)
    overdue = open_bills.filter(due_on__lt=today, total__gt=F("paid_amount"))
    last_bill = Bill.objects.filter(**mine).exclude(status=Bill.Status.VOID).order_by("-period", "-id")
    credit = CreditAssessment.objects.filter(**mine, status=CreditAssessment.Status.APPROVED).order_by(
        "-assessed_on", "-id")
    tickets = Ticket.objects.filter(**mine).exclude(status=TicketStatus.CLOSED)
    row = Customer.objects.filter(pk=customer.pk).values("pk").annotate(
        outstanding=_sum(open_bills, Sum(OUTSTANDING), MONEY),
        overdue=_sum(overdue, Sum(OUTSTANDING), MONEY),
        oldest_overdue=_sum(overdue, Min("due_on"), DateF()),
        last_bill_pk=_one(last_bill, "pk", IntegerField()),
        last_bill_period=_one(last_bill, "period", DateF()),
        last_bill_total=_one(last_bill, "total", MONEY),
        ladder_step=_sum(LadderStep.objects.filter(**mine, bill__status=Bill.Status.OPEN), Max("step"),
                         IntegerField()),
        credit_code=_one(credit, "code", CreditAssessment._meta.get_field("code")),
        open_tickets=_sum(tickets, Count("pk"), IntegerField()),
        open_complaints=_sum(tickets, Count("pk", filter=Q(ticket_type=TicketType.COMPLAINT)), IntegerField()),
        next_visit=_sum(Visit.objects.filter(**mine, status=VisitStatus.PLANNED), Min("planned_on"), DateF()),
    ).first() or {}
    first = add_months(today.replace(day=1), -TREND_MONTHS)
    last = add_months(today.replace(day=1), -1)  # the finished months only
    kwh = dict(Bill.objects.filter(customer=customer, period__gte=first, period__lte=last)
               .exclude(status=Bill.Status.VOID).order_by().values("period").annotate(s=Sum("kwh"))
               .values_list("period", "s"))
    row["trend"] = [(m, energy(kwh.get(m))) for m in month_range(first, last)]
    row["outstanding"], row["overdue"] = money(row.get("outstanding")), money(row.get("overdue"))
    return row


def money_and_service_glance(customer, today: date) -> list[Glance]:
    """The Glance items of glance_figures, formatted for the 360 overview."""
    from powerkam.receivables.models import LadderStep

    f = glance_figures(customer, today)
    items = []
    days = (today - f["oldest_overdue"]).days if f.get("oldest_overdue") else 0
    # Arrears are the bills past their due date (issue #10); what is not yet due is said beside.
    not_due = f["outstanding"] - f["overdue"]
    if days:
        detail = _("%(days)s days overdue, %(amount)s not yet due") % {
            "days": days, "amount": numbers.wan_yuan(not_due)} if not_due else \
            _("%(days)s days overdue") % {"days": days}
    else:
        detail = _("nothing overdue, %(amount)s not yet due") % {"amount": numbers.wan_yuan(not_due)} if not_due \
            else _("nothing overdue")
    items.append(Glance("arrears", gettext_lazy("Arrears"), numbers.wan_yuan(f["overdue"]), "money", detail,
                        "danger" if days else "success"))
    if f.get("last_bill_pk"):
        items.append(Glance("last_bill", gettext_lazy("Last bill"), numbers.wan_yuan(f["last_bill_total"]), "money",
                            f"{f['last_bill_period']:%Y-%m}"))
    else:
        items.append(Glance("last_bill", gettext_lazy("Last bill"), "—", "money", _("No bills.")))
    trend = [v for _m, v in f["trend"]]
    total = sum(trend)
    items.append(Glance("kwh_trend", gettext_lazy("kWh, last 12 months"), numbers.wan_kwh(total), "money",
                        _("%(first)s to %(last)s") % {"first": f"{f['trend'][0][0]:%Y-%m}",
                                                      "last": f"{f['trend'][-1][0]:%Y-%m}"},
                        spark=sparkline(trend)))
    step = f.get("ladder_step")
    items.append(Glance("ladder", gettext_lazy("Ladder step"),
                        str(LadderStep.Step(step).label) if step else _("None"), "money", "",
                        ("danger" if step >= LadderStep.Step.COLLECTION else "warning") if step else ""))
    items.append(Glance("credit", gettext_lazy("Credit rating code"), f.get("credit_code") or "—", "credit",
                        "" if f.get("credit_code") else _("No credit assessment")))
    tickets, complaints = f.get("open_tickets") or 0, f.get("open_complaints") or 0
    items.append(Glance("tickets", gettext_lazy("Open tickets"), str(tickets), "service",
                        _("of which %(n)s complaints") % {"n": complaints},
                        "danger" if complaints else ("warning" if tickets else "")))
    nxt = f.get("next_visit")
    items.append(Glance("next_visit", gettext_lazy("Next visit"), f"{nxt:%Y-%m-%d}" if nxt else "—", "service",
                        _("overdue") if nxt and nxt < today else ("" if nxt else _("none planned")),
                        "danger" if nxt and nxt < today else ""))
    return items
