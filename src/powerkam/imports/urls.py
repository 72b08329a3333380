from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("template/<str:kind>.xlsx", views.template, name="template"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.job_progress_partial, name="progress"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/errors.xlsx", views.error_report, name="error_report"),
]
