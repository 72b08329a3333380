from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export/", views.customer_export, name="export"),
    path("new/", views.customer_create, name="create"),
    path("quality/", views.quality, name="quality"),
    path("quality/export/", views.quality_export, name="quality_export"),
    path("quality/rerun/", views.quality_rerun, name="quality_rerun"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/close/", views.customer_close, name="close"),
    path("<int:pk>/reopen/", views.customer_reopen, name="reopen"),
    path("<int:pk>/<slug:kind>/new/", views.record_edit, name="record_add"),
    path("<int:pk>/<slug:kind>/<int:record_pk>/edit/", views.record_edit, name="record_edit"),
    path("<int:pk>/<slug:kind>/<int:record_pk>/delete/", views.record_delete, name="record_delete"),
]
