from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "powerkam.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from powerkam.core import jobs
        from powerkam.core.extensions import register_customer_glance, register_customer_tab

        from .glance import money_and_service_glance
        from .services import nightly_refresh

        register_customer_tab("money", _("Money"), "bi-cash-coin", "analytics:customer_money", order=60)
        register_customer_glance("money_and_service", money_and_service_glance, order=10)
        jobs.register("analytics_monthly_sales", nightly_refresh,
                      "Rebuild the monthly sales, collection and portfolio summaries (sales-volume and unit-price "
                      "analyses, the executive dashboard, the KPI scorecard).")
