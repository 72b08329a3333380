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
