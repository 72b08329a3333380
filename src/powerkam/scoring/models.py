"""Key-account scoring (issue #15 items 1–2; seed 002 "大客户识别").

A ScoringModel is a versioned set of weighted criteria with their normalisation and the tier
cut-offs. A draft is edited; a published version is frozen (a change is a new version), and
exactly one version is published at a time. A ScoringRun scores every customer with one version
and keeps, per customer, the score and each criterion's value and points (CustomerScore.reasons).
The tier changes a run proposes are TierProposal rows a supervisor approves or rejects.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from powerkam.customers.constants import KeyAccountTier

from . import constants as c

TIER_CHOICES = [(c.NOT_KEY_ACCOUNT, _("Not a key account")), *KeyAccountTier.choices]


class ScoringModel(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    key_account_cutoff = models.DecimalField(_("key account from score"), max_digits=5, decimal_places=2)
    medium_cutoff = models.DecimalField(_("medium tier from score"), max_digits=5, decimal_places=2)
    premium_cutoff = models.DecimalField(_("premium tier from score"), max_digits=5, decimal_places=2)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        constraints = [models.UniqueConstraint(fields=["status"], condition=models.Q(status="published"),
                                               name="scoring_one_published_model")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def tier_for(self, score: Decimal) -> str:
        """The tier a score reaches; a score exactly on a cut-off reaches that tier."""
        if score >= self.premium_cutoff:
            return KeyAccountTier.PREMIUM
        if score >= self.medium_cutoff:
            return KeyAccountTier.MEDIUM
        if score >= self.key_account_cutoff:
            return KeyAccountTier.GENERAL
        return c.NOT_KEY_ACCOUNT


class Criterion(models.Model):
    model = models.ForeignKey(ScoringModel, verbose_name=_("scoring model"), on_delete=models.CASCADE,
                              related_name="criteria")
    code = models.CharField(_("criterion"), max_length=32, choices=c.CRITERION_CHOICES)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=2)
    normalisation = models.CharField(_("normalisation"), max_length=12, choices=c.Normalisation.choices)
    # [[value from, points], …] ascending by value; a value below the first gets 0 points.
    thresholds = models.JSONField(_("thresholds"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["model", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [models.UniqueConstraint(fields=["model", "code"], name="scoring_one_criterion_per_code")]

    def __str__(self) -> str:
        return f"{self.get_code_display()} × {self.weight}"


class Assessment(models.Model):
    """The manager's assessment of one customer (seed 002's judgement criteria), 1–5 each, 5 the
    most favourable to the company. The latest one per customer counts."""

    SCALE = [MinValueValidator(1), MaxValueValidator(5)]

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="ka_assessments")
    industry_influence = models.PositiveSmallIntegerField(_("industry influence"), validators=SCALE)
    cooperation_intent = models.PositiveSmallIntegerField(_("cooperation intent"), validators=SCALE)
    price_sensitivity = models.PositiveSmallIntegerField(_("price insensitivity"), validators=SCALE)
    cost_to_serve = models.PositiveSmallIntegerField(_("low cost to serve"), validators=SCALE)
    development_potential = models.PositiveSmallIntegerField(_("development potential"), validators=SCALE)
    note = models.CharField(_("note"), max_length=500, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("key-account assessment")
        verbose_name_plural = _("key-account assessments")
        indexes = [models.Index(fields=["customer", "-assessed_on", "-id"], name="ka_assess_cust_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.assessed_on}"


class ScoringRun(models.Model):
    model = models.ForeignKey(ScoringModel, verbose_name=_("scoring model"), on_delete=models.PROTECT,
                              related_name="runs")
    period = models.DateField(_("scored month"), help_text=_("The run's month; the 12 billing months before it count."))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    proposals = models.PositiveIntegerField(_("tier changes proposed"), default=0)
    tier_counts = models.JSONField(_("customers per tier"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self) -> str:
        return f"{self.model} {self.period:%Y-%m}"


class CustomerScore(models.Model):
    run = models.ForeignKey(ScoringRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="scores")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="ka_scores")
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    tier = models.CharField(_("tier by the score"), max_length=16, choices=TIER_CHOICES, blank=True)
    current_tier = models.CharField(_("tier at the run"), max_length=16, choices=TIER_CHOICES, blank=True)
    # {code: [value, points]}: each criterion's value (None: no data) and the points it gave.
    reasons = models.JSONField(_("reasons"), default=dict)
    # Kept whatever the model's weights, for the potential key accounts list.
    kwh = models.DecimalField(_("kWh (12 months)"), max_digits=16, decimal_places=2, null=True)
    growth_pct = models.DecimalField(_("kWh growth (%)"), max_digits=9, decimal_places=1, null=True)

    class Meta:
        ordering = ["-run_id", "-score"]
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [models.Index(fields=["customer", "run"], name="ka_score_cust_run_idx"),
                   models.Index(fields=["run", "-score"], name="ka_score_run_score_idx")]
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="ka_score_once_per_run")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.score}"


class TierProposal(models.Model):
    run = models.ForeignKey(ScoringRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="tier_proposals")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="tier_proposals")
    kind = models.CharField(_("change"), max_length=10, choices=c.ProposalKind.choices)
    from_tier = models.CharField(_("from tier"), max_length=16, choices=TIER_CHOICES, blank=True)
    to_tier = models.CharField(_("to tier"), max_length=16, choices=TIER_CHOICES, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=c.ProposalStatus.choices,
                              default=c.ProposalStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-score", "id"]
        verbose_name = _("tier proposal")
        verbose_name_plural = _("tier proposals")
        indexes = [models.Index(fields=["status", "customer"], name="ka_prop_status_cust_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier or '-'} → {self.to_tier or '-'}"
