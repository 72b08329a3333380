from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "powerkam.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from . import imports

        imports.register()  # the "bills" import kind
        from . import sqlite_indexes  # noqa: F401  (registers the SQLite-only indexes: core.sqlite_indexes)
