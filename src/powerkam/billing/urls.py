from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("tariffs/", views.tariff_list, name="tariffs"),
    path("calculator/", views.calculator, name="calculator"),
    path("bills/", views.bill_list, name="bills"),
    path("bills/<int:pk>/", views.bill_detail, name="bill_detail"),
    path("customers/<int:pk>/bills/", views.customer_bills, name="customer_bills"),
    path("runs/", views.billing_runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
]
