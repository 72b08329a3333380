"""Export columns of the analysis tables (xlsx/csv through powerkam.imports.exports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from powerkam.imports.exports import Column

from . import constants as c

SALES_VOLUME = [
    Column(_("Month"), lambda r: r["month"].strftime("%Y-%m")),
    Column(_("kWh"), lambda r: r["kwh"]),
    Column(_("Previous month kWh"), lambda r: r["kwh_previous_month"]),
    Column(_("Month-on-month %"), lambda r: r["mom_pct"]),
    Column(_("Same month last year kWh"), lambda r: r["kwh_last_year"]),
    Column(_("Year-on-year %"), lambda r: r["yoy_pct"]),
    Column(_("Amount billed (yuan)"), lambda r: r["amount"]),
    Column(_("Number of bills"), lambda r: r["bills"]),
]

PRICE = [
    Column(_("Month"), lambda r: r["month"].strftime("%Y-%m")),
    Column(_("kWh"), lambda r: r["kwh"]),
    Column(_("Energy charge (yuan)"), lambda r: r["energy_charge"]),
    Column(_("Basic charge (yuan)"), lambda r: r["basic_charge"]),
    Column(_("PF adjustment (yuan)"), lambda r: r["pf_adjustment"]),
    Column(_("Funds and surcharges (yuan)"), lambda r: r["surcharges"]),
    Column(_("Total (yuan)"), lambda r: r["total"]),
    Column(_("Energy (yuan/kWh)"), lambda r: r["energy_charge_per_kwh"]),
    Column(_("Basic (yuan/kWh)"), lambda r: r["basic_charge_per_kwh"]),
    Column(_("PF adjustment (yuan/kWh)"), lambda r: r["pf_adjustment_per_kwh"]),
    Column(_("Surcharges (yuan/kWh)"), lambda r: r["surcharges_per_kwh"]),
    Column(_("Average price (yuan/kWh)"), lambda r: r["average_price"]),
]


def payment_columns(data: dict) -> list[Column]:
    cols = [Column(_("Month"), lambda r: r["month"].strftime("%Y-%m"))]
    for ch in data["channels"]:
        code, label = ch["channel"], ch["label"]
        cols.append(Column(f"{label} ({_('yuan')})", lambda r, code=code: r["by_channel"].get(code, {}).get("amount", 0)))
        cols.append(Column(f"{label} ({_('count')})", lambda r, code=code: r["by_channel"].get(code, {}).get("count", 0)))
    cols += [Column(_("Total (yuan)"), lambda r: r["amount"]), Column(_("Number of payments"), lambda r: r["count"])]
    return cols


def payment_rows(data: dict) -> list[dict]:
    return data["months"]


ARREARS = [
    Column(_("Customer number"), lambda r: r["number"]),
    Column(_("Customer"), lambda r: r["name"]),
    Column(_("Org unit"), lambda r: r["org_unit"]),
    Column(_("Manager"), lambda r: r["manager"]),
    Column(_("Overdue bills"), lambda r: r["bills"]),
    Column(_("Arrears (past due)"), lambda r: r["outstanding"]),
    *[Column(b.label, lambda r, k=b.key: r["buckets"][k]) for b in c.OVERDUE_BUCKETS],
    Column(_("Oldest due date"), lambda r: r["oldest_due"]),
    Column(_("Days overdue"), lambda r: r["max_days_overdue"]),
    Column(c.NOT_DUE_BUCKET.label, lambda r: r["not_due"]),
]

COLLECTION = [
    Column(_("Breakdown"), lambda r: r["kind"]),
    Column(_("Name"), lambda r: r["name"]),
    Column(_("Number of bills"), lambda r: r["bills"]),
    Column(_("Billed (yuan)"), lambda r: r["billed"]),
    Column(_("Collected (yuan)"), lambda r: r["collected"]),
    Column(_("Uncollected (yuan)"), lambda r: r["uncollected"]),
    Column(_("Collection rate %"), lambda r: r["rate_pct"]),
]


def collection_rows(data: dict) -> list[dict]:
    """Months, units and managers in one sheet, each row labelled with its breakdown."""
    rows = [{"kind": _("Month"), "name": r["month"].strftime("%Y-%m"), **r} for r in data["months"]]
    rows += [{"kind": _("Org unit"), "name": r["org_unit"], **r} for r in data["units"]]
    rows += [{"kind": _("Manager"), "name": r["manager"] or _("(no manager)"), **r} for r in data["managers"]]
    rows.append({"kind": _("Total"), "name": "", **data["total"]})
    return rows


PROFIT = [
    Column(_("Customer number"), lambda r: r["number"]),
    Column(_("Customer"), lambda r: r["name"]),
    Column(_("Org unit"), lambda r: r["org_unit"]),
    Column(_("Voltage level"), lambda r: r["voltage_level"]),
    Column(_("kWh"), lambda r: r["kwh"]),
    Column(_("Billed (yuan)"), lambda r: r["billed"]),
    Column(_("Revenue (yuan)"), lambda r: r["revenue"]),
    Column(_("Purchase cost (yuan/kWh)"), lambda r: r["cost_per_kwh"]),
    Column(_("Purchase cost (yuan)"), lambda r: r["cost"]),
    Column(_("Profit (yuan)"), lambda r: r["profit"]),
    Column(_("Margin %"), lambda r: r["margin_pct"]),
]
