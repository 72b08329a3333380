from django import template
from django.urls import reverse

register = template.Library()

# Where each dashboard figure drills down to (the page with the records behind it).
DRILL = {
    "revenue": "analytics:sales_volume", "kwh": "analytics:sales_volume", "unit_price": "analytics:price",
    "arrears": "analytics:arrears", "collection_rate": "analytics:collection", "complaints": "tickets:analysis",
    "sla": "kpis:work_quality", "satisfaction": "surveys:analysis", "key_accounts": "scoring:key_accounts",
    "churn_risk": "consumption_analysis:churn", "pipeline": "pipeline:forecast", "new_capacity": "pipeline:forecast",
    "project_cycle_time": "projects:analysis", "project_within": "projects:analysis",
}
# The unit parameter each page reads (default org_unit).
UNIT_PARAM = {"pipeline": "unit", "new_capacity": "unit"}
PROJECT_FIGURES = ("project_cycle_time", "project_within")
# Figures where a rise against last year is bad news (shown red).
RISE_IS_BAD = {"arrears", "complaints", "churn_risk", "project_cycle_time"}


@register.simple_tag
def drill_url(figure: str, unit=None, month=None) -> str:
    url = reverse(DRILL[figure])
    params = []
    if unit is not None and figure not in ("complaints", "satisfaction", "sla"):
        params.append(f"{UNIT_PARAM.get(figure, 'org_unit')}={unit.pk}")
    if month is not None and figure == "sla":
        params.append(f"month={month:%Y-%m}")
    if month is not None and figure in PROJECT_FIGURES:  # the projects energised in the month
        from powerkam.kpis.selectors import last_day

        params += [f"date_from={month:%Y-%m-%d}", f"date_to={last_day(month):%Y-%m-%d}"]
    return url + ("?" + "&".join(params) if params else "")


@register.filter
def figure(figures: dict, key: str):
    return figures.get(key, {})


@register.filter
def delta_pct(cell: dict):
    """This month against last year, in % (None when there is no base)."""
    v, ly = cell.get("value"), cell.get("last_year")
    if v is None or not ly:
        return None
    from powerkam.analytics.selectors import change_pct

    return change_pct(v, ly)


@register.simple_tag
def delta_class(delta, figure: str) -> str:
    """Red for a change for the worse, green for one for the better."""
    worse = delta > 0 if figure in RISE_IS_BAD else delta < 0
    return "text-danger" if worse else "text-success"
