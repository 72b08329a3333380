"""A clerk imports a file with errors and sees the Chinese error report; then a clean file."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from powerkam.customers.models import Customer
from tests.factories import StaffFactory, make_uscc

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = ["客户编号", "客户名称", "统一社会信用代码", "法定代表人", "用电类别", "行业分类", "电压等级",
           "合同容量(kVA)", "运行容量(kVA)", "所属供电所编码"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def csv_file(tmp_path, rows, name, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, *rows])
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def row(n, **over):
    values = {"客户编号": f"3300{n:06d}", "客户名称": f"浏览器导入客户{n}有限公司", "统一社会信用代码": make_uscc(9000 + n),
              "法定代表人": "周六", "用电类别": "大工业", "行业分类": "C", "电压等级": "10kV",
              "合同容量(kVA)": "630", "运行容量(kVA)": "630", "所属供电所编码": "S1"}
    values.update(over)
    return [values[h] for h in HEADERS]


def upload(page, path):
    page.goto(f"{page.base_url}/imports/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("input[name=file]", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state()


def test_error_report_then_clean_import(page, browser_login, org_tree, tmp_path):
    clerk = StaffFactory(role="clerk", org_unit=org_tree["north"])
    browser_login(clerk)

    bad = csv_file(tmp_path, [row(1), row(2, 统一社会信用代码="91350100M000100Y44"), row(3, **{"合同容量(kVA)": "-5"})],
                   "bad.csv", encoding="gbk")
    upload(page, bad)
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    first_message = errors.nth(0).locator("td").nth(2).inner_text()
    assert CJK.search(first_message), first_message
    expect(page.locator("#import-errors")).to_contain_text("统一社会信用代码")
    with page.expect_download() as download_info:
        page.click("a[href$='errors.xlsx']")
    report = load_workbook(io.BytesIO(download_info.value.path().read_bytes()), read_only=True)
    rows = list(report.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("行号", "列", "错误信息")
    assert {r[0] for r in rows[1:]} == {3, 4}
    assert all(CJK.search(str(r[2])) for r in rows[1:])
    assert Customer.objects.count() == 0  # all or nothing

    good = csv_file(tmp_path, [row(1), row(2), row(3)], "good.csv")
    upload(page, good)
    expect(page.locator("#import-preview tbody tr")).to_have_count(3)
    page.click("#commit-form button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("[data-count=created]")).to_have_text("3")
    assert Customer.objects.count() == 3
    page.goto(f"{page.base_url}/customers/?q=浏览器导入客户")
    expect(page.locator("#customer-table tbody tr")).to_have_count(3)
