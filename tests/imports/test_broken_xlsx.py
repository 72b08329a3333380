"""A workbook whose internals are broken — a shared-string index past the table, a malformed
cell reference or row number, a number cell that is not a number — is refused with a message
naming the sheet, row and cell (in Chinese in the UI), never a raw Python error such as
"list index out of range". Nothing is imported."""

import io
import re
import zipfile

import pytest
from django.utils import translation

from powerkam.customers.models import Customer
from powerkam.imports.services import run_import
from tests.imports.conftest import customer_rows, xlsx_bytes

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"


def broken(edit) -> bytes:
    """A valid customer workbook (header + 3 rows) with its first sheet's XML edited."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(customer_rows(3))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == SHEET:
                data = edit(data.decode()).encode()
            target.writestr(item, data)
    return out.getvalue()


def string_cell(ref: str, index: int):
    def edit(xml: str) -> str:
        return re.sub(rf'<c r="{ref}"[^>]*>.*?</c>', f'<c r="{ref}" t="s"><v>{index}</v></c>', xml, count=1)
    return edit


def replace(old: str, new: str):
    def edit(xml: str) -> str:
        assert old in xml
        return xml.replace(old, new, 1)
    return edit


CASES = [
    (string_cell("B3", 99999), "row 3, cell B3"),   # shared-string index past the table
    (string_cell("A1", 99999), "row 1, cell A1"),   # … in the header row
    (string_cell("B2", -1), "row 2, cell B2"),      # a negative index (Python would read the last string)
    (replace('<c r="C2"', '<c r="C!2"'), "row 2, cell C!2"),  # malformed cell reference
    (replace('<row r="4"', '<row r="four"'), "row four"),  # malformed row number
]


@pytest.mark.parametrize(("edit", "where"), CASES)
def test_refused_naming_the_sheet_row_and_cell(clerk, edit, where):
    result = run_import("customers", io.BytesIO(broken(edit)), "c.xlsx", actor=clerk, dry_run=False)
    assert not result.ok and not result.committed
    text = " | ".join(e.message for e in result.errors)
    assert "The workbook is damaged" in text and "“Sheet”" in text and where in text, text
    assert "out of range" not in text and "invalid literal" not in text
    assert Customer.objects.count() == 0


def test_message_in_chinese(clerk):
    with translation.override("zh-hans"):
        result = run_import("customers", io.BytesIO(broken(CASES[0][0])), "c.xlsx", actor=clerk, dry_run=True)
    assert result.errors[0].message.startswith("工作簿已损坏：工作表“Sheet”第 3 行、单元格 B3 无法读取。")
