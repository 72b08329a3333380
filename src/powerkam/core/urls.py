from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/close/", views.queue_close, name="queue_close"),
]
