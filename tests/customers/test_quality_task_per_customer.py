"""One data-quality task per customer, listing its open findings (issue #11 §3), worked examples:

| step                                      | findings open      | the customer's tasks                     |
| ----------------------------------------- | ------------------ | ---------------------------------------- |
| evaluate a customer breaking 3 rules      | A, B, C            | T1 open, lists A B C                     |
| evaluate again, nothing changed           | A, B, C            | T1 unchanged (no new history row)        |
| B fixed                                   | A, C               | T1 open, lists A C ("~" history row)     |
| a 4th rule broken (D)                     | A, C, D            | T1 open, lists A C D                     |
| manager closes T1, nothing changed        | A, C, D            | T1 done; no new task                     |
| a new finding E                           | A, C, D, E         | T1 done; T2 open, lists A C D E          |
| everything fixed                          | –                  | T2 done "resolved"                       |
"""

import importlib
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.customers import constants as c
from powerkam.customers import quality
from powerkam.customers.models import Customer, DataQualityFinding
from tests.factories import complete_customer

pytestmark = pytest.mark.django_db

OVER = {"operating_capacity_kva": Decimal("900"), "contract_capacity_kva": Decimal("800")}


def three_findings(org_tree, people) -> Customer:
    """Operating capacity over contract, identity documents missing, a key account without a
    primary manager (the secondary manager gets the task)."""
    return complete_customer(org_unit=org_tree["s1"], secondary_manager=people["m1"], is_key_account=True,
                             credit_code="", legal_representative="", **OVER)


def open_rules(customer) -> set[str]:
    return set(customer.findings.filter(status="open").values_list("rule", flat=True))


def task_rules(task) -> list[str]:
    rule_of = dict(DataQualityFinding.objects.values_list("pk", "rule"))
    return sorted(rule_of[pk] for pk in task.detail_params["findings"])


def test_worked_example(org_tree, people):
    customer = three_findings(org_tree, people)
    original = Customer.objects.filter(pk=customer.pk).values(
        "usage_category", "basic_charge_method", "pf_standard").get()
    assert quality.evaluate([customer.pk])["opened"] == 3
    assert open_rules(customer) == {"operating_over_contract", "identity_missing", "ka_without_manager"}
    t1 = Task.objects.get()
    assert t1.assignee == people["m1"] and t1.status == Task.Status.OPEN
    assert task_rules(t1) == sorted(open_rules(customer))
    assert len(t1.detail_items) == 3 and "3" in t1.display_title and customer.name in t1.display_title
    assert t1.history.count() == 1

    quality.evaluate([customer.pk])  # nothing changed
    assert Task.objects.count() == 1 and Task.objects.get().history.count() == 1

    Customer.objects.filter(pk=customer.pk).update(credit_code="91330100MA2XXXXX0X", legal_representative="张三")
    quality.evaluate([customer.pk])  # B fixed
    t1.refresh_from_db()
    assert task_rules(t1) == ["ka_without_manager", "operating_over_contract"] and len(t1.detail_items) == 2
    assert t1.status == Task.Status.OPEN and t1.history.count() == 2
    assert t1.history.latest("history_id").history_type == "~"

    Customer.objects.filter(pk=customer.pk).update(usage_category=c.UsageCategory.LARGE_INDUSTRY,
                                                   basic_charge_method=c.BasicChargeMethod.NONE)
    quality.evaluate([customer.pk])  # D (and whatever else the change breaks) added to the same task
    t1.refresh_from_db()
    assert Task.objects.count() == 1
    assert "two_part_tariff_missing" in task_rules(t1) and task_rules(t1) == sorted(open_rules(customer))

    workqueue.close_task(t1, by=people["m1"], result="known, fixing next month")
    quality.evaluate([customer.pk])  # the manager closed it; nothing new: not reopened, no new task
    assert Task.objects.count() == 1 and Task.objects.get().status == Task.Status.DONE

    Customer.objects.filter(pk=customer.pk).update(operating_capacity_kva=Decimal("1000"))  # changes params only
    quality.evaluate([customer.pk])
    assert Task.objects.count() == 1  # a changed finding is not a new finding

    Customer.objects.filter(pk=customer.pk).update(primary_manager=people["m2"], is_key_account=False,
                                                   credit_code="", pf_standard=c.PFStandard.NONE)  # E and B again
    quality.evaluate([customer.pk])
    t2 = Task.objects.get(status=Task.Status.OPEN)
    assert t2.pk != t1.pk and t2.assignee == people["m2"]
    assert "pf_standard_mismatch" in task_rules(t2) and task_rules(t2) == sorted(open_rules(customer))

    Customer.objects.filter(pk=customer.pk).update(operating_capacity_kva=Decimal("800"), credit_code="91330100MA2XXXXX0X",
                                                   **original)  # all fixed
    quality.evaluate([customer.pk])
    assert open_rules(customer) == set()
    t2.refresh_from_db()
    assert t2.status == Task.Status.DONE and t2.result == "resolved"
    assert Task.objects.filter(status=Task.Status.OPEN).count() == 0


