"""Payments, late-payment penalties, the receivables ladder and collections (issue #3 items 4–5).

Bills belong to billing; this app changes a bill's paid_amount / paid_on / status only through
services.allocate / services.reverse_payment.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

ZERO = Decimal("0.00")


class Payment(models.Model):
    """Money received from a customer. Allocated to open bills oldest first; an advance keeps
    what is not allocated as the customer's credit balance."""

    class Channel(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        COUNTER = "counter", _("Counter")
        ONLINE = "online", _("Online")
        WITHHOLDING = "withholding", _("Withholding (direct debit)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        POSTED = "posted", _("Posted")
        REVERSED = "reversed", _("Reversed")

    number = models.CharField(_("payment number"), max_length=40, unique=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payments")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=60, blank=True, help_text=_("Bank or receipt reference."))
    payer = models.CharField(_("payer"), max_length=100, blank=True)
    is_advance = models.BooleanField(_("advance payment"), default=False,
                                     help_text=_("Accept more than the outstanding balance; the rest is kept as an advance."))
    allocated_amount = models.DecimalField(_("allocated"), max_digits=14, decimal_places=2, default=ZERO)
    refunded_amount = models.DecimalField(_("refunded"), max_digits=14, decimal_places=2, default=ZERO)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.POSTED, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reversed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reversal_reason = models.CharField(_("reversal reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The key the form or API client sent with the request that recorded it: a retry or a double
    # click with the same key gets this payment back instead of a second one (unique per recorder).
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["created_by", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                                    name="payment_idempotency_key_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=models.Q(allocated_amount__gte=0) & models.Q(refunded_amount__gte=0),
                                   name="payment_parts_non_negative"),
        ]
        indexes = [
            models.Index(fields=["customer", "received_on"], name="payment_customer_idx"),
            models.Index(fields=["received_on"], name="payment_received_idx"),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return self.number

    @property
    def unallocated(self) -> Decimal:
        """Advance still held for the customer (not allocated to bills, not refunded)."""
        if self.status == self.Status.REVERSED:
            return ZERO
        return self.amount - self.allocated_amount - self.refunded_amount


class PaymentAllocation(models.Model):
    """The part of a payment applied to one bill. A reversal keeps the row, marked reversed."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey("billing.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("received on"))
    is_reversed = models.BooleanField(_("reversed"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_amount_positive")]
        indexes = [models.Index(fields=["bill", "is_reversed"], name="allocation_bill_idx")]
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.bill_id}: {self.amount}"


class Refund(models.Model):
    """Money paid back to the customer out of an advance (the unallocated part of a payment)."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    refunded_on = models.DateField(_("refunded on"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # As on Payment: the same request sent twice (a double click) refunds once.
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-refunded_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["payment", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                                    name="refund_idempotency_key_unique"),
        ]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"{self.payment} −{self.amount}"


class LateFee(models.Model):
    """The late-payment penalty (电费违约金) of one bill, recorded when the bill is settled (or
    when it is waived). Never part of the bill: it is charged and collected separately."""

    class Status(models.TextChoices):
        CHARGED = "charged", _("Charged")
        PAID = "paid", _("Paid")
        WAIVED = "waived", _("Waived")

    bill = models.OneToOneField("billing.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="late_fee")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="late_fees")
    as_of = models.DateField(_("computed as of"))
    days = models.PositiveIntegerField(_("days overdue"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    breakdown = models.JSONField(_("breakdown"), default=list, blank=True)
    rule = models.CharField(_("rule"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHARGED, db_index=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    waive_reason = models.CharField(_("waiver reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("late-payment penalty")
        verbose_name_plural = _("late-payment penalties")

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.amount}"


class Extension(models.Model):
    """A customer's request, made before the due date (force majeure), to pay a bill later.
    An approved extension moves the bill's ladder and penalty start to `new_due_on`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    bill = models.ForeignKey("billing.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="extensions")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="payment_extensions")
    requested_on = models.DateField(_("requested on"))
    new_due_on = models.DateField(_("new due date"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_on", "-id"]
        indexes = [models.Index(fields=["bill", "status"], name="extension_bill_idx")]
        verbose_name = _("payment extension")
        verbose_name_plural = _("payment extensions")

    def __str__(self) -> str:
        return f"{self.bill_id} → {self.new_due_on}"


class LadderStep(models.Model):
    """One step of the receivables ladder reached by one bill (unique: the job is idempotent)."""

    class Step(models.IntegerChoices):
        REMINDER = 1, _("Reminder (7 days before due)")
        WARNING = 2, _("Credit warning (7 days overdue)")
        COLLECTION = 3, _("Written notice (14 days overdue)")
        INVESTIGATION = 4, _("Field investigation and blacklist (30 days overdue)")

    bill = models.ForeignKey("billing.Bill", verbose_name=_("bill"), on_delete=models.CASCADE, related_name="ladder_steps")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="ladder_steps")
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    reached_on = models.DateField(_("reached on"))
    due_on = models.DateField(_("due date used"))
    task = models.ForeignKey("core.Task", verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["bill", "step"]
        constraints = [models.UniqueConstraint(fields=["bill", "step"], name="ladder_step_once")]
        indexes = [models.Index(fields=["customer", "step"], name="ladder_customer_idx")]
        verbose_name = _("ladder step")
        verbose_name_plural = _("ladder steps")

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.get_step_display()}"


class BadCreditRecord(models.Model):
    """不良信用记录: written at the 7-days-overdue step."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="bad_credit_records")
    bill = models.OneToOneField("billing.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="bad_credit_record")
    recorded_on = models.DateField(_("recorded on"))
    amount_overdue = models.DecimalField(_("amount overdue"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name = _("bad-credit record")
        verbose_name_plural = _("bad-credit records")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.recorded_on}"


class CollectionNotice(models.Model):
    """催费通知书: the numbered written notice of the 14-days-overdue step. `html` is the
    snapshot of the document as generated (it is what was sent; later edits never change it)."""

    number = models.CharField(_("notice number"), max_length=40, unique=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="collection_notices")
    bill = models.OneToOneField("billing.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="collection_notice")
    issued_on = models.DateField(_("issued on"))
    amount_overdue = models.DecimalField(_("amount overdue"), max_digits=14, decimal_places=2)
    pay_by = models.DateField(_("pay by"))
    html = models.TextField(_("document"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("collection notice")
        verbose_name_plural = _("collection notices")

    def __str__(self) -> str:
        return self.number


class BlacklistEntry(models.Model):
    """黑名单: the 30-days-overdue step lists the customer and notifies every unit."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="blacklist_entries")
    bill = models.OneToOneField("billing.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="blacklist_entry")
    listed_on = models.DateField(_("listed on"))
    reason = models.CharField(_("reason"), max_length=200)
    units_notified = models.PositiveIntegerField(_("units notified"), default=0)
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-listed_on", "-id"]
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist entries")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.listed_on}"
