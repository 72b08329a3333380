from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "powerkam.projects"
    label = "projects"
    verbose_name = _("Connection projects")

    def ready(self) -> None:
        from powerkam.core import holidays, jobs

        from . import imports, services
        from . import jobs as project_jobs

        imports.register()

        jobs.register("scan_project_stalls", project_jobs.scan_project_stalls,
                      "Connection projects: stall warnings to trackers, escalation past the deadline")
        # Stage deadlines computed over a year without its holidays are recomputed when an
        # administrator enters them (core.holidays, docs/decisions/0003).
        holidays.register_recompute("projects", lambda: services.open_provisional_stages().count(),
                                    services.recompute_provisional_deadlines)
