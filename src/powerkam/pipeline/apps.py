from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "powerkam.pipeline"
    label = "pipeline"
    verbose_name = _("Prospects and pipeline")

    def ready(self) -> None:
        from powerkam.core import jobs

        def weekly_reports(day):
            from . import services

            return services.nightly(day)

        jobs.register("pipeline_weekly_reports", weekly_reports,
                      "Government key projects: weekly report tasks, missing-report escalation")
        from .imports import register_imports

        register_imports()
        from . import sqlite_indexes  # noqa: F401  (registers the SQLite-only indexes: core.sqlite_indexes)
