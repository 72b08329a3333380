from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _nightly_rating(day):
    from .services import rate_payment_behaviour

    return rate_payment_behaviour(day)


class CreditConfig(AppConfig):
    name = "powerkam.credit"
    label = "credit"
    verbose_name = _("Credit")

    def ready(self) -> None:
        from powerkam.core.extensions import register_customer_tab
        from powerkam.core.jobs import register

        register("credit_behaviour", _nightly_rating,
                 "Payment-behaviour rating of every customer from the last 12 months of bills")
        register_customer_tab("credit", _("Credit"), "bi-shield-check", "credit:customer_tab", order=65)
