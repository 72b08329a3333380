from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.index, name="index"),
    path("sales-volume/", views.sales_volume, name="sales_volume"),
    path("unit-price/", views.price, name="price"),
    path("payments/", views.payments, name="payments"),
    path("arrears/", views.arrears, name="arrears"),
    path("collection-rate/", views.collection, name="collection"),
    path("profit/", views.profit, name="profit"),
    path("customers/<int:pk>/money/", views.customer_money, name="customer_money"),
]
