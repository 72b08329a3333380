from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("list/", views.visit_list, name="list"),
    path("new/", views.visit_create, name="create"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/record/", views.visit_record, name="record"),
    path("<int:pk>/reschedule/", views.visit_reschedule, name="reschedule"),
    path("occasions/", views.occasion_list, name="occasions"),
    path("occasions/new/", views.occasion_create, name="occasion_create"),
    path("care/", views.care, name="care"),
    path("care/new/", views.care_create, name="care_create"),
    path("customer/<int:pk>/", views.customer_tab, name="customer_tab"),
    path("analysis/", views.analysis, name="analysis"),
]
