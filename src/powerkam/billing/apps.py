from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "powerkam.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from . import imports  # noqa: F401  registers the "bills" import kind when the framework offers it
