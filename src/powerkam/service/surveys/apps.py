from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "powerkam.service.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from powerkam.core.extensions import register_customer_tab
        from powerkam.customers.signals import customer_closed

        from .services import exit_survey_on_close

        customer_closed.connect(exit_survey_on_close, dispatch_uid="surveys_exit_on_close")

        register_customer_tab("satisfaction", _("Satisfaction"), "bi-emoji-smile", "surveys:customer_tab", order=75)
