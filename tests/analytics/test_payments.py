"""Payments by channel (交费方式分析)."""

from datetime import date
from decimal import Decimal as D

from powerkam.analytics.selectors import ReportFilter, payments_by_channel
from powerkam.receivables.models import Payment

from .factories import make_payment

Q1 = ReportFilter(date(2026, 1, 1), date(2026, 3, 1))
CH = Payment.Channel


def _payments(world):
    make_payment(world["c1"], date(2026, 1, 31), "886.40", CH.BANK_TRANSFER)
    make_payment(world["c2"], date(2026, 2, 1), "292.00", CH.ONLINE)
    make_payment(world["c3"], date(2026, 2, 15), "2090.00", CH.BANK_TRANSFER)
    make_payment(world["c3"], date(2026, 3, 20), "1000.00", CH.COUNTER)
    make_payment(world["c1"], date(2026, 3, 31), "500.00", CH.ONLINE)
    make_payment(world["c1"], date(2026, 3, 10), "999.00", CH.ONLINE, status=Payment.Status.REVERSED)  # left out
    make_payment(world["c1"], date(2026, 4, 1), "50.00", CH.ONLINE)  # after the period
    make_payment(world["c1"], date(2025, 12, 31), "70.00", CH.ONLINE)  # before


def test_by_channel_and_month(world):
    _payments(world)
    data = payments_by_channel(world["admin"], Q1)
    channels = {ch["channel"]: ch for ch in data["channels"]}
    assert channels["bank_transfer"]["amount"] == D("2976.40") and channels["bank_transfer"]["count"] == 2
    assert channels["online"]["amount"] == D("792.00") and channels["online"]["count"] == 2
    assert channels["counter"]["amount"] == D("1000.00") and channels["withholding"]["count"] == 0
    assert data["total"] == {"amount": D("4768.40"), "count": 5}
    assert channels["bank_transfer"]["share_pct"] == D("62.42")  # 2976.40 / 4768.40
    months = {r["month"]: r for r in data["months"]}
    assert months[date(2026, 1, 1)]["amount"] == D("886.40")
    assert months[date(2026, 2, 1)]["by_channel"]["online"] == {"amount": D("292.00"), "count": 1}
    assert months[date(2026, 3, 1)]["amount"] == D("1500.00") and months[date(2026, 3, 1)]["count"] == 2


def test_scope_and_one_query(world, django_assert_num_queries):
    _payments(world)
    assert payments_by_channel(world["a"], Q1)["total"] == {"amount": D("1386.40"), "count": 2}
    with django_assert_num_queries(1):
        payments_by_channel(world["admin"], Q1)
