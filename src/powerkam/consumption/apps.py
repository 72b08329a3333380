from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsumptionConfig(AppConfig):
    name = "powerkam.consumption"
    label = "consumption"
    verbose_name = _("Consumption and load")

    def ready(self) -> None:
        from . import analysis_hooks, jobs  # noqa: F401 - registers the periodic jobs, 360 tab
