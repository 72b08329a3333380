"""Import templates for supply contracts and payments (issue #10 item 8). Payments go through
receivables.services.record_payment, so they are allocated to the oldest bills and audited."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from powerkam.billing.models import Bill
from powerkam.customers.models import SupplyContract, TimelineEvent
from powerkam.imports.services import run_import
from powerkam.receivables.models import Payment, PaymentAllocation
from tests.factories import CustomerFactory

from .conftest import upload

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CONTRACT_HEADERS = ["客户编号", "合同编号", "签订日期", "生效日期", "到期日期", "产权分界点"]
PAYMENT_HEADERS = ["客户编号", "金额", "收款渠道", "到账日期", "流水号", "是否预收"]


@pytest.fixture
def customers(org_tree):
    return (CustomerFactory(number="3100000001", org_unit=org_tree["s1"]),
            CustomerFactory(number="3100000002", org_unit=org_tree["s2"]))


def _bill(customer, number, total, due_on):
    return Bill.objects.create(customer=customer, number=number, period=due_on.replace(day=1), issued_on=due_on,
                               due_on=due_on, total=Decimal(total), energy_charge=Decimal(total))


def test_contracts_are_created_then_updated_by_number(clerk, customers):
    rows = [CONTRACT_HEADERS,
            ["3100000001", "GYD-1", "2026-01-10", "2026-01-15", "2031-01-14", "#12杆"],
            ["3100000002", "GYD-2", "", "2025-03-01", "2030-02-28", ""]]
    result = run_import("supply_contracts", *upload(rows), actor=clerk, dry_run=False)
    assert result.ok and result.created == 2, result.errors
    contract = SupplyContract.objects.get(number="GYD-1")
    assert (contract.customer, contract.valid_to, contract.property_boundary) == (customers[0], date(2031, 1, 14), "#12杆")
    assert contract.history.count() == 1
    rows[1][4] = "2032-01-14"
    result = run_import("supply_contracts", *upload(rows), actor=clerk, dry_run=False)
    assert (result.updated, result.unchanged) == (1, 1)
    assert SupplyContract.objects.get(number="GYD-1").valid_to == date(2032, 1, 14)


def test_bad_contract_rows_write_nothing(clerk, customers):
    SupplyContract.objects.create(customer=customers[1], number="GYD-9", valid_from=date(2025, 1, 1),
                                  valid_to=date(2030, 1, 1))
    rows = [CONTRACT_HEADERS,
            ["3100000001", "GYD-1", "", "2026-01-15", "2025-01-14", ""],
            ["3100000001", "GYD-9", "", "2026-01-15", "2031-01-14", ""]]
    result = run_import("supply_contracts", *upload(rows), actor=clerk, dry_run=False)
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(2, "到期日期")] == "The contract cannot end before it starts."
    assert messages[(3, "合同编号")] == "Contract number GYD-9 belongs to another customer."
    assert SupplyContract.objects.count() == 1


def test_payments_are_allocated_audited_and_not_recorded_twice(clerk, customers):
    old = _bill(customers[0], "B1", "300.00", TODAY - timedelta(days=40))
    new = _bill(customers[0], "B2", "500.00", TODAY - timedelta(days=10))
    rows = [PAYMENT_HEADERS,
            ["3100000001", "400.00", "银行转账", TODAY.isoformat(), "BK-1", "否"],
            ["3100000001", "400.00", "counter", TODAY.isoformat(), "BK-2", "是"]]  # 800 in all: both bills
    result = run_import("payments", *upload(rows), actor=clerk, dry_run=False)
    assert result.ok and result.created == 2, result.errors
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status, new.paid_amount) == ("paid", "paid", Decimal("500.00"))
    assert PaymentAllocation.objects.filter(bill=old).get().amount == Decimal("300.00")
    p = Payment.objects.get(reference="BK-1")
    assert p.created_by == clerk and p.history.first().history_user == clerk
    assert TimelineEvent.objects.filter(customer=customers[0], kind="payment").count() == 2
    again = run_import("payments", *upload(rows), actor=clerk, dry_run=False)
    assert again.ok and (again.created, again.unchanged) == (0, 2)
    assert Payment.objects.count() == 2


def test_a_payment_above_the_balance_counts_earlier_rows_and_writes_nothing(clerk, customers):
    _bill(customers[0], "B1", "300.00", TODAY - timedelta(days=40))
    rows = [PAYMENT_HEADERS,
            ["3100000001", "200.00", "银行转账", TODAY.isoformat(), "BK-1", ""],
            ["3100000001", "200.00", "银行转账", TODAY.isoformat(), "BK-2", ""],
            ["3100000001", "0", "银行转账", TODAY.isoformat(), "BK-3", ""],
            ["3100000001", "10.00", "现金支票", (TODAY + timedelta(days=1)).isoformat(), "BK-4", ""]]
    result = run_import("payments", *upload(rows), actor=clerk, dry_run=False)
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(3, "金额")].startswith("The payment (200.00 yuan) is larger than the customer's outstanding "
                                            "balance (100.00 yuan)")
    assert messages[(4, "金额")] == "The amount must be greater than zero."
    assert (5, "收款渠道") in messages and messages[(5, "到账日期")] == "The money cannot be received in the future."
    assert not Payment.objects.exists()
