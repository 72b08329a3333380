"""Planned outages and their notices."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import constants as c


class Outage(models.Model):
    """A power outage on one or more supply lines of one substation."""

    number = models.CharField(_("outage number"), max_length=20, unique=True)
    kind = models.CharField(_("outage kind"), max_length=10, choices=c.OutageKind.choices,
                            default=c.OutageKind.PLANNED)
    substation = models.ForeignKey("customers.Substation", verbose_name=_("substation"), on_delete=models.PROTECT,
                                   related_name="outages")
    supply_lines = models.ManyToManyField("customers.SupplyLine", verbose_name=_("supply lines"),
                                          related_name="outages")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=c.OutageStatus.choices,
                              default=c.OutageStatus.DRAFT, db_index=True)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    notified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("notified by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    late_override_reason = models.TextField(_("late notice override reason"), blank=True)
    late_override_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("late notice approved by"),
                                         null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords(m2m_fields=[supply_lines])

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")

    def __str__(self) -> str:
        return self.number

    @property
    def advance_notice(self):
        return c.ADVANCE_NOTICE[self.kind]

    @property
    def notice_deadline(self):
        """The latest moment a notice may go out without a supervisor's override."""
        return self.starts_at - self.advance_notice


class OutageNotice(models.Model):
    """One affected customer of an outage: how it was told, whether it acknowledged."""

    outage = models.ForeignKey(Outage, verbose_name=_("outage"), on_delete=models.CASCADE, related_name="notices")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="outage_notices")
    supply_points = models.CharField(_("supply points"), max_length=255, blank=True)
    is_key_account = models.BooleanField(_("key account"), default=False)
    missed_reason = models.CharField(_("missed because"), max_length=12, choices=c.MissedReason.choices, blank=True)
    ack_token_hash = models.CharField(_("acknowledgement token hash"), max_length=64, unique=True, editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    ack_method = models.CharField(_("acknowledged by"), max_length=8, choices=c.AckMethod.choices, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    ack_note = models.CharField(_("acknowledgement note"), max_length=255, blank=True)
    call_task = models.ForeignKey("core.Task", verbose_name=_("call task"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["outage", "customer__number"]
        verbose_name = _("outage notice")
        verbose_name_plural = _("outage notices")
        constraints = [models.UniqueConstraint(fields=["outage", "customer"], name="uniq_outage_notice_customer")]
        indexes = [models.Index(fields=["customer", "-created_at"], name="outage_notice_cust_idx")]

    def __str__(self) -> str:
        return f"{self.outage_id} → {self.customer_id}"

    @property
    def is_missed(self) -> bool:
        return bool(self.missed_reason)


class OutageDelivery(models.Model):
    """One message (e-mail or SMS) to one contact address."""

    notice = models.ForeignKey(OutageNotice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="deliveries")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="+")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    channel = models.CharField(_("delivery channel"), max_length=8, choices=c.Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    status = models.CharField(_("delivery status"), max_length=8, choices=c.DeliveryStatus.choices)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["notice", "channel", "id"]
        verbose_name = _("outage notice delivery")
        verbose_name_plural = _("outage notice deliveries")

    def __str__(self) -> str:
        return f"{self.channel} {self.address} {self.status}"
