from django.urls import path

from . import views

app_name = "scoring"

urlpatterns = [
    path("", views.index, name="index"),
    path("models/new/", views.model_new, name="model_new"),
    path("models/<int:pk>/", views.model_detail, name="model"),
    path("models/<int:pk>/try/", views.model_try, name="model_try"),
    path("models/<int:pk>/publish/", views.model_publish, name="model_publish"),
    path("models/<int:pk>/run/", views.model_run, name="model_run"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal_decide"),
    path("key-accounts/", views.key_account_list, name="key_accounts"),
    path("potential/", views.potential_list, name="potential"),
    path("potential/<int:pk>/visit/", views.potential_visit, name="potential_visit"),
    path("pareto/", views.pareto, name="pareto"),
    path("customers/<int:pk>/", views.customer_tab, name="customer_tab"),
]
