"""Clean imports of every kind from xlsx and csv (UTF-8, UTF-8 with BOM, GBK); idempotent upserts;
all or nothing; audit trail, timeline and data-quality findings (issue #2 item 6)."""

from decimal import Decimal

import pytest

from powerkam.customers.models import (
    Contact,
    Customer,
    DataQualityFinding,
    MeteringPoint,
    SupplyPoint,
    TimelineEvent,
    Transformer,
)
from powerkam.imports.services import run_import
from tests.factories import CustomerFactory, SupplyLineFactory, SupplyPointFactory
from tests.imports.conftest import customer_row, customer_rows, upload

pytestmark = pytest.mark.django_db

FORMATS = [("xlsx", None), ("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gbk")]


def do_import(kind, rows, actor, fmt="xlsx", encoding="utf-8", dry_run=False):
    f, name = upload(rows, fmt=fmt, encoding=encoding or "utf-8")
    result = run_import(kind, f, name, actor=actor, dry_run=dry_run)
    assert result.ok, result.errors[:5]
    return result


@pytest.fixture
def customers(org_tree):
    return [CustomerFactory(number=f"310000000{i}", org_unit=org_tree["s1"]) for i in range(1, 4)]


@pytest.fixture
def line(db):
    return SupplyLineFactory(substation__name="城北110kV变电站", name="10kV城北线")


def child_rows(kind, customers):
    a, b, _c = (c.number for c in customers)
    if kind == "contacts":
        return [["客户编号", "姓名", "联系人角色", "手机", "邮箱", "是否主要联系人", "生日"],
                [a, "李四", "电工", "13900000001", "li@example.com", "是", "1980-05-01"],
                [a, "王五", "财务", "13900000002", "", "否", ""],
                [b, "赵六", "legal_rep", "13900000003", "", "", ""]]
    if kind == "supply_points":
        return [["客户编号", "电源名称", "变电站", "供电线路", "电源类型", "电压等级", "容量(kVA)"],
                [a, "1号电源", "城北110kV变电站", "10kV城北线", "主供", "10kV", "800"],
                [a, "2号电源", "城北110kV变电站", "", "备用", "10千伏", "800.5"],
                [b, "1号电源", "", "", "main", "0.4kV", "250"]]
    if kind == "transformers":
        return [["客户编号", "所属电源", "型号", "出厂编号", "容量(kVA)", "台数", "是否运行"],
                [a, "1号电源", "SCB13-400/10", "T-001", "400", "2", "是"],
                [a, "", "SCB13-400/10", "", "400", "1", "否"],
                [b, "", "S11-250/10", "", "250", "1", ""]]
    return [["客户编号", "计量点编号", "电能表编号", "电流互感器变比", "电压互感器变比", "倍率", "所属电源"],
            [a, "MP-1", "M-1", "75/5", "10000/100", "1500", "1号电源"],
            [a, "MP-2", "M-2", "100/5", "10000/100", "", ""],
            [b, "MP-1", "", "", "", "", ""]]


KIND_MODELS = {"contacts": Contact, "supply_points": SupplyPoint, "transformers": Transformer,
               "metering_points": MeteringPoint}


@pytest.mark.parametrize("fmt, encoding", FORMATS)
def test_customers_clean_import(clerk, manager, org_tree, fmt, encoding):
    result = do_import("customers", customer_rows(4, manager="mgr1"), clerk, fmt, encoding)
    assert (result.total_rows, result.created, result.updated, result.unchanged) == (4, 4, 0, 0)
    assert result.committed
    c = Customer.objects.get(number="3200000001")
    assert c.name == "导入客户1有限公司"
    assert c.usage_category == "large_industry" and c.industry == "C" and c.voltage_level == "10kV"
    assert c.contract_capacity_kva == Decimal("800") and c.operating_capacity_kva == Decimal("630")
    assert c.org_unit == org_tree["s1"] and c.primary_manager == manager
    assert c.developed_by == clerk  # who develops it maintains it


@pytest.mark.parametrize("kind", list(KIND_MODELS))
@pytest.mark.parametrize("fmt, encoding", FORMATS)
def test_child_kinds_clean_import(clerk, customers, line, kind, fmt, encoding):
    if kind in ("transformers", "metering_points"):
        SupplyPointFactory(customer=customers[0], name="1号电源", supply_line=line)
    model = KIND_MODELS[kind]
    before = model.objects.count()
    result = do_import(kind, child_rows(kind, customers), clerk, fmt, encoding)
    assert (result.total_rows, result.created, result.updated) == (3, 3, 0)
    assert model.objects.count() == before + 3
    assert model.objects.filter(customer=customers[0]).count() >= 2


