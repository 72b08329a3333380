"""The plain rows of a sheet are read by regular expressions (readers._read_sheet), anything
else by expat (readers._parse_sheet): whatever the XML, both give the same rows, the same
"damaged workbook" cells and the same refusal of a document that is not well-formed."""

import io
from xml.parsers.expat import ExpatError

import pytest
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

from powerkam.imports.readers import BrokenCell, _parse_sheet, _read_sheet

SHARED = ["共享", "第二", "三"]
DATE_STYLES = {1}
HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:D9"/>'
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData>')
TAIL = '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'


def outcome(reader, xml: str | bytes, chunk: int | None = None):
    data = xml if isinstance(xml, bytes) else xml.encode()

    class Source(io.BytesIO):
        def read(self, size=-1):  # small reads: rows cut anywhere between two chunks
            return super().read(chunk if chunk and size and size > 0 else size)

    try:
        return list(reader(Source(data), SHARED, DATE_STYLES, set(), CALENDAR_WINDOWS_1900))
    except BrokenCell as exc:
        return ("broken", exc.row, exc.cell)
    except ExpatError:
        return "not well-formed"


ROWS = {
    "plain": '<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>45000</v></c>'
             '<c r="C1"><v>1.5E3</v></c><c r="D1" t="b"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>内联</t></is></c><c r="B2" t="inlineStr" />'
             '<c r="C2" t="e"><v>#N/A</v></c><c r="D2" t="str"><v>文本</v></c></row>',
    "gaps": '<row r="3"><c r="B3" t="s"><v>1</v></c><c r="D3"><v>7</v></c></row><row r="9"><c r="C9"><v>-2</v></c></row>',
    "no references": '<row><c t="s"><v>2</v></c><c><v>3</v></c></row><row><c r="B2"><v>4</v></c><c><v>5</v></c></row>',
    "formula": '<row r="1"><c r="A1"><f>SUM(B1:B2)</f><v>3</v></c><c r="B1" t="s"><v>0</v></c></row>',
    "array formula": '<row r="2"><c r="A2"><f t="array" ref="A2:A2">B2*2</f><v>4</v></c></row>',
    "entities": '<row r="1"><c r="A1" t="inlineStr"><is><t>A&amp;B &lt;有限&gt; &#x4E2D;</t></is></c></row>',
    "carriage return": '<row r="1"><c r="A1" t="inlineStr"><is><t>一\r\n二</t></is></c></row>',
    "rich text": '<row r="1"><c r="A1" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r>'
                 '<rPh><t>fu</t></rPh></is></c></row>',
    "preserved space": '<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve"> 空格 </t></is></c></row>',
    "attributes in another order": '<row r="1"><c t="s" r="A1" s="0"><v>1</v></c><c s="1" r="B1"><v>2</v></c></row>',
    "pretty printed": '\n  <row r="1">\n    <c r="A1" t="s">\n      <v>0</v>\n    </c>\n  </row>\n  <row r="2"/>\n',
    "empty rows": '<row r="1"/><row r="2" ht="20" customHeight="1"></row><row r="3"><c r="A3"><v>1</v></c></row>',
    "comment": '<row r="1"><!-- <c r="B1"><v>9</v></c> --><c r="A1"><v>1</v></c></row>',
    "cdata": '<row r="1"><c r="A1" t="str"><v><![CDATA[x<y]]></v></c></row>',
    "empty values": '<row r="1"><c r="A1" t="s"><v></v></c><c r="B1"></c><c r="C1"/></row>',
    "date out of range": '<row r="1"><c r="A1" s="1"><v>99999999</v></c><c r="B1" s="1"><v>1.5</v></c></row>',
    "wide": '<row r="1"><c r="AA1"><v>1</v></c><c r="AB1"><v>2</v></c></row>',
    "shared index past the table": '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c>'
                                   '<c r="B2" t="s"><v>99</v></c></row>',
    "negative shared index": '<row r="4"><c r="A4" t="s"><v>-1</v></c></row>',
    "malformed reference": '<row r="2"><c r="C!2"><v>1</v></c></row>',
    "malformed row number": '<row r="four"><c r="A4"><v>1</v></c></row>',
    "not a number": '<row r="5"><c r="A5"><v>1</v></c><c r="B5"><v>abc</v></c></row>',
    "mismatched tags": '<row r="1"><c r="A1"><v>1</v></row>',
}


@pytest.mark.parametrize("name", sorted(ROWS))
@pytest.mark.parametrize("chunk", [None, 7])
def test_same_as_expat(name, chunk):
    xml = HEAD + ROWS[name] + TAIL
    assert outcome(_read_sheet, xml, chunk) == outcome(_parse_sheet, xml)


@pytest.mark.parametrize("xml", [
    HEAD + ROWS["plain"],  # cut after a row
    HEAD + ROWS["plain"][:-30],  # cut inside a row
    HEAD + ROWS["plain"] + "</sheetData><pageMargins left=",  # cut after the rows
    HEAD + ROWS["plain"] + "</sheetData></worksheet><extra/>",  # two root elements
    HEAD.replace("<sheetData>", "<sheetData/>") + "</worksheet>",  # no rows at all
    HEAD.replace("<sheetData>", "<sheetData/>") + "<oops></worksheet>",
    HEAD.replace("<worksheet ", "<x:worksheet xmlns:x='u' ").replace("<sheetData>", "<x:sheetData>")
    + ROWS["plain"].replace("<", "<x:").replace("<x:/", "</x:") + "</x:sheetData></x:worksheet>",
    '<?xml version="1.0" encoding="UTF-16"?><worksheet/>',
    HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>\udcff</t></is></c></row>' + TAIL,
])
def test_whole_documents_as_expat(xml):
    data = xml.encode("utf-8", "surrogateescape")  # (the last one: a byte that is not UTF-8)
    assert outcome(_read_sheet, data) == outcome(_parse_sheet, data)


def test_plain_rows_are_read_without_expat():
    xml = HEAD + ROWS["plain"] + ROWS["gaps"].replace('r="3"', 'r="5"').replace("B3", "B5").replace("D3", "D5") + TAIL
    rows = outcome(_read_sheet, xml)
    assert rows == outcome(_parse_sheet, xml)
    assert [n for n, _v in rows] == [1, 2, 5, 9]
    assert rows[0][1][0] == "共享" and rows[0][1][1].year == 2023 and rows[0][1][2] == 1500.0 and rows[0][1][3] is True
    assert rows[1][1] == ["内联", None, "#N/A", "文本"]


@pytest.mark.parametrize("cell", ['<c r="B2" t="inlineStr"><is><t>=1+1</t></is></c>',
                                  '<c r="B2" t="inlineStr"><is><t xml:space="preserve">=1+1</t></is></c>',
                                  '<c r="B2" t="str"><v>=1+1</v></c>'])
def test_a_text_starting_with_equals_is_still_a_formula(cell):
    import re

    from powerkam.imports.readers import FormulaCell, open_xlsx
    from tests.imports.conftest import customer_rows
    from tests.imports.test_broken_xlsx import broken

    data = broken(lambda xml: re.sub(r'<c r="B2"[^>]*>.*?</c>', cell, xml, count=1))
    source = open_xlsx(io.BytesIO(data))
    rows = list(source.rows)
    source.close()
    assert isinstance(rows[0][1][1], FormulaCell) and rows[0][1][1].text == "=1+1"
    assert rows[1][1][:2] == customer_rows(3)[2][:2]
