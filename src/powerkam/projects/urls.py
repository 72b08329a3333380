from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_board, name="board"),
    path("list/", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("analysis/", views.analysis, name="analysis"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/notice/", views.project_notice, name="notice"),
    path("<int:pk>/advance/", views.project_advance, name="advance"),
    path("<int:pk>/pause/", views.project_pause, name="pause"),
    path("<int:pk>/resume/", views.project_resume, name="resume"),
    path("<int:pk>/documents/", views.project_document, name="document"),
    path("<int:pk>/contractors/", views.project_contractor, name="contractor"),
    path("<int:pk>/override/", views.project_override, name="override"),
    path("<int:pk>/tracker/", views.project_tracker, name="tracker"),
    path("<int:pk>/defects/", views.project_defect, name="defect"),
    path("<int:pk>/defects/clear/", views.project_clear_defect, name="clear_defect"),
    path("<int:pk>/supply-points/", views.project_supply_point, name="supply_point"),
    path("<int:pk>/transformers/", views.project_transformer, name="transformer"),
    path("<int:pk>/metering-points/", views.project_metering_point, name="metering_point"),
    path("<int:pk>/contract/", views.project_contract, name="contract"),
    path("defects/<int:pk>/photo/", views.defect_photo, name="defect_photo"),
    path("customers/<int:pk>/tab/", views.customer_tab, name="customer_tab"),
]
