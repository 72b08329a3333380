"""The xlsx rows come from a streaming expat parser of the sheet XML (readers._parse_sheet): it
must give what openpyxl's read-only iter_rows(values_only=True) gives, formulas included."""

import io
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from powerkam.imports.readers import FormulaCell, _fast_sheet_rows, _parse_sheet, _plain, open_xlsx


def normalise(values):
    out = [(v.text if isinstance(v, FormulaCell) else v) for v in (_plain(v) for v in values)]
    while out and out[-1] is None:
        out.pop()
    return out


def workbook_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["客户编号", "客户名称", "合同容量(kVA)", "送电日期", "是否大客户", "备注"])
    ws.append(["3100000001", "示例有限公司", 800, datetime(2024, 5, 31), True, None])
    ws.append([3100000002, "乙公司", 1250.5, date(2023, 1, 2), False, "=A2&\"x\""])
    ws.append([None, None, None, None, None, None])  # an empty row
    ws.append(["3100000004", None, "=SUM(C2:C3)", None, None, "末尾"])  # gaps and a formula
    ws["B6"] = "only B"
    ws["C6"] = ArrayFormula("C6:C6", "=SUM(C2:C3*2)")
    ws["A8"] = "='sheet'!A1"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_fast_reader_matches_openpyxl():
    data = workbook_bytes()
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    ws = wb.worksheets[0]
    expected = {n: normalise(v) for n, v in enumerate(ws.iter_rows(values_only=True), start=1)}
    expected = {n: v for n, v in expected.items() if v}
    got = {n: normalise(v) for n, v in _fast_sheet_rows(wb, ws)}
    got = {n: v for n, v in got.items() if v}
    assert got == expected
    assert got[2][3] == datetime(2024, 5, 31) and got[3][2] == 1250.5 and got[2][2] == 800
    assert got[3][5].startswith("=") and got[5][2] == "=SUM(C2:C3)" and got[6][2].startswith("=")
    wb.close()


def test_open_xlsx_streams_the_fast_rows_and_refuses_formulas_as_before():
    source = open_xlsx(io.BytesIO(workbook_bytes()))
    rows = list(source.rows)
    source.close()
    assert source.headers[0] == "客户编号"
    assert [n for n, _v in rows] == [2, 3, 5, 6, 8]  # blank rows skipped, sheet row numbers kept
    assert isinstance(rows[1][1][5], FormulaCell) and isinstance(rows[2][1][2], FormulaCell)


def test_inline_and_rich_strings_errors_and_prefixed_tags():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>编号</x:t></x:is></x:c>'
        '<x:c r="C1" t="inlineStr"><x:is><x:r><x:t>富</x:t></x:r><x:r><x:t>文本</x:t></x:r>'
        '<x:rPh><x:t>fu</x:t></x:rPh></x:is></x:c></x:row>'
        '<x:row r="3"><x:c r="A3" t="e"><x:v>#N/A</x:v></x:c><x:c r="B3" t="b"><x:v>1</x:v></x:c>'
        '<x:c r="D3"><x:v>1.5E3</x:v></x:c><x:c r="E3" t="s"><x:v>0</x:v></x:c></x:row>'
        '</x:sheetData></x:worksheet>'
    ).encode()
    rows = list(_parse_sheet(io.BytesIO(xml), ["共享"], set(), set(), None))
    assert rows == [(1, ["编号", None, "富文本"]), (3, ["#N/A", True, None, 1500.0, "共享"])]
