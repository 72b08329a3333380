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
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.core.scoping import scope_to_user

from . import constants as c
from .calculator import BillResult, Load, Surcharge, TariffSpec, calculate, labels
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


# The customer columns a billing run reads with each reading (no model instances: a run reads
# 100,000 readings).
READING_FIELDS = ("pk", "customer_id", "kwh_sharp", "kwh_peak", "kwh_flat", "kwh_valley", "kwh_total", "kvarh",
                  "max_demand_kw", "declared_demand_kw", "customer__number", "customer__tariff_code",
                  "customer__basic_charge_method", "customer__contract_capacity_kva", "customer__pf_standard")


def _load(is_tou: bool, kwh_sharp, kwh_peak, kwh_flat, kwh_valley, kwh_total, kvarh, max_demand_kw,
          declared_demand_kw, basic_charge_method, capacity_kva, pf_standard) -> Load:
    """The calculator's input from a reading's quantities and the customer's contract terms."""
    kwh = {}
    if is_tou:
        kwh = {c.TouPeriod.SHARP: kwh_sharp, c.TouPeriod.PEAK: kwh_peak,
               c.TouPeriod.FLAT: kwh_flat, c.TouPeriod.VALLEY: kwh_valley}
        kwh = {k: v for k, v in kwh.items() if v}
    total = kwh_total
    if total is None:
        total = kwh_sharp + kwh_peak + kwh_flat + kwh_valley
    method = c.BasicMethod.DEMAND if basic_charge_method == c.BasicMethod.DEMAND else c.BasicMethod.CAPACITY
    return Load(
        kwh=kwh, kwh_total=None if is_tou else total, kvarh=kvarh,
        max_demand_kw=max_demand_kw, declared_demand_kw=declared_demand_kw,
        capacity_kva=capacity_kva, pf_standard=pf_standard, basic_method=method,
    )


def _load_for(reading: MeterReading, customer, tariff: Tariff) -> Load:
    return _load(tariff.is_tou, reading.kwh_sharp, reading.kwh_peak, reading.kwh_flat, reading.kwh_valley,
                 reading.kwh_total, reading.kvarh, reading.max_demand_kw, reading.declared_demand_kw,
                 customer.basic_charge_method, customer.contract_capacity_kva, customer.pf_standard)


def _billed_this_month(period: date) -> QuerySet:
    return Bill.objects.filter(period=period).exclude(status=Bill.Status.VOID)


def run_billing(period: date, *, customers: Iterable | None = None, readings: Iterable[MeterReading] | None = None,
                actor=None, scope_user=None, run: BillingRun | None = None, chunk_size: int = 2000) -> BillingRun:
    """Bill one month from metered quantities. For every reading of the month (optionally only
    `customers`' or the given `readings`) without a bill yet, compute the itemised bill with the
    customer's tariff in force and write bill, lines, history row and timeline event. Customers
    already billed for the month are skipped (a rerun changes nothing and costs five queries: the
    readings query leaves them out). A reading that cannot be billed (no tariff code, no tariff
    in force, bad data) is reported in `run.errors`; the others are billed. With `scope_user`,
    only the readings of customers that user may see are billed (a station clerk bills the
    station). One transaction per chunk; progress is saved per chunk so the page can show it.

    Rows are written set-based (`write_bills`): no model instance per bill or line."""
    period = month_start(period)
    actor_id = actor.pk if actor is not None and actor.pk else None
    if run is None:
        run = BillingRun.objects.create(period=period, created_by_id=actor_id)
    run.status = BillingRun.Status.RUNNING
    not_billed = ~Exists(_billed_this_month(period).filter(customer_id=OuterRef("customer_id")))
    if readings is None:
        qs = MeterReading.objects.filter(period=period)
        if isinstance(customers, QuerySet):
            qs = qs.filter(customer_id__in=customers.values("pk"))
        elif customers is not None:
            qs = qs.filter(customer_id__in=[getattr(cu, "pk", cu) for cu in customers])
        if scope_user is not None:
            qs = scope_to_user(qs, scope_user)
        run.total = qs.count()
        qs = qs.filter(not_billed).order_by("customer_id")
        # One reading per customer and month: a chunk is a range of customer ids (keyset; no list of
        # ids sent back to the database).
        keys = list(qs.values_list("customer_id", flat=True))

        def chunk_rows(part):
            return qs.filter(customer_id__gte=part[0], customer_id__lte=part[-1]).values_list(*READING_FIELDS)
    else:
        keys = [r.pk for r in readings]
        run.total = len(keys)

        def chunk_rows(part):
            return (MeterReading.objects.filter(pk__in=part).filter(not_billed).order_by("customer_id")
                    .values_list(*READING_FIELDS))
    run.skipped = run.total - len(keys)
    run.done = run.skipped
    run.save()
    # The catalogue versions in force this month, read once (not at all when nothing is left to bill).
    catalogue = {t.code: t for t in tariffs_in_force(period).prefetch_related("surcharges")} if keys else {}
    specs = {code: spec_from_tariff(t) for code, t in catalogue.items()}
    tou = {code: t.is_tou for code, t in catalogue.items()}
    month = f"{period:%Y-%m}"
    issued_on = issue_date_for(period)
    due_on = due_date_for(issued_on)
    errors: list[dict] = []
    try:
        for start in range(0, len(keys), chunk_size):
            part = keys[start:start + chunk_size]
            # Customers billed since the list was read (another run) are left out and counted as skipped.
            chunk = list(chunk_rows(part))
            run.skipped += max(0, len(part) - len(chunk))
            label = labels()  # the line labels in the active language, once per chunk
            bills = []
            for (_pk, customer_id, sharp, peak, flat, valley, kwh_total, kvarh, max_demand, declared,
                 number, code, method, capacity, pf_standard) in chunk:
                spec = specs.get(code) if code else None
                if spec is None:
                    errors.append({"customer": number,
                                   "error": _("No tariff %(code)s in force in %(month)s.") % {
                                       "code": code or "—", "month": month}})
                    continue
                try:
                    result = calculate(spec, _load(tou[code], sharp, peak, flat, valley, kwh_total, kvarh, max_demand,
                                                   declared, method, capacity, pf_standard), label=label)
                except ValidationError as exc:
                    errors.append({"customer": number, "error": "; ".join(exc.messages)})
                    continue
                bills.append((customer_id, bill_number(number, period), result, max_demand))
            with transaction.atomic():
                write_bills(bills, period=period, issued_on=issued_on, due_on=due_on, source=Bill.Source.RUN,
                            actor_id=actor_id)
            run.created += len(bills)
            run.done = min(run.total, run.done + len(part))
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


