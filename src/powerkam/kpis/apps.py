from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "powerkam.kpis"
    label = "kpis"
    verbose_name = _("KPIs, work quality and dashboard")

    def ready(self) -> None:
        from powerkam.core import jobs

        from .reports import monthly_report_job
        from .snapshots import snapshot_job

        jobs.register("kpis_monthly_report", monthly_report_job,
                      "Monthly management report (xlsx and PDF) on POWERKAM_REPORT_DAY, e-mailed to its subscribers")
        jobs.register("kpis_dashboard_snapshot", snapshot_job,
                      "Dashboard snapshot: key accounts, churn risk, weighted pipeline, new capacity expected and "
                      "arrears per org unit, kept for the month (the state at its end) for next year's comparison")
