from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_search_index(sender, using, **kwargs) -> None:
    # A SQLite table rebuild (some ALTERs) drops the name index's triggers: put them back.
    from django.db import connections

    from . import search_index

    search_index.ensure(connections[using])


class CustomersConfig(AppConfig):
    name = "powerkam.customers"
    verbose_name = _("Customer archive")

    def ready(self) -> None:
        from . import signals  # noqa: F401

        post_migrate.connect(_ensure_search_index, sender=self, dispatch_uid="customers_search_index")
