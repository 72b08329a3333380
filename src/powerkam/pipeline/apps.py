from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_sqlite_indexes(sender, using, **kwargs) -> None:
    # A SQLite table rebuild (some ALTERs) drops the indexes Django does not know: put them back.
    from django.db import connections

    from . import sqlite_indexes

    sqlite_indexes.ensure(connections[using])


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
        post_migrate.connect(_ensure_sqlite_indexes, sender=self, dispatch_uid="pipeline_sqlite_indexes")
