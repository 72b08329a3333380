"""Credit rules as plain functions (seed 003-篇4; DOMAIN.md "Credit rating").

- `compute_assessment(data)`: validates a statement and the 72 characteristic scores and
  computes ratios, grade, the working-capital limit, the tier and the code "XAY" (pure, no DB
  writes; reads the grade thresholds).
- `create_assessment` / `update_assessment` / `approve_assessment`: the stored, audited workflow.
- `rate_payment_behaviour(day)`: the nightly payment-behaviour rating of every customer from
  bills, set-based (a handful of queries whatever the number of customers).

Reasons are stored as {"code": ..., "params": {...}} and turned into text in the reader's
language by `reason_text`, so a rating computed at night reads in Chinese or English.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from powerkam.core.permissions import can_write, require_writer

from . import constants as c
from .models import BehaviourLevel, BehaviourRating, CharacteristicGrade, CreditAssessment

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def label(pair) -> str:
    """(English, 中文) → the label in the active language."""
    lang = (get_language() or "").lower()
    return pair[1] if lang.startswith("zh") else pair[0]


def _q(value: Decimal, exp: Decimal) -> Decimal:
    return value.quantize(exp, rounding=ROUND_HALF_UP)


def _s(value) -> str | None:
    return None if value is None else str(value)


# --- Reasons ---------------------------------------------------------------------------------

REASON_TEXTS = {
    # assessment
    "working_capital": gettext_lazy("Working capital = current assets {ca} − current liabilities {cl} = {wc} yuan."),
    "net_worth_derived": gettext_lazy("Net worth = total assets {ta} − total liabilities {tl} = {nw} yuan."),
    "operating_assets": gettext_lazy("Operating assets = (working capital {wc} + net worth {nw}) / 2 = {oa} yuan."),
    # xgettext:no-python-format
    "evaluation": gettext_lazy(
        "Evaluation value = current ratio {a} + quick ratio {b} − current liabilities/net worth {c} "
        "− total liabilities/net worth {d} = {ev}: {pct} % of operating assets."),
    "no_current_liabilities": gettext_lazy(
        "No current liabilities: the current, quick and cash ratios are not defined; the current and quick "
        "ratios count as {cap} in the evaluation value."),
    "net_worth_not_positive": gettext_lazy(
        "Net worth {nw} yuan is not positive: the working-capital model grants no credit."),
    "operating_assets_not_positive": gettext_lazy(
        "Operating assets {oa} yuan are not positive: the working-capital model grants no credit."),
    "model_limit": gettext_lazy("Working-capital model limit = {oa} × {pct} % = {limit} yuan."),
    "characteristics": gettext_lazy(
        "Characteristic score {total} of {max} ({percent} %): grade {grade} (from {min_percent} %)."),
    "defaults_used": gettext_lazy("{count} characteristic items were not scored; each of their aspects counts {default}."),
    "weakest_items": gettext_lazy("Weakest items: {items}."),
    # xgettext:no-python-format
    "grade_factor": gettext_lazy("Grade {grade} keeps {factor_percent} % of the model limit: credit limit {limit} yuan."),
    "tier": gettext_lazy("A credit limit of {limit} yuan is tier {tier}; with grade {grade} the code is {code}."),
    # behaviour
    "no_bills": gettext_lazy("No bill fell due in the last 12 months."),
    "on_time": gettext_lazy("{on_time} of {due} bills due in the last 12 months were paid by the due date ({rate} %)."),
    "overdue_days": gettext_lazy("Longest delay {max_days} days; {late} bills late, on average {avg_days} days."),
    "arrears": gettext_lazy("Overdue arrears {amount} yuan, the oldest due {oldest}."),
    "no_arrears": gettext_lazy("No overdue arrears."),
    "missed_rate": gettext_lazy("Not level {level}: on-time rate {value} % is below {limit} %."),
    "missed_days": gettext_lazy("Not level {level}: longest delay {value} days is above {limit} days."),
    "missed_arrears": gettext_lazy("Not level {level}: arrears {value} yuan are above {limit} yuan."),
    "level": gettext_lazy("Level {level} ({name})."),
}


def reason_text(reason) -> str:
    if isinstance(reason, str):
        return reason
    template = REASON_TEXTS.get(reason.get("code"))
    if template is None:
        return str(reason)
    params = dict(reason.get("params") or {})
    if "items" in params and isinstance(params["items"], list):
        params["items"] = "; ".join(label(_item_label(k)) for k in params["items"])
    try:
        return str(template).format(**params)
    except (KeyError, IndexError):
        return str(template)


def _r(reason_code: str, **params) -> dict:
    return {"code": reason_code, "params": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in params.items()}}


# --- Characteristic analysis -----------------------------------------------------------------

_ITEMS = {item: (item_label, cat, aspects) for cat, _cl, items in c.CHARACTERISTICS
          for item, item_label, aspects in items}


def _item_label(key: str):
    return _ITEMS[key][0] if key in _ITEMS else (key, key)


def default_scores() -> dict[str, list[int]]:
    return {key: [c.SCORE_DEFAULT] * c.ASPECTS_PER_ITEM for key in c.ITEM_KEYS}


def clean_scores(raw) -> tuple[dict[str, list[int]], int, list[str]]:
    """Validated {item: [4 ints]} with unscored items at the default; (scores, defaulted, errors)."""
    errors: list[str] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return default_scores(), 0, [_("Scores must be an object of item: [four scores].")]
    scores = default_scores()
    for key, values in raw.items():
        if key not in _ITEMS:
            errors.append(_("Unknown characteristic item “%(item)s”.") % {"item": key})
            continue
        name = label(_ITEMS[key][0])
        if not isinstance(values, (list, tuple)) or len(values) != c.ASPECTS_PER_ITEM:
            errors.append(_("%(item)s: give exactly %(n)d scores, one per aspect.") % {"item": name, "n": c.ASPECTS_PER_ITEM})
            continue
        clean = []
        for i, v in enumerate(values, start=1):
            try:
                if isinstance(v, bool):
                    raise ValueError
                if isinstance(v, float) and not v.is_integer():
                    raise ValueError
                iv = int(str(v).strip()) if not isinstance(v, (int, float)) else int(v)
            except (TypeError, ValueError):
                errors.append(_("%(item)s, aspect %(i)d: “%(v)s” is not a whole number.") % {"item": name, "i": i, "v": v})
                continue
            if not c.SCORE_MIN <= iv <= c.SCORE_MAX:
                errors.append(_("%(item)s, aspect %(i)d: score %(v)d is outside %(lo)d–%(hi)d.")
                              % {"item": name, "i": i, "v": iv, "lo": c.SCORE_MIN, "hi": c.SCORE_MAX})
                continue
            clean.append(iv)
        if len(clean) == c.ASPECTS_PER_ITEM:
            scores[key] = clean
    defaulted = len([k for k in c.ITEM_KEYS if k not in raw])
    return scores, defaulted, errors


def grade_thresholds() -> list[tuple[int, Decimal]]:
    """[(grade, min percent)] best first, from the admin table (defaults if it is empty)."""
    rows = list(CharacteristicGrade.objects.order_by("grade").values_list("grade", "min_percent"))
    if not rows:
        rows = [(g, p) for g, p, _en, _zh in c.DEFAULT_GRADES]
    return rows


def characteristic_grade(total: int, maximum: int, thresholds=None) -> tuple[int, Decimal, Decimal]:
    """(grade, score percent, the grade's minimum percent): the best grade whose minimum is reached."""
    thresholds = thresholds if thresholds is not None else grade_thresholds()
    percent = _q(Decimal(total) * HUNDRED / Decimal(maximum), Decimal("0.01")) if maximum else ZERO
    for grade, min_percent in sorted(thresholds):
        if percent >= min_percent:
            return grade, percent, min_percent
    worst = max(g for g, _p in thresholds)
    return worst, percent, ZERO


# --- Working-capital model and tiers ---------------------------------------------------------


def evaluation_percent(value: Decimal) -> Decimal:
    """The percentage of operating assets for an evaluation value (rounded to 2 places first)."""
    value = _q(value, c.EVAL)
    for upper, percent in c.EVALUATION_TABLE:
        if upper is None or value <= upper:
            return percent
    return c.EVALUATION_TABLE[-1][1]


def limit_tier(limit: Decimal) -> str:
    """1A < 300,000 ≤ 2A < 600,000 ≤ 3A < 1,000,000 ≤ 4A < 1,500,000 ≤ 5A (DOMAIN.md)."""
    for tier, lower in c.LIMIT_TIERS:
        if limit >= lower:
            return tier
    return c.LIMIT_TIERS[-1][0]


FINANCIAL_FIELDS = (
    "current_assets", "inventory", "cash", "total_assets", "current_liabilities", "total_liabilities",
    "net_worth", "sales_revenue", "cost_of_sales", "total_cost", "net_profit",
)
NON_NEGATIVE = {"current_assets", "inventory", "cash", "total_assets", "current_liabilities", "total_liabilities",
                "sales_revenue", "cost_of_sales", "total_cost"}
OPTIONAL = {"net_worth"}


@dataclass
class AssessmentResult:
    figures: dict
    scores: dict
    ratios: dict
    characteristic_total: int
    characteristic_max: int
    characteristic_percent: Decimal
    grade: int
    working_capital: Decimal
    operating_assets: Decimal
    evaluation_value: Decimal | None
    limit_percent: Decimal
    model_limit: Decimal
    grade_factor: Decimal
    credit_limit: Decimal
    limit_tier: str
    code: str
    reasons: list = field(default_factory=list)

    def model_fields(self) -> dict:
        return {
            **self.figures, "scores": self.scores, **self.ratios,
            "characteristic_total": self.characteristic_total, "characteristic_max": self.characteristic_max,
            "grade": self.grade, "working_capital": self.working_capital, "operating_assets": self.operating_assets,
            "evaluation_value": self.evaluation_value, "limit_percent": self.limit_percent,
            "model_limit": self.model_limit, "grade_factor": self.grade_factor, "credit_limit": self.credit_limit,
            "limit_tier": self.limit_tier, "code": self.code, "reasons": self.reasons,
        }


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidOperation
    else:
        text = str(value).strip().replace(",", "")
        if not text:
            raise ValueError("blank")
        result = Decimal(text)
    if not result.is_finite():
        raise InvalidOperation
    return result


def _ratio(num: Decimal, den: Decimal) -> Decimal | None:
    return None if den == 0 else _q(num / den, c.RATIO)


def compute_assessment(data: dict, *, thresholds=None) -> AssessmentResult:
    """Validate and compute everything; raise ValidationError (field → messages) on bad input."""
    errors: dict[str, list[str]] = {}
    fig: dict[str, Decimal | None] = {}
    for name in FINANCIAL_FIELDS:
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if name in OPTIONAL:
                fig[name] = None
                continue
            errors.setdefault(name, []).append(_("This figure is required."))
            continue
        try:
            value = _q(_decimal(raw), c.MONEY)
        except (InvalidOperation, ValueError, TypeError):
            errors.setdefault(name, []).append(_("Enter an amount in yuan, e.g. 1250000.00."))
            continue
        if name in NON_NEGATIVE and value < 0:
            errors.setdefault(name, []).append(_("This figure cannot be negative."))
            continue
        if abs(value) >= Decimal("1e14"):
            errors.setdefault(name, []).append(_("This amount is too large."))
            continue
        fig[name] = value

    def ok(*names):
        return all(fig.get(n) is not None for n in names)

    if ok("total_assets") and fig["total_assets"] == 0:
        errors.setdefault("total_assets", []).append(_("Total assets must be greater than zero."))
    if ok("inventory", "current_assets") and fig["inventory"] > fig["current_assets"]:
        errors.setdefault("inventory", []).append(_("Inventory cannot exceed current assets."))
    if ok("cash", "current_assets") and fig["cash"] > fig["current_assets"]:
        errors.setdefault("cash", []).append(_("Cash cannot exceed current assets."))
    if ok("current_assets", "total_assets") and fig["current_assets"] > fig["total_assets"]:
        errors.setdefault("current_assets", []).append(_("Current assets cannot exceed total assets."))
    if ok("current_liabilities", "total_liabilities") and fig["current_liabilities"] > fig["total_liabilities"]:
        errors.setdefault("current_liabilities", []).append(_("Current liabilities cannot exceed total liabilities."))
    if ok("cost_of_sales", "total_cost") and fig["cost_of_sales"] > fig["total_cost"]:
        errors.setdefault("cost_of_sales", []).append(_("Cost of sales cannot exceed total cost and expenses."))
    derived_nw = False
    if ok("total_assets", "total_liabilities") and "net_worth" in fig:
        balance = fig["total_assets"] - fig["total_liabilities"]
        if fig["net_worth"] is None:
            fig["net_worth"], derived_nw = balance, True
        elif abs(fig["net_worth"] - balance) > c.BALANCE_TOLERANCE:
            errors.setdefault("net_worth", []).append(
                _("Net worth %(nw)s does not equal total assets − total liabilities (%(balance)s); "
                  "check the statement or leave net worth empty.") % {"nw": fig["net_worth"], "balance": balance})

    scores, defaulted, score_errors = clean_scores(data.get("scores"))
    if score_errors:
        errors["scores"] = score_errors
    if errors:
        raise ValidationError(errors)

    ca, cl, inv, cash = fig["current_assets"], fig["current_liabilities"], fig["inventory"], fig["cash"]
    ta, tl, nw = fig["total_assets"], fig["total_liabilities"], fig["net_worth"]
    sales, cos, cost, profit = fig["sales_revenue"], fig["cost_of_sales"], fig["total_cost"], fig["net_profit"]
    reasons: list[dict] = []

    ratios = {
        "current_ratio": _ratio(ca, cl),
        "quick_ratio": _ratio(ca - inv, cl),
        "cash_ratio": _ratio(cash, cl),
        "debt_ratio": _ratio(tl, ta),
        "inventory_turnover": _ratio(cos, inv),
        "sales_margin": _ratio(profit, sales),
        "gross_margin": _ratio(sales - cos, sales),
        "cost_profit_ratio": _ratio(profit, cost),
    }

    # Working-capital model (constants.EVALUATION_TABLE explains the formula).
    wc = ca - cl
    reasons.append(_r("working_capital", ca=ca, cl=cl, wc=wc))
    if derived_nw:
        reasons.append(_r("net_worth_derived", ta=ta, tl=tl, nw=nw))
    oa = _q((wc + nw) / 2, c.MONEY)
    reasons.append(_r("operating_assets", wc=wc, nw=nw, oa=oa))
    evaluation = None
    percent = ZERO
    if cl == 0:
        reasons.append(_r("no_current_liabilities", cap=c.LIQUIDITY_RATIO_CAP))
    if nw <= 0:
        reasons.append(_r("net_worth_not_positive", nw=nw))
    else:
        a = ca / cl if cl else c.LIQUIDITY_RATIO_CAP
        b = (ca - inv) / cl if cl else c.LIQUIDITY_RATIO_CAP
        cc = cl / nw
        d = tl / nw
        evaluation = _q(a + b - cc - d, c.EVAL)
        percent = evaluation_percent(evaluation)
        reasons.append(_r("evaluation", a=_q(a, c.RATIO), b=_q(b, c.RATIO), c=_q(cc, c.RATIO), d=_q(d, c.RATIO),
                          ev=evaluation, pct=percent))
    if nw > 0 and oa <= 0:
        reasons.append(_r("operating_assets_not_positive", oa=oa))
    model_limit = _q(max(oa, ZERO) * percent / HUNDRED, c.MONEY) if nw > 0 else Decimal("0.00")
    reasons.append(_r("model_limit", oa=max(oa, ZERO), pct=percent, limit=model_limit))

    # Characteristic analysis.
    total = sum(sum(v) for v in scores.values())
    maximum = c.CHARACTERISTIC_MAX
    grade, score_percent, min_percent = characteristic_grade(total, maximum, thresholds)
    reasons.append(_r("characteristics", total=total, max=maximum, percent=score_percent, grade=grade,
                      min_percent=min_percent))
    if defaulted:
        reasons.append(_r("defaults_used", count=defaulted, default=c.SCORE_DEFAULT))
    weakest = sorted(c.ITEM_KEYS, key=lambda k: (sum(scores[k]), c.ITEM_KEYS.index(k)))[:3]
    if sum(scores[weakest[0]]) < c.SCORE_DEFAULT * c.ASPECTS_PER_ITEM:
        reasons.append(_r("weakest_items", items=[k for k in weakest
                                                  if sum(scores[k]) < c.SCORE_DEFAULT * c.ASPECTS_PER_ITEM]))

    factor = c.GRADE_LIMIT_FACTOR[grade]
    credit_limit = _q(model_limit * factor, c.MONEY)
    reasons.append(_r("grade_factor", grade=grade, factor_percent=_q(factor * HUNDRED, Decimal("1")), limit=credit_limit))
    tier = limit_tier(credit_limit)
    code = f"{tier}{grade}"
    reasons.append(_r("tier", limit=credit_limit, tier=tier, grade=grade, code=code))

    return AssessmentResult(
        figures=fig, scores=scores, ratios=ratios, characteristic_total=total, characteristic_max=maximum,
        characteristic_percent=score_percent, grade=grade, working_capital=wc, operating_assets=oa,
        evaluation_value=evaluation, limit_percent=percent, model_limit=model_limit, grade_factor=factor,
        credit_limit=credit_limit, limit_tier=tier, code=code, reasons=reasons,
    )


def _audited(instance, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor


@transaction.atomic
def create_assessment(*, customer, actor, data: dict, assessed_on: date | None = None,
                      statement_date: date | None = None, note: str = "") -> CreditAssessment:
    """A new draft assessment; nothing is written if anything is invalid."""
    if actor is not None:  # None: a system job
        require_writer(actor, error=ValidationError)
    result = compute_assessment(data)
    assessment = CreditAssessment(customer=customer, assessed_on=assessed_on or timezone.localdate(),
                                  statement_date=statement_date, note=note or "", prepared_by=actor,
                                  **result.model_fields())
    _audited(assessment, actor)
    assessment.save()
    return assessment


@transaction.atomic
def update_assessment(assessment: CreditAssessment, *, actor, data: dict, statement_date: date | None = None,
                      note: str | None = None) -> CreditAssessment:
    if not assessment.is_draft:
        raise ValidationError(_("An approved assessment cannot be changed; start a new one."))
    result = compute_assessment(data)
    for name, value in result.model_fields().items():
        setattr(assessment, name, value)
    assessment.statement_date = statement_date
    if note is not None:
        assessment.note = note
    _audited(assessment, actor)
    assessment.save()
    return assessment


def can_approve(user, assessment: CreditAssessment | None = None) -> bool:
    """Supervisors (and administrators) approve; never the preparer of the assessment."""
    if not can_write(user, ("supervisor", "admin")):
        return False
    return assessment is None or assessment.prepared_by_id != user.pk


@transaction.atomic
def approve_assessment(assessment: CreditAssessment, *, actor) -> CreditAssessment:
    from powerkam.customers.services import add_timeline_event

    assessment = CreditAssessment.objects.select_for_update().get(pk=assessment.pk)
    if not assessment.is_draft:
        raise ValidationError(_("This assessment is already approved."))
    if not can_approve(actor, assessment):
        raise ValidationError(_("Only a supervisor other than the preparer can approve a credit assessment."))
    assessment.status = CreditAssessment.Status.APPROVED
    assessment.approved_by = actor
    assessment.approved_at = timezone.now()
    _audited(assessment, actor)
    assessment.save()
    add_timeline_event(
        assessment.customer, "credit_assessment",
        _("Credit assessment approved: %(code)s, limit %(limit)s yuan") % {"code": assessment.code,
                                                                          "limit": assessment.credit_limit},
        detail="\n".join(reason_text(r) for r in assessment.reasons), actor=actor,
    )
    return assessment


# --- Payment-behaviour rating ----------------------------------------------------------------


def months_back(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    import calendar

    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


@dataclass
class _Metrics:
    due: int = 0
    late: int = 0
    max_days: int = 0
    sum_days: int = 0
    arrears: Decimal = Decimal("0.00")
    oldest_open_due: date | None = None


def _days(value) -> int:
    if value is None:
        return 0
    if hasattr(value, "days"):
        return value.days
    return int(value)


def level_for(metrics: _Metrics, on_time_rate: Decimal | None, levels: list):
    """The best level whose every threshold is met (the fast path of `classify`, no reasons)."""
    for level in levels:
        if level.min_on_time_rate is not None and on_time_rate is not None and on_time_rate < level.min_on_time_rate:
            continue
        if level.max_days_overdue is not None and metrics.max_days > level.max_days_overdue:
            continue
        if level.max_arrears is not None and metrics.arrears > level.max_arrears:
            continue
        return level
    return levels[-1]


def behaviour_reasons(m: _Metrics, rate, avg, level, levels, names) -> list[dict]:
    reasons = []
    if m.due:
        reasons.append(_r("on_time", on_time=m.due - m.late, due=m.due, rate=_q(rate * HUNDRED, Decimal("0.1"))))
    else:
        reasons.append(_r("no_bills"))
    if m.late or m.max_days:
        reasons.append(_r("overdue_days", max_days=m.max_days, late=m.late, avg_days=avg))
    if m.arrears > 0:
        reasons.append(_r("arrears", amount=m.arrears, oldest=m.oldest_open_due.isoformat()))
    else:
        reasons.append(_r("no_arrears"))
    reasons.extend(classify(m, rate, levels)[1])
    reasons.append(_r("level", level=level.code, name=names[level.code]))
    return reasons


def classify(metrics: _Metrics, on_time_rate: Decimal | None, levels: list) -> tuple[object, list[dict]]:
    """The best level whose every threshold is met, and the reasons the better ones were missed."""
    missed: list[dict] = []
    for level in levels:
        fails = []
        if level.min_on_time_rate is not None and on_time_rate is not None and on_time_rate < level.min_on_time_rate:
            fails.append(_r("missed_rate", level=level.code, value=_q(on_time_rate * HUNDRED, Decimal("0.1")),
                            limit=_q(level.min_on_time_rate * HUNDRED, Decimal("0.1"))))
        if level.max_days_overdue is not None and metrics.max_days > level.max_days_overdue:
            fails.append(_r("missed_days", level=level.code, value=metrics.max_days, limit=level.max_days_overdue))
        if level.max_arrears is not None and metrics.arrears > level.max_arrears:
            fails.append(_r("missed_arrears", level=level.code, value=metrics.arrears, limit=level.max_arrears))
        if not fails:
            return level, missed
        missed.extend(fails)
    return levels[-1], missed


_UPDATE_COLUMNS = ("rated_on", "level", "on_time_rate", "bills_due", "bills_late", "max_days_overdue",
                   "avg_days_overdue", "arrears", "reasons", "fingerprint")
_PG_CASTS = ("date", "varchar", "numeric", "integer", "integer", "integer", "numeric", "numeric", "jsonb", "varchar")


def _pg_source(names: tuple, casts: tuple, rows: list[tuple], json_col: str) -> tuple[str, list]:
    """A FROM clause yielding `rows` as v(<names>) on PostgreSQL: one array parameter per column
    (unnest … WITH ORDINALITY) and the JSON column as ONE jsonb array parameter joined by position
    (quoting 100,000 JSON strings as array elements costs the client more than the database)."""
    columns = list(zip(*rows, strict=True))
    plain = [(n, c, col) for n, c, col in zip(names, casts, columns, strict=True) if n != json_col]
    json_values = columns[names.index(json_col)]
    arrays = ", ".join(f"%s::{c}[]" for _n, c, _col in plain)
    plain_names = ", ".join(n for n, _c, _col in plain)
    source = (f"(SELECT u.*, j.value AS {json_col} FROM unnest({arrays}) WITH ORDINALITY AS u({plain_names}, n) "
              f"JOIN jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS j(value, n) ON j.n = u.n) AS v")
    params = [list(col) for _n, _c, col in plain] + ["[" + ",".join(json_values) + "]"]
    return source, params


def _update_in_place(rows: list[tuple]) -> None:
    """Refresh changed current ratings in a few set-based statements (Django's bulk_update builds
    a CASE per column and row, far too slow for 100,000 rows). Rows are (id, *_UPDATE_COLUMNS).
    PostgreSQL: UPDATE … FROM unnest(arrays), one array parameter per column; SQLite:
    UPDATE … FROM (VALUES …) within its parameter limit."""
    if not rows:
        return
    table = BehaviourRating._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sets = ", ".join(f"{col} = v.{col}" for col in _UPDATE_COLUMNS)
            for start in range(0, len(rows), 20000):
                source, params = _pg_source(("id", *_UPDATE_COLUMNS), ("bigint", *_PG_CASTS),
                                            rows[start:start + 20000], "reasons")
                cursor.execute(f"UPDATE {table} AS r SET {sets} FROM {source} WHERE r.id = v.id", params)
            return
        sets = ", ".join(f"{col} = v.column{i + 2}" for i, col in enumerate(_UPDATE_COLUMNS))
        width = len(_UPDATE_COLUMNS) + 1
        batch = 30000 // width
        one = "(" + ", ".join(["%s"] * width) + ")"
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            cursor.execute(f"UPDATE {table} AS r SET {sets} FROM (VALUES {', '.join([one] * len(chunk))}) AS v "
                           "WHERE r.id = v.column1", [p for row in chunk for p in row])


_INSERT_COLUMNS = ("customer_id", "since", "rated_on", "is_current", "level", "on_time_rate", "bills_due", "bills_late",
                   "max_days_overdue", "avg_days_overdue", "arrears", "reasons", "fingerprint", "created_at")
_PG_INSERT_CASTS = ("bigint", "date", "date", "boolean", "varchar", "numeric", "integer", "integer", "integer", "numeric",
                    "numeric", "jsonb", "varchar", "timestamptz")


def _insert_rows(rows: list[tuple]) -> None:
    """Insert new current ratings set-based (bulk_create's per-field preparation costs more than
    the database for 100,000 rows). Values are already in database form. PostgreSQL:
    INSERT … SELECT FROM unnest(arrays); SQLite: multi-row VALUES within its parameter limit."""
    if not rows:
        return
    table = BehaviourRating._meta.db_table
    cols = ", ".join(_INSERT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(rows), 20000):
                source, params = _pg_source(_INSERT_COLUMNS, _PG_INSERT_CASTS, rows[start:start + 20000], "reasons")
                cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {source}", params)
            return
        one = "(" + ", ".join(["%s"] * len(_INSERT_COLUMNS)) + ")"
        batch = 30000 // len(_INSERT_COLUMNS)
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            cursor.execute(f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(chunk))}",
                           [p for row in chunk for p in row])


def rate_payment_behaviour(day: date | None = None, *, customer_ids: Iterable[int] | None = None) -> dict:
    """Rate every customer's payment behaviour as of `day` from its bills (void bills ignored).

    - window: bills due in [day − 12 months, day); a bill due on `day` is not late yet;
    - on time: status paid and paid_on ≤ due_on; late: paid after the due date, or still open;
    - days overdue of a late bill: paid_on − due_on, or day − due_on while it is open;
    - arrears: the outstanding (total − paid) of every open bill due before `day`, of any age;
      an open bill older than the window still counts in the longest delay.
    Set-based: two aggregate queries over bills, one over current ratings, then bulk writes.
    Idempotent per day; a day earlier than a customer's last rating leaves that customer alone.
    """
    from powerkam.billing.models import Bill
    from powerkam.customers.models import Customer

    day = day or timezone.localdate()
    start = months_back(day, c.BEHAVIOUR_WINDOW_MONTHS)
    levels = list(BehaviourLevel.objects.order_by("rank"))
    if not levels:
        return {"rated": 0, "created": 0, "changed": 0, "updated": 0, "skipped": 0}
    names = {lv.code: lv.name for lv in levels}

    ids = None if customer_ids is None else list(customer_ids)
    customers = Customer.objects.all() if ids is None else Customer.objects.filter(pk__in=ids)
    bills = Bill.objects.exclude(status=Bill.Status.VOID)
    if ids is not None:
        bills = bills.filter(customer_id__in=ids)

    open_q = Q(status=Bill.Status.OPEN)
    late_q = open_q | Q(paid_on__gt=F("due_on"))
    delay = ExpressionWrapper(F("paid_on") - F("due_on"), output_field=DurationField())
    delay_open = ExpressionWrapper(Value(day, output_field=DateField()) - F("due_on"), output_field=DurationField())

    metrics: dict[int, _Metrics] = {}
    window = (bills.filter(due_on__gte=start, due_on__lt=day).order_by().values("customer_id")
              .annotate(due=Count("id"), late=Count("id", filter=late_q),
                        late_paid_max=Max(delay, filter=Q(paid_on__gt=F("due_on")) & ~open_q),
                        late_paid_sum=Sum(delay, filter=Q(paid_on__gt=F("due_on")) & ~open_q),
                        open_sum=Sum(delay_open, filter=open_q)))
    for row in window:
        m = metrics.setdefault(row["customer_id"], _Metrics())
        m.due, m.late = row["due"], row["late"]
        m.max_days = _days(row["late_paid_max"])
        m.sum_days = _days(row["late_paid_sum"]) + _days(row["open_sum"])
    arrears = (bills.filter(open_q, due_on__lt=day).order_by().values("customer_id")
               .annotate(amount=Sum(F("total") - F("paid_amount")), oldest=Min("due_on")))
    for row in arrears:
        m = metrics.setdefault(row["customer_id"], _Metrics())
        m.arrears = _q(row["amount"] or ZERO, c.MONEY)
        m.oldest_open_due = row["oldest"]
        m.max_days = max(m.max_days, (day - row["oldest"]).days)

    # (id, level, rated_on, fingerprint) of each current rating: no JSON decoding of 100,000 reasons.
    current = {cid: (rid, lvl, rated_on, fp) for rid, cid, lvl, rated_on, fp in
               BehaviourRating.objects.filter(is_current=True, customer__in=customers).order_by()
               .values_list("id", "customer_id", "level", "rated_on", "fingerprint").iterator(chunk_size=5000)}
    config = "/".join(f"{lv.code}:{lv.min_on_time_rate}:{lv.max_days_overdue}:{lv.max_arrears}:{lv.name}" for lv in levels)
    config_sig = hashlib.sha1(config.encode()).hexdigest()[:10]

    new_rows: list[tuple] = []
    updates: list[tuple] = []
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    close_ids: list[int] = []
    skipped = 0
    empty = _Metrics()
    rated = 0
    tenth = Decimal("0.1")
    for cid in customers.order_by().values_list("pk", flat=True).iterator(chunk_size=5000):
        cur = current.get(cid)
        if cur is not None and cur[2] > day:
            skipped += 1
            continue
        rated += 1
        m = metrics.get(cid, empty)
        rate = _q(Decimal(m.due - m.late) / Decimal(m.due), c.RATIO) if m.due else None
        avg = _q(Decimal(m.sum_days) / Decimal(m.late), tenth) if m.late else Decimal("0.0")
        level = level_for(m, rate, levels)
        # Everything the reasons are made of: an unchanged fingerprint means nothing to write.
        fingerprint = f"{level.code}|{rate}|{m.due}|{m.late}|{m.max_days}|{avg}|{m.arrears}|{m.oldest_open_due}|{config_sig}"
        if cur is not None and cur[1] == level.code and cur[3] == fingerprint:
            continue
        reasons = behaviour_reasons(m, rate, avg, level, levels, names)
        if cur is None or cur[1] != level.code:
            if cur is not None:
                close_ids.append(cur[0])
            new_rows.append((cid, day, day, True, level.code, rate, m.due, m.late, m.max_days, avg, m.arrears,
                             json.dumps(reasons, ensure_ascii=False), fingerprint, now))
        else:
            updates.append((cur[0], day, level.code, rate, m.due, m.late, m.max_days, avg, m.arrears,
                            json.dumps(reasons, ensure_ascii=False), fingerprint))

    with transaction.atomic():
        for i in range(0, len(close_ids), 5000):
            BehaviourRating.objects.filter(pk__in=close_ids[i:i + 5000]).update(is_current=False)
        _insert_rows(new_rows)
        _update_in_place(updates)
        # Unchanged ratings: only the day they were last confirmed moves, in one statement.
        BehaviourRating.objects.filter(is_current=True, rated_on__lt=day, customer__in=customers).update(rated_on=day)
    return {"rated": rated, "created": len(new_rows) - len(close_ids), "level_changed": len(close_ids),
            "updated": len(updates), "unchanged": rated - len(new_rows) - len(updates), "skipped": skipped}


# --- pre-filling a new assessment (issue #10 item 8) --------------------------------------------

def scale_score(name: str, value) -> int:
    """The 0–5 score of a figure on its PREFILL_SCALES row (constants.py)."""
    direction, rows = c.PREFILL_SCALES[name]
    for threshold, score in rows:
        if (value >= threshold) if direction == c.HIGHER else (value <= threshold):
            return score
    return 0


@dataclass
class Prefill:
    initial: dict  # assessed_on, statement_date and statement figures
    scores: dict  # (item, 1-based aspect index) → score 0–5
    sources: list[str]  # what was used, for the page
    figures: dict  # figure name → value scored


def prefill(customer, *, today: date | None = None) -> Prefill:
    """What the system already knows for a new assessment of `customer`: the payment-record
    aspects from its current payment-behaviour rating and its late-payment penalties of the last
    12 months, and — from the latest financial statement held (the figures of its most recent
    assessment) — those figures and the ratio aspects (solvency, profitability, inventory
    turnover). Aspects without data keep the default score."""
    from powerkam.receivables.models import LateFee

    today = today or timezone.localdate()
    initial: dict = {"assessed_on": today}
    sources: list[str] = []
    figures: dict = {}
    rating = BehaviourRating.objects.filter(customer=customer, is_current=True).order_by("-rated_on").first()
    if rating is not None:
        if rating.on_time_rate is not None:
            figures["on_time_rate"] = rating.on_time_rate
        figures["max_days_overdue"] = rating.max_days_overdue
        figures["arrears"] = rating.arrears
        figures["late_fees"] = (LateFee.objects.filter(customer=customer, as_of__gte=months_back(
            today, c.LATE_FEE_WINDOW_MONTHS)).exclude(status=LateFee.Status.WAIVED).count())
        sources.append(_("Payment record: payment-behaviour rating %(level)s of %(d)s (on-time rate %(rate)s, longest "
                         "delay %(days)s days, arrears %(arrears)s yuan) and %(n)s late-payment penalties in 12 "
                         "months.") % {"level": rating.level, "d": rating.rated_on,
                                       "rate": rating.on_time_rate if rating.on_time_rate is not None else "—",
                                       "days": rating.max_days_overdue, "arrears": rating.arrears,
                                       "n": figures["late_fees"]})
    statement = (CreditAssessment.objects.filter(customer=customer)
                 .order_by(F("statement_date").desc(nulls_last=True), "-assessed_on", "-pk").first())
    if statement is not None:
        for name in FINANCIAL_FIELDS:
            value = getattr(statement, name)
            if value is not None:
                initial[name] = value
        initial["statement_date"] = statement.statement_date
        for name in ("current_ratio", "quick_ratio", "cash_ratio", "debt_ratio", "sales_margin", "gross_margin",
                     "cost_profit_ratio", "inventory_turnover"):
            value = getattr(statement, name)
            if value is not None:
                figures[name] = value
        sources.append(_("Financial statement of %(d)s (from the assessment of %(a)s): figures and ratios.") % {
            "d": statement.statement_date or "—", "a": statement.assessed_on})
    scores = {c.PREFILL_ASPECTS[name]: scale_score(name, value) for name, value in figures.items()}
    return Prefill(initial=initial, scores=scores, sources=sources, figures=figures)
