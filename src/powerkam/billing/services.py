"""Billing operations: tariff lookup, the calculator over the catalogue, issuing bills, billing runs.

Each business operation is one function here, called alike by views, the API, commands and the
demo loader."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from powerkam.core.scoping import scope_to_user

from . import constants as c
from .calculator import BillResult, Load, Surcharge, TariffSpec, calculate
from .models import Bill, BillingRun, BillLine, MeterReading, Tariff

TIMELINE_KIND = "bill.issued"


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def issue_date_for(period: date) -> date:
    """Bills for a month are issued on ISSUE_DAY_OF_MONTH of the following month."""
    return next_month(period).replace(day=c.ISSUE_DAY_OF_MONTH)


def due_date_for(issued_on: date) -> date:
    return issued_on + timedelta(days=c.DUE_DAYS_AFTER_ISSUE)


# --- tariffs -------------------------------------------------------------------------------------


def tariffs_in_force(period: date):
    """Catalogue versions in force on the first day of `period`'s month."""
    start = month_start(period)
    return Tariff.objects.filter(effective_from__lte=start).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=start))


def tariff_in_force(code: str, period: date) -> Tariff:
    """The version of tariff `code` in force for the month; ValidationError naming the field when
    the code is unknown or no version covers the month ("a month with no tariff in force")."""
    versions = Tariff.objects.filter(code=code)
    if not versions.exists():
        raise ValidationError({"tariff_code": _("Unknown tariff code %(code)s.") % {"code": code}})
    tariff = tariffs_in_force(period).filter(code=code).prefetch_related("surcharges").first()
    if tariff is None:
        raise ValidationError({"period": _("No version of tariff %(code)s is in force in %(month)s.")
                               % {"code": code, "month": f"{period:%Y-%m}"}})
    return tariff


def spec_from_tariff(tariff: Tariff) -> TariffSpec:
    return TariffSpec(
        code=tariff.code, name=tariff.name, category=tariff.category, is_tou=tariff.is_tou,
        prices={c.TouPeriod.SHARP: tariff.price_sharp, c.TouPeriod.PEAK: tariff.price_peak,
                c.TouPeriod.FLAT: tariff.price_flat, c.TouPeriod.VALLEY: tariff.price_valley},
        price_single=tariff.price_single, capacity_price=tariff.capacity_price,
        demand_price=tariff.demand_price,
        surcharges=tuple(Surcharge(s.code, s.name, s.price) for s in tariff.surcharges.all()),
    )


def calculate_bill(*, tariff_code: str, period: date, load: Load) -> BillResult:
    """The calculator over the catalogue: the version in force for the month."""
    return calculate(spec_from_tariff(tariff_in_force(tariff_code, period)), load)


# --- bills ---------------------------------------------------------------------------------------


def bill_number(customer_number: str, period: date) -> str:
    return f"B{period:%Y%m}-{customer_number}"


def bill_from_result(customer, period: date, result: BillResult, *, number: str | None = None,
                     issued_on: date | None = None, source: str = Bill.Source.RUN, actor=None,
                     max_demand_kw: Decimal | None = None) -> tuple[Bill, list[BillLine]]:
    """Unsaved Bill and its lines from a calculator result (for bulk_create or save)."""
    issued_on = issued_on or issue_date_for(period)
    bill = Bill(
        customer=customer, number=number or bill_number(customer.number, period), period=month_start(period),
        issued_on=issued_on, due_on=due_date_for(issued_on), tariff_code=result.tariff_code,
        kwh=result.kwh, kvarh=result.kvarh or Decimal("0"), max_demand_kw=max_demand_kw,
        power_factor=result.power_factor, pf_adjustment_rate=result.pf_adjustment_rate,
        energy_charge=result.energy_charge, basic_charge=result.basic_charge,
        pf_adjustment=result.pf_adjustment_amount, surcharges=result.surcharges, total=result.total,
        source=source, created_by=actor if actor is not None and actor.pk else None,
    )
    lines = [BillLine(bill=bill, item=ln.item, label=ln.label[:100], quantity=ln.quantity, unit=ln.unit,
                      unit_price=ln.unit_price, amount=ln.amount, sort=i) for i, ln in enumerate(result.lines)]
    return bill, lines


