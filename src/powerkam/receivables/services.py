"""Receivables business rules: payment allocation, reversals, refunds, the late-payment penalty,
waivers, extensions. The ladder job lives in ladder.py.

Every write validates first and runs in one transaction: bad input changes nothing.

Overpayment policy (documented in docs of the app and in the payment form): a payment larger
than the customer's total outstanding balance is refused with a clear message, unless the clerk
records it explicitly as an advance payment (`is_advance=True`). The part of an advance that is
not allocated stays on the payment as the customer's credit; it is applied to the customer's
next open bills by `apply_advances` (run by the daily ladder job before it walks the bills) and
can be refunded (`refund_advance`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.billing.models import Bill
from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.customers.constants import UsageCategory
from powerkam.customers.services import add_timeline_event
from powerkam.org.models import Role

from . import constants as c
from .models import (
    BlacklistEntry,
    Extension,
    LateFee,
    Payment,
    PaymentAllocation,
    Refund,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1e12")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _audited(instance, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _parse_amount(value, field_name: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field_name: _("Enter an amount in yuan, e.g. 1234.56.")}) from None
    if not amount.is_finite():
        raise ValidationError({field_name: _("Enter an amount in yuan, e.g. 1234.56.")})
    if amount <= 0:
        raise ValidationError({field_name: _("The amount must be greater than zero.")})
    if amount >= MAX_AMOUNT:  # beyond the amount columns (14 digits, 2 decimals); 1e30 broke quantize
        raise ValidationError({field_name: _("The number is too large.")})
    if amount != amount.quantize(CENT):
        raise ValidationError({field_name: _("Amounts are in yuan with at most 2 decimal places.")})
    return amount.quantize(CENT)


def can_approve(user) -> bool:
    """Waivers and extensions are approved by a supervisor (or an administrator)."""
    return bool(user and user.is_authenticated and not user.is_read_only
                and (user.is_superuser or user.role in (Role.SUPERVISOR, Role.ADMIN)))


# --- bills ----------------------------------------------------------------------------------------

def open_bills(customer_id: int):
    """The customer's bills with something left to pay, oldest first (due date, month, number)."""
    return (Bill.objects.filter(customer_id=customer_id, status=Bill.Status.OPEN, total__gt=F("paid_amount"))
            .order_by("due_on", "period", "number", "pk"))


def outstanding_of(customer_id: int) -> Decimal:
    row = open_bills(customer_id).aggregate(s=Sum(F("total") - F("paid_amount")))
    return money(row["s"] or ZERO)


def extended_due_subquery():
    return Subquery(Extension.objects.filter(bill=OuterRef("pk"), status=Extension.Status.APPROVED)
                    .values("bill").annotate(m=Max("new_due_on")).values("m")[:1])


def effective_due_on(bill: Bill) -> date:
    """The due date after approved extensions (the latest approved new due date)."""
    ext = (Extension.objects.filter(bill=bill, status=Extension.Status.APPROVED)
           .aggregate(m=Max("new_due_on"))["m"])
    return max(bill.due_on, ext) if ext else bill.due_on


def _next_number(prefix: str, day: date) -> str:
    stem = f"{prefix}-{day:%Y%m%d}-"
    last = (Payment.objects.filter(number__startswith=stem).order_by("-number").values_list("number", flat=True).first())
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{seq:05d}"


def _save_numbered(payment: Payment, prefix: str, day: date, attempts: int = 10) -> None:
    """Save a new payment under the day's next number. Two clerks saving at the same instant read
    the same last number; the unique constraint refuses the second, which takes the next one
    (inside a savepoint, so nothing else of the transaction is lost)."""
    for attempt in range(attempts):
        payment.number = _next_number(prefix, day)
        try:
            with transaction.atomic():
                payment.save()
            return
        except IntegrityError:
            payment.pk = None
            if attempt == attempts - 1 or (payment.idempotency_key
                                           and _payment_by_key(payment.created_by, payment.idempotency_key)):
                raise


# --- payments ---------------------------------------------------------------------------------

def _settle_bill(bill: Bill, on: date, actor) -> None:
    """A bill just became fully paid: close its ladder tasks, lift its blacklist entry and record
    its late-payment penalty."""
    _settle_bills([bill], on, actor)


