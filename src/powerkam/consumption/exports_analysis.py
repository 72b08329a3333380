"""Export columns of the anomaly, churn-risk, forecast and analysis tables (xlsx/csv through
powerkam.imports.exports)."""

from django.utils.translation import gettext_lazy as _

from powerkam.imports.exports import Column


def _manager(customer) -> str:
    m = customer.primary_manager
    return (m.full_name or m.username) if m else ""


ANOMALIES = [
    Column(_("Customer number"), lambda a: a.customer.number),
    Column(_("Customer name"), lambda a: a.customer.name),
    Column(_("Org unit"), lambda a: a.customer.org_unit.name),
    Column(_("Manager"), lambda a: _manager(a.customer)),
    Column(_("Kind"), lambda a: a.get_kind_display()),
    Column(_("Since"), lambda a: a.started_on),
    Column(_("Detected on"), lambda a: a.detected_on),
    Column(_("Last day kWh"), lambda a: a.last_kwh),
    Column(_("Expected kWh"), lambda a: a.expected_kwh),
    Column(_("Status"), lambda a: a.get_status_display()),
    Column(_("Reason"), lambda a: a.reason.label if a.reason else ""),
    Column(_("Note"), lambda a: a.note),
]

CHURN = [*ANOMALIES[:6], Column(_("kWh a day below baseline"), lambda a: a.lost_kwh), *ANOMALIES[9:]]

FORECASTS = [
    Column(_("Customer number"), lambda f: f.customer.number),
    Column(_("Customer name"), lambda f: f.customer.name),
    Column(_("Computed on"), lambda f: f.computed_on),
    Column(_("Next 7 days kWh"), lambda f: f.next_7d_kwh),
    Column(_("Next 12 months kWh"), lambda f: f.next_12m_kwh),
    Column(_("Daily MAPE (model) %"), lambda f: f.daily_mape),
    Column(_("Daily MAPE (seasonal naive) %"), lambda f: f.daily_naive_mape),
    Column(_("Monthly MAPE (model) %"), lambda f: f.monthly_mape),
    Column(_("Monthly MAPE (seasonal naive) %"), lambda f: f.monthly_naive_mape),
    Column(_("Forecast used"), lambda f: f.method_label),
]

SUPPLY = [
    Column(_("Month or unit"), lambda r: r["label"]),
    Column(_("Metered kWh (collection system)"), lambda r: r["metered_kwh"]),
    Column(_("Billed kWh"), lambda r: r["billed_kwh"]),
    Column(_("Difference kWh"), lambda r: r["difference_kwh"]),
    Column(_("Difference %"), lambda r: r["difference_pct"]),
]

CATEGORY = [
    Column(_("Category"), lambda r: str(r["label"])),
    Column(_("kWh"), lambda r: r["kwh"]),
    Column(_("Same period last year kWh"), lambda r: r["kwh_last_year"]),
    Column(_("Year-on-year %"), lambda r: r["yoy_pct"]),
]

GROWERS = [
    Column(_("Customer number"), lambda r: r["customer_obj"].number if r["customer_obj"] else r["customer"]),
    Column(_("Customer name"), lambda r: r["customer_obj"].name if r["customer_obj"] else ""),
    Column(_("kWh"), lambda r: r["kwh"]),
    Column(_("Same period last year kWh"), lambda r: r["kwh_last_year"]),
    Column(_("Change kWh"), lambda r: r["change"]),
    Column(_("Change %"), lambda r: r["change_pct"]),
]
