"""Download a template, fill it in as a user would, import it."""

import io

import pytest
from openpyxl import load_workbook

from powerkam.customers.models import Contact, Customer
from powerkam.imports.columns import COLUMNS
from powerkam.imports.services import run_import, template_xlsx
from tests.factories import make_uscc

pytestmark = pytest.mark.django_db

VALUES = {
    "客户编号": "3500000001", "客户名称": "模板客户有限公司", "客户类型": "企业", "统一社会信用代码": make_uscc(77),
    "法定代表人": "钱七", "用电类别": "一般工商业", "行业分类": "制造业", "电压等级": "10kV",
    "合同容量(kVA)": 630, "运行容量(kVA)": 500, "客户状态": "在供", "重要用户等级": "二级", "客户范围": "区域",
    "是否大客户": "是", "大客户等级": "中等", "基本电费计收方式": "按容量", "功率因数考核标准": "0.85",
    "是否执行分时电价": "否", "所属供电所编码": "S2", "客户经理用户名": "mgr1", "送电日期": "2024-05-31",
}


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_every_template_has_headers_and_an_explanation_sheet(kind):
    wb = load_workbook(io.BytesIO(template_xlsx(kind)))
    data, help_sheet = wb.worksheets[:2]
    headers = [c.value for c in data[1]]
    assert headers == [spec.zh for spec in COLUMNS[kind]]
    explained = [row[0] for row in help_sheet.iter_rows(min_row=2, max_row=len(headers) + 1, values_only=True)]
    assert explained == headers
    allowed = {row[0]: row[4] for row in help_sheet.iter_rows(min_row=2, values_only=True) if row and row[0]}
    if kind == "customers":
        assert "大工业" in allowed["用电类别"] and "large_industry" in allowed["用电类别"]


def test_fill_the_customer_template_and_import_it(clerk, manager):
    wb = load_workbook(io.BytesIO(template_xlsx("customers")))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    ws.append([VALUES.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    result = run_import("customers", out, "客户导入模板.xlsx", actor=clerk, dry_run=False)
    assert result.ok, result.errors
    c = Customer.objects.get(number="3500000001")
    assert (c.usage_category, c.industry, c.importance_level, c.is_key_account, c.ka_tier) == (
        "general_commercial", "C", "second", True, "medium")
    assert (c.basic_charge_method, c.pf_standard, c.tou_enabled, str(c.opened_on)) == (
        "capacity", "0.85", False, "2024-05-31")
    assert c.primary_manager == manager and c.org_unit.code == "S2"

    wb = load_workbook(io.BytesIO(template_xlsx("contacts")))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    ws.append([{"客户编号": "3500000001", "姓名": "孙八", "联系人角色": "负责人", "手机": 13912345678}.get(h)
               for h in headers])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    assert run_import("contacts", out, "contacts.xlsx", actor=clerk, dry_run=False).ok
    contact = Contact.objects.get()
    assert (contact.role, contact.mobile) == ("manager", "13912345678")