def announce_bill(bill: Bill, actor=None) -> None:
    """Put the issued bill on the customer's 360 timeline."""
    from powerkam.customers.services import add_timeline_event

    add_timeline_event(
        bill.customer, TIMELINE_KIND,
        _("Bill %(number)s issued for %(month)s: %(total)s yuan") % {
            "number": bill.number, "month": f"{bill.period:%Y-%m}", "total": bill.total},
        detail=_("Due on %(due)s.") % {"due": bill.due_on.isoformat()}, actor=actor,
    )


def announce_bills(bills: list[Bill], actor=None) -> None:
    """Timeline events for many bills in one INSERT (billing runs, imports)."""
    from powerkam.customers.models import TimelineEvent

    now = timezone.now()
    TimelineEvent.objects.bulk_create([
        TimelineEvent(customer_id=b.customer_id, kind=TIMELINE_KIND,
                      title=(_("Bill %(number)s issued for %(month)s: %(total)s yuan") % {
                          "number": b.number, "month": f"{b.period:%Y-%m}", "total": b.total})[:200],
                      detail=_("Due on %(due)s.") % {"due": b.due_on.isoformat()},
                      actor=actor if actor is not None and actor.pk else None, occurred_at=now)
        for b in bills
    ], batch_size=1000)


def _load_for(reading: MeterReading, customer, tariff: Tariff) -> Load:
    kwh = {}
    if tariff.is_tou:
        kwh = {c.TouPeriod.SHARP: reading.kwh_sharp, c.TouPeriod.PEAK: reading.kwh_peak,
               c.TouPeriod.FLAT: reading.kwh_flat, c.TouPeriod.VALLEY: reading.kwh_valley}
        kwh = {k: v for k, v in kwh.items() if v}
    total = reading.kwh_total
    if total is None:
        total = reading.kwh_sharp + reading.kwh_peak + reading.kwh_flat + reading.kwh_valley
    method = c.BasicMethod.DEMAND if customer.basic_charge_method == c.BasicMethod.DEMAND else c.BasicMethod.CAPACITY
    return Load(
        kwh=kwh, kwh_total=None if tariff.is_tou else total, kvarh=reading.kvarh,
        max_demand_kw=reading.max_demand_kw, declared_demand_kw=reading.declared_demand_kw,
        capacity_kva=customer.contract_capacity_kva, pf_standard=customer.pf_standard, basic_method=method,
    )


