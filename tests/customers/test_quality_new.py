"""quality.evaluate_new — the customers import's path: the rules run on the values just written,
nothing read back — reaches exactly what quality.evaluate_bulk reaches by reading the customers
from the database: the same findings (params included), tasks and history rows; and it issues a
constant number of queries whatever the number of customers."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from powerkam.core.models import Task
from powerkam.customers import quality
from powerkam.customers.models import Customer, DataQualityFinding
from powerkam.imports.services import run_import
from tests.customers.test_quality_bulk import snapshot
from tests.factories import CustomerFactory
from tests.imports.conftest import CUSTOMER_HEADERS, customer_row, upload

pytestmark = pytest.mark.django_db

EXTRA = ["客户类型", "身份证号码", "是否大客户", "客户状态", "基本电费计收方式", "功率因数考核标准", "副客户经理用户名"]


def varied_rows(manager: str, specialist: str) -> list[list]:
    """Customers breaking every rule a customer without archive records can break (and one
    breaking few), with the values as a file gives them (capacities with separators and decimals)."""
    def row(n, extra=("", "", "", "", "", "", ""), **over):
        return customer_row(n, manager=manager, **over) + list(extra)

    return [
        [*CUSTOMER_HEADERS, *EXTRA],
        row(1),  # bare: no metering, no supply line, no contract, capacity ≠ transformers
        row(2, **{"合同容量(kVA)": "1,250.5", "运行容量(kVA)": "1300"}),  # over contract
        row(3, ("个人", "", "是", "", "", "", ""), **{"统一社会信用代码": "", "法定代表人": "",
                                                     "客户经理用户名": ""}),  # identity, KA without manager
        row(4, ("", "", "", "潜在", "单一制", "不考核", specialist),
            **{"用电类别": "大工业", "合同容量(kVA)": "0", "运行容量(kVA)": "0"}),  # not yet supplied
        row(5, ("", "", "", "", "按容量", "0.90", ""), **{"用电类别": "一般工商业", "电压等级": "0.4kV",
                                                        "合同容量(kVA)": "100.25"}),
    ]


@pytest.fixture
def imported(org_tree, people):
    rows = varied_rows(people["m1"].username, people["spec"].username)
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=people["sup_north"], dry_run=False)
    assert result.ok and result.created == 5, result.errors[:3]
    return sorted(Customer.objects.values_list("pk", flat=True))


def test_the_import_reaches_what_reading_back_reaches(imported):
    by_import = snapshot()
    assert len(by_import["findings"]) > 10 and len(by_import["tasks"]) == 5
    rules = {rule for _cid, rule, _params, _status in by_import["findings"]}
    assert {"capacity_mismatch", "operating_over_contract", "identity_missing", "ka_without_manager",
            "metering_missing", "missing_supply_line", "contract_expired"} <= rules
    # The same customers evaluated again from the database, from nothing.
    Task.history.model.objects.all().delete()
    Task.objects.all().delete()
    DataQualityFinding.objects.all().delete()
    quality.evaluate_bulk(imported)
    assert snapshot() == by_import


def test_evaluate_new_from_values_equals_evaluate_bulk(org_tree, people):
    customers = [CustomerFactory(org_unit=org_tree["s1"], primary_manager=people["m1"]),
                 CustomerFactory(org_unit=org_tree["s3"], is_key_account=True, credit_code="")]
    ids = [cu.pk for cu in customers]
    values = list(Customer.objects.filter(pk__in=ids).values(*quality.CUSTOMER_FIELDS))
    outcomes = []
    for evaluate in (lambda: quality.evaluate_new(values), lambda: quality.evaluate_bulk(ids)):
        with transaction.atomic():
            counts = evaluate()
            outcomes.append(({k: counts[k] for k in ("opened", "resolved", "customers")}, snapshot()))
            transaction.set_rollback(True)
    assert outcomes[0] == outcomes[1] and outcomes[0][0]["opened"] >= 4


def test_evaluate_new_in_constant_queries(org_tree, people):
    def queries(n: int) -> int:
        customers = [CustomerFactory(org_unit=org_tree["s1"], primary_manager=people["m1"] if i % 2 else None)
                     for i in range(n)]
        values = list(Customer.objects.filter(pk__in=[cu.pk for cu in customers]).values(*quality.CUSTOMER_FIELDS))
        with CaptureQueriesContext(connection) as ctx:
            quality.evaluate_new(values)
        return len(ctx.captured_queries)

    assert queries(2) == queries(12)
