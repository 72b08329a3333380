from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "powerkam.service.visits"
    label = "visits"
    verbose_name = _("Visits and care")

    def ready(self) -> None:
        from powerkam.core import jobs
        from powerkam.core.extensions import register_customer_tab

        def visit_plans(day):
            from . import services

            return services.nightly(day)

        jobs.register("visit_plans", visit_plans,
                      "Visit plans: next regular visit per key account, must-visit occasions, overdue escalation")
        register_customer_tab("service", _("Service"), "bi-headset", "visits:customer_tab", order=70)
        # Generated visits planned on a day the entered holiday calendar says is off are moved to
        # a working day (core.holidays, issue #9 item 8).
        from powerkam.core import holidays

        from . import services

        holidays.register_recompute("visits", lambda: services.holiday_planned_visits().count(),
                                    lambda actor=None: services.replan_on_holidays(actor=actor))
