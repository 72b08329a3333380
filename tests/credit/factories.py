"""Bills and statements for credit tests."""

from datetime import date
from decimal import Decimal

from powerkam.billing.models import Bill

_n = [0]


def make_bill(customer, *, due_on: date, total="1000.00", paid_on: date | None = None, paid=None,
              status=None) -> Bill:
    _n[0] += 1
    total = Decimal(str(total))
    if status is None:
        status = Bill.Status.PAID if paid_on else Bill.Status.OPEN
    paid_amount = Decimal(str(paid)) if paid is not None else (total if status == Bill.Status.PAID else Decimal("0"))
    return Bill.objects.create(
        customer=customer, number=f"CR{_n[0]:08d}", period=due_on.replace(day=1), issued_on=due_on,
        due_on=due_on, total=total, paid_amount=paid_amount, paid_on=paid_on, status=status)


# The worked example (yuan). Ratios: current 2.0000, quick 1.4000, cash 0.3200, debt 0.6667,
# inventory turnover 10.0000, sales margin 0.0600, gross margin 0.2500, cost-profit 0.0649.
# Working capital 2,500,000; operating assets (2,500,000 + 4,000,000)/2 = 3,250,000;
# evaluation value 2 + 1.4 − 0.625 − 2 = 0.775 → 0.78 → 20 %; model limit 650,000.00.
STATEMENT = {
    "current_assets": "5000000", "inventory": "1500000", "cash": "800000", "total_assets": "12000000",
    "current_liabilities": "2500000", "total_liabilities": "8000000", "net_worth": "4000000",
    "sales_revenue": "20000000", "cost_of_sales": "15000000", "total_cost": "18500000", "net_profit": "1200000",
}


def scores_all(value: int) -> dict:
    from powerkam.credit.constants import ITEM_KEYS

    return {k: [value] * 4 for k in ITEM_KEYS}
