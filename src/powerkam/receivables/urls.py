from django.urls import path

from . import views

app_name = "receivables"

urlpatterns = [
    path("", views.payments, name="payments"),
    path("payments/<int:pk>/", views.payment_detail, name="payment"),
    path("payments/<int:pk>/reverse/", views.payment_reverse, name="payment_reverse"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("bills/<int:pk>/", views.bill_detail, name="bill"),
    path("bills/<int:pk>/extension/", views.bill_extension, name="bill_extension"),
    path("bills/<int:pk>/waive/", views.bill_waive, name="bill_waive"),
    path("bills/<int:pk>/late-fee-paid/", views.late_fee_paid, name="late_fee_paid"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("board/", views.board, name="board"),
    path("bills/<int:pk>/stop-case/", views.stop_case_open, name="stop_case_open"),
    path("stop-cases/<int:pk>/", views.stop_case, name="stop_case"),
    path("blacklist/", views.blacklist, name="blacklist"),
    path("blacklist/<int:pk>/removal/", views.blacklist_removal, name="blacklist_removal"),
]
