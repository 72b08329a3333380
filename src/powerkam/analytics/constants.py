"""Numbers of the money analyses (issue #3 item 7, seed 004 "电量/单价/缴费/利润贡献度分析"), as data.

Definitions shown on the pages live here too, so page, API and export say the same thing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# Default window when the user gives no period: the last 12 billing months up to this month.
DEFAULT_MONTHS = 12
# The longest window a report accepts (a page over 2.4 million bills must stay fast).
MAX_MONTHS = 60

# Rounding: percentages to one decimal, unit prices to four decimals (yuan/kWh), money to fen.
PERCENT_PLACES = Decimal("0.1")
UNIT_PRICE_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")
RATE_PLACES = Decimal("0.01")  # collection rate and margin, %


@dataclass(frozen=True)
class AgeingBucket:
    key: str
    label: object
    min_days: int | None  # days overdue, inclusive; None = not yet due
    max_days: int | None  # inclusive; None = no upper limit


# Arrears ageing (账龄) by days overdue = as_of - due_on. A bill due today is not yet overdue;
# the day after the due date it is 1 day overdue (same reading as the late-payment penalty,
# 供电营业规则 "从逾期之日起计算").
AGEING_BUCKETS = (
    AgeingBucket("not_due", _("Not yet due"), None, 0),
    AgeingBucket("d1_30", _("1–30 days"), 1, 30),
    AgeingBucket("d31_60", _("31–60 days"), 31, 60),
    AgeingBucket("d61_90", _("61–90 days"), 61, 90),
    AgeingBucket("d91_180", _("91–180 days"), 91, 180),
    AgeingBucket("d181", _("Over 180 days"), 181, None),
)
# Arrears (欠费) are the bills past their due date (issue #10, as on the collections board): the
# overdue buckets add up to the arrears; what is not yet due is shown apart, never counted in.
NOT_DUE_BUCKET = AGEING_BUCKETS[0]
OVERDUE_BUCKETS = AGEING_BUCKETS[1:]

# Purchase cost per kWh by voltage level (yuan/kWh), used by the profit-contribution analysis
# until an administrator enters the company's own figures in the admin (analytics.PurchaseCost).
# These defaults are ILLUSTRATIVE, not an official price: a coal-fired benchmark on-grid price of
# about 0.39 yuan/kWh (发改价格〔2019〕1658 基准价, province dependent) plus line losses, which
# are larger at lower voltage. Replace them with the company's actual purchase cost.
DEFAULT_PURCHASE_COST_PER_KWH = {
    "0.4kV": Decimal("0.4300"),
    "10kV": Decimal("0.4150"),
    "20kV": Decimal("0.4120"),
    "35kV": Decimal("0.4080"),
    "110kV": Decimal("0.4000"),
    "220kV": Decimal("0.3950"),
}
# For a customer whose voltage level has no row (should not happen with the archive's codes).
FALLBACK_PURCHASE_COST_PER_KWH = Decimal("0.4300")

# Pareto (80/20): the headline share of customers.
PARETO_TOP_SHARE = Decimal("0.20")

# Definitions shown on the pages and in the API descriptions.
COLLECTION_RATE_DEFINITION = _(
    "Collection rate = amount paid so far on the bills whose due date falls in the period "
    "÷ amount billed on those bills × 100 %. Void bills are left out; payments are counted as of today, "
    "whenever they were received.")
REVENUE_DEFINITION = _(
    "Revenue = energy charge + basic charge + power-factor adjustment of the bills of the period. "
    "Government funds and surcharges are collected for the state and are not revenue.")
COST_DEFINITION = _(
    "Purchase cost = kWh × purchase cost per kWh of the customer's voltage level, from the purchase-cost "
    "table an administrator maintains (Administration → Analytics → Purchase costs); levels without a row "
    "use built-in illustrative figures until an administrator enters theirs.")
ARREARS_DEFINITION = _(
    "Arrears = total − paid of every open bill past its due date; bills not yet due are shown apart and not "
    "counted. Days overdue = today − due date: a bill due today is not yet due; the day after its due date it "
    "is 1 day overdue.")
PRICE_DEFINITION = _(
    "Average price = total billed (energy, basic charge, PF adjustment, funds and surcharges) ÷ kWh; each "
    "component per kWh is its amount ÷ the same kWh.")
VOLUME_DEFINITION = _(
    "Sales volume = kWh on the bills of each billing month (void bills left out). Month-on-month = change "
    "against the previous month; year-on-year = change against the same month a year before.")
