from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "powerkam.imports"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from . import services  # noqa: F401 - registers the five archive import kinds (registry.py)
