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
    # Counted in working days over a year whose holidays were not entered (core.workdays): the
    # date printed on the notice is a Monday–Friday guess. The notice is a sent document, so it
    # is never recomputed; the mark stays to say how its date was obtained.
    pay_by_provisional = models.BooleanField(_("pay-by date provisional"), default=False)
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
    """黑名单: the 30-days-overdue step lists the customer and notifies every unit; staff may also
    list a customer by hand with a reason. The register (receivables:blacklist) shows who, why,
    since when and by whom. An entry is lifted when its bill is paid, or by a removal that a
    supervisor of the customer's unit approves (requested → approved / rejected)."""

    class Removal(models.TextChoices):
        NONE = "", _("None")
        REQUESTED = "requested", _("Removal requested")
        APPROVED = "approved", _("Removal approved")
        REJECTED = "rejected", _("Removal rejected")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="blacklist_entries")
    bill = models.OneToOneField("billing.Bill", verbose_name=_("bill"), null=True, blank=True, on_delete=models.PROTECT, related_name="blacklist_entry")
    listed_on = models.DateField(_("listed on"))
    reason = models.CharField(_("reason"), max_length=200)
    units_notified = models.PositiveIntegerField(_("units notified"), default=0)
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("listed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    removal = models.CharField(_("removal"), max_length=10, choices=Removal.choices, default=Removal.NONE, blank=True)
    removal_reason = models.CharField(_("reason for removal"), max_length=200, blank=True)
    removal_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("removal requested by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    removal_requested_at = models.DateTimeField(_("removal requested at"), null=True, blank=True)
    removal_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("removal decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    removal_decided_at = models.DateTimeField(_("removal decided at"), null=True, blank=True)
    removal_note = models.CharField(_("decision note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-listed_on", "-id"]
        indexes = [models.Index(fields=["customer", "lifted_on"], name="blacklist_customer_idx")]
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist entries")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.listed_on}"


class StopSupplyCase(models.Model):
    """停电催费: stopping supply for non-payment, only through the legal procedure of
    《供电营业规则》(1996) 第六十六、六十七条 — after a written collection notice (催费通知书), the
    stop approved by the unit's head, the stop notice delivered 3–7 days before the stop
    (reported to the power-management authority for an important user), the customer told
    again 30 minutes before, the stop at the notified time; supply restored after payment
    (第六十九条: within 3 days once the cause is removed). One row per case; each step keeps its
    date and person here, in the audit trail and on the customer's timeline (rules in
    receivables/stop_supply.py, numbers in constants.py)."""

    class Status(models.TextChoices):
        NOTICE_ISSUED = "notice_issued", _("Written notice issued")
        APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        STOP_NOTICE_DELIVERED = "notice_delivered", _("Stop notice delivered")
        REMINDED = "reminded", _("Customer told again before the stop")
        STOPPED = "stopped", _("Supply stopped")
        RESTORED = "restored", _("Supply restored")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="stop_supply_cases")
    bill = models.ForeignKey("billing.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="stop_supply_cases")
    notice = models.ForeignKey(CollectionNotice, verbose_name=_("written notice"), on_delete=models.PROTECT, related_name="stop_supply_cases")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NOTICE_ISSUED, db_index=True)
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    scheduled_stop_at = models.DateTimeField(_("scheduled stop"), null=True, blank=True)
    approval_requested_at = models.DateTimeField(_("approval requested at"), null=True, blank=True)
    approval_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approval requested by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    stop_notice_delivered_on = models.DateField(_("stop notice delivered on"), null=True, blank=True)
    stop_notice_delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("stop notice delivered by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    authority_reported_on = models.DateField(_("reported to the authority on"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("customer told again at"), null=True, blank=True)
    reminded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("told again by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stopped_at = models.DateTimeField(_("supply stopped at"), null=True, blank=True)
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("stopped by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    restored_at = models.DateTimeField(_("supply restored at"), null=True, blank=True)
    restored_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("restored by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="stop_case_customer_idx")]
        constraints = [models.UniqueConstraint(
            fields=["bill"], condition=~models.Q(status__in=["rejected", "restored", "cancelled"]),
            name="stop_case_one_active_per_bill")]
        verbose_name = _("stop-supply case")
        verbose_name_plural = _("stop-supply cases")

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status not in (self.Status.REJECTED, self.Status.RESTORED, self.Status.CANCELLED)