def _settle_bills(bills: list[Bill], on: date, actor) -> None:
    """`_settle_bill` for the bills one payment settles, with one query per step for all of them
    (issue #11: a payment settling several bills made ~20 queries per bill): their open ladder
    tasks closed (cancelled, audited), blacklist entries lifted, the stop-supply workflow told;
    the late-payment penalty recorded for each bill paid after its due date (one paid by its due
    date accrues none: compute_penalty)."""
    from django.db.models import Q

    prefixes = Q()
    for bill in bills:
        prefixes |= Q(key__startswith=f"ladder:bill:{bill.pk}:")
    keys = list(Task.objects.filter(prefixes, status=Task.Status.OPEN).values_list("key", flat=True))
    if keys:
        workqueue.close_tasks_bulk(keys, by=actor, result=_("Bill paid on %(d)s.") % {"d": on},
                                   status=Task.Status.CANCELLED)
    BlacklistEntry.objects.filter(bill__in=bills, lifted_on__isnull=True).update(lifted_on=on)
    late = [b for b in bills if b.paid_on and b.paid_on > b.due_on]
    if late:
        charged = set(LateFee.objects.filter(bill__in=late).values_list("bill_id", flat=True))
        for bill in late:
            if bill.pk not in charged:
                record_late_fee(bill, actor=actor)
    from .stop_supply import bills_settled  # the stop-supply workflow builds on these services

    bills_settled(bills, on, actor)


def _allocate(payment: Payment, amount: Decimal, actor) -> list[PaymentAllocation]:
    """Apply `amount` of `payment` to the customer's open bills, oldest first. Set-based: the
    allocations and the bills' new paid amounts are written with one statement each, their
    history rows (the audit trail, as simple-history writes them) with one INSERT … SELECT."""
    remaining = amount
    made, touched, settled = [], [], []
    bills = list(open_bills(payment.customer_id).select_for_update())
    for bill in bills:
        if remaining <= 0:
            break
        take = min(bill.outstanding, remaining)
        made.append(PaymentAllocation(payment=payment, bill=bill, amount=take, received_on=payment.received_on))
        bill.paid_amount += take
        remaining -= take
        if bill.outstanding <= 0:
            bill.status = Bill.Status.PAID
            bill.paid_on = payment.received_on
            settled.append(bill)
        touched.append(bill)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    if made:
        PaymentAllocation.objects.bulk_create(made)
        if made[0].pk is None:  # a database that returns no ids from bulk inserts
            by_bill = dict(PaymentAllocation.objects.filter(payment=payment).values_list("bill_id", "pk"))
            for a in made:
                a.pk = a.id = by_bill[a.bill_id]
        workqueue.insert_history_rows(PaymentAllocation, [a.pk for a in made], user_id=actor_id)
        Bill.objects.bulk_update(touched, ["paid_amount", "paid_on", "status"])
        workqueue.insert_history_rows(Bill, [b.pk for b in touched], user_id=actor_id, history_type="~")
        if settled:
            _settle_bills(settled, payment.received_on, actor)
    allocated = amount - remaining
    if allocated:
        payment.allocated_amount += allocated
        _audited(payment, actor)
        payment.save(update_fields=["allocated_amount"])
    return made


DUPLICATE_REFERENCE = "duplicate_reference"


class _Replayed(Exception):
    """The idempotency key was taken by a concurrent request while this one was saving."""

    def __init__(self, payment: Payment):
        self.payment = payment


def _payment_by_key(actor, key: str) -> Payment | None:
    if not key or not getattr(actor, "pk", None):
        return None
    return Payment.objects.filter(created_by=actor, idempotency_key=key).first()


def _replay(existing: Payment, customer, amount: Decimal) -> Payment:
    """The payment a repeated request (same key) gets back; a key reused for another payment is
    an error, never a silent mix-up."""
    if existing.customer_id != customer.pk or existing.amount != amount:
        raise ValidationError({"idempotency_key": _(
            "This request key was already used for payment %(n)s of another customer or amount. "
            "Reload the form and enter the payment again.") % {"n": existing.number}})
    existing.replayed = True
    return existing


