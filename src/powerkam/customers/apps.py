from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "powerkam.customers"
    verbose_name = _("Customer archive")

    def ready(self) -> None:
        from . import signals  # noqa: F401
