from django.urls import path

from . import views

app_name = "kpis"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("team/", views.scorecard, name="scorecard"),
    path("team/<int:staff_id>/<str:metric>/", views.drill, name="drill"),
    path("targets/", views.targets, name="targets"),
    path("work-quality/", views.work_quality, name="work_quality"),
    path("work-quality/<str:process>/late/", views.late_items, name="late_items"),
    path("reports/", views.report_list, name="reports"),
    path("reports/generate/", views.report_generate, name="report_generate"),
    path("reports/subscribe/", views.report_subscribe, name="report_subscribe"),
    path("reports/<int:pk>/<str:kind>/", views.report_download, name="report_download"),
]
