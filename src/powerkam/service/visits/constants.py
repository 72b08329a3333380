"""Numbers of the visit rules: data, never inline in views or services.

Sources: seed 001 (常态化走访管理机制: 优质大客户 "半年一次", 中等质量客户 "每个季度一次",
信誉评价较低的大客户 "每月均需走访一次"); seed 003-篇6 (must-visit occasions: "遇油价调整、天气变化、
重要节日必访"; "回访开始前一周与被回访对象取得联系并预约"; "拜访前要查看以往的拜访记录").

These are the DEFAULTS. Administrators edit the live values in the admin
(`VisitInterval` rows, one per tier plus low credit, and the one `VisitPolicy` row); the
services read the tables and fall back to these numbers only when a row is missing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from powerkam.customers.constants import KeyAccountTier

LOW_CREDIT = "low_credit"


class IntervalCategory(models.TextChoices):
    """What decides a key account's visit interval: its tier, or low credit (which wins)."""

    PREMIUM = KeyAccountTier.PREMIUM.value, _("Premium key account")
    MEDIUM = KeyAccountTier.MEDIUM.value, _("Medium key account")
    GENERAL = KeyAccountTier.GENERAL.value, _("General key account")
    LOW_CREDIT = "low_credit", _("Low-credit key account")


# Months between two visits. Seed 001 names three classes: premium (half a year), medium
# (quarterly), low credit (monthly). "General" key accounts (and key accounts without a tier)
# are not named by the seed; we visit them quarterly, like medium, until an admin says otherwise.
DEFAULT_INTERVAL_MONTHS = {
    IntervalCategory.PREMIUM: 6,
    IntervalCategory.MEDIUM: 3,
    IntervalCategory.GENERAL: 3,
    IntervalCategory.LOW_CREDIT: 1,
}
# A key account without a tier gets the general interval.
UNTIERED_CATEGORY = IntervalCategory.GENERAL

# A key account never visited gets its first visit planned this many days after the day the
# plan is generated ("first visit soon"), whatever its interval: two weeks leave time to make
# the appointment a week ahead (seed 003-篇6) and then to go.
DEFAULT_FIRST_VISIT_WITHIN_DAYS = 14
# A planned visit still not done this many days after its planned date escalates to the
# supervisor of the customer's unit (a Task for the supervisor).
DEFAULT_ESCALATE_AFTER_DAYS = 7
# The care page lists birthdays and anniversaries in the coming days.
UPCOMING_CARE_DAYS = 30
# How many earlier visits the "before the visit" panel shows.
LAST_VISITS_SHOWN = 5


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class VisitSource(models.TextChoices):
    CYCLE = "cycle", _("Regular visit plan")
    OCCASION = "occasion", _("Must-visit occasion")
    MANUAL = "manual", _("Planned by hand")


class OccasionKind(models.TextChoices):
    TARIFF_CHANGE = "tariff_change", _("Tariff change")
    SEVERE_WEATHER = "severe_weather", _("Severe weather")
    HOLIDAY = "holiday", _("Major holiday")
    OTHER = "other", _("Other")


class CareKind(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday greeting")
    ANNIVERSARY = "anniversary", _("Anniversary of supply")
    GREETING = "greeting", _("Holiday greeting")
    HELP = "help", _("Help given")
    OTHER = "other", _("Other care")


class Outcome(models.TextChoices):
    """How a planned visit ended up, for the completion analysis (judged against `due_on`)."""

    ON_TIME = "on_time", _("Done on time")
    LATE = "late", _("Done late")
    OVERDUE = "overdue", _("Overdue")
    PENDING = "pending", _("Not yet due")
