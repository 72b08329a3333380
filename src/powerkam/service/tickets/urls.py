from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_create, name="create"),
    path("analysis/", views.analysis, name="analysis"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("<int:pk>/advance/", views.ticket_advance, name="advance"),
    path("<int:pk>/escalate/", views.ticket_escalate, name="escalate"),
    path("<int:pk>/reopen/", views.ticket_reopen, name="reopen"),
    path("<int:pk>/attachments/", views.ticket_upload, name="upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
