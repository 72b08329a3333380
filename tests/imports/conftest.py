"""Helpers to build import files in memory."""

import csv
import io

import pytest
from openpyxl import Workbook

from powerkam.imports.columns import COLUMNS
from tests.factories import make_uscc


def csv_bytes(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(rows, fmt="xlsx", encoding="utf-8"):
    """(file object, file name) for run_import."""
    if fmt == "xlsx":
        return io.BytesIO(xlsx_bytes(rows)), "data.xlsx"
    return io.BytesIO(csv_bytes(rows, encoding)), "data.csv"


CUSTOMER_HEADERS = ["客户编号", "客户名称", "统一社会信用代码", "法定代表人", "用电类别", "行业分类", "电压等级",
                    "合同容量(kVA)", "运行容量(kVA)", "所属供电所编码", "客户经理用户名"]


def customer_row(n: int, org: str = "S1", manager: str = "", **over) -> list:
    row = {
        "客户编号": f"3200{n:06d}", "客户名称": f"导入客户{n}有限公司", "统一社会信用代码": make_uscc(5000 + n),
        "法定代表人": "王五", "用电类别": "大工业", "行业分类": "C", "电压等级": "10kV",
        "合同容量(kVA)": "800", "运行容量(kVA)": "630", "所属供电所编码": org, "客户经理用户名": manager,
    }
    row.update(over)
    return [row[h] for h in CUSTOMER_HEADERS]


def customer_rows(count: int, **kw) -> list[list]:
    return [list(CUSTOMER_HEADERS)] + [customer_row(i, **kw) for i in range(1, count + 1)]


def supply_point_rows(customers) -> list[list]:
    """One main supply point (no supply line) per customer."""
    return [["客户编号", "电源名称", "电源类型", "电压等级", "容量(kVA)"]] + [
        [cu.number, "1号电源", "主供", "10kV", "800"] for cu in customers]


@pytest.fixture
def clerk(org_tree, make_staff):
    return make_staff(role="clerk", org_unit=org_tree["north"], username="clerk1")


@pytest.fixture
def manager(org_tree, make_staff):
    return make_staff(role="manager", org_unit=org_tree["s1"], username="mgr1")


@pytest.fixture
def admin_user(org_tree, make_staff):
    return make_staff(role="admin", org_unit=org_tree["company"], username="admin1")


__all__ = ["COLUMNS", "csv_bytes", "xlsx_bytes", "upload", "customer_row", "customer_rows", "supply_point_rows"]


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read the (English) source messages; test_chinese_messages.py checks the
    Chinese that users see by default."""
    from django.utils import translation

    with translation.override("en"):
        yield
