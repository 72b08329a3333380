"""The "payments" import kind: money received (bank statements, counter and online channels)
through the import framework — dry run, Chinese row/column error report, all or nothing.

Every row goes through `services.record_payment`, the same function as the payment page and the
API, so each payment is allocated to the customer's oldest open bills, audited and put on the
timeline. The dry run checks what record_payment would refuse (amount, channel, date, a payment
above the outstanding balance that is not an advance — counting the rows of the file before it
for the same customer). A row whose customer, reference and received date match a posted payment
is "unchanged": importing the same statement twice records nothing twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from powerkam.billing.models import Bill
from powerkam.imports.columns import (
    CUSTOMER_NUMBER_REF,
    col,
    customer_ref,
    parse_bool,
    parse_date,
    parse_decimal,
)
from powerkam.imports.services import Importer, Plan

from . import services
from .models import Payment

ZERO = Decimal("0.00")

PAYMENT_COLUMNS = (
    customer_ref(Payment),
    col(Payment, "amount", "金额", "Amount", parse_decimal, required=True, aliases=("收款金额", "金额(元)"),
        help=gettext_lazy("Yuan, greater than zero, at most 2 decimal places."), example="1234.56"),
    col(Payment, "channel", "收款渠道", "Channel", choices=Payment.Channel, required=True, aliases=("渠道",),
        example="银行转账"),
    col(Payment, "received_on", "到账日期", "Received on", parse_date, required=True, aliases=("收款日期",),
        help=gettext_lazy("Date the money was received, not in the future."), example="2026-11-18"),
    col(Payment, "reference", "流水号", "Reference", required=True, aliases=("银行流水号", "票据号"),
        help=gettext_lazy("Bank or receipt reference: a row already recorded with it is not recorded again."),
        example="BK20261118000123"),
    col(Payment, "payer", "付款人", "Payer", example="示例科技有限公司"),
    col(Payment, "is_advance", "是否预收", "Advance payment", parse_bool,
        help=gettext_lazy("是: accept more than the outstanding balance and keep the rest as an advance."),
        example="否"),
    col(Payment, "note", "备注", "Note"),
)


class PaymentImporter(Importer):
    model = Payment

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.balance: dict[int, Decimal] = {}  # customer id → outstanding left after the rows so far
        self.seen: dict[tuple, int] = {}
        self.today = timezone.localdate()

    def validate(self, batch):
        rows, customers = self.parse_batch(batch)
        ids = {c.pk for c in customers.values()}
        missing = ids - set(self.balance)
        if missing:
            open_sums = dict(Bill.objects.filter(customer_id__in=missing, status=Bill.Status.OPEN,
                                                 total__gt=F("paid_amount"))
                             .values("customer_id").annotate(s=Sum(F("total") - F("paid_amount")))
                             .values_list("customer_id", "s"))
            for pk in missing:
                self.balance[pk] = services.money(open_sums.get(pk) or ZERO)
        references = {p["reference"] for _r, _c, p, _ok in rows if "reference" in p}
        recorded = set(Payment.objects.filter(customer_id__in=ids, reference__in=references,
                                              status=Payment.Status.POSTED)
                       .values_list("customer_id", "reference", "received_on"))
        plans = []
        for row, cells, parsed, ok in rows:
            number = parsed.get(CUSTOMER_NUMBER_REF)
            customer = customers.get(number) if number else None
            if number and customer is None:
                self.error(row, CUSTOMER_NUMBER_REF, _("Customer %(number)s does not exist or is outside your "
                                                       "scope.") % {"number": number})
                ok = False
            amount = parsed.get("amount")
            if amount is not None and amount <= 0:
                self.error(row, "amount", _("The amount must be greater than zero."))
                ok = False
            received_on = parsed.get("received_on")
            if isinstance(received_on, date) and received_on > self.today:
                self.error(row, "received_on", _("The money cannot be received in the future."))
                ok = False
            if not ok or customer is None:
                continue
            key = (customer.pk, parsed["reference"], received_on)
            first = self.seen.setdefault(key, row)
            if first != row:
                self.error(row, "reference", _("Payment %(ref)s of customer %(number)s appears more than once in the "
                                               "file (first on row %(row)s).") % {
                    "ref": parsed["reference"], "number": number, "row": first})
                continue
            if key in recorded:
                self.result.unchanged += 1
                plans.append(Plan(row, "unchanged", Payment(customer=customer), [], customer_id=customer.pk))
                self.preview(row, "unchanged", cells)
                continue
            advance = parsed.get("is_advance", False)
            balance = self.balance[customer.pk]
            if amount > balance and not advance:
                self.error(row, "amount", _(
                    "The payment (%(amount)s yuan) is larger than the customer's outstanding balance "
                    "(%(balance)s yuan). Record the difference as an advance payment, or correct the amount."
                ) % {"amount": amount, "balance": balance})
                continue
            self.balance[customer.pk] = max(balance - amount, ZERO)
            payment = Payment(customer=customer, amount=amount, channel=parsed["channel"], received_on=received_on,
                              reference=parsed["reference"], payer=parsed.get("payer", ""), is_advance=advance,
                              note=parsed.get("note", ""))
            self.result.created += 1
            plans.append(Plan(row, "create", payment, [], customer_id=customer.pk))
            self.preview(row, "create", cells)
        return plans

    def write(self, plans: list[Plan]) -> None:
        """Each new row through record_payment (allocation, audit, timeline), in file order."""
        for plan in plans:
            if plan.action != "create":
                continue
            p = plan.obj
            services.record_payment(customer=p.customer, amount=p.amount, channel=p.channel,
                                    received_on=p.received_on, reference=p.reference, payer=p.payer,
                                    is_advance=p.is_advance, note=p.note, actor=self.actor, today=self.today)

    def finish(self) -> None:
        """Payments do not change the archive: no data-quality re-evaluation."""


def register() -> None:
    from powerkam.imports.registry import register_kind

    register_kind("payments", gettext_lazy("Payments"), PAYMENT_COLUMNS, PaymentImporter,
                  help_text=gettext_lazy("Money received, allocated to the oldest open bills as on the payment page."))