def test_child_values_are_parsed(clerk, customers, line):
    do_import("contacts", child_rows("contacts", customers), clerk)
    li = Contact.objects.get(name="李四")
    assert (li.role, li.mobile, li.email, li.is_primary, str(li.birthday)) == (
        "electrician", "13900000001", "li@example.com", True, "1980-05-01")
    assert Contact.objects.get(name="赵六").role == "legal_rep"

    do_import("supply_points", child_rows("supply_points", customers), clerk)
    sp = SupplyPoint.objects.get(customer=customers[0], name="1号电源")
    assert sp.supply_line == line and sp.substation == line.substation and sp.source_type == "main"
    assert SupplyPoint.objects.get(customer=customers[0], name="2号电源").capacity_kva == Decimal("800.50")

    do_import("transformers", child_rows("transformers", customers), clerk)
    t = Transformer.objects.get(serial_no="T-001")
    assert t.supply_point == sp and t.quantity == 2 and t.in_service
    assert Transformer.objects.get(customer=customers[0], serial_no="").in_service is False

    do_import("metering_points", child_rows("metering_points", customers), clerk)
    assert MeteringPoint.objects.get(customer=customers[0], number="MP-2").multiplier == Decimal("2000")  # 20 × 100
    assert MeteringPoint.objects.get(customer=customers[1], number="MP-1").multiplier == Decimal("1")


def test_english_headers_are_accepted(clerk, manager):
    rows = [["Customer number", "Customer name", "Usage category", "Org unit code", "Manager username",
             "Contract capacity (kVA)"],
            ["3300000001", "English Co.", "Large industry", "S2", "mgr1", "1,250.50"]]
    do_import("customers", rows, clerk, fmt="csv")
    c = Customer.objects.get(number="3300000001")
    assert c.usage_category == "large_industry" and c.contract_capacity_kva == Decimal("1250.50")


def test_reimporting_the_same_file_changes_nothing(clerk, manager, customers, line):
    SupplyPointFactory(customer=customers[0], name="1号电源", supply_line=line)
    rows = customer_rows(10, manager="mgr1")
    do_import("customers", rows, clerk)
    history = Customer.history.count()
    timeline = TimelineEvent.objects.count()
    again = do_import("customers", rows, clerk, fmt="csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    assert Customer.history.count() == history and TimelineEvent.objects.count() == timeline

    for kind in KIND_MODELS:
        do_import(kind, child_rows(kind, customers), clerk)
        count = KIND_MODELS[kind].objects.count()
        again = do_import(kind, child_rows(kind, customers), clerk)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3), kind
        assert KIND_MODELS[kind].objects.count() == count


def test_changed_rows_update_by_natural_key(clerk, manager, customers):
    do_import("customers", customer_rows(3, manager="mgr1"), clerk)
    rows = customer_rows(3, manager="mgr1")
    rows[2][1] = "改名后的公司"
    result = do_import("customers", rows, clerk)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    c = Customer.objects.get(number="3200000002")
    assert c.name == "改名后的公司"
    assert c.history.first().history_type == "~" and c.history.first().history_user == clerk

    SupplyPointFactory(customer=customers[0], name="1号电源")
    rows = child_rows("transformers", customers)
    do_import("transformers", rows, clerk)
    rows[1][5] = "3"  # same serial number: quantity changes
    rows[2][6] = "是"  # no serial: model + capacity identify it
    result = do_import("transformers", rows, clerk)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert Transformer.objects.get(serial_no="T-001").quantity == 3


def test_empty_cells_keep_existing_values(clerk, manager):
    do_import("customers", customer_rows(1, manager="mgr1"), clerk)
    rows = customer_rows(1, manager="mgr1")
    rows[1][3] = ""  # legal representative left empty
    result = do_import("customers", rows, clerk)
    assert result.unchanged == 1
    assert Customer.objects.get().legal_representative == "王五"


def test_all_or_nothing_one_bad_row_among_fifty(clerk, manager):
    rows = customer_rows(50, manager="mgr1")
    rows[37][7] = "-1"
    f, name = upload(rows)
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.ok and not result.committed
    assert [(e.row, e.column) for e in result.errors] == [(38, "合同容量(kVA)")]
    assert Customer.objects.count() == 0
    assert Customer.history.count() == 0 and TimelineEvent.objects.count() == 0


