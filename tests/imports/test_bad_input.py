"""Bad files and bad rows: a clear message, and not one row written (issue #2 item 6)."""

import io
import time
import zipfile

import pytest
from openpyxl import Workbook

from powerkam.customers.models import Customer
from powerkam.imports import readers
from powerkam.imports.services import run_import
from tests.imports.conftest import (
    CUSTOMER_HEADERS,
    csv_bytes,
    customer_row,
    customer_rows,
    upload,
)

pytestmark = pytest.mark.django_db


def commit(rows_or_file, clerk, fmt="xlsx", name=None):
    if isinstance(rows_or_file, (bytes, bytearray)):
        f, filename = io.BytesIO(rows_or_file), name
    else:
        f, filename = upload(rows_or_file, fmt=fmt)
    return run_import("customers", f, name or filename, actor=clerk, dry_run=False)


def messages(result) -> str:
    return " | ".join(f"{e.row}/{e.column}/{e.message}" for e in result.errors)


def assert_refused(result, *needles):
    assert not result.ok and not result.committed
    text = messages(result)
    for needle in needles:
        assert needle in text, text
    assert Customer.objects.count() == 0


def test_wrong_encoding_is_refused(clerk):
    data = "\n".join([",".join(CUSTOMER_HEADERS), ",".join(customer_row(1))]).encode("utf-16")
    assert_refused(commit(data, clerk, name="c.csv"), "Wrong encoding")


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused(clerk):
    data = csv_bytes(customer_rows(2)) + b"\xff\xfe\x80\x80\xff\n"
    assert_refused(commit(data, clerk, name="c.csv"), "Wrong encoding")


def test_missing_required_columns_are_named(clerk):
    rows = [[h for h in CUSTOMER_HEADERS if h not in ("客户名称", "所属供电所编码")]]
    rows.append(["3200000001"] + ["x"] * (len(rows[0]) - 1))
    assert_refused(commit(rows, clerk), "Missing required columns", "客户名称", "所属供电所编码")


def test_unknown_columns_are_named(clerk):
    rows = customer_rows(2)
    rows[0] = rows[0] + ["颜色", "Favourite food"]
    for row in rows[1:]:
        row += ["红", "rice"]
    result = commit(rows, clerk)
    assert_refused(result, "Unknown columns", "颜色", "Favourite food")


def test_duplicate_customer_numbers(clerk):
    rows = customer_rows(3)
    rows.append(customer_row(2))
    result = commit(rows, clerk)
    assert_refused(result, "3200000002 appears more than once", "row 3")
    assert [(e.row, e.column) for e in result.errors] == [(5, "客户编号")]


def test_invalid_credit_code(clerk):
    rows = customer_rows(3)
    rows[2][2] = rows[2][2][:-1] + ("0" if rows[2][2][-1] != "0" else "1")
    result = commit(rows, clerk)
    assert_refused(result, "check character")
    assert [(e.row, e.column) for e in result.errors] == [(3, "统一社会信用代码")]


@pytest.mark.parametrize("value, needle", [("-5", "negative"), ("八百", "not a number"), ("12.345", "2 decimal"),
                                           ("NaN", "not a number")])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_bad_capacities(clerk, value, needle, fmt):
    rows = customer_rows(3)
    rows[1][7] = value
    result = commit(rows, clerk, fmt=fmt)
    assert_refused(result, needle)
    assert (result.errors[0].row, result.errors[0].column) == (2, "合同容量(kVA)")


def test_negative_number_cell_in_xlsx(clerk):
    rows = customer_rows(2)
    rows[2][8] = -630
    assert_refused(commit(rows, clerk), "negative")


def test_file_over_the_size_limit_is_refused_before_parsing(clerk, monkeypatch, tmp_path):
    big = tmp_path / "big.xlsx"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # a 50 MB file

    def must_not_parse(*args, **kwargs):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(readers, "open_xlsx", must_not_parse)
    monkeypatch.setattr(readers, "open_csv", must_not_parse)
    started = time.perf_counter()
    with big.open("rb") as f:
        result = run_import("customers", f, "big.xlsx", actor=clerk, dry_run=False)
    assert time.perf_counter() - started < 1
    assert_refused(result, "50.0 MB", "20 MB")


