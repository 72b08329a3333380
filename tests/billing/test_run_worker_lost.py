"""A billing run whose worker died (issue #9 item 5): failed with what was written, run again
from its page; the chunks written before are kept and not billed twice."""

from datetime import date
from decimal import Decimal as D

import pytest
from django_tasks_db.models import DBTaskResult

from powerkam.billing.models import Bill, BillingRun
from powerkam.billing.services import run_billing
from powerkam.billing.tasks import run_billing_job
from powerkam.core import leases
from powerkam.core.models import WorkerLease
from tests.factories import CustomerFactory

from .factories import MeterReadingFactory, TariffFactory

pytestmark = pytest.mark.django_db
OCT = date(2026, 10, 1)


@pytest.fixture
def lost_run(org_tree, make_staff, settings, dead_pid):
    """A background run claimed by a worker whose process is gone, after its first chunk (one bill)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    TariffFactory(code="LI-10")
    first, second = (CustomerFactory(number=f"310000000{i}", tariff_code="LI-10", contract_capacity_kva=D("630"),
                                     basic_charge_method="capacity", pf_standard="0.90", org_unit=org_tree["s1"])
                     for i in (1, 2))
    for customer in (first, second):
        MeterReadingFactory(customer=customer, period=OCT)
    clerk = make_staff(role="clerk", org_unit=org_tree["company"])
    run = BillingRun.objects.create(period=OCT, created_by=clerk, status=BillingRun.Status.RUNNING, total=2)
    task = run_billing_job.enqueue(run.pk)
    BillingRun.objects.filter(pk=run.pk).update(task_id=str(task.id))
    DBTaskResult.objects.get(pk=task.id).claim("w-dead")
    WorkerLease.objects.create(worker_id="w-dead", host=leases.host_id(), pid=dead_pid)
    run_billing(OCT, customers=[first], actor=clerk)  # the chunk written before the worker died
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return run


def test_a_lost_billing_run_fails_saying_what_was_written(lost_run):
    assert leases.reap() == 1
    lost_run.refresh_from_db()
    assert lost_run.status == BillingRun.Status.FAILED and lost_run.finished_at is not None
    assert lost_run.created == 1
    assert lost_run.message.startswith("The background job stopped before the end")
    assert "1 bills of this run were written and are kept" in lost_run.message


def test_its_page_marks_it_failed_and_runs_the_month_again(lost_run, login):
    client = login(lost_run.created_by)
    page = client.get(f"/billing/runs/{lost_run.pk}/").content.decode()
    assert 'id="run-message"' in page and 'id="run-again-form"' in page
    assert BillingRun.objects.get(pk=lost_run.pk).status == BillingRun.Status.FAILED

    response = client.post("/billing/runs/", {"period": "2026-10"})
    again = BillingRun.objects.latest("pk")
    assert response.status_code == 302 and again.status == BillingRun.Status.DONE
    assert (again.created, again.skipped) == (1, 1)  # the rest; the bill already written is skipped
    assert Bill.objects.filter(period=OCT).count() == 2
