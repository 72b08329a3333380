"""Users see import errors in Chinese by default (the UI language is zh-hans)."""

import pytest
from django.utils import translation

from powerkam.imports.services import error_report_xlsx, run_import
from tests.imports.conftest import customer_row, customer_rows, upload

pytestmark = pytest.mark.django_db


def test_row_errors_and_report_are_chinese(clerk):
    rows = customer_rows(2)
    rows.append(customer_row(3, **{"统一社会信用代码": "91350100M000100Y44", "合同容量(kVA)": "-5"}))
    f, name = upload(rows, fmt="csv")
    with translation.override("zh-hans"):
        result = run_import("customers", f, name, actor=clerk, dry_run=True)
        report = error_report_xlsx(result)
    assert not result.ok
    messages = {e.column: e.message for e in result.errors}
    assert "校验码" in messages["统一社会信用代码"]
    assert "负" in messages["合同容量(kVA)"] or "不能" in messages["合同容量(kVA)"]
    assert len(report) > 0


def test_wrong_encoding_message_is_chinese(clerk):
    import io

    f = io.BytesIO("客户编号,客户名称\n".encode("utf-16"))
    with translation.override("zh-hans"):
        result = run_import("customers", f, "x.csv", actor=clerk, dry_run=True)
    assert not result.ok and "编码" in result.errors[0].message
