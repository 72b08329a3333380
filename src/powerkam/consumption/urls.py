from django.urls import path

from . import views

app_name = "consumption"

urlpatterns = [
    path("import/", views.ingest_index, name="ingest"),
    path("import/upload/", views.ingest_upload, name="upload"),
    path("import/<int:pk>/", views.batch_detail, name="batch"),
    path("advice/<int:customer_id>/", views.advice_letter, name="advice"),
]
