"""Archive data-quality rules (DOMAIN.md "Customer archive", consistency rules; seed 003-篇9).

Each rule looks at one customer with its archive records and returns the parameters of a
finding, or None. Findings only flag: saving never "fixes" the data. Rules are evaluated on
every archive save (signals) and for everybody by the nightly job (`run_quality_checks`).
"""

import contextvars
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import constants as c


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    message: str  # formatted with the finding's params
    check: Callable[["object", date], dict | None]


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}" if value is not None else "-"


def _active(customer) -> bool:
    return customer.lifecycle_status in (c.LifecycleStatus.ACTIVE, c.LifecycleStatus.SUSPENDED)


def check_capacity(customer, today):
    in_service = [t for t in customer.transformers.all() if t.in_service]
    if not in_service and not customer.contract_capacity_kva:
        return None
    total = sum((t.capacity_kva * t.quantity for t in in_service), Decimal("0"))
    if total != customer.contract_capacity_kva:
        return {"transformers_kva": _fmt(total), "contract_kva": _fmt(customer.contract_capacity_kva)}
    return None


def check_operating_capacity(customer, today):
    if customer.operating_capacity_kva > customer.contract_capacity_kva:
        return {"operating_kva": _fmt(customer.operating_capacity_kva), "contract_kva": _fmt(customer.contract_capacity_kva)}
    return None


def check_pf_standard(customer, today):
    expected = c.expected_pf_standard(customer.usage_category, customer.industry,
                                      customer.voltage_level, customer.contract_capacity_kva)
    if customer.pf_standard != expected:
        return {"recorded": customer.pf_standard, "expected": expected}
    return None


def check_supply_line(customer, today):
    if not _active(customer):
        return None
    points = list(customer.supply_points.all())
    missing = [p.name for p in points if not p.supply_line_id]
    if not points:
        return {"points": "-"}
    if missing:
        return {"points": "、".join(missing[:5])}
    return None


def check_contract(customer, today):
    if not _active(customer):
        return None
    contracts = list(customer.contracts.all())
    if not contracts:
        return {"valid_to": "-"}
    latest = max(ct.valid_to for ct in contracts)
    if latest < today:
        return {"valid_to": latest.isoformat()}
    return None


def check_multiplier(customer, today):
    wrong = []
    for mp in customer.metering_points.all():
        expected = mp.expected_multiplier
        if expected is not None and mp.multiplier != expected:
            wrong.append(f"{mp.number}: {_fmt(mp.multiplier)} ≠ {mp.ct_ratio} × {mp.pt_ratio} = {_fmt(expected)}")
    return {"points": "; ".join(wrong[:3])} if wrong else None


def check_identity(customer, today):
    if customer.customer_type == c.CustomerType.PERSON:
        missing = [] if customer.id_number else [str(_("ID card number"))]
    else:
        missing = [str(label) for field, label in (
            ("credit_code", _("unified social credit code")),
            ("legal_representative", _("legal representative")),
        ) if not getattr(customer, field)]
    return {"missing": "、".join(missing)} if missing else None


def check_two_part_tariff(customer, today):
    if customer.usage_category == c.UsageCategory.LARGE_INDUSTRY and customer.basic_charge_method == c.BasicChargeMethod.NONE:
        return {"category": str(customer.get_usage_category_display())}
    return None


def check_metering_present(customer, today):
    if _active(customer) and not customer.metering_points.all():
        return {}
    return None


def check_ka_manager(customer, today):
    if customer.is_key_account and not customer.primary_manager_id:
        return {}
    return None