def run_billing(period: date, *, customers: Iterable | None = None, readings: Iterable[MeterReading] | None = None,
                actor=None, scope_user=None, run: BillingRun | None = None, chunk_size: int = 2000) -> BillingRun:
    """Bill one month from metered quantities. For every reading of the month (optionally only
    `customers`' or the given `readings`) without a bill yet, compute the itemised bill with the
    customer's tariff in force and write bill, lines and timeline event. Customers already billed
    for the month are skipped (a rerun changes nothing). A reading that cannot be billed (no
    tariff code, no tariff in force, bad data) is reported in `run.errors`; the others are billed.
    With `scope_user`, only the readings of customers that user may see are billed (a station
    clerk bills the station). Progress is saved per chunk so the page can show it."""
    period = month_start(period)
    if run is None:
        run = BillingRun.objects.create(period=period, created_by=actor if actor is not None and actor.pk else None)
    run.status = BillingRun.Status.RUNNING
    if readings is None:
        qs = MeterReading.objects.filter(period=period)
        if isinstance(customers, QuerySet):
            qs = qs.filter(customer_id__in=customers.values("pk"))
        elif customers is not None:
            qs = qs.filter(customer_id__in=[getattr(cu, "pk", cu) for cu in customers])
        if scope_user is not None:
            qs = scope_to_user(qs, scope_user)
        reading_ids = list(qs.order_by("customer_id").values_list("pk", flat=True))
    else:
        reading_ids = [r.pk for r in readings]
    run.total = len(reading_ids)
    run.save()
    # The catalogue versions in force this month, read once.
    catalogue = {t.code: t for t in tariffs_in_force(period).prefetch_related("surcharges")}
    specs = {code: spec_from_tariff(t) for code, t in catalogue.items()}
    errors: list[dict] = []
    try:
        for start in range(0, len(reading_ids), chunk_size):
            chunk = list(MeterReading.objects.filter(pk__in=reading_ids[start:start + chunk_size])
                         .select_related("customer").order_by("customer_id"))
            billed = set(Bill.objects.filter(period=period, customer_id__in=[r.customer_id for r in chunk])
                         .exclude(status=Bill.Status.VOID).values_list("customer_id", flat=True))
            bills, lines = [], []
            for reading in chunk:
                customer = reading.customer
                if customer.pk in billed:
                    run.skipped += 1
                    continue
                code = customer.tariff_code
                if not code or code not in specs:
                    errors.append({"customer": customer.number,
                                   "error": _("No tariff %(code)s in force in %(month)s.") % {
                                       "code": code or "—", "month": f"{period:%Y-%m}"}})
                    continue
                try:
                    result = calculate(specs[code], _load_for(reading, customer, catalogue[code]))
                except ValidationError as exc:
                    errors.append({"customer": customer.number, "error": "; ".join(exc.messages)})
                    continue
                bill, bill_lines = bill_from_result(customer, period, result, source=Bill.Source.RUN, actor=actor,
                                                    max_demand_kw=reading.max_demand_kw)
                bills.append(bill)
                lines.extend(bill_lines)
            _unique_numbers(bills)
            with transaction.atomic():
                bulk_create_with_history(bills, Bill, batch_size=1000, default_user=actor if actor is not None and actor.pk else None)
                insert_lines([(ln.bill.pk, ln.item, ln.label, ln.quantity, ln.unit, ln.unit_price, ln.amount, ln.sort)
                              for ln in lines])
                announce_bills(bills, actor=actor)
            run.created += len(bills)
            run.done = min(run.total, start + len(chunk))
            run.errors = errors[:500]
            run.save(update_fields=["created", "done", "errors", "skipped"])
    except Exception:
        run.status = BillingRun.Status.FAILED
        run.finished_at = timezone.now()
        run.save()
        raise
    run.status = BillingRun.Status.DONE
    run.done = run.total
    run.errors = errors[:500]
    run.finished_at = timezone.now()
    run.save()
    return run


LINE_COLUMNS = ("bill_id", "item", "label", "quantity", "unit", "unit_price", "amount", "sort")


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple], *, batch_size: int = 5000) -> None:
    """Plain executemany INSERTs, for the hundreds of thousands of bill lines of a run (model
    instances and bulk_create cost several times more). Values must be DB-ready (dates, Decimals,
    datetimes through connection.ops.adapt_datetimefield_value)."""
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(table)} ({', '.join(qn(col) for col in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    with connection.cursor() as cur:
        for start in range(0, len(rows), batch_size):
            cur.executemany(sql, rows[start:start + batch_size])


def insert_lines(rows: list[tuple]) -> None:
    """Bill lines as (bill_id, item, label, quantity, unit, unit_price, amount, sort) tuples."""
    insert_rows(BillLine._meta.db_table, LINE_COLUMNS, rows)


def _unique_numbers(bills: list[Bill]) -> None:
    """A month re-billed after its bill was voided gets the next free number (B202610-31…-2)."""
    taken = set(Bill.objects.filter(number__in=[b.number for b in bills]).values_list("number", flat=True))
    for b in bills:
        if b.number in taken:
            base, n = b.number, 2
            while f"{base}-{n}" in taken or Bill.objects.filter(number=f"{base}-{n}").exists():
                n += 1
            b.number = f"{base}-{n}"
            taken.add(b.number)


def bills_with_lines():
    return Bill.objects.select_related("customer").prefetch_related(Prefetch("lines", BillLine.objects.order_by("sort", "id")))
