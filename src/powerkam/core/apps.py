from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_sqlite_indexes(sender, using, **kwargs) -> None:
    # A SQLite table rebuild (some ALTERs) drops the indexes Django does not know: put them back.
    from django.db import connections

    from .sqlite_indexes import ensure_all

    ensure_all(connections[using])


class CoreConfig(AppConfig):
    name = "powerkam.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import signals  # noqa: F401

        post_migrate.connect(_ensure_sqlite_indexes, sender=self, dispatch_uid="core_sqlite_indexes")
