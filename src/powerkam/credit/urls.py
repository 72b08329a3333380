from django.urls import path

from . import views

app_name = "credit"

urlpatterns = [
    path("", views.index, name="index"),
    path("assessments/", views.assessment_list, name="assessments"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/approve/", views.assessment_approve, name="assessment_approve"),
    path("customers/<int:customer_pk>/assess/", views.assessment_create, name="assessment_create"),
    path("customers/<int:pk>/", views.customer_credit, name="customer"),
    path("customers/<int:pk>/tab/", views.customer_tab, name="customer_tab"),
]
