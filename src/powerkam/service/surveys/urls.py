from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("exit/", views.send_exit_survey, name="send_exit"),
    path("analysis/", views.analysis, name="analysis"),
    path("loss/", views.loss, name="loss"),
    path("customer/<int:pk>/", views.customer_tab, name="customer_tab"),
    path("s/<str:token>/", views.answer, name="answer"),
]