def record_payment(*, customer, amount, channel: str, received_on: date, reference: str = "", payer: str = "",
                   is_advance: bool = False, note: str = "", actor=None, today: date | None = None,
                   idempotency_key: str = "", confirm_duplicate: bool = False) -> Payment:
    """Record a payment and allocate it to the oldest open bills. Raises ValidationError (and
    writes nothing) on bad input or on a payment larger than the balance that is not an advance.

    Double submissions (issue #9 item 7): a request carrying an `idempotency_key` already used by
    the same recorder returns that payment (with `replayed = True`) instead of recording a second
    one — also when the two requests arrive at the same instant (the customer lock and a unique
    constraint). A posted payment of the same customer with the same reference is refused with
    the code "duplicate_reference" unless `confirm_duplicate` is true."""
    today = today or timezone.localdate()
    idempotency_key = (idempotency_key or "").strip()
    errors: dict[str, str] = {}
    if len(idempotency_key) > 64:
        errors["idempotency_key"] = _("The request key is at most 64 characters long.")
    try:
        amount = _parse_amount(amount)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if channel not in Payment.Channel.values:
        errors["channel"] = _("Choose a payment channel.")
    if not isinstance(received_on, date):
        errors["received_on"] = _("Enter the date the money was received.")
    elif received_on > today:
        errors["received_on"] = _("The money cannot be received in the future.")
    if customer is None:
        errors["customer"] = _("Choose the customer who paid.")
    if errors:
        raise ValidationError(errors)
    try:
        return _record_payment(customer=customer, amount=amount, channel=channel, received_on=received_on,
                               reference=reference.strip()[:60], payer=payer, is_advance=is_advance, note=note,
                               actor=actor, idempotency_key=idempotency_key, confirm_duplicate=confirm_duplicate)
    except _Replayed as replay:
        return _replay(replay.payment, customer, amount)


def _record_payment(*, customer, amount: Decimal, channel: str, received_on: date, reference: str, payer: str,
                    is_advance: bool, note: str, actor, idempotency_key: str, confirm_duplicate: bool) -> Payment:
    with transaction.atomic():
        # One payment of a customer at a time: the balance checked below is the one allocated,
        # and a request repeated with the same key finds the first one's payment.
        type(customer).objects.select_for_update().filter(pk=customer.pk).values_list("pk").first()
        existing = _payment_by_key(actor, idempotency_key)
        if existing is not None:
            return _replay(existing, customer, amount)
        if reference and not confirm_duplicate:
            same = (Payment.objects.filter(customer=customer, reference__iexact=reference, status=Payment.Status.POSTED)
                    .order_by("pk").first())
            if same is not None:
                raise ValidationError({"reference": ValidationError(_(
                    "Payment %(n)s of this customer (%(a)s yuan, received %(d)s) already has reference "
                    "\u201c%(r)s\u201d. If this is really a second payment, confirm it; otherwise do not record it "
                    "again.") % {"n": same.number, "a": same.amount, "d": same.received_on, "r": same.reference},
                    code=DUPLICATE_REFERENCE)})
        outstanding = outstanding_of(customer.pk)
        if amount > outstanding and not is_advance:
            raise ValidationError({"amount": _(
                "The payment (%(amount)s yuan) is larger than the customer's outstanding balance "
                "(%(balance)s yuan). Record the difference as an advance payment, or correct the amount."
            ) % {"amount": amount, "balance": outstanding}})
        payment = Payment(customer=customer, channel=channel,
                          amount=amount, received_on=received_on, reference=reference,
                          payer=payer.strip()[:100], is_advance=is_advance, note=note.strip()[:200],
                          created_by=actor if getattr(actor, "pk", None) else None,
                          idempotency_key=idempotency_key if getattr(actor, "pk", None) else "")
        _audited(payment, actor)
        try:
            _save_numbered(payment, c.PAYMENT_PREFIX, received_on)
        except IntegrityError:
            # A concurrent request with the same key committed first (the unique constraint).
            existing = _payment_by_key(actor, idempotency_key)
            if existing is None:
                raise
            raise _Replayed(existing) from None
        allocations = _allocate(payment, amount, actor)
        detail = "; ".join(f"{a.bill.number}: {a.amount}" for a in allocations)
        if payment.unallocated > 0:
            detail += ("; " if detail else "") + _("advance kept: %(a)s") % {"a": payment.unallocated}
        add_timeline_event(customer, "payment", _("Payment %(n)s received: %(a)s yuan (%(ch)s)") % {
            "n": payment.number, "a": amount, "ch": payment.get_channel_display()},
            detail=detail, actor=actor, occurred_at=_at(received_on))
    return payment


def apply_advances(customer_id: int | None = None, actor=None) -> int:
    """Allocate unallocated advances to open bills (oldest advance first). Returns how many
    allocations were made."""
    qs = Payment.objects.filter(status=Payment.Status.POSTED, is_advance=True,
                                amount__gt=F("allocated_amount") + F("refunded_amount"))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    customers_with_bills = set(Bill.objects.filter(status=Bill.Status.OPEN, total__gt=F("paid_amount"),
                                                   customer_id__in=qs.values("customer_id"))
                               .values_list("customer_id", flat=True).distinct())
    n = 0
    for payment in qs.filter(customer_id__in=customers_with_bills).order_by("received_on", "pk"):
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            n += len(_allocate(payment, payment.unallocated, actor))
    return n


