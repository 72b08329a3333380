"""A large xlsx sheet is read in a forked process of its own (readers._in_a_process) so that its
XML parsing runs beside the import's threads: the same rows in the same order as reading it in
the importing process, the same refusals of a damaged workbook, and no process left behind.
The threshold is lowered to 1 byte here so that small workbooks take that path."""

import io
import multiprocessing

import pytest

from powerkam.customers.models import Customer
from powerkam.imports.readers import FormulaCell, open_xlsx
from powerkam.imports.services import run_import
from tests.imports.conftest import customer_rows, xlsx_bytes
from tests.imports.test_broken_xlsx import CASES, broken, replace
from tests.imports.test_xlsx_reader import workbook_bytes


def read(data: bytes, settings, process_bytes: int):
    settings.POWERKAM_IMPORT_SHEET_PROCESS_BYTES = process_bytes
    source = open_xlsx(io.BytesIO(data))
    try:
        rows = [(n, type(values), [("formula", v.text) if isinstance(v, FormulaCell) else v for v in values])
                for n, values in source.rows]
        return source.headers, source.total, rows
    finally:
        source.close()


@pytest.mark.parametrize("make", [workbook_bytes, lambda: xlsx_bytes(customer_rows(2500))])
def test_same_rows_as_in_the_importing_process(settings, make):
    data = make()
    in_process = read(data, settings, 0)
    forked = read(data, settings, 1)
    assert forked == in_process and len(forked[2]) >= 5
    assert not multiprocessing.active_children()


@pytest.mark.django_db
@pytest.mark.parametrize(("edit", "where"), CASES)
def test_a_damaged_workbook_is_refused_as_before(clerk, settings, edit, where):
    settings.POWERKAM_IMPORT_SHEET_PROCESS_BYTES = 1
    result = run_import("customers", io.BytesIO(broken(edit)), "c.xlsx", actor=clerk, dry_run=False)
    assert not result.ok and not result.committed
    text = " | ".join(e.message for e in result.errors)
    assert "The workbook is damaged" in text and "“Sheet”" in text and where in text, text
    assert Customer.objects.count() == 0 and not multiprocessing.active_children()


@pytest.mark.django_db
def test_xml_broken_after_the_header_is_refused_as_not_a_workbook(clerk, settings):
    settings.POWERKAM_IMPORT_SHEET_PROCESS_BYTES = 1
    data = broken(replace('</row><row r="4"', '</rowx><row r="4"'))  # not well-formed, in a data row
    result = run_import("customers", io.BytesIO(data), "c.xlsx", actor=clerk, dry_run=False)
    assert not result.ok and not result.committed
    assert "not a valid Excel workbook" in result.errors[0].message, result.errors[0].message
    assert Customer.objects.count() == 0 and not multiprocessing.active_children()


@pytest.mark.django_db
def test_an_import_through_the_process_writes_what_the_file_holds(clerk, settings):
    settings.POWERKAM_IMPORT_SHEET_PROCESS_BYTES = 1
    rows = customer_rows(30)
    result = run_import("customers", io.BytesIO(xlsx_bytes(rows)), "c.xlsx", actor=clerk, dry_run=False)
    assert result.ok and result.committed and result.created == 30, result.errors[:3]
    assert sorted(Customer.objects.values_list("number", flat=True)) == sorted(r[0] for r in rows[1:])


def test_too_many_rows_is_refused_while_the_process_reads(settings):
    """The rows are counted while the reading process has started: a sheet over the limit is
    refused before any row is given, and that process is stopped."""
    from powerkam.imports.readers import FileRefused

    settings.POWERKAM_IMPORT_SHEET_PROCESS_BYTES = 1
    settings.POWERKAM_IMPORT_MAX_ROWS = 20
    with pytest.raises(FileRefused, match="20"):
        open_xlsx(io.BytesIO(xlsx_bytes(customer_rows(50))))
    assert not multiprocessing.active_children()


def test_row_tags_are_counted_as_the_regular_expression_counts_them():
    """count_row_tags (the row limit, before any row is read) counts with a literal-first pattern
    when no tag has a namespace prefix: the same counts as ROW_TAG_RE, prefixes and chunk
    boundaries included."""
    import random

    from powerkam.imports.readers import ROW_TAG_RE, _row_tags, count_row_tags

    pieces = [b'<row r="1">', b"<row>", b"<row/>", b"<rowBreaks>", b'<x:row r="2">', b'<row\tr="3">', b"<row\n",
              b"<rows>", b"<row\x0b", b"<row\x0c", b"<row\r", b"<row<row ", b":row ", b"abc", b"<c>", b"<", b"row", b" "]
    rng = random.Random(11)
    for _ in range(3000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        assert _row_tags(data) == len(ROW_TAG_RE.findall(data)), data
    sheet = b"<sheetData>" + b"".join(b'<row r="%d"><c><v>1</v></c></row>' % n for n in range(1, 70001)) + b"</sheetData>"
    assert count_row_tags(io.BytesIO(sheet)) == (70000, True)  # over several 1 MB chunks
    assert count_row_tags(io.BytesIO(sheet.replace(b"<row ", b"<x:row ")))[0] == 70000
