"""The "bills" import kind: all or nothing, dry run, duplicate numbers, idempotent upsert, lines."""

import io
from datetime import date
from decimal import Decimal as D

import pytest

from powerkam.billing.models import Bill, BillLine
from powerkam.customers.models import TimelineEvent
from powerkam.imports.services import run_import
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = "账单编号,客户编号,电费年月,发行日期,有功电量,无功电量,峰电费,平电费,谷电费,基本电费,力调电费,可再生能源电价附加,应收电费合计"


def csv_file(*rows: str) -> io.BytesIO:
    return io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode("utf-8"))


@pytest.fixture
def world(org_tree, make_staff):
    clerk = make_staff("clerk", org_tree["north"])
    a = CustomerFactory(number="3100000001", org_unit=org_tree["s1"])
    b = CustomerFactory(number="3100000002", org_unit=org_tree["s2"])
    outside = CustomerFactory(number="3100000009", org_unit=org_tree["s3"])
    return {"clerk": clerk, "a": a, "b": b, "outside": outside}


ROW_A = "B1,3100000001,2026-10,2026-11-05,1000,300,190.00,310.00,80.00,500.00,-8.70,19.00,1090.30"
ROW_B = "B2,3100000002,2026-10,2026-11-05,200,0,,,,,,3.80,3.80"


def test_commit_creates_itemised_bills_and_timeline(world):
    result = run_import("bills", csv_file(ROW_A, ROW_B), "bills.csv", actor=world["clerk"], dry_run=False)
    assert result.ok, result.errors
    assert result.created == 2
    bill = Bill.objects.get(number="B1")
    assert (bill.energy_charge, bill.basic_charge, bill.pf_adjustment, bill.surcharges, bill.total) == (
        D("580.00"), D("500.00"), D("-8.70"), D("19.00"), D("1090.30"))
    assert bill.period == date(2026, 10, 1)
    assert bill.due_on == date(2026, 11, 20)  # issue + 15 days
    assert bill.source == Bill.Source.IMPORT
    assert [ln.item for ln in BillLine.objects.filter(bill=bill).order_by("sort")] == [
        "energy_peak", "energy_flat", "energy_valley", "basic", "pf_adjustment", "fund_renewable"]
    assert TimelineEvent.objects.filter(customer=world["a"], kind="bill.issued").count() == 1
    assert bill.history.count() == 1


def test_dry_run_writes_nothing(world):
    result = run_import("bills", csv_file(ROW_A), "bills.csv", actor=world["clerk"], dry_run=True)
    assert result.ok and result.created == 1
    assert Bill.objects.count() == 0


def test_duplicate_numbers_refuse_the_whole_file(world):
    dup = ROW_B.replace("B2,", "B1,")
    result = run_import("bills", csv_file(ROW_A, dup), "bills.csv", actor=world["clerk"], dry_run=False)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "账单编号")]
    assert "appears twice" in result.errors[0].message
    assert Bill.objects.count() == 0 and BillLine.objects.count() == 0


def test_bad_cells_reported_and_nothing_written(world):
    bad_total = ROW_A.replace(",1090.30", ",1090.31")
    outside = ROW_B.replace("3100000002", "3100000009")
    negative = "B3,3100000002,2026-10,2026-11-05,-5,0,,,,,,,0.00"
    result = run_import("bills", csv_file(bad_total, outside, negative), "bills.csv", actor=world["clerk"],
                        dry_run=False)
    cols = {(e.row, e.column) for e in result.errors}
    assert cols == {(2, "应收电费合计"), (3, "客户编号"), (4, "有功电量")}
    assert Bill.objects.count() == 0


def test_reimport_is_idempotent_and_updates_by_number(world):
    run_import("bills", csv_file(ROW_A, ROW_B), "bills.csv", actor=world["clerk"], dry_run=False)
    again = run_import("bills", csv_file(ROW_A, ROW_B), "bills.csv", actor=world["clerk"], dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Bill.objects.count() == 2 and BillLine.objects.count() == 7
    changed = ROW_B.replace(",3.80,3.80", ",3.90,3.90")
    r = run_import("bills", csv_file(changed), "bills.csv", actor=world["clerk"], dry_run=False)
    assert (r.created, r.updated) == (0, 1)
    assert Bill.objects.get(number="B2").total == D("3.90")
    assert BillLine.objects.get(bill__number="B2").amount == D("3.90")
    assert TimelineEvent.objects.filter(kind="bill.issued").count() == 2  # updates announce nothing new


def test_template_and_chinese_error_report(world):
    import openpyxl

    from powerkam.imports.services import error_report_xlsx, template_xlsx

    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx("bills")))
    headers = [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))]
    assert [str(h).rstrip("*") for h in headers[:3]] == ["账单编号", "客户编号", "电费年月"]
    dup = ROW_B.replace("B2,", "B1,")
    result = run_import("bills", csv_file(ROW_A, dup), "bills.csv", actor=world["clerk"], dry_run=True)
    report = openpyxl.load_workbook(io.BytesIO(error_report_xlsx(result))).worksheets[0]
    rows = list(report.iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "错误信息")
    assert rows[1][:2] == (3, "账单编号")