def reverse_payment(payment: Payment, *, reason: str, actor) -> Payment:
    """Undo a payment (e.g. a bounced transfer, a wrong customer): its allocations are reversed
    and the bills they paid reopen. A payment with refunds cannot be reversed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the reversal.")})
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Payment.Status.REVERSED:
            raise ValidationError(_("This payment has already been reversed."))
        if payment.refunded_amount > 0:
            raise ValidationError(_("Part of this payment has been refunded; it cannot be reversed."))
        reopened = []
        allocations = list(payment.allocations.filter(is_reversed=False).select_related("bill"))
        bills = {b.pk: b for b in Bill.objects.select_for_update().filter(pk__in=[a.bill_id for a in allocations])}
        for alloc in allocations:
            bill = bills[alloc.bill_id]
            bill.paid_amount -= alloc.amount
            if bill.status == Bill.Status.PAID and bill.outstanding > 0:
                bill.status = Bill.Status.OPEN
                bill.paid_on = None
                reopened.append(bill.number)
                # The recorded penalty assumed the bill was settled; it accrues again.
                LateFee.objects.filter(bill=bill, status=LateFee.Status.CHARGED).delete()
                BlacklistEntry.objects.filter(bill=bill).update(lifted_on=None)
            _audited(bill, actor)
            bill.save(update_fields=["paid_amount", "paid_on", "status"])
            alloc.is_reversed = True
            alloc.save(update_fields=["is_reversed"])
        payment.status = Payment.Status.REVERSED
        payment.allocated_amount = ZERO
        payment.reversed_at = timezone.now()
        payment.reversed_by = actor if getattr(actor, "pk", None) else None
        payment.reversal_reason = reason[:200]
        _audited(payment, actor)
        payment.save()
        add_timeline_event(payment.customer, "payment_reversed",
                           _("Payment %(n)s reversed: %(a)s yuan") % {"n": payment.number, "a": payment.amount},
                           detail=_("Reason: %(r)s. Bills reopened: %(b)s") % {"r": reason, "b": ", ".join(reopened) or "-"},
                           actor=actor)
    return payment


def refund_advance(payment: Payment, *, amount, reason: str, actor, refunded_on: date | None = None,
                   idempotency_key: str = "") -> Refund:
    """Pay back (part of) the unallocated advance of a payment. A request repeated with the same
    `idempotency_key` (a double click, a retry) returns the first refund (`replayed = True`)."""
    refunded_on = refunded_on or timezone.localdate()
    idempotency_key = (idempotency_key or "").strip()[:64]
    errors = {}
    try:
        amount = _parse_amount(amount)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the refund.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = (Refund.objects.filter(payment=payment, idempotency_key=idempotency_key).first()
                    if idempotency_key else None)
        if existing is not None:
            if existing.amount != amount:
                raise ValidationError({"idempotency_key": _(
                    "This request key was already used for a refund of another amount. Reload the page and "
                    "enter the refund again.")})
            existing.replayed = True
            return existing
        if payment.status != Payment.Status.POSTED:
            raise ValidationError(_("A reversed payment cannot be refunded."))
        if amount > payment.unallocated:
            raise ValidationError({"amount": _(
                "Only the advance not yet applied to bills can be refunded: %(a)s yuan.") % {"a": payment.unallocated}})
        refund = Refund(payment=payment, amount=amount, refunded_on=refunded_on, reason=reason[:200],
                        created_by=actor if getattr(actor, "pk", None) else None, idempotency_key=idempotency_key)
        _audited(refund, actor)
        refund.save()
        payment.refunded_amount += amount
        _audited(payment, actor)
        payment.save(update_fields=["refunded_amount"])
        add_timeline_event(payment.customer, "refund",
                           _("Advance refunded from %(n)s: %(a)s yuan") % {"n": payment.number, "a": amount},
                           detail=_("Reason: %(r)s") % {"r": reason}, actor=actor, occurred_at=_at(refunded_on))
    return refund


# --- late-payment penalty (电费违约金) ---------------------------------------------------------------

@dataclass
class PenaltyLine:
    start: date
    end: date
    days: int
    base: Decimal
    rate: Decimal
    amount: Decimal  # unrounded

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "days": self.days,
                "base": str(self.base), "rate": str(self.rate), "amount": str(money(self.amount))}


@dataclass
class Penalty:
    due_on: date
    as_of: date
    residential: bool
    rule: c.PenaltyRule | None
    lines: list[PenaltyLine] = field(default_factory=list)
    minimum_applied: bool = False

    @property
    def days(self) -> int:
        return sum(line.days for line in self.lines)

    @property
    def amount(self) -> Decimal:
        total = money(sum((line.amount for line in self.lines), ZERO))
        if self.rule and self.rule.minimum and ZERO < total < self.rule.minimum:
            self.minimum_applied = True
            return self.rule.minimum
        return total


def is_residential(customer) -> bool:
    return customer.usage_category == UsageCategory.RESIDENTIAL


def compute_penalty(*, total: Decimal, due_on: date, as_of: date, residential: bool,
                    payments: list[tuple[date, Decimal]] = ()) -> Penalty:
    """The late-payment penalty of one bill as of `as_of` (see constants.py for the article and
    how we read it). `payments`: (received_on, amount) applied to the bill; a payment lowers the
    base from the next day on (the day of payment is still a penalty day, "至交纳日止")."""
    result = Penalty(due_on=due_on, as_of=as_of, residential=residential, rule=None)
    if as_of <= due_on:
        return result
    first = due_on + timedelta(days=1)
    rule = c.penalty_rule_on(first)
    result.rule = rule
    # Breakpoints: the day after each payment (base changes) and each 1 January (rate changes).
    cuts = {p_day + timedelta(days=1) for p_day, _amt in payments if first < p_day + timedelta(days=1) <= as_of}
    cuts |= {date(y, 1, 1) for y in range(first.year + 1, as_of.year + 1)}
    starts = [first, *sorted(cuts)]
    for i, start in enumerate(starts):
        end = (starts[i + 1] - timedelta(days=1)) if i + 1 < len(starts) else as_of
        paid_before = sum((amt for p_day, amt in payments if p_day < start), ZERO)
        base = money(total - paid_before)
        if base <= 0:
            break
        if residential:
            rate = rule.residential_daily
        else:
            rate = rule.current_year_daily if start.year == first.year else rule.cross_year_daily
        days = (end - start).days + 1
        result.lines.append(PenaltyLine(start, end, days, base, rate, base * rate * days))
    return result


def bill_penalty(bill: Bill, as_of: date | None = None) -> Penalty:
    """The penalty of a bill as of a date (default: the day it was settled, or today)."""
    if as_of is None:
        as_of = bill.paid_on if bill.status == Bill.Status.PAID and bill.paid_on else timezone.localdate()
    payments = list(PaymentAllocation.objects.filter(bill=bill, is_reversed=False)
                    .values_list("received_on", "amount"))
    return compute_penalty(total=bill.total, due_on=effective_due_on(bill), as_of=as_of,
                           residential=is_residential(bill.customer), payments=payments)


def record_late_fee(bill: Bill, *, actor=None) -> LateFee | None:
    """Called when a bill is settled: the penalty as of the settlement day becomes a charge
    (unless it was waived, or nothing accrued)."""
    if LateFee.objects.filter(bill=bill).exists():
        return None
    penalty = bill_penalty(bill, bill.paid_on)
    if penalty.amount <= 0:
        return None
    fee = LateFee(bill=bill, customer_id=bill.customer_id, as_of=penalty.as_of, days=penalty.days,
                  amount=penalty.amount, breakdown=[line.as_dict() for line in penalty.lines],
                  rule=penalty.rule.citation if penalty.rule else "")
    _audited(fee, actor)
    fee.save()
    add_timeline_event(bill.customer, "late_fee",
                       _("Late-payment penalty of bill %(n)s: %(a)s yuan (%(d)s days)") % {
                           "n": bill.number, "a": fee.amount, "d": fee.days},
                       detail=fee.rule, actor=actor, occurred_at=_at(fee.as_of))
    return fee


def mark_late_fee_paid(fee: LateFee, *, paid_on: date, reference: str = "", actor=None) -> LateFee:
    if fee.status != LateFee.Status.CHARGED:
        raise ValidationError(_("Only a charged penalty can be marked paid."))
    fee.status = LateFee.Status.PAID
    fee.paid_on = paid_on
    fee.payment_reference = reference.strip()[:60]
    _audited(fee, actor)
    fee.save(update_fields=["status", "paid_on", "payment_reference"])
    add_timeline_event(fee.customer, "late_fee", _("Late-payment penalty of bill %(n)s paid") % {"n": fee.bill.number},
                       actor=actor, occurred_at=_at(paid_on))
    return fee


def waive_late_fee(bill: Bill, *, approver, reason: str, as_of: date | None = None) -> LateFee:
    """Waive the whole penalty of a bill. Only a supervisor (or an administrator) approves, and
    only with a reason; the waiver is audited and put on the customer timeline."""
    errors = {}
    if not can_approve(approver):
        errors["approver"] = _("A penalty can only be waived with a supervisor's approval.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for the waiver.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fee = LateFee.objects.select_for_update().filter(bill=bill).first()
        if fee is None:
            penalty = bill_penalty(bill, as_of)
            if penalty.amount <= 0:
                raise ValidationError(_("No late-payment penalty has accrued on this bill."))
            fee = LateFee(bill=bill, customer_id=bill.customer_id, as_of=penalty.as_of, days=penalty.days,
                          amount=penalty.amount, breakdown=[line.as_dict() for line in penalty.lines],
                          rule=penalty.rule.citation if penalty.rule else "")
        elif fee.status != LateFee.Status.CHARGED:
            raise ValidationError(_("This penalty is already %(s)s.") % {"s": fee.get_status_display()})
        fee.status = LateFee.Status.WAIVED
        fee.waived_by = approver
        fee.waived_at = timezone.now()
        fee.waive_reason = reason[:200]
        _audited(fee, approver)
        fee.save()
        add_timeline_event(bill.customer, "late_fee",
                           _("Late-payment penalty of bill %(n)s waived: %(a)s yuan") % {"n": bill.number, "a": fee.amount},
                           detail=_("Reason: %(r)s") % {"r": reason}, actor=approver)
    return fee


# --- extensions ----------------------------------------------------------------------------------

def request_extension(bill: Bill, *, new_due_on: date, reason: str, actor=None, requested_on: date | None = None) -> Extension:
    """Record a customer's application, made before the due date, to pay later."""
    requested_on = requested_on or timezone.localdate()
    current_due = effective_due_on(bill)
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason (e.g. the force-majeure event).")
    if bill.status != Bill.Status.OPEN or bill.outstanding <= 0:
        errors["bill"] = _("Only an open bill can be extended.")
    if requested_on > current_due:
        errors["requested_on"] = _("An extension must be applied for before the due date (%(d)s).") % {"d": current_due}
    if not isinstance(new_due_on, date):
        errors["new_due_on"] = _("Enter the new due date.")
    elif new_due_on <= current_due:
        errors["new_due_on"] = _("The new due date must be after the current due date (%(d)s).") % {"d": current_due}
    if Extension.objects.filter(bill=bill, status=Extension.Status.PENDING).exists():
        errors["bill"] = _("An extension for this bill is already waiting for approval.")
    if errors:
        raise ValidationError(errors)
    ext = Extension(bill=bill, customer_id=bill.customer_id, requested_on=requested_on, new_due_on=new_due_on,
                    reason=reason[:300], requested_by=actor if getattr(actor, "pk", None) else None)
    _audited(ext, actor)
    with transaction.atomic():
        ext.save()
        add_timeline_event(bill.customer, "extension", _("Extension requested for bill %(n)s to %(d)s") % {
            "n": bill.number, "d": new_due_on}, detail=reason, actor=actor)
    return ext


def decide_extension(ext: Extension, *, approve: bool, approver, note: str = "") -> Extension:
    if not can_approve(approver):
        raise ValidationError({"approver": _("Only a supervisor can approve or reject an extension.")})
    if ext.status != Extension.Status.PENDING:
        raise ValidationError(_("This extension has already been decided."))
    if not approve and not (note or "").strip():
        raise ValidationError({"decision_note": _("Give the reason for the rejection.")})
    ext.status = Extension.Status.APPROVED if approve else Extension.Status.REJECTED
    ext.decided_by = approver
    ext.decided_at = timezone.now()
    ext.decision_note = (note or "").strip()[:200]
    _audited(ext, approver)
    with transaction.atomic():
        ext.save()
        title = (_("Extension of bill %(n)s approved: new due date %(d)s") if approve
                 else _("Extension of bill %(n)s rejected")) % {"n": ext.bill.number, "d": ext.new_due_on}
        add_timeline_event(ext.customer, "extension", title, detail=ext.decision_note, actor=approver)
    return ext

