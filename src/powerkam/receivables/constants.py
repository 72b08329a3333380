"""Numbers of the receivables rules, as data (STYLE: no rule numbers inline in views).

Late-payment penalty (电费违约金)
-------------------------------
《供电营业规则》(电力工业部令第8号, 1996) 第九十八条:
  用户在供电企业规定的期限内未交清电费时，应承担电费滞纳的违约责任。电费违约金从逾期之日起
  计算至交纳日止。每日电费违约金按下列规定计算：
  1. 居民用户每日按欠费总额的千分之一计算；
  2. 其他用户：(1) 当年欠费部分，每日按欠费总额的千分之二计算；
              (2) 跨年度欠费部分，每日按欠费总额的千分之三计算。
  电费违约金收取总额按日累加计收，总额不足1元者按1元收取。

《供电营业规则》(国家发展改革委令2024年第14号, 2024-06-01 起施行) replaced the 1996 rules.
Its penalty article keeps the same daily rates (居民 1‰; 其他用户 当年欠费 2‰, 跨年度欠费 3‰,
按日累加计收) and, as we read it, no longer carries the "不足1元者按1元收取" minimum. We could
not retrieve the 2024 text through our reference search (only the 1996 article was found), so
the two versions are kept as dated rows below: the rule in force on a bill's first overdue day
applies. If the 2024 text turns out to keep the minimum, set its `minimum` to Decimal("1.00").

How we read the article (worked examples in tests/receivables/test_late_fee.py):
- "从逾期之日起计算至交纳日止": the first penalty day is the day after the due date and the day of
  payment counts; days = paid_on - due_on.
- the base each day is the bill's amount still unpaid that day (a partial payment lowers the
  base from the day after it is received);
- "当年欠费部分 / 跨年度欠费部分": a penalty day in the calendar year in which the bill fell
  overdue is charged at 2‰; a penalty day in any later calendar year at 3‰ (the arrears have
  crossed a year end). Residential users pay 1‰ every day whatever the year.
- daily amounts are summed exactly and the total rounded to fen, ROUND_HALF_UP.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class PenaltyRule:
    effective_from: date
    citation: str
    residential_daily: Decimal
    current_year_daily: Decimal
    cross_year_daily: Decimal
    minimum: Decimal | None  # the smallest total charged, or None


PENALTY_RULES = (
    PenaltyRule(date(1996, 10, 8), "《供电营业规则》(1996) 第九十八条",
                Decimal("0.001"), Decimal("0.002"), Decimal("0.003"), Decimal("1.00")),
    PenaltyRule(date(2024, 6, 1), "《供电营业规则》(国家发展改革委令2024年第14号) 电费违约金条款",
                Decimal("0.001"), Decimal("0.002"), Decimal("0.003"), None),
)


def penalty_rule_on(day: date) -> PenaltyRule:
    """The penalty rule in force on `day`."""
    rule = PENALTY_RULES[0]
    for candidate in PENALTY_RULES:
        if candidate.effective_from <= day:
            rule = candidate
    return rule


# Receivables ladder (seed 003 篇4; DOMAIN.md "Money"): days relative to the (extended) due date.
LADDER_OFFSETS = {
    1: -7,   # reminder: 账款临期一周
    2: 7,    # credit warning + bad-credit record: 账款过期一周
    3: 14,   # stronger collection + written notice: 账款过期二周
    4: 30,   # field investigation + blacklist + all units notified: 账款过期一个月
}
LADDER_KEYS = {1: "reminder", 2: "warning", 3: "collection", 4: "investigation"}
# Working days a ladder task is given before it counts as overdue in the queue.
LADDER_TASK_DAYS = {1: 3, 2: 2, 3: 2, 4: 3}
BULLETIN_TASK_DAYS = 2  # the blacklist bulletin task of every unit's supervisors
NOTICE_PAY_WORKDAYS = 5  # a written notice asks for payment within this many working days

NOTICE_PREFIX = "CN"  # 催费通知书 numbers: CN-2026-000001
PAYMENT_PREFIX = "PAY"


# Stopping supply for non-payment (停电催费), 《供电营业规则》(电力工业部令第8号, 1996):
#   第六十六条: supply may be stopped for "逾期未交电费经催交仍未交付者" (after a written collection
#   notice, the 催费通知书 of the ladder's 14-days-overdue step);
#   第六十七条: 1. the stop (customer, reason, time) approved by the unit's head; 2. the stop notice
#   delivered to the customer 3 to 7 days before the stop, and for an important user reported to
#   the power-management authority at the same level; 3. the customer told the stop time again
#   30 minutes before it, and the stop made at the notified time;
#   第六十九条: once the cause is removed, supply is restored within 3 days.
STOP_NOTICE_MIN_DAYS = 3
STOP_NOTICE_MAX_DAYS = 7
STOP_REMINDER_MINUTES = 30
RESTORE_WITHIN_DAYS = 3
