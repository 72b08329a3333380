"""Data-quality findings in the work queue: a customer's findings open ONE task for whoever looks
after the customer, listing them all (issue #11 §3); resolving them all closes the task; in
bulk, with a constant number of queries. Changes of the list: tests/customers/test_quality_task_per_customer.py."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.customers import quality
from powerkam.customers.models import DataQualityFinding
from tests.factories import complete_customer

pytestmark = pytest.mark.django_db


def over_contract(**kw):
    """A customer breaking exactly one rule: operating 900 kVA over a contract of 800 kVA."""
    customer = complete_customer(operating_capacity_kva=Decimal("900"), contract_capacity_kva=Decimal("800"), **kw)
    return customer


def evaluate(*customers, today=None):
    return quality.evaluate([c.pk for c in customers], today)


def test_opened_finding_opens_a_task_for_the_primary_manager(org_tree, people):
    customer = over_contract(org_unit=org_tree["s1"], primary_manager=people["m1"], secondary_manager=people["spec"])
    assert evaluate(customer)["opened"] == 1
    finding = customer.findings.get(status="open")
    assert finding.rule == "operating_over_contract"
    task = Task.objects.get()
    assert task.key == f"dq:customer:{customer.pk}:{finding.pk}"
    assert task.kind == Task.Kind.DATA_QUALITY and task.status == Task.Status.OPEN
    assert task.assignee == people["m1"] and task.customer == customer and task.org_unit == org_tree["s1"]
    assert task.link == reverse("customers:detail", args=[customer.pk]) + "?tab=quality"
    detected = timezone.localdate(finding.detected_at)
    assert timezone.localtime(task.due_at).date() == detected + timedelta(days=7)
    assert customer.name in task.title
    assert "900" in task.detail and "800" in task.detail
    assert task.detail_params["findings"] == [finding.pk]
    assert task.history.count() == 1  # audited like any task


def test_resolving_the_finding_closes_the_task(org_tree, people):
    customer = over_contract(org_unit=org_tree["s1"], primary_manager=people["m1"])
    evaluate(customer)
    customer.operating_capacity_kva = Decimal("800")
    customer.save()
    assert evaluate(customer) == {"opened": 0, "resolved": 1}
    task = Task.objects.get()
    assert task.status == Task.Status.DONE and task.result == "resolved" and task.closed_at is not None
    assert task.history.count() == 2


def test_re_evaluation_is_idempotent_and_never_reopens_a_closed_task(org_tree, people):
    customer = over_contract(org_unit=org_tree["s1"], primary_manager=people["m1"])
    evaluate(customer)
    evaluate(customer)
    assert Task.objects.count() == 1
    task = Task.objects.get()
    workqueue.close_task(task, by=people["m1"], result="will fix next week")
    evaluate(customer)
    assert Task.objects.count() == 1 and Task.objects.get().status == Task.Status.DONE


def test_findings_opened_before_tasks_existed_get_one_on_the_next_run(org_tree, people):
    customer = over_contract(org_unit=org_tree["s1"], primary_manager=people["m1"])
    evaluate(customer)
    Task.objects.all().delete()
    assert evaluate(customer)["opened"] == 0
    assert Task.objects.get().key == f"dq:customer:{customer.pk}:{customer.findings.get().pk}"


def test_assignee_falls_back_to_secondary_manager_then_nearest_supervisor_or_clerk(org_tree, people, make_staff):
    t, p = org_tree, people
    p["m1"].is_active = False
    p["m1"].save()
    a = over_contract(org_unit=t["s1"], primary_manager=p["m1"], secondary_manager=p["spec"])
    b = over_contract(org_unit=t["s2"], primary_manager=p["m1"])  # s2 → north: the north supervisor
    c = over_contract(org_unit=t["s3"])  # s3 → south: the south clerk
    evaluate(a, b, c)
    by_customer = dict(Task.objects.values_list("customer_id", "assignee_id"))
    assert by_customer == {a.pk: p["spec"].pk, b.pk: p["sup_north"].pk, c.pk: p["clerk_south"].pk}
    # A supervisor of the customer's own unit comes before one further up; a supervisor before a clerk.
    s2_clerk = make_staff("clerk", t["s2"])
    s2_sup = make_staff("supervisor", t["s2"])
    d = over_contract(org_unit=t["s2"])
    evaluate(d)
    assert Task.objects.get(customer=d).assignee == s2_sup
    s2_sup.is_active = False
    s2_sup.save()
    e = over_contract(org_unit=t["s2"])
    evaluate(e)
    assert Task.objects.get(customer=e).assignee == s2_clerk


def test_no_one_to_assign_means_no_task_but_the_finding_stays(org_tree):
    customer = over_contract(org_unit=org_tree["s1"])  # nobody works in this org tree
    assert evaluate(customer)["opened"] == 1
    assert not Task.objects.exists() and customer.findings.filter(status="open").count() == 1


def _queries_for(n, org_tree, people, today):
    customers = [over_contract(org_unit=org_tree["s1"], primary_manager=people["m1"] if i % 2 else None)
                 for i in range(n)]
    with CaptureQueriesContext(connection) as ctx:
        quality.evaluate([c.pk for c in customers], today)
    for c in customers:
        c.operating_capacity_kva = Decimal("800")
        c.save()
    with CaptureQueriesContext(connection) as closing:
        result = quality.evaluate([c.pk for c in customers], today)
    assert result["resolved"] == n
    return len(ctx.captured_queries), len(closing.captured_queries)


def test_opening_and_closing_tasks_take_constant_queries(org_tree, people):
    today = timezone.localdate()
    small = _queries_for(2, org_tree, people, today)
    large = _queries_for(12, org_tree, people, today)
    assert small == large
    assert Task.objects.filter(kind=Task.Kind.DATA_QUALITY).count() == 14
    assert not Task.objects.filter(status=Task.Status.OPEN).exists()


def test_evaluate_all_opens_tasks_in_bulk(org_tree, people):
    customers = [over_contract(org_unit=org_tree["s1"], primary_manager=people["m1"]) for _ in range(5)]
    totals = quality.evaluate_all(chunk=2)
    assert totals["opened"] == 5
    assert set(Task.objects.values_list("customer_id", flat=True)) == {c.pk for c in customers}
    assert set(Task.objects.values_list("key", flat=True)) == {
        f"dq:customer:{cid}:{pk}" for pk, cid in DataQualityFinding.objects.values_list("pk", "customer_id")}


def test_an_import_opens_tasks_for_the_findings_it_causes(org_tree, people, make_staff):
    from powerkam.imports.services import run_import
    from tests.imports.conftest import CUSTOMER_HEADERS, customer_row, xlsx_bytes

    clerk = make_staff("clerk", org_tree["north"])
    rows = [CUSTOMER_HEADERS] + [customer_row(i, manager=people["m1"].username) for i in range(1, 4)]
    result = run_import("customers", io.BytesIO(xlsx_bytes(rows)), "c.xlsx", actor=clerk, dry_run=False)
    assert result.committed and result.created == 3
    findings = DataQualityFinding.objects.filter(status="open")
    assert findings.exists()
    tasks = Task.objects.filter(kind=Task.Kind.DATA_QUALITY)
    assert tasks.count() == 3  # one per customer, whatever the number of its findings
    for task in tasks:
        assert sorted(task.detail_params["findings"]) == sorted(
            findings.filter(customer_id=task.customer_id).values_list("pk", flat=True))
    assert set(tasks.values_list("assignee_id", flat=True)) == {people["m1"].pk}


def test_due_date_is_a_week_after_detection_of_an_older_finding(org_tree, people):
    customer = over_contract(org_unit=org_tree["s1"], primary_manager=people["m1"])
    evaluate(customer)
    Task.objects.all().delete()
    detected = timezone.make_aware(datetime(2026, 9, 28, 10, 0))
    DataQualityFinding.objects.update(detected_at=detected)
    evaluate(customer)
    assert timezone.localtime(Task.objects.get().due_at).date().isoformat() == "2026-10-05"
