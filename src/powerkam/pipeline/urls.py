from django.urls import path

from . import views

app_name = "pipeline"

urlpatterns = [
    path("", views.board, name="board"),
    path("opportunities/", views.opportunity_list, name="opportunities"),
    path("opportunities/new/", views.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity"),
    path("opportunities/<int:pk>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", views.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/convert/", views.opportunity_convert, name="opportunity_convert"),
    path("opportunities/<int:pk>/link/", views.opportunity_link, name="opportunity_link"),
    path("opportunities/<int:pk>/quote/", views.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote"),
    path("quotes/<int:pk>/decide/", views.quote_decide, name="quote_decide"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("projects/", views.project_list, name="projects"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/milestones/", views.project_milestones, name="project_milestones"),
    path("projects/<int:pk>/log/", views.project_log, name="project_log"),
    path("projects/<int:pk>/contact/", views.project_contact, name="project_contact"),
    path("projects/<int:pk>/report/", views.project_report, name="report"),
    path("projects/<int:pk>/convert/", views.project_convert, name="project_convert"),
    path("projects/<int:pk>/link/", views.project_link, name="project_link"),
    path("weekly/", views.weekly_meeting, name="weekly"),
    path("forecast/", views.forecast, name="forecast"),
]
