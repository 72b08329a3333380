"""Demo data for receivables: payments for most demo bills (from the billing demo) with realistic
channels and dates, ~5 % of customers left in arrears at various ages (some partly paid), late
fees for bills paid late, two extensions, then the ladder run for `today`.

Deterministic for a seed and fast: bulk inserts (no per-row history for the bulk part; the
ladder run and the extensions go through the services as in production)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.billing.models import Bill
from powerkam.customers.constants import UsageCategory
from powerkam.customers.models import Customer, TimelineEvent
from powerkam.org.models import Role, Staff

from . import constants as c
from . import services
from .ladder import run_ladder
from .models import LateFee, Payment, PaymentAllocation

CHANNELS = (("withholding", 35), ("bank_transfer", 30), ("online", 20), ("counter", 12), ("other", 3))
ARREARS_SHARE = 0.05
TIMELINE_DAYS = 90  # payment events on the 360 timeline for the last 90 days only (keeps the demo fast)
BATCH = 2000
HISTORY_DAYS = 45


def _channel(rng: random.Random) -> str:
    return rng.choices([c for c, _w in CHANNELS], weights=[w for _c, w in CHANNELS])[0]


def backfill_start(earliest: date, due_dates) -> date:
    """The first day of the demo's ladder history: `earliest` or the latest day before it on
    which no open bill is inside its reminder window. The first run catches up every step
    already reached, so a bill due 1–7 days after it would get its reminder on that day (1 day
    before its due date, issue #10) instead of 7 days before."""
    lead = timedelta(days=-c.LADDER_OFFSETS[1])
    dues = set(due_dates)
    start = earliest
    while any(start <= d < start + lead for d in dues):
        start -= timedelta(days=1)
    return start


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    log = log or (lambda msg: None)
    if Payment.objects.exists():
        log("receivables demo: payments exist, skipped")
        return {"payments": 0}
    rng = random.Random(seed * 104729 + 11)
    residential = set(Customer.objects.filter(usage_category=UsageCategory.RESIDENTIAL).values_list("pk", flat=True))
    names = dict(Customer.objects.values_list("pk", "name"))
    by_customer: dict[int, list[Bill]] = defaultdict(list)
    for bill in (Bill.objects.filter(status=Bill.Status.OPEN).only("pk", "customer_id", "number", "period",
                                                                  "issued_on", "due_on",
                                                                  "total", "paid_amount", "status", "paid_on")
                 .order_by("customer_id", "due_on", "period", "number")):
        by_customer[bill.customer_id].append(bill)
    customers = sorted(by_customer)
    in_arrears = set(rng.sample(customers, max(1, round(len(customers) * ARREARS_SHARE)))) if customers else set()
    late_payers = {cid for cid in customers if rng.random() < 0.15}

    payments: list[Payment] = []
    alloc_rows: list[tuple[int, Bill, Decimal, date]] = []  # payment index, bill, amount, date
    fees: list[LateFee] = []
    changed: list[Bill] = []
    seq: dict[date, int] = defaultdict(int)

    def pay(cid: int, bill: Bill, amount: Decimal, on: date) -> None:
        seq[on] += 1
        payments.append(Payment(number=f"PAY-{on:%Y%m%d}-{seq[on]:05d}", customer_id=cid, channel=_channel(rng),
                                amount=amount, allocated_amount=amount, received_on=on,
                                reference=f"{rng.randrange(10**11, 10**12)}", payer=names.get(cid, "")[:100]))
        alloc_rows.append((len(payments) - 1, bill, amount, on))
        bill.paid_amount += amount
        if bill.paid_amount >= bill.total:
            bill.status, bill.paid_on = Bill.Status.PAID, on
        changed.append(bill)

    for cid in customers:
        bills = by_customer[cid]
        due = [b for b in bills if b.due_on < today]
        unpaid_tail = 0
        if cid in in_arrears and due:
            # Arrears at various ages: the last 1–4 due bills stay (partly) unpaid.
            unpaid_tail = min(len(due), rng.choice((1, 1, 1, 2, 2, 3, 4)))
        for i, bill in enumerate(due):
            if bill.total <= 0:
                continue
            if i >= len(due) - unpaid_tail:
                if i == len(due) - unpaid_tail and rng.random() < 0.35:  # the oldest unpaid one partly paid
                    part = (bill.total * Decimal(rng.uniform(0.3, 0.8))).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    on = min(today, bill.due_on + timedelta(days=rng.randint(1, 10)))
                    if 0 < part < bill.total:
                        pay(cid, bill, part, on)
                continue
            if cid in late_payers and rng.random() < 0.3:
                on = bill.due_on + timedelta(days=rng.randint(1, 20))
            else:
                on = bill.due_on - timedelta(days=rng.choice((0, 0, 1, 2, 3, 5, 7, 10)))
            on = max(min(on, today), bill.issued_on)
            pay(cid, bill, bill.total, on)
            if on > bill.due_on:
                p = services.compute_penalty(total=bill.total, due_on=bill.due_on, as_of=on,
                                             residential=cid in residential, payments=[(on, bill.total)])
                if p.amount > 0:
                    fees.append(LateFee(bill_id=bill.pk, customer_id=cid, as_of=on, days=p.days, amount=p.amount,
                                        breakdown=[ln.as_dict() for ln in p.lines], rule=p.rule.citation,
                                        status=LateFee.Status.PAID if (today - on).days > 30 else LateFee.Status.CHARGED,
                                        paid_on=on + timedelta(days=rng.randint(3, 25)) if (today - on).days > 30 else None))
    with transaction.atomic():
        for i in range(0, len(payments), BATCH):
            Payment.objects.bulk_create(payments[i:i + BATCH], batch_size=BATCH)
        allocations = [PaymentAllocation(payment_id=payments[pi].pk, bill_id=b.pk, amount=a, received_on=on)
                       for pi, b, a, on in alloc_rows]
        PaymentAllocation.objects.bulk_create(allocations, batch_size=BATCH)
        # Settled bills grouped by settlement day: a few hundred UPDATEs instead of a bulk_update
        # CASE over thousands of rows (far slower on SQLite).
        settled: dict[date, list[int]] = defaultdict(list)
        for b in changed:
            if b.status == Bill.Status.PAID:
                settled[b.paid_on].append(b.pk)
            else:
                Bill.objects.filter(pk=b.pk).update(paid_amount=b.paid_amount)
        for on, ids in settled.items():
            for i in range(0, len(ids), 900):
                Bill.objects.filter(pk__in=ids[i:i + 900]).update(status=Bill.Status.PAID, paid_amount=F("total"), paid_on=on)
        LateFee.objects.bulk_create(fees, batch_size=BATCH)
        cutoff = today - timedelta(days=TIMELINE_DAYS)
        events = [TimelineEvent(customer_id=p.customer_id, kind="payment",
                                title=_("Payment %(n)s received: %(a)s yuan (%(ch)s)") % {
                                    "n": p.number, "a": p.amount, "ch": p.get_channel_display()},
                                occurred_at=timezone.make_aware(datetime.combine(p.received_on, time(10, 0))))
                  for p in payments if p.received_on >= cutoff]
        TimelineEvent.objects.bulk_create(events, batch_size=BATCH)
    log(f"receivables demo: {len(payments)} payments, {len(fees)} late fees, {len(in_arrears)} customers in arrears")

    # Two force-majeure extensions for bills not yet due, approved by a supervisor.
    extensions = 0
    supervisor = Staff.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    upcoming = list(Bill.objects.filter(status=Bill.Status.OPEN, due_on__gte=today).order_by("due_on", "pk")[:2])
    if supervisor is not None:
        for bill in upcoming:
            ext = services.request_extension(bill, new_due_on=bill.due_on + timedelta(days=15),
                                             reason="台风导致厂区停产，申请延期交费", requested_on=today)
            services.decide_extension(ext, approve=True, approver=supervisor, note="情况属实，同意延期")
            extensions += 1
    # The nightly job as if it had run every day of the last HISTORY_DAYS days, so steps carry
    # their real dates (reminders 7 days before the due date, warnings a week after, ...).
    start = backfill_start(today - timedelta(days=HISTORY_DAYS), Bill.objects.filter(
        status=Bill.Status.OPEN).values_list("due_on", flat=True).distinct())
    ladder: dict = defaultdict(int)
    for back in range((today - start).days, -1, -1):
        for k, v in run_ladder(today - timedelta(days=back)).items():
            ladder[k] += v
    ladder = dict(ladder)
    log(f"receivables demo: ladder for the {HISTORY_DAYS} days up to {today}: {ladder}")
    return {"payments": len(payments), "allocations": len(alloc_rows), "late_fees": len(fees),
            "customers_in_arrears": len(in_arrears), "extensions": extensions, "ladder": ladder}
