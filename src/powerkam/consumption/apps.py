from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsumptionConfig(AppConfig):
    name = "powerkam.consumption"
    label = "consumption"
    verbose_name = _("Consumption and load")

    def ready(self) -> None:
        # the periodic jobs, the 360 tab, the SQLite-only index (core.sqlite_indexes)
        from . import analysis_hooks, jobs, sqlite_indexes  # noqa: F401