def test_bulk_and_per_save_paths_reach_one_task_per_customer(org_tree, people):
    customers = [three_findings(org_tree, people) for _ in range(3)]
    quality.evaluate_bulk([cu.pk for cu in customers])
    assert Task.objects.count() == 3
    assert DataQualityFinding.objects.filter(status="open").count() == 9
    quality.evaluate_bulk([cu.pk for cu in customers])  # rerun: nothing new, nothing changed
    assert Task.objects.count() == 3 and sum(t.history.count() for t in Task.objects.all()) == 3


def test_the_work_queue_lists_the_findings_in_both_languages(org_tree, people, login):
    customer = three_findings(org_tree, people)
    quality.evaluate([customer.pk])
    client = login(people["m1"])
    for lang, words in (("zh-hans", ["运行容量超合同容量", "数据质量：3 项问题"]),
                        ("en", ["Operating capacity above contract", "Data quality: 3 findings"])):
        with translation.override(lang):
            client.cookies["django_language"] = lang
            html = client.get(reverse("core:queue"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert 'class="small text-muted mb-0 ps-3 task-items"' in html
        for word in words:
            assert word in html, (lang, word)


def test_api_shows_the_findings_in_the_detail(org_tree, people, login):
    customer = three_findings(org_tree, people)
    quality.evaluate([customer.pk])
    with translation.override("en"):
        detail = Task.objects.get().display_detail
    assert detail.startswith("Findings: ") and detail.count("; ") == 2


def test_tasks_sync_in_constant_queries(org_tree, people):
    def run(n):
        customers = [three_findings(org_tree, people) for _ in range(n)]
        ids = [cu.pk for cu in customers]
        with CaptureQueriesContext(connection) as opening:
            quality.evaluate(ids)
        Customer.objects.filter(pk__in=ids).update(credit_code="91330100MA2XXXXX0X", legal_representative="张三")
        with CaptureQueriesContext(connection) as updating:
            quality.evaluate(ids)
        return len(opening.captured_queries), len(updating.captured_queries)

    assert run(2) == run(10)


def test_migration_folds_per_finding_tasks_into_one(org_tree, people):
    """Tasks of one finding each ("dq:<finding id>", before this change) → the customer's first one
    kept and listing all its findings, the others cancelled "merged"; history rows written."""
    customer = three_findings(org_tree, people)
    quality.evaluate([customer.pk])
    Task.objects.all().delete()
    findings = list(customer.findings.filter(status="open").order_by("pk"))
    for f in findings:  # the old shape
        workqueue.open_task(kind=Task.Kind.DATA_QUALITY, assignee=people["m2"], customer=customer,
                            title=f"{f.rule} · {customer.name}", detail=f.text, key=f"dq:{f.pk}")
    first = Task.objects.order_by("pk").first()
    migration = importlib.import_module("powerkam.customers.migrations.0006_speed_import_one_dq_task_per_customer")
    from django.apps import apps

    migration.fold(apps, None)
    open_tasks = Task.objects.filter(status=Task.Status.OPEN)
    assert list(open_tasks.values_list("pk", flat=True)) == [first.pk]
    kept = open_tasks.get()
    assert kept.assignee == people["m2"] and task_rules(kept) == sorted(f.rule for f in findings)
    assert set(Task.objects.exclude(pk=first.pk).values_list("status", "result")) == {("cancelled", "merged")}
    assert all(t.history.count() == 2 for t in Task.objects.all())
    # the next evaluation leaves it as it is, and a task closed before was never reopened
    quality.evaluate([customer.pk])
    assert Task.objects.filter(status=Task.Status.OPEN).get().pk == first.pk


def test_a_finding_on_a_closed_per_finding_task_does_not_open_a_new_one(org_tree, people):
    customer = complete_customer(org_unit=org_tree["s1"], primary_manager=people["m1"], **OVER)
    quality.evaluate([customer.pk])
    finding = customer.findings.get()
    Task.objects.all().delete()
    task = workqueue.open_task(kind=Task.Kind.DATA_QUALITY, assignee=people["m1"], customer=customer,
                               title="old", key=f"dq:{finding.pk}")
    workqueue.close_task(task, by=people["m1"])
    quality.evaluate([customer.pk])
    assert Task.objects.count() == 1


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_task_texts_are_the_phrases_fields(lang):
    """The fast path (TaskTexts: each rule translated once per call) stores exactly what the
    Phrases store, in either language of the process that creates the tasks."""
    findings = [(7, "operating_over_contract", {"operating_kva": "900", "contract_kva": "800"}),
                (3, "identity_missing", {"missing": "统一社会信用代码"}), (9, "metering_missing", {})]
    with translation.override(lang):
        fast = quality.TaskTexts().fields("华新铝业", findings)
        slow = workqueue.title_fields(*quality.customer_task_phrases("华新铝业", findings))
    assert fast == slow
    assert fast["detail_params"]["findings"] == [3, 7, 9]
    # the detail params' JSON text, composed from the items' texts, is what json.dumps gives
    texts = quality.TaskTexts()
    for some in (findings, findings[:1], [(1, "identity_missing", {"missing": '引号"与\\反斜杠 & <tag>'})]):
        fields = texts.fields("华新铝业", some)
        assert fields["detail_params"].json == json.dumps(dict(fields["detail_params"]), ensure_ascii=False)
        assert workqueue.json_text(fields["detail_params"]) == fields["detail_params"].json
        assert workqueue.json_text(fields["title_params"]) == json.dumps(fields["title_params"], ensure_ascii=False)