def billing_worker_lost(run_id: int) -> None:
    """The worker running this billing run is gone (powerkam.core.leases): the run failed. Each
    chunk of bills was written in its own transaction, so the chunks written before are kept and
    the one being written was rolled back; running the month again bills only the rest."""
    run = BillingRun.objects.filter(
        pk=run_id, status__in=[BillingRun.Status.QUEUED, BillingRun.Status.RUNNING]).first()
    if run is None:
        return
    written = Bill.objects.filter(period=run.period, source=Bill.Source.RUN, created_at__gte=run.started_at,
                                  created_by_id=run.created_by_id).count()
    run.status = BillingRun.Status.FAILED
    run.created = written
    run.finished_at = timezone.now()
    run.message = _("The background job stopped before the end: its worker process was interrupted (killed or "
                    "restarted). %(created)s bills of this run were written and are kept; the other readings "
                    "were not billed. Run the month again: customers already billed are skipped.") % {
                        "created": written}
    run.save(update_fields=["status", "created", "finished_at", "message"])


def recover_run_if_lost(run: BillingRun) -> BillingRun:
    """The lazy check of the run's page: a run still "running" whose worker is gone is marked failed."""
    from powerkam.core import leases

    if run.status in (BillingRun.Status.QUEUED, BillingRun.Status.RUNNING) and leases.check_task(run.task_id):
        run.refresh_from_db()
    return run


BILL_COLUMNS = ("customer_id", "number", "period", "issued_on", "due_on", "tariff_code", "kwh", "kvarh",
                "max_demand_kw", "power_factor", "pf_adjustment_rate", "energy_charge", "basic_charge",
                "pf_adjustment", "surcharges", "total", "paid_amount", "paid_on", "status", "source", "created_at",
                "created_by_id")  # every column of billing_bill but the id (tests/billing/test_billing_run_rows.py)
LINE_COLUMNS = ("bill_id", "item", "label", "quantity", "unit", "unit_price", "amount", "sort")
TIMELINE_COLUMNS = ("customer_id", "kind", "occurred_at", "title", "detail", "actor_id")
_ZERO_KVARH = Decimal("0")
_ZERO_PAID = Decimal("0.00")


