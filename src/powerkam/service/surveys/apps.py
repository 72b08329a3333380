from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "powerkam.service.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from powerkam.core.extensions import register_customer_tab

        register_customer_tab("satisfaction", _("Satisfaction"), "bi-emoji-smile", "surveys:customer_tab", order=75)