def test_all_or_nothing_across_batches(clerk, manager, settings, monkeypatch):
    """The bad row comes after whole batches were already written inside the transaction."""
    from powerkam.imports import services

    monkeypatch.setattr(services, "BATCH_SIZE", 10)
    rows = customer_rows(50, manager="mgr1")
    rows[45][2] = "91320100MA1XXXXXXX"
    f, name = upload(rows, fmt="csv")
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.ok
    assert Customer.objects.count() == 0 and Customer.history.count() == 0


def test_dry_run_writes_nothing(clerk, manager):
    result = do_import("customers", customer_rows(5, manager="mgr1"), clerk, dry_run=True)
    assert result.created == 5 and not result.committed
    assert len(result.preview) == 5 and result.preview[0]["action"] == "create"
    assert Customer.objects.count() == 0


def test_history_timeline_and_quality_after_import(clerk, manager):
    do_import("customers", customer_rows(3, manager="mgr1"), clerk)
    for c in Customer.objects.all():
        record = c.history.get()
        assert record.history_type == "+" and record.history_user == clerk
        assert "data.xlsx" in record.history_change_reason
        event = c.timeline.get()
        assert event.kind == "archive.imported" and event.actor == clerk and "data.xlsx" in event.title
        # evaluated once after the import: no metering point, no contract, …
        assert DataQualityFinding.objects.filter(customer=c, rule="metering_missing", status="open").exists()


def test_child_history_and_one_timeline_event_per_customer(clerk, customers):
    do_import("contacts", child_rows("contacts", customers), clerk)
    assert Contact.history.filter(history_user=clerk, history_type="+").count() == 3
    assert customers[0].timeline.filter(kind="archive.imported").count() == 1  # two contacts, one event
    assert customers[2].timeline.filter(kind="archive.imported").count() == 0  # untouched


def test_new_customer_without_manager_column_is_kept_by_the_importing_manager(org_tree, make_staff):
    """谁开发，谁维护: a manager importing (as superuser here) becomes developer and primary manager."""
    boss = make_staff(role="manager", org_unit=org_tree["s1"], username="mgr-super", is_superuser=True)
    rows = [r[:10] for r in customer_rows(2)]
    do_import("customers", rows, boss)
    c = Customer.objects.get(number="3200000001")
    assert c.developed_by == boss and c.primary_manager == boss


def test_dual_manager_rules_apply(clerk, manager, make_staff, org_tree):
    rows = customer_rows(1, manager="mgr1")
    rows[0].append("副客户经理用户名")
    rows[1].append("mgr1")
    f, name = upload(rows)
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert not result.ok and result.errors[0].column == "副客户经理用户名"
    assert "different person" in result.errors[0].message


def test_duplicate_child_keys_in_file(clerk, customers):
    rows = child_rows("contacts", customers)
    rows.append(list(rows[1]))
    f, name = upload(rows)
    result = run_import("contacts", f, name, actor=clerk, dry_run=False)
    assert not result.ok and "more than once" in result.errors[0].message
    assert Contact.objects.count() == 0


def test_unknown_supply_line_under_its_substation(clerk, customers, line):
    rows = child_rows("supply_points", customers)
    rows[1][3] = "不存在的线路"
    f, name = upload(rows)
    result = run_import("supply_points", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, "供电线路")]
    assert "has no supply line" in result.errors[0].message
    assert SupplyPoint.objects.count() == 0


def test_unknown_customer_number_for_children(clerk, customers):
    SupplyPointFactory(customer=customers[0], name="1号电源")
    rows = child_rows("metering_points", customers)
    rows[3][0] = "9999999999"
    f, name = upload(rows)
    result = run_import("metering_points", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(4, "客户编号")]
    assert MeteringPoint.objects.count() == 0


def test_bad_ratio_is_a_row_error(clerk, customers):
    rows = child_rows("metering_points", customers)
    rows[1][3] = "75:5"
    f, name = upload(rows)
    result = run_import("metering_points", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, "电流互感器变比")]


def test_closed_customer_is_not_changed(clerk, customers):
    Customer.objects.filter(pk=customers[0].pk).update(lifecycle_status="closed")
    f, name = upload(child_rows("contacts", customers))
    result = run_import("contacts", f, name, actor=clerk, dry_run=False)
    assert not result.ok and "closed" in result.errors[0].message


def test_gbk_csv_with_chinese_choice_labels(clerk, manager):
    rows = customer_rows(2, manager="mgr1")
    rows[1][4] = "一般工商业"
    rows[1][5] = "C 制造业"
    do_import("customers", rows, clerk, fmt="csv", encoding="gb18030")
    c = Customer.objects.get(number="3200000001")
    assert c.usage_category == "general_commercial" and c.industry == "C"


def test_single_row_helper_is_consistent():
    assert customer_row(1)[0] == "3200000001"
