"""Credit assessments and payment-behaviour ratings (issue #3 item 6; DOMAIN.md "Credit rating").

Two different things live here:

- the payment-behaviour rating of every customer (`BehaviourRating`), recomputed nightly from
  bills, in levels an administrator configures (`BehaviourLevel`);
- the enterprise credit assessment of a key account (`CreditAssessment`, seed 003-篇4): financial
  ratios, the 72-item characteristic analysis, the working-capital model and the final code "XAY".
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class BehaviourLevel(models.Model):
    """One configurable payment-behaviour level (default A 优 / B 良 / C 中 / D 差).

    A customer gets the best-ranked level whose every threshold it meets; an empty threshold
    means "no limit". The worst level should have no thresholds (catch-all). Levels marked
    `is_low` are "low credit" (visit plans visit those key accounts monthly, DOMAIN.md "Service").
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("1 is the best level."))
    min_on_time_rate = models.DecimalField(
        _("minimum on-time rate"), max_digits=5, decimal_places=4, null=True, blank=True,
        help_text=_("Share of bills paid by the due date, 0–1 (0.95 = 95 %). Empty: no limit."))
    max_days_overdue = models.PositiveIntegerField(
        _("maximum days overdue"), null=True, blank=True,
        help_text=_("Longest delay of any bill in the last 12 months. Empty: no limit."))
    max_arrears = models.DecimalField(
        _("maximum arrears (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("Overdue amount still unpaid. Empty: no limit."))
    is_low = models.BooleanField(_("low credit"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rank"]
        verbose_name = _("payment-behaviour level")
        verbose_name_plural = _("payment-behaviour levels")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_on_time_rate__isnull=True)
                | (models.Q(min_on_time_rate__gte=0) & models.Q(min_on_time_rate__lte=1)),
                name="credit_level_rate_0_1"),
            models.CheckConstraint(
                condition=models.Q(max_arrears__isnull=True) | models.Q(max_arrears__gte=0),
                name="credit_level_arrears_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BehaviourRating(models.Model):
    """A customer's payment-behaviour level over one stretch of time.

    History policy: one row per CHANGE of level, not one per night. When the nightly job finds
    the same level as the current row, it refreshes that row's figures and `rated_on` in place;
    when the level changes, the current row is closed (`is_current=False`, its figures are the
    last ones before the change) and a new current row starts (`since` = the day of the change).
    So the table stays at ~1 row per customer plus one per level change, and re-running a day
    changes nothing (idempotent).
    """

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="behaviour_ratings")
    since = models.DateField(_("level since"))
    rated_on = models.DateField(_("rated on"), help_text=_("The last day the rating was computed."))
    level = models.CharField(_("level"), max_length=8)
    on_time_rate = models.DecimalField(_("on-time rate"), max_digits=5, decimal_places=4, null=True, blank=True)
    bills_due = models.PositiveIntegerField(_("bills due"), default=0)
    bills_late = models.PositiveIntegerField(_("bills paid late or unpaid"), default=0)
    max_days_overdue = models.PositiveIntegerField(_("maximum days overdue"), default=0)
    avg_days_overdue = models.DecimalField(_("average days overdue"), max_digits=7, decimal_places=1, default=Decimal("0"))
    arrears = models.DecimalField(_("arrears"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    is_current = models.BooleanField(_("current"), default=True)
    # The figures the level and reasons were computed from; the nightly job skips rows whose
    # fingerprint has not changed (no JSON to decode or compare for 100,000 customers).
    fingerprint = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["customer_id", "-since", "-id"]
        verbose_name = _("payment-behaviour rating")
        verbose_name_plural = _("payment-behaviour ratings")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(is_current=True),
                                    name="credit_one_current_rating"),
        ]
        indexes = [
            models.Index(fields=["is_current", "level"], name="credit_rating_current_idx"),
            models.Index(fields=["customer", "since"], name="credit_rating_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.level} ({self.since})"


class CharacteristicGrade(models.Model):
    """Threshold of one characteristic grade (1 best … 6 worst), editable by administrators.

    A total characteristic score gets the best grade whose minimum percentage (of the maximum
    score) it reaches; grade 6 should start at 0.
    """

    grade = models.PositiveSmallIntegerField(_("grade"), unique=True)
    # xgettext:no-python-format
    min_percent = models.DecimalField(_("minimum score (% of maximum)"), max_digits=5, decimal_places=2)
    description = models.CharField(_("description"), max_length=80, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["grade"]
        verbose_name = _("characteristic grade")
        verbose_name_plural = _("characteristic grades")
        constraints = [
            models.CheckConstraint(condition=models.Q(grade__gte=1) & models.Q(grade__lte=6), name="credit_grade_1_6"),
            models.CheckConstraint(condition=models.Q(min_percent__gte=0) & models.Q(min_percent__lte=100),
                                   name="credit_grade_percent_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.grade} (≥ {self.min_percent} %)"


def _money(**kw):
    return models.DecimalField(max_digits=16, decimal_places=2, **kw)


def _ratio(label):
    return models.DecimalField(label, max_digits=12, decimal_places=4, null=True, blank=True)


class CreditAssessment(models.Model):
    """An enterprise credit assessment of one customer (seed 003-篇4): the statement figures, the
    72 characteristic scores, and everything computed from them with the reasons. Drafts are
    edited by the preparer; a supervisor approves; an approved assessment never changes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="credit_assessments")
    assessed_on = models.DateField(_("assessed on"))
    statement_date = models.DateField(_("statement date"), null=True, blank=True,
                                      help_text=_("Balance-sheet date of the financial statement."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    note = models.TextField(_("note"), blank=True)

    # Financial statement (yuan)
    current_assets = _money(verbose_name=_("current assets"))
    inventory = _money(verbose_name=_("inventory"))
    cash = _money(verbose_name=_("cash and equivalents"))
    total_assets = _money(verbose_name=_("total assets"))
    current_liabilities = _money(verbose_name=_("current liabilities"))
    total_liabilities = _money(verbose_name=_("total liabilities"))
    net_worth = _money(verbose_name=_("net worth (equity)"))
    sales_revenue = _money(verbose_name=_("sales revenue"))
    cost_of_sales = _money(verbose_name=_("cost of sales"))
    total_cost = _money(verbose_name=_("total cost and expenses"))
    net_profit = _money(verbose_name=_("net profit"))

    # Characteristic analysis: {item key: [4 scores]}
    scores = models.JSONField(_("characteristic scores"), default=dict)

    # Results
    current_ratio = _ratio(_("current ratio"))
    quick_ratio = _ratio(_("quick ratio"))
    cash_ratio = _ratio(_("cash ratio"))
    debt_ratio = _ratio(_("debt ratio"))
    inventory_turnover = _ratio(_("inventory turnover"))
    sales_margin = _ratio(_("sales margin"))
    gross_margin = _ratio(_("gross margin"))
    cost_profit_ratio = _ratio(_("cost-profit ratio"))
    characteristic_total = models.PositiveIntegerField(_("characteristic score"), default=0)
    characteristic_max = models.PositiveIntegerField(_("maximum characteristic score"), default=0)
    grade = models.PositiveSmallIntegerField(_("characteristic grade"), default=6)
    working_capital = _money(verbose_name=_("working capital"), default=Decimal("0.00"))
    operating_assets = _money(verbose_name=_("operating assets"), default=Decimal("0.00"))
    evaluation_value = models.DecimalField(_("evaluation value"), max_digits=12, decimal_places=2, null=True, blank=True)
    limit_percent = models.DecimalField(_("limit percentage"), max_digits=5, decimal_places=2, default=Decimal("0"))
    model_limit = _money(verbose_name=_("working-capital model limit"), default=Decimal("0.00"))
    grade_factor = models.DecimalField(_("grade factor"), max_digits=4, decimal_places=2, default=Decimal("0"))
    credit_limit = _money(verbose_name=_("credit limit"), default=Decimal("0.00"))
    limit_tier = models.CharField(_("limit tier"), max_length=2, default="1A")
    code = models.CharField(_("credit code"), max_length=4, db_index=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("prepared by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("credit assessment")
        verbose_name_plural = _("credit assessments")
        indexes = [models.Index(fields=["customer", "status", "assessed_on"], name="credit_assess_customer_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(grade__gte=1) & models.Q(grade__lte=6), name="credit_assess_grade_1_6"),
            models.CheckConstraint(condition=models.Q(credit_limit__gte=0), name="credit_assess_limit_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.code} ({self.assessed_on})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT
