"""Extension points where a higher module adds to a lower module's pages without the lower
module importing it (DESIGN.md "Lower layers never import higher ones").

Customer 360 tabs: a module registers a tab in its AppConfig.ready(); the 360 page shows it
and loads its content from the module's own URL (htmx), so the archive never imports money
or service code and the 360 page keeps its constant query count.

    register_customer_tab("money", _("Money"), "bi-cash-coin", "billing:customer_tab", order=60)

The URL named `url_name` takes the customer's pk (`<int:pk>`), must scope with
`get_visible_or_404` and returns an HTML fragment.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CustomerTab:
    key: str
    label: object  # a lazy translation
    icon: str
    url_name: str
    order: int = 50


CUSTOMER_TABS: dict[str, CustomerTab] = {}


def register_customer_tab(key: str, label, icon: str, url_name: str, order: int = 50) -> None:
    CUSTOMER_TABS[key] = CustomerTab(key, label, icon, url_name, order)


def customer_tabs() -> list[CustomerTab]:
    return sorted(CUSTOMER_TABS.values(), key=lambda t: (t.order, t.key))


# --- Customer 360 "at a glance" --------------------------------------------------------------
#
# The overview starts with the figures a manager needs before a call (issue #10 item 5). Each
# comes from a higher module, which registers a provider in its AppConfig.ready():
#
#     register_customer_glance("money", money_glance, order=10)
#
# A provider takes (customer, today) and returns a list of Glance, in a fixed number of queries
# (the 360 page's query count is asserted); `tab` names the 360 tab that shows the details.


@dataclass(frozen=True)
class Glance:
    key: str
    label: object  # a lazy translation
    value: str  # already formatted (core/numbers.py)
    tab: str = ""
    detail: str = ""
    tone: str = ""  # "", "danger", "warning", "success"
    spark: str = ""  # an SVG polyline's points, 0..100 × 0..24 (a trend)


GLANCE_PROVIDERS: dict[str, tuple[int, object]] = {}


def register_customer_glance(key: str, provider, order: int = 50) -> None:
    GLANCE_PROVIDERS[key] = (order, provider)


def customer_glance(customer, today) -> list[Glance]:
    """Every registered provider's figures for one customer, providers in their order."""
    items: list[Glance] = []
    for _order, provider in sorted(GLANCE_PROVIDERS.values(), key=lambda p: p[0]):
        items.extend(provider(customer, today))
    return items


def sparkline(values, width: int = 100, height: int = 24) -> str:
    """SVG polyline points for a small trend line; "" when there is nothing to draw."""
    values = [float(v or 0) for v in values]
    if len(values) < 2 or not any(values):
        return ""
    top, bottom = max(values), min(0.0, min(values))
    span = (top - bottom) or 1.0
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - (v - bottom) / span * height:.1f}" for i, v in enumerate(values))
