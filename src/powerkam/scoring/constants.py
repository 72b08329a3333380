"""The key-account scoring catalogue (issue #15 item 1; seed 002 "大客户识别", DOMAIN.md "Key account").

Seed 002 lists what identifies a key account: contract volume, sales revenue (电费收入), profit
contribution, consumption volume, growth, payment and credit record, lifecycle stage, industry
influence, cooperation intent, price sensitivity, cost to serve and development potential. The
weights, normalisation and tier cut-offs are data (ScoringModel rows an administrator edits); the
catalogue of criteria and the default model are here.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# Scores and points run 0–100, two decimals.
SCORE_PLACES = Decimal("0.01")
MAX_POINTS = Decimal("100")


class Source(models.TextChoices):
    DATA = "data", _("From the data")
    ASSESSMENT = "assessment", _("Manager's assessment")


class Normalisation(models.TextChoices):
    PERCENTILE = "percentile", _("Percentile among the scored customers")
    THRESHOLDS = "thresholds", _("Thresholds (value from → points)")


@dataclass(frozen=True)
class CriterionDef:
    code: str
    label: object
    source: str
    unit: object = ""


CRITERIA: tuple[CriterionDef, ...] = (
    CriterionDef("annual_revenue", _("Annual revenue (yuan, last 12 months)"), Source.DATA, "yuan"),
    CriterionDef("profit", _("Profit contribution (yuan, last 12 months)"), Source.DATA, "yuan"),
    CriterionDef("kwh", _("Consumption (kWh, last 12 months)"), Source.DATA, "kWh"),
    CriterionDef("growth", _("Growth of kWh over 12 months (%)"), Source.DATA, "%"),
    CriterionDef("payment", _("Payment record: on-time rate (%)"), Source.DATA, "%"),
    CriterionDef("voltage", _("Voltage class (1 = below 1 kV … 6 = 220 kV)"), Source.DATA),
    CriterionDef("capacity", _("Contract capacity (kVA)"), Source.DATA, "kVA"),
    CriterionDef("lifecycle", _("Lifecycle stage (in supply 3, connecting 2, potential or suspended 1)"), Source.DATA),
    CriterionDef("industry_influence", _("Industry influence (1–5)"), Source.ASSESSMENT),
    CriterionDef("cooperation_intent", _("Cooperation intent (1–5)"), Source.ASSESSMENT),
    CriterionDef("price_sensitivity", _("Price insensitivity (1 = very price-sensitive … 5 = not sensitive)"),
                 Source.ASSESSMENT),
    CriterionDef("cost_to_serve", _("Low cost to serve (1 = costly … 5 = cheap to serve)"), Source.ASSESSMENT),
    CriterionDef("development_potential", _("Development potential (1–5)"), Source.ASSESSMENT),
)
CRITERIA_BY_CODE = {d.code: d for d in CRITERIA}
CRITERION_CHOICES = [(d.code, d.label) for d in CRITERIA]
ASSESSMENT_CODES = tuple(d.code for d in CRITERIA if d.source == Source.ASSESSMENT)

VOLTAGE_ORDINAL = {"0.4kV": 1, "10kV": 2, "20kV": 3, "35kV": 4, "110kV": 5, "220kV": 6}
LIFECYCLE_ORDINAL = {"active": 3, "connecting": 2, "potential": 1, "suspended": 1}

# Assessment scale: 1 (least favourable) … 5 (most favourable). Thresholds map it to points.
ASSESSMENT_THRESHOLDS = [[1, 0], [2, 25], [3, 50], [4, 75], [5, 100]]

# The default model (version 1 when nothing is defined yet): weights sum to 100; revenue,
# profit and kWh ranked by percentile, the rest by thresholds. Cut-offs on the 0–100 score.
DEFAULT_CRITERIA = [
    ("annual_revenue", Decimal("20"), Normalisation.PERCENTILE, []),
    ("profit", Decimal("15"), Normalisation.PERCENTILE, []),
    ("kwh", Decimal("10"), Normalisation.PERCENTILE, []),
    ("growth", Decimal("10"), Normalisation.THRESHOLDS, [[-100, 0], [0, 40], [10, 70], [25, 100]]),
    ("payment", Decimal("10"), Normalisation.THRESHOLDS, [[0, 0], [80, 50], [95, 80], [100, 100]]),
    ("voltage", Decimal("5"), Normalisation.THRESHOLDS, [[1, 0], [2, 50], [4, 80], [5, 100]]),
    ("capacity", Decimal("5"), Normalisation.THRESHOLDS, [[0, 0], [315, 30], [1000, 60], [5000, 100]]),
    ("lifecycle", Decimal("5"), Normalisation.THRESHOLDS, [[1, 20], [2, 60], [3, 100]]),
    ("industry_influence", Decimal("4"), Normalisation.THRESHOLDS, ASSESSMENT_THRESHOLDS),
    ("cooperation_intent", Decimal("4"), Normalisation.THRESHOLDS, ASSESSMENT_THRESHOLDS),
    ("price_sensitivity", Decimal("4"), Normalisation.THRESHOLDS, ASSESSMENT_THRESHOLDS),
    ("cost_to_serve", Decimal("4"), Normalisation.THRESHOLDS, ASSESSMENT_THRESHOLDS),
    ("development_potential", Decimal("4"), Normalisation.THRESHOLDS, ASSESSMENT_THRESHOLDS),
]
DEFAULT_CUTOFFS = {"key_account": Decimal("60"), "medium": Decimal("75"), "premium": Decimal("88")}

# The scoring job runs on this day of the month (POWERKAM_SCORING_DAY overrides), over the 12
# billing months before the run's month.
DEFAULT_SCORING_DAY = 1
WINDOW_MONTHS = 12

# Potential key accounts (seed 000: find tomorrow's key accounts among small and medium customers).
POTENTIAL_GROWTH_PCT = Decimal("20")  # kWh growth over 12 months at least this …
POTENTIAL_MIN_KWH = Decimal("100000")  # … on at least this many kWh in the last 12 months
POTENTIAL_SCORE_MARGIN = Decimal("10")  # or a score within this of the key-account cut-off
# or a capacity increase (open, or energised in the last 12 months) of at least this % of the
# contract capacity and at least POTENTIAL_INCREASE_MIN_KVA (one 250 kVA transformer: below that an
# increase does not make a key account)
POTENTIAL_CAPACITY_INCREASE_PCT = Decimal("20")
POTENTIAL_INCREASE_MIN_KVA = Decimal("250")
# or an open new-connection / capacity-increase project requesting at least this (connection projects)
POTENTIAL_PROJECT_KVA = Decimal("800")
# or an open opportunity expecting at least this capacity or this annual revenue (pipeline)
POTENTIAL_OPPORTUNITY_KVA = Decimal("800")
POTENTIAL_OPPORTUNITY_REVENUE = Decimal("500000")
POTENTIAL_VISIT_DAYS = 14  # the one-click visit task is due this many days later

NOT_KEY_ACCOUNT = ""  # the tier value of "not a key account" in proposals and scores


class ProposalKind(models.TextChoices):
    NEW = "new", _("New key account")
    UP = "up", _("Tier up")
    DOWN = "down", _("Tier down")
    REMOVED = "removed", _("No longer a key account")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded by a later run")


TIER_RANK = {"": 0, "general": 1, "medium": 2, "premium": 3}
