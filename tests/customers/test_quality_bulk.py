"""quality.evaluate_bulk (the import's path: COPY for findings and tasks) reaches exactly what
quality.evaluate (the per-save path) reaches: the same findings, the same tasks, the same
history rows — on fresh customers and on re-evaluation (new, changed, resolved findings)."""

from decimal import Decimal

import pytest
from django.db import transaction

from powerkam.core.models import Task
from powerkam.customers import constants as c
from powerkam.customers import quality
from powerkam.customers.models import Customer, DataQualityFinding
from tests.factories import CustomerFactory, complete_customer

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def snapshot() -> dict:
    """The state both paths write, without ids and timestamps (which differ by construction)."""
    rule_of = dict(DataQualityFinding.objects.values_list("pk", "rule"))

    def rules(task):
        return tuple(rule_of[pk] for pk in task.detail_params.get("findings", []))
    findings = sorted(
        (cid, rule, tuple(sorted(params.items())), status)
        for cid, rule, params, status in DataQualityFinding.objects.values_list("customer_id", "rule", "params", "status"))
    tasks = sorted(
        (t.customer_id, rules(t), t.kind, t.assignee_id, t.org_unit_id, t.title, t.detail,
         t.link.replace(str(t.customer_id), "<id>"), t.status, t.result, t.due_at.date() if t.due_at else None,
         t.history.count(), tuple(t.history.order_by("history_id").values_list("history_type", flat=True)))
        for t in Task.objects.filter(kind=Task.Kind.DATA_QUALITY))
    return {"findings": findings, "tasks": tasks}


def run_both(ids) -> tuple[dict, dict, dict, dict]:
    """Run evaluate and evaluate_bulk on the same database state (each in a rolled-back savepoint)."""
    out = []
    for path in (quality.evaluate, quality.evaluate_bulk):
        try:
            with transaction.atomic():
                counts = path(ids)
                out.append(({k: counts[k] for k in ("opened", "resolved")}, snapshot()))
                raise Rollback
        except Rollback:
            pass
    (c1, s1), (c2, s2) = out
    return c1, s1, c2, s2


def varied_customers(org_tree, people) -> list[Customer]:
    t, p = org_tree, people
    return [
        CustomerFactory(org_unit=t["s1"], primary_manager=p["m1"]),  # bare: no archive records
        complete_customer(org_unit=t["s1"], primary_manager=p["m1"]),  # clean
        complete_customer(org_unit=t["s2"], operating_capacity_kva=Decimal("900")),  # over contract, no manager
        CustomerFactory(org_unit=t["s3"], customer_type=c.CustomerType.PERSON, credit_code="", id_number="",
                        legal_representative="", is_key_account=True),  # identity, KA without manager
        CustomerFactory(org_unit=t["s1"], secondary_manager=p["spec"], primary_manager=p["m1"],
                        usage_category=c.UsageCategory.LARGE_INDUSTRY, basic_charge_method=c.BasicChargeMethod.NONE,
                        pf_standard=c.PFStandard.NONE, lifecycle_status=c.LifecycleStatus.POTENTIAL),
    ]


def test_fresh_customers_same_findings_and_tasks(org_tree, people):
    ids = [cu.pk for cu in varied_customers(org_tree, people)]
    c1, s1, c2, s2 = run_both(ids)
    assert c1 == c2 and c1["opened"] > 5
    assert s1 == s2
    assert len(s1["tasks"]) == 4  # one per customer with findings (the clean one has none)


def test_re_evaluation_same_changes(org_tree, people):
    customers = varied_customers(org_tree, people)
    ids = [cu.pk for cu in customers]
    quality.evaluate(ids)
    # one finding resolved, one whose params change, one new
    a, _b, over, _d, e = customers
    Customer.objects.filter(pk=over.pk).update(operating_capacity_kva=Decimal("950"))
    Customer.objects.filter(pk=e.pk).update(basic_charge_method=c.BasicChargeMethod.CAPACITY)
    Customer.objects.filter(pk=a.pk).update(operating_capacity_kva=Decimal("2000"))
    c1, s1, c2, s2 = run_both(ids)
    assert c1 == c2 and c1["opened"] >= 1 and c1["resolved"] >= 1
    assert s1 == s2
    assert any("~" in task[-1] for task in s1["tasks"])  # a resolved finding left its customer's task


def test_chunks_do_not_change_the_outcome(org_tree, people):
    ids = [cu.pk for cu in varied_customers(org_tree, people)]
    with transaction.atomic():
        quality.evaluate_bulk(ids, chunk=2)
        chunked = snapshot()
        transaction.set_rollback(True)
    quality.evaluate_bulk(ids)
    assert snapshot() == chunked
