from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "powerkam.receivables"
    label = "receivables"
    verbose_name = _("Receivables")

    def ready(self) -> None:
        from powerkam.core import jobs

        from . import imports, ladder

        imports.register()
        jobs.register("receivables_ladder", ladder.run_ladder,
                      "Receivables ladder: reminders, warnings, written notices, blacklist (seed 003 篇4)")
