"""The "bills" import kind: monthly bills from the billing system (xlsx/csv), through the
foundation's import framework (dry run, Chinese row/column error report, all or nothing).

One row is one bill. Upsert by bill number (idempotent: importing the same file twice changes
nothing); a bill number repeated within the file is an error and nothing is written. The bill's
lines come from the amount columns (energy per TOU period, basic charge, PF adjustment, each fund).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from powerkam.imports.columns import (
    CUSTOMER_NUMBER_REF,
    ColumnSpec,
    cell_text,
    customer_ref,
    parse_date,
    parse_decimal,
    parse_text,
)
from powerkam.imports.services import WRITE_BATCH_SIZE, Importer, Plan

from . import constants as c
from .models import Bill, BillLine
from .services import announce_bills, due_date_for

ZERO = Decimal("0.00")


def parse_month(value: Any, spec: ColumnSpec) -> date:
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = cell_text(value).replace("/", "-").replace("年", "-").replace("月", "").strip()
    for fmt in ("%Y-%m", "%Y%m", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date().replace(day=1)
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a month: write it as 2026-10.") % {"value": cell_text(value)})


def parse_signed_money(value: Any, spec: ColumnSpec) -> Decimal:
    """Like parse_decimal but a reduction may be negative (the PF adjustment)."""
    text = cell_text(value).replace(",", "")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(text)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": cell_text(value)}) from None
    if not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": cell_text(value)})
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(_("At most 2 decimal places."))
    return number.quantize(Decimal("0.01"))


def parse_pf(value: Any, spec: ColumnSpec) -> Decimal:
    number = parse_decimal(value, spec)
    if number > 1:
        raise ValueError(_("A power factor is at most 1 (got %(value)s).") % {"value": cell_text(value)})
    return number


def _money(field: str, zh: str, en: str, **kw) -> ColumnSpec:
    return ColumnSpec(field=field, zh=zh, en=en, parse=kw.pop("parse", parse_decimal), example=kw.pop("example", "0.00"),
                      help=kw.pop("help", gettext_lazy("Amount in yuan, 2 decimal places.")), **kw)


# (line item, column field, Chinese label on the bill line, unit of the quantity)
ENERGY_COLUMNS = (
    ("energy_sharp", "尖峰电费", "Sharp-peak energy charge"),
    ("energy_peak", "峰电费", "Peak energy charge"),
    ("energy_flat", "平电费", "Flat energy charge"),
    ("energy_valley", "谷电费", "Valley energy charge"),
    ("energy", "电度电费", "Energy charge"),
)
FUND_COLUMNS = (
    ("fund_water", "国家重大水利工程建设基金", "Major water projects fund"),
    ("fund_resettle", "大中型水库移民后期扶持资金", "Reservoir resettlement fund"),
    ("fund_renewable", "可再生能源电价附加", "Renewable energy surcharge"),
    ("fund_other", "其他代征费用", "Other surcharges"),
)

BILL_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(field="number", zh="账单编号", en="Bill number", required=True, max_length=40, aliases=("电费账单号",),
               help=gettext_lazy("The billing system's bill number; an existing number is updated."),
               example="B202610-3100000001"),
    customer_ref(Bill),
    ColumnSpec(field="period", zh="电费年月", en="Billing month", parse=parse_month, required=True,
               help=gettext_lazy("The billed month, e.g. 2026-10."), example="2026-10"),
    ColumnSpec(field="issued_on", zh="发行日期", en="Issued on", parse=parse_date, required=True,
               help=gettext_lazy("Date the bill was issued."), example="2026-11-05"),
    ColumnSpec(field="due_on", zh="缴费截止日期", en="Due on", parse=parse_date,
               help=gettext_lazy("Empty: the issue date plus the standard payment term."), example="2026-11-20"),
    ColumnSpec(field="tariff_code", zh="电价代码", en="Tariff code", parse=parse_text, max_length=32, example="DGY-10-TOU"),
    ColumnSpec(field="kwh", zh="有功电量", en="kWh", parse=parse_decimal, aliases=("有功电量(kWh)",), example="80000"),
    ColumnSpec(field="kvarh", zh="无功电量", en="kvarh", parse=parse_decimal, aliases=("无功电量(kvarh)",), example="48000"),
    ColumnSpec(field="max_demand_kw", zh="最大需量", en="Maximum demand (kW)", parse=parse_decimal, example="400"),
    ColumnSpec(field="power_factor", zh="功率因数", en="Power factor", parse=parse_pf, example="0.86"),
    *[_money(f, zh, en) for f, zh, en in ENERGY_COLUMNS],
    _money("basic_charge", "基本电费", "Basic charge"),
    _money("pf_adjustment", "力调电费", "PF adjustment", parse=parse_signed_money,
           help=gettext_lazy("Negative for a reduction.")),
    *[_money(f, zh, en) for f, zh, en in FUND_COLUMNS],
    _money("total", "应收电费合计", "Total", required=True,
           help=gettext_lazy("Must equal the sum of the charges and funds.")),
)

BILL_FIELDS = ("customer_id", "period", "issued_on", "due_on", "tariff_code", "kwh", "kvarh", "max_demand_kw",
               "power_factor", "pf_adjustment_rate", "energy_charge", "basic_charge", "pf_adjustment", "surcharges",
               "total")


class BillImporter(Importer):
    model = Bill

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen_numbers: dict[str, int] = {}
        self.created_bills: list[Bill] = []

    def validate(self, batch):
        rows, customers = self.parse_batch(batch)
        numbers = [p["number"] for _r, _c, p, _ok in rows if p.get("number")]
        existing = {b.number: b for b in Bill.objects.filter(number__in=numbers)}
        plans: list[Plan] = []
        for row, cells, parsed, ok in rows:
            number = parsed.get("number")
            if number:
                if number in self.seen_numbers:
                    self.error(row, "number", _("Bill number %(number)s appears twice in the file (first in row "
                                                "%(first)s).") % {"number": number, "first": self.seen_numbers[number]})
                    ok = False
                else:
                    self.seen_numbers[number] = row
            customer = customers.get(parsed.get(CUSTOMER_NUMBER_REF))
            if CUSTOMER_NUMBER_REF in parsed and customer is None:
                self.error(row, CUSTOMER_NUMBER_REF, _("Customer %(number)s does not exist or is outside your scope.")
                           % {"number": parsed[CUSTOMER_NUMBER_REF]})
                ok = False
            if not ok:
                continue
            plan = self._plan(row, parsed, customer, existing.get(number))
            if plan is not None:
                plans.append(plan)
                self.preview(row, plan.action, cells)
        return plans

    def _plan(self, row: int, parsed: dict, customer, current: Bill | None) -> Plan | None:
        energy = {f: parsed[f] for f, _zh, _en in ENERGY_COLUMNS if f in parsed}
        funds = {f: parsed[f] for f, _zh, _en in FUND_COLUMNS if f in parsed}
        energy_charge = sum(energy.values(), ZERO)
        basic = parsed.get("basic_charge", ZERO)
        pf_amount = parsed.get("pf_adjustment", ZERO)
        surcharges = sum(funds.values(), ZERO)
        total = parsed["total"]
        if energy_charge + basic + pf_amount + surcharges != total:
            self.error(row, "total", _("The total %(total)s is not the sum of the charges and funds (%(sum)s).")
                       % {"total": total, "sum": energy_charge + basic + pf_amount + surcharges})
            return None
        issued_on = parsed["issued_on"]
        due_on = parsed.get("due_on") or due_date_for(issued_on)
        if due_on < issued_on:
            self.error(row, "due_on", _("The due date is before the issue date."))
            return None
        base = energy_charge + basic
        values = {
            "customer_id": customer.pk, "period": parsed["period"], "issued_on": issued_on, "due_on": due_on,
            "tariff_code": parsed.get("tariff_code", ""), "kwh": parsed.get("kwh", ZERO),
            "kvarh": parsed.get("kvarh", ZERO), "max_demand_kw": parsed.get("max_demand_kw"),
            "power_factor": parsed.get("power_factor"),
            "pf_adjustment_rate": (pf_amount / base).quantize(c.RATE_PLACES) if base else Decimal("0.0000"),
            "energy_charge": energy_charge, "basic_charge": basic, "pf_adjustment": pf_amount,
            "surcharges": surcharges, "total": total,
        }
        if current is not None:
            if current.customer_id != customer.pk:
                self.error(row, "number", _("Bill number %(number)s belongs to another customer.")
                           % {"number": current.number})
                return None
            changed = [f for f in BILL_FIELDS if getattr(current, f) != values[f]]
            if changed and current.paid_amount and "total" in changed:
                self.error(row, "total", _("Bill %(number)s already has payments; its total cannot change by import.")
                           % {"number": current.number})
                return None
            if not changed:
                self.result.unchanged += 1
                return Plan(row, "unchanged", current, [], customer_id=customer.pk)
            for f in changed:
                setattr(current, f, values[f])
            current._import_lines = self._lines(parsed, values)
            self.result.updated += 1
            return Plan(row, "update", current, changed, customer_id=customer.pk)
        bill = Bill(number=parsed["number"], source=Bill.Source.IMPORT, created_by=self.actor, **values)
        bill._import_lines = self._lines(parsed, values)
        self.result.created += 1
        return Plan(row, "create", bill, [], customer_id=customer.pk)

    @staticmethod
    def _lines(parsed: dict, values: dict) -> list[BillLine]:
        lines = []
        labels = {
            "energy_sharp": _("Energy, Sharp peak"), "energy_peak": _("Energy, Peak"), "energy_flat": _("Energy, Flat"),
            "energy_valley": _("Energy, Valley"), "energy": _("Energy"),
        }
        for f, _zh, _en in ENERGY_COLUMNS:
            if f in parsed:
                lines.append(BillLine(item=f, label=labels[f], unit="", amount=parsed[f]))
        if values["basic_charge"]:
            lines.append(BillLine(item="basic", label=_("Basic charge"), amount=values["basic_charge"]))
        if values["pf_adjustment"]:
            lines.append(BillLine(item="pf_adjustment", label=_("Power factor adjustment"),
                                  unit_price=values["pf_adjustment_rate"], amount=values["pf_adjustment"]))
        for f, zh, _en in FUND_COLUMNS:
            if f in parsed:
                lines.append(BillLine(item=f, label=zh, quantity=values["kwh"], unit="kWh", amount=parsed[f]))
        for i, ln in enumerate(lines):
            ln.sort = i
        return lines

    def write(self, plans: list[Plan]) -> None:
        creates = [p.obj for p in plans if p.action == "create"]
        updates = [p for p in plans if p.action == "update"]
        if creates:
            bulk_create_with_history(creates, Bill, batch_size=WRITE_BATCH_SIZE, default_user=self.actor,
                                     default_change_reason=self.change_reason)
        if updates:
            fields = sorted({f for p in updates for f in p.changed})
            bulk_update_with_history([p.obj for p in updates], Bill, fields, batch_size=WRITE_BATCH_SIZE,
                                     default_user=self.actor, default_change_reason=self.change_reason)
            BillLine.objects.filter(bill_id__in=[p.obj.pk for p in updates]).delete()
        lines = []
        for bill in [*creates, *(p.obj for p in updates)]:
            for ln in bill._import_lines:
                ln.bill_id = bill.pk
                lines.append(ln)
        BillLine.objects.bulk_create(lines, batch_size=2000)
        announce_bills(creates, actor=self.actor)

    def finish(self) -> None:
        """Bills do not change the archive: no data-quality re-evaluation."""


def register() -> None:
    try:
        from powerkam.imports.registry import register_kind
    except ImportError:  # the framework without a registry: nothing to register
        return
    register_kind("bills", gettext_lazy("Bills"), BILL_COLUMNS, BillImporter,
                  help_text=gettext_lazy("Monthly bills from the billing system, upserted by bill number."))
