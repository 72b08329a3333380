from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("portfolios/", views.portfolios, name="portfolios"),
    path("portfolios/export/", views.portfolios_export, name="portfolios_export"),
    path("portfolios/<int:staff_pk>/", views.portfolio_detail, name="portfolio_detail"),
    path("reassign/<int:pk>/", views.reassign, name="reassign"),
    path("security/", views.security, name="security"),
]