def test_size_limit_comes_from_settings(clerk, settings):
    settings.POWERKAM_MAX_UPLOAD_BYTES = 100
    assert_refused(commit(customer_rows(5), clerk), "refused")


def test_formula_in_csv_cell(clerk):
    rows = customer_rows(3)
    rows[3][1] = '=HYPERLINK("http://evil","x")'
    result = commit(rows, clerk, fmt="csv")
    assert_refused(result, "Formulas are not accepted")
    assert (result.errors[0].row, result.errors[0].column) == (4, "客户名称")


def test_formula_cell_in_xlsx(clerk):
    rows = customer_rows(3)
    rows[2][7] = "=SUM(1,2)"  # openpyxl stores this as a real formula cell
    result = commit(rows, clerk)
    assert_refused(result, "Formulas are not accepted")
    assert (result.errors[0].row, result.errors[0].column) == (3, "合同容量(kVA)")


@pytest.mark.parametrize("name", ["c.csv", "c.xlsx"])
def test_empty_file(clerk, name):
    assert_refused(commit(b"", clerk, name=name), "empty")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_header_without_rows(clerk, fmt):
    assert_refused(commit([CUSTOMER_HEADERS], clerk, fmt=fmt), "no data rows")


def test_blank_csv_is_empty(clerk):
    assert_refused(commit(b"\r\n\r\n", clerk, name="c.csv"), "empty")


def test_not_an_xlsx_named_xlsx(clerk):
    assert_refused(commit(csv_bytes(customer_rows(2)), clerk, name="c.xlsx"), "not a valid Excel workbook")


def test_zip_that_is_not_a_workbook(clerk):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    assert_refused(commit(out.getvalue(), clerk, name="c.xlsx"), "not a valid Excel workbook")


def test_unsupported_extension(clerk):
    assert_refused(commit(b"whatever", clerk, name="c.xls"), "Unsupported file type")


def test_more_than_200000_rows_csv(clerk):
    lines = [",".join(CUSTOMER_HEADERS)] + [f"{i}" for i in range(200_001)]
    started = time.perf_counter()
    result = commit("\n".join(lines).encode(), clerk, name="c.csv")
    assert time.perf_counter() - started < 10
    assert_refused(result, "200001 rows", "200000")


def test_too_many_rows_xlsx(clerk, settings):
    settings.POWERKAM_IMPORT_MAX_ROWS = 5
    assert_refused(commit(customer_rows(6), clerk), "at most 5 rows")


def test_too_many_rows_xlsx_without_dimension(clerk, settings):
    """A workbook whose sheet does not declare its size is still stopped while streaming."""
    settings.POWERKAM_IMPORT_MAX_ROWS = 5
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in customer_rows(1500):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    assert_refused(commit(out.getvalue(), clerk, name="c.xlsx"), "5 rows")


def test_every_bad_row_is_reported_with_row_and_column(clerk):
    rows = customer_rows(5)
    rows[1][6] = "11kV"          # row 2: voltage level not allowed
    rows[2][9] = "NOPE"          # row 3: unknown org unit
    rows[3][10] = "nobody"       # row 4: unknown manager
    rows[4][1] = ""              # row 5: name required
    result = commit(rows, clerk)
    got = {(e.row, e.column): e.message for e in result.errors}
    assert set(got) == {(2, "电压等级"), (3, "所属供电所编码"), (4, "客户经理用户名"), (5, "客户名称")}
    assert "not an allowed value" in got[(2, "电压等级")]
    assert Customer.objects.count() == 0


def test_manager_must_hold_a_portfolio_role(clerk, make_staff, org_tree):
    make_staff(role="supervisor", org_unit=org_tree["north"], username="boss")
    rows = customer_rows(1, manager="boss")
    assert_refused(commit(rows, clerk), "is not a key account manager or specialist")


def test_id_number_and_ratio_are_validated(clerk):
    rows = customer_rows(1)
    rows[0].append("身份证号码")
    rows[1].append("110101199003070000")
    assert_refused(commit(rows, clerk), "check digit")
