"""/api/v1/: one router for every app's viewsets."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from powerkam.analytics import api as analytics_api
from powerkam.billing import api as billing_api
from powerkam.consumption import api as consumption_api
from powerkam.consumption import api_analysis as consumption_analysis_api
from powerkam.core import api as core_api
from powerkam.credit import api as credit_api
from powerkam.customers import api as customers_api
from powerkam.imports import api as imports_api
from powerkam.kpis import api as kpis_api
from powerkam.org import api as org_api
from powerkam.pipeline import api as pipeline_api
from powerkam.projects import api as projects_api
from powerkam.receivables import api as receivables_api
from powerkam.scoring import api as scoring_api
from powerkam.service.outages import api as outages_api
from powerkam.service.surveys import api as surveys_api
from powerkam.service.tickets import api as tickets_api
from powerkam.service.visits import api as visits_api


class Router(DefaultRouter):
    """Record ids in /api/v1/ are integers: a non-numeric id is the URL resolver's 404, never a
    ValueError in a view's lookup. A viewset with its own `lookup_value_regex` keeps it."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset = type(viewset.__name__, (viewset,), {"lookup_value_regex": r"[0-9]+"})
        return super().get_lookup_regex(viewset, lookup_prefix)


router = Router()
org_api.register(router)
customers_api.register(router)
imports_api.register(router)
core_api.register(router)
billing_api.register(router)
receivables_api.register(router)
credit_api.register(router)
consumption_api.register(router)
consumption_analysis_api.register(router)
tickets_api.register(router)
visits_api.register(router)
outages_api.register(router)
surveys_api.register(router)
pipeline_api.register(router)
analytics_api.register(router)
projects_api.register(router)
scoring_api.register(router)
kpis_api.register(router)

APP_APIS = [org_api, customers_api, imports_api, core_api, billing_api, receivables_api, credit_api, tickets_api,
            visits_api, outages_api, surveys_api, pipeline_api, analytics_api, projects_api, consumption_api,
            kpis_api, scoring_api]

urlpatterns = [
    path("auth/token/", org_api.ObtainTokenView.as_view(), name="api-token"),
    # Endpoints that are not viewsets (e.g. POST billing/calculate/): an app's api.urlpatterns.
    *[p for api in APP_APIS for p in getattr(api, "urlpatterns", [])],
    path("", include(router.urls)),
]
