"""Billing runs: bills from meter readings through the calculator, timeline, idempotent rerun,
errors reported per customer; the command and the clerk's page."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from powerkam.billing.models import Bill, BillingRun, BillLine
from powerkam.billing.services import run_billing
from powerkam.customers.models import Customer, TimelineEvent
from tests.factories import CustomerFactory

from .factories import MeterReadingFactory, TariffFactory

pytestmark = pytest.mark.django_db
OCT = date(2026, 10, 1)


@pytest.fixture
def setup(org_tree):
    TariffFactory(code="LI-10")
    good = CustomerFactory(number="3100000001", tariff_code="LI-10", contract_capacity_kva=D("630"),
                           basic_charge_method="capacity", pf_standard="0.90", org_unit=org_tree["s1"])
    demand = CustomerFactory(number="3100000002", tariff_code="LI-10", contract_capacity_kva=D("630"),
                             basic_charge_method="demand", pf_standard="0.90", org_unit=org_tree["s1"])
    unknown = CustomerFactory(number="3100000003", tariff_code="NOPE", org_unit=org_tree["s3"])
    for cu in (good, demand, unknown):
        MeterReadingFactory(customer=cu, period=OCT)
    return {"good": good, "demand": demand, "unknown": unknown}


def test_run_bills_each_reading(setup):
    run = run_billing(OCT)
    assert (run.status, run.total, run.created, run.skipped) == ("done", 3, 2, 0)
    assert run.errors == [{"customer": "3100000003", "error": "No tariff NOPE in force in 2026-10."}]
    bill = Bill.objects.get(customer=setup["good"])
    # the worked example of test_calculator: capacity billing, PF 0.86 under 0.90
    assert (bill.energy_charge, bill.basic_charge, bill.pf_adjustment, bill.surcharges, bill.total) == (
        D("51100.00"), D("15750.00"), D("1337.00"), D("2173.50"), D("70360.50"))
    assert bill.number == "B202610-3100000001"
    assert (bill.issued_on, bill.due_on) == (date(2026, 11, 5), date(2026, 11, 20))
    assert bill.source == "run" and bill.status == "open"
    assert BillLine.objects.filter(bill=bill).count() == 9
    assert Bill.objects.get(customer=setup["demand"]).basic_charge == D("14436.00")
    assert TimelineEvent.objects.filter(kind="bill.issued", customer=setup["good"]).count() == 1
    assert bill.history.count() == 1


def test_rerun_changes_nothing(setup):
    run_billing(OCT)
    run = run_billing(OCT)
    assert (run.created, run.skipped) == (0, 2)
    assert Bill.objects.count() == 2
    assert TimelineEvent.objects.filter(kind="bill.issued").count() == 2


def test_command(setup, capsys):
    call_command("run_billing", "--period", "2026-10")
    assert "2 bills created" in capsys.readouterr().out


def test_clerk_runs_from_the_page_and_manager_cannot(setup, org_tree, make_staff, login):
    clerk = login(make_staff("clerk", org_tree["north"]))
    r = clerk.post("/billing/runs/", {"period": "2026-10"})
    run = BillingRun.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/billing/runs/{run.pk}/"
    assert (run.total, run.created) == (2, 2)  # the s3 customer is outside the north clerk's subtree
    page = clerk.get(f"/billing/runs/{run.pk}/")
    assert page.status_code == 200 and "3100000003" not in page.content.decode()
    manager = login(make_staff("manager", org_tree["s1"]))
    assert manager.post("/billing/runs/", {"period": "2026-10"}).status_code == 403
    assert BillingRun.objects.count() == 1
    # A run lists its starter's customers: another unit's clerk neither lists nor opens it.
    south_clerk = login(make_staff("clerk", org_tree["south"]))
    assert south_clerk.get(f"/billing/runs/{run.pk}/").status_code == 404
    assert f"/billing/runs/{run.pk}/" not in south_clerk.get("/billing/runs/").content.decode()
    assert login(make_staff("admin", org_tree["company"])).get(f"/billing/runs/{run.pk}/").status_code == 200


def test_voided_bill_is_rebilled_under_the_next_number(setup):
    run_billing(OCT, customers=[setup["good"]])
    Bill.objects.filter(customer=setup["good"]).update(status="void")
    run = run_billing(OCT, customers=Customer.objects.filter(pk=setup["good"].pk))
    assert run.created == 1
    assert sorted(Bill.objects.filter(customer=setup["good"]).values_list("number", "status")) == [
        ("B202610-3100000001", "void"), ("B202610-3100000001-2", "open")]
