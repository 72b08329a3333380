"""The customers import writes new rows without model instances (COPY on PostgreSQL, executemany
elsewhere): what it writes must be what a model instance would have written; a customers import
evaluates the data-quality rules batch by batch inside its transaction, and a large import of
archive records evaluates them in a job that starts right after the commit, saying so."""

from datetime import date
from decimal import Decimal

import pytest

from powerkam.core.models import Task
from powerkam.customers.models import Customer, DataQualityFinding, TimelineEvent
from powerkam.imports.services import run_import
from tests.factories import CustomerFactory
from tests.imports.conftest import customer_rows, supply_point_rows, upload

pytestmark = pytest.mark.django_db


def test_new_customer_gets_the_model_defaults_and_the_file_values(clerk, manager):
    rows = [r[:2] + r[9:10] for r in customer_rows(1)]  # number, name, org unit only
    rows[0] += ["合同容量(kVA)", "送电日期", "是否大客户"]
    rows[1] += ["1,250.5", "2024-05-31", "否"]
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert result.ok and result.committed and not result.quality_deferred, result.errors
    cu = Customer.objects.get(number="3200000001")
    blank = Customer()
    for field in ("customer_type", "usage_category", "voltage_level", "lifecycle_status", "importance_level",
                  "scope", "basic_charge_method", "pf_standard", "tou_enabled", "operating_capacity_kva",
                  "credit_code", "notes", "ka_tier", "closed_on"):
        assert getattr(cu, field) == getattr(blank, field), field
    assert cu.contract_capacity_kva == Decimal("1250.50") and cu.opened_on == date(2024, 5, 31)
    assert cu.is_key_account is False and cu.developed_by == clerk and cu.primary_manager is None
    assert cu.created_at is not None and cu.updated_at == cu.created_at
    record = cu.history.get()
    assert record.history_type == "+" and record.history_user == clerk
    assert record.contract_capacity_kva == cu.contract_capacity_kva and record.name == cu.name
    assert TimelineEvent.objects.filter(customer=cu, kind="archive.imported", actor=clerk).count() == 1


def test_a_manager_importing_keeps_the_new_customers(org_tree, make_staff):
    """谁开发，谁维护 through the COPY path: developer and primary manager default to the importer."""
    manager = make_staff(role="manager", org_unit=org_tree["s1"], username="mgr-super", is_superuser=True)
    f, name = upload([r[:10] for r in customer_rows(2)], fmt="csv")
    result = run_import("customers", f, name, actor=manager, dry_run=False)
    assert result.ok, result.errors
    assert set(Customer.objects.values_list("developed_by_id", "primary_manager_id")) == {(manager.pk, manager.pk)}


def test_portfolio_rules_still_apply_to_new_customers(clerk, manager):
    rows = customer_rows(1, manager="mgr1")
    rows[0].append("大客户等级")
    rows[1].append("优质")  # a tier without being a key account
    f, name = upload(rows)
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.ok and result.errors[0].column == "大客户等级"
    assert not Customer.objects.exists()


def test_large_archive_import_evaluates_quality_right_after_commit(clerk, manager, org_tree, settings,
                                                                   django_capture_on_commit_callbacks):
    """An archive-records import touching more customers than the setting evaluates them in a job
    right after its commit (a customer may be touched by many rows, so only after the last)."""
    settings.POWERKAM_IMPORT_QUALITY_INLINE_ROWS = 2
    customers = [CustomerFactory(number=f"310000000{i}", org_unit=org_tree["s1"], primary_manager=manager)
                 for i in range(1, 4)]
    f, name = upload(supply_point_rows(customers), fmt="csv")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = run_import("supply_points", f, name, actor=clerk, dry_run=False)
    assert result.committed and result.quality_deferred and result.summary()["quality_deferred"] is True
    assert len(result.quality_customer_ids) == 3
    assert not DataQualityFinding.objects.exists()  # not inside the import's transaction
    assert len(callbacks) == 1
    callbacks[0]()  # the job (run at once by the test task backend)
    findings = DataQualityFinding.objects.filter(status="open")
    assert {f.customer_id for f in findings} == {cu.pk for cu in customers}
    assert findings.filter(rule="metering_missing").count() == 3
    tasks = Task.objects.filter(kind=Task.Kind.DATA_QUALITY)
    assert tasks.count() == 3  # one task per customer, listing its findings
    assert sorted(pk for t in tasks for pk in t.detail_params["findings"]) == sorted(findings.values_list("pk", flat=True))
    assert set(tasks.values_list("assignee_id", flat=True)) == {manager.pk}


@pytest.mark.parametrize("inline_rows", [1, 3])
def test_customers_import_evaluates_quality_in_its_transaction(clerk, manager, settings, inline_rows,
                                                               django_capture_on_commit_callbacks):
    """A customers import, however large, evaluates the rules batch by batch inside its own
    transaction (each customer's row is its only change): nothing is left for a job after it."""
    settings.POWERKAM_IMPORT_QUALITY_INLINE_ROWS = inline_rows
    f, name = upload(customer_rows(3, manager="mgr1"), fmt="csv")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = run_import("customers", f, name, actor=clerk, dry_run=False)
        # inside the import's transaction already: the callbacks have not run
        assert DataQualityFinding.objects.filter(rule="metering_missing").count() == 3
    assert result.committed and not result.quality_deferred and not callbacks
    tasks = Task.objects.filter(kind=Task.Kind.DATA_QUALITY)
    assert tasks.count() == 3 and set(tasks.values_list("assignee_id", flat=True)) == {manager.pk}


def test_the_job_page_says_the_quality_checks_run_in_the_background(login, clerk, manager, settings):
    from django.urls import reverse

    from powerkam.imports.models import ImportJob
    from powerkam.imports.services import commit_import, start_import

    settings.POWERKAM_IMPORT_QUALITY_INLINE_ROWS = 1
    customers = [CustomerFactory(number=f"310000000{i}", primary_manager=manager, org_unit=manager.org_unit)
                 for i in range(1, 3)]
    f, name = upload(supply_point_rows(customers), fmt="csv")
    job = start_import("supply_points", f, name, actor=clerk, dry_run=True)
    job = commit_import(job, actor=clerk)
    assert job.status == ImportJob.Status.DONE and job.summary["quality_deferred"] is True
    page = login(clerk).get(reverse("imports:job", args=[job.pk]))
    assert page.status_code == 200 and b'id="quality-deferred"' in page.content