def write_bills(bills: list[tuple], *, period: date, issued_on: date, due_on: date, source: str = Bill.Source.RUN,
                actor_id: int | None = None) -> list[int]:
    """Write computed bills set-based, in the caller's transaction: the bills, their lines, one
    simple-history "+" row each (what `bulk_create_with_history` writes: every column as saved,
    by `actor_id`, no change reason; copied by the database) and one "bill.issued" timeline event
    each. `bills` are (customer_id, number, BillResult, max_demand_kw) tuples; numbers already
    taken get the next free suffix (`_unique_numbers`).
    PostgreSQL: ids drawn from the bills' sequence, then COPY; elsewhere executemany and the ids
    read back by number. Returns the new bill ids in order. The rows hold what `bill_from_result`
    + `announce_bills` would save, without a model instance per row."""
    if not bills:
        return []
    from powerkam.core.workqueue import insert_history_rows
    from powerkam.customers.models import TimelineEvent

    numbers = _unique_numbers([b[1] for b in bills])
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    period = month_start(period)
    status = Bill.Status.OPEN.value
    source = str(source)
    bill_rows = [
        (customer_id, number, period, issued_on, due_on, r.tariff_code, r.kwh, r.kvarh or _ZERO_KVARH, max_demand,
         r.power_factor, r.pf_adjustment_rate, r.energy_charge, r.basic_charge, r.pf_adjustment_amount,
         r.surcharges, r.total, _ZERO_PAID, None, status, source, stamp, actor_id)
        for (customer_id, _n, r, max_demand), number in zip(bills, numbers, strict=True)
    ]
    ids = _insert_bills(bill_rows)
    line_rows = []
    add = line_rows.append
    for bill_id, (_c, _n, r, _d) in zip(ids, bills, strict=True):
        for i, ln in enumerate(r.lines):
            add((bill_id, ln.item, ln.label[:100], ln.quantity, ln.unit, ln.unit_price, ln.amount, i))
    insert_rows(BillLine._meta.db_table, LINE_COLUMNS, line_rows)
    insert_history_rows(Bill, ids, user_id=actor_id, when=now)  # INSERT … SELECT: no rows sent again
    title = _("Bill %(number)s issued for %(month)s: %(total)s yuan")
    month = f"{period:%Y-%m}"
    detail = _("Due on %(due)s.") % {"due": due_on.isoformat()}
    insert_rows(TimelineEvent._meta.db_table, TIMELINE_COLUMNS, [
        (row[0], TIMELINE_KIND, stamp, (title % {"number": row[1], "month": month, "total": row[15]})[:200], detail,
         actor_id)
        for row in bill_rows
    ])
    return ids


def _insert_bills(rows: list[tuple]) -> list[int]:
    table = Bill._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                        [table, len(rows)])
            ids = [row[0] for row in cur.fetchall()]
        insert_rows(table, ("id", *BILL_COLUMNS), [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        return ids
    insert_rows(table, BILL_COLUMNS, rows)
    by_number = {}
    numbers = [row[1] for row in rows]
    for start in range(0, len(numbers), 900):
        by_number.update(Bill.objects.filter(number__in=numbers[start:start + 900]).values_list("number", "pk"))
    return [by_number[n] for n in numbers]


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple], *, batch_size: int = 5000) -> None:
    """Bulk rows without model instances, for the hundreds of thousands of bill lines of a run:
    COPY on PostgreSQL (one stream, values adapted by the driver), executemany INSERTs elsewhere.
    Values must be DB-ready (dates, Decimals, datetimes through
    connection.ops.adapt_datetimefield_value)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    names = ", ".join(qn(col) for col in columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
            return
        sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for start in range(0, len(rows), batch_size):
            cur.executemany(sql, rows[start:start + batch_size])


def insert_lines(rows: list[tuple]) -> None:
    """Bill lines as (bill_id, item, label, quantity, unit, unit_price, amount, sort) tuples."""
    insert_rows(BillLine._meta.db_table, LINE_COLUMNS, rows)


def _unique_numbers(numbers: list[str]) -> list[str]:
    """A month re-billed after its bill was voided gets the next free number (B202610-31…-2)."""
    taken = set()
    for start in range(0, len(numbers), 900):
        taken.update(Bill.objects.filter(number__in=numbers[start:start + 900]).values_list("number", flat=True))
    if not taken:
        return list(numbers)
    out = []
    for number in numbers:
        if number in taken:
            base, n = number, 2
            while f"{base}-{n}" in taken or Bill.objects.filter(number=f"{base}-{n}").exists():
                n += 1
            number = f"{base}-{n}"
            taken.add(number)
        out.append(number)
    return out


def bills_with_lines():
    return Bill.objects.select_related("customer").prefetch_related(Prefetch("lines", BillLine.objects.order_by("sort", "id")))
