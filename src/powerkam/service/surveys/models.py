"""Satisfaction and exit surveys with one-time links."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import constants as c

SCORE_VALIDATORS = [MinValueValidator(c.SCORE_MIN), MaxValueValidator(c.SCORE_MAX)]


class SurveyInvitation(models.Model):
    """One survey sent to one contact. The link's token is stored only as its SHA-256 hash."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="survey_invitations")
    kind = models.CharField(_("survey kind"), max_length=8, choices=c.Kind.choices)
    subject_type = models.ForeignKey(ContentType, verbose_name=_("subject type"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    category = models.CharField(_("ticket type"), max_length=40, blank=True, db_index=True)
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("delivery channel"), max_length=8, choices=c.Channel.choices)
    address = models.CharField(_("address"), max_length=254, blank=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=c.Status.choices, default=c.Status.SENT,
                              db_index=True)
    delivery_error = models.CharField(_("delivery error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [
            models.Index(fields=["customer", "-sent_at"], name="survey_inv_cust_time_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="survey_inv_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id} · {self.sent_at:%Y-%m-%d}"

    @property
    def is_expired(self) -> bool:
        return self.status == c.Status.SENT and self.expires_at <= timezone.now()

    @property
    def effective_status(self) -> str:
        return c.Status.EXPIRED if self.is_expired else self.status

    def get_effective_status_display(self) -> str:
        return str(c.Status(self.effective_status).label)


class SurveyResponse(models.Model):
    """A customer's answer. The unit and primary manager are those at answer time, so that the
    KPIs stay with the person who served the customer even after a portfolio changes hands."""

    invitation = models.OneToOneField(SurveyInvitation, verbose_name=_("invitation"), on_delete=models.CASCADE,
                                      related_name="response")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="survey_responses")
    kind = models.CharField(_("survey kind"), max_length=8, choices=c.Kind.choices)
    category = models.CharField(_("ticket type"), max_length=40, blank=True)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("primary manager"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="survey_responses")
    overall = models.PositiveSmallIntegerField(_("overall satisfaction"), validators=SCORE_VALIDATORS)
    responsiveness = models.PositiveSmallIntegerField(_("responsiveness"), null=True, blank=True,
                                                      validators=SCORE_VALIDATORS)
    professionalism = models.PositiveSmallIntegerField(_("professionalism"), null=True, blank=True,
                                                       validators=SCORE_VALIDATORS)
    communication = models.PositiveSmallIntegerField(_("communication"), null=True, blank=True,
                                                     validators=SCORE_VALIDATORS)
    exit_reason = models.CharField(_("exit reason"), max_length=16, choices=c.ExitReason.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["customer", "-answered_at"], name="survey_resp_cust_time_idx"),
            models.Index(fields=["org_unit", "answered_at"], name="survey_resp_unit_time_idx"),
            models.Index(fields=["manager", "answered_at"], name="survey_resp_mgr_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(overall__gte=c.SCORE_MIN, overall__lte=c.SCORE_MAX),
                                   name="survey_overall_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.overall}"