RULES: tuple[Rule, ...] = (
    Rule("capacity_mismatch", _("Capacity mismatch"),
         _("In-service transformers total %(transformers_kva)s kVA but the contract capacity is %(contract_kva)s kVA."), check_capacity),
    Rule("operating_over_contract", _("Operating capacity above contract"),
         _("Operating capacity %(operating_kva)s kVA exceeds contract capacity %(contract_kva)s kVA."), check_operating_capacity),
    Rule("pf_standard_mismatch", _("Power-factor standard"),
         _("Power-factor standard is %(recorded)s; capacity and usage category call for %(expected)s (1983 rules)."), check_pf_standard),
    Rule("missing_supply_line", _("Missing supply line"),
         _("Supply points without a supply line: %(points)s."), check_supply_line),
    Rule("contract_expired", _("Supply contract expired or missing"),
         _("No supply contract in force (latest valid to: %(valid_to)s)."), check_contract),
    Rule("multiplier_mismatch", _("Multiplier ≠ CT × PT"),
         _("Metering multiplier does not equal CT ratio × PT ratio: %(points)s."), check_multiplier),
    Rule("identity_missing", _("Missing identity documents"),
         _("Identity information missing: %(missing)s."), check_identity),
    Rule("two_part_tariff_missing", _("Basic charge method missing"),
         _("Usage category %(category)s is billed on the two-part tariff but no basic charge method is set."), check_two_part_tariff),
    Rule("metering_missing", _("No metering point"),
         _("The customer is in supply but has no metering point."), check_metering_present),
    Rule("ka_without_manager", _("Key account without manager"),
         _("A key account must have a primary manager."), check_ka_manager),
)
RULES_BY_CODE = {r.code: r for r in RULES}


def rule_label(code: str) -> str:
    rule = RULES_BY_CODE.get(code)
    return str(rule.label) if rule else code


def finding_text(code: str, params: dict) -> str:
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return code
    try:
        return str(rule.message) % params
    except (KeyError, TypeError, ValueError):
        return str(rule.label)


_suspended = contextvars.ContextVar("quality_suspended", default=False)


@contextmanager
def suspended():
    """Bulk writers (imports) suspend per-save evaluation and evaluate once at the end."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def is_suspended() -> bool:
    return _suspended.get()


PREFETCH = ("transformers", "supply_points", "metering_points", "contracts", "findings")


def evaluate(customers: Iterable, today: date | None = None) -> dict[str, int]:
    """Evaluate every rule for customers fetched with PREFETCH; open new findings, resolve
    fixed ones. Returns counts {"opened": n, "resolved": m}."""
    from .models import DataQualityFinding

    today = today or timezone.localdate()
    now = timezone.now()
    to_create, to_update, resolved_ids = [], [], []
    for customer in customers:
        open_by_rule = {f.rule: f for f in customer.findings.all() if f.status == DataQualityFinding.Status.OPEN}
        for rule in RULES:
            params = rule.check(customer, today)
            existing = open_by_rule.get(rule.code)
            if params is None:
                if existing:
                    resolved_ids.append(existing.pk)
            elif existing is None:
                to_create.append(DataQualityFinding(customer=customer, rule=rule.code, params=params, detected_at=now))
            elif existing.params != params:
                existing.params = params
                to_update.append(existing)
    with transaction.atomic():
        if resolved_ids:
            DataQualityFinding.objects.filter(pk__in=resolved_ids).update(
                status=DataQualityFinding.Status.RESOLVED, resolved_at=now)
        if to_create:
            DataQualityFinding.objects.bulk_create(to_create, batch_size=1000)
        if to_update:
            DataQualityFinding.objects.bulk_update(to_update, ["params"], batch_size=1000)
    return {"opened": len(to_create), "resolved": len(resolved_ids)}


def evaluate_customer(customer_id: int, today: date | None = None) -> dict[str, int]:
    from .models import Customer

    return evaluate(Customer.objects.filter(pk=customer_id).prefetch_related(*PREFETCH), today)


def evaluate_all(today: date | None = None, chunk: int = 2000, customer_ids=None) -> dict[str, int]:
    """The nightly job: every customer, in chunks so memory stays bounded."""
    from .models import Customer

    totals = {"opened": 0, "resolved": 0, "customers": 0}
    qs = Customer.objects.order_by("pk")
    if customer_ids is not None:
        qs = qs.filter(pk__in=list(customer_ids))
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).prefetch_related(*PREFETCH)[:chunk])
        if not batch:
            break
        result = evaluate(batch, today)
        totals["opened"] += result["opened"]
        totals["resolved"] += result["resolved"]
        totals["customers"] += len(batch)
        last = batch[-1].pk
    return totals
