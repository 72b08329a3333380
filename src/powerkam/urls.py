from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from powerkam.core import views as core_views
from powerkam.org import views as org_views


def _docs(view):
    """The API docs pages need a login (the schema too: SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"])
    unless POWERKAM_PUBLIC_API_DOCS is on."""
    return view if settings.POWERKAM_PUBLIC_API_DOCS else login_required(view)


urlpatterns = [
    path("", core_views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("powerkam/favicon.svg"), permanent=True)),
    path("accounts/login/", org_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", org_views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("org/", include("powerkam.org.urls")),
    path("customers/", include("powerkam.customers.urls")),
    path("imports/", include("powerkam.imports.urls")),
    path("queue/", include("powerkam.core.urls")),
    path("billing/", include("powerkam.billing.urls")),
    path("receivables/", include("powerkam.receivables.urls")),
    path("credit/", include("powerkam.credit.urls")),
    path("consumption/", include("powerkam.consumption.urls")),
    path("service/tickets/", include("powerkam.service.tickets.urls")),
    path("service/visits/", include("powerkam.service.visits.urls")),
    path("service/outages/", include("powerkam.service.outages.urls")),
    path("service/surveys/", include("powerkam.service.surveys.urls")),
    path("analytics/", include("powerkam.analytics.urls")),
    path("consumption/", include("powerkam.consumption.urls_analysis")),
    path("api/v1/", include("powerkam.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split Swagger view serves its start-up code as a script file (no inline script under the
    # Content-Security-Policy); our Redoc page neither has inline script nor loads web fonts.
    path("api/docs/", _docs(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", _docs(SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")),
         name="api-redoc"),
    path("media/<path:path>", core_views.protected_media, name="media"),
]

handler404 = "powerkam.core.views.not_found"
