"""/api/v1/: one router for every app's viewsets."""

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from powerkam.customers import api as customers_api
from powerkam.imports import api as imports_api
from powerkam.org import api as org_api

router = DefaultRouter()
org_api.register(router)
customers_api.register(router)
imports_api.register(router)

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include(router.urls)),
]
