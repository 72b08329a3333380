from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "powerkam.scoring"
    label = "scoring"
    verbose_name = _("Key-account scoring")

    def ready(self) -> None:
        from powerkam.core import jobs
        from powerkam.core.extensions import register_customer_tab

        from .services import monthly_job

        register_customer_tab("scoring", _("Score"), "bi-award", "scoring:customer_tab", order=65)
        jobs.register("scoring_monthly", monthly_job,
                      "Key-account scoring: score every customer with the published model on the scoring day "
                      "(POWERKAM_SCORING_DAY) and propose the tier changes")
