from django.urls import path

from . import views

app_name = "outages"

urlpatterns = [
    path("", views.outage_list, name="list"),
    path("new/", views.outage_create, name="create"),
    path("<int:pk>/", views.outage_detail, name="detail"),
    path("<int:pk>/notify/", views.outage_notify, name="notify"),
    path("<int:pk>/cancel/", views.outage_cancel, name="cancel"),
    path("<int:pk>/report/", views.outage_report_export, name="report_export"),
    path("notices/<int:pk>/ack-phone/", views.notice_ack_phone, name="ack_phone"),
    path("ack/<str:token>/", views.acknowledge_link, name="ack"),
]
