"""Export any (already scoped) queryset to xlsx or csv. Every list uses this one function.

Columns are (header, getter) pairs; the getter takes a row object and returns a value.
xlsx is written in openpyxl's write-only mode and csv is streamed, so memory stays bounded.
Cell text starting with = + - @ is prefixed with an apostrophe so spreadsheet programs never
run it as a formula (CSV/formula injection, OWASP).
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

FORMATS = ("xlsx", "csv")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: Any  # str or lazy translation
    getter: Callable[[Any], Any]


def safe_cell(value: Any) -> Any:
    if type(value) is str:  # the usual cell first
        return "'" + value if value.startswith(_DANGEROUS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    if isinstance(value, (int, float, Decimal, date)):
        return value
    text = str(value)
    if text.startswith(_DANGEROUS):
        return "'" + text
    return text


def iter_rows(rows: Iterable[Any], columns: Sequence[Column]):
    for row in rows:
        yield [safe_cell(col.getter(row)) for col in columns]


class _Echo:
    def write(self, value):
        return value


def export_response(rows: Iterable[Any], columns: Sequence[Column], *, fmt: str, filename: str):
    """An HttpResponse with the rows as `fmt` ("xlsx" or "csv"); filename without extension."""
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    headers = [str(col.header) for col in columns]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff"  # BOM, so Excel opens UTF-8 Chinese correctly
            yield writer.writerow(headers)
            for values in iter_rows(rows, columns):
                yield writer.writerow(values)

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}-{stamp}.csv"
        return response
    return FileResponse(write_xlsx(rows, columns, headers), as_attachment=True,
                        filename=f"{filename}-{stamp}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def write_xlsx(rows: Iterable[Any], columns: Sequence[Column], headers: Sequence[str] | None = None,
               sheet_title: str = "data") -> io.IOBase:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title[:31])
    bold = Font(bold=True)
    header_cells = []
    for h in headers or [str(c.header) for c in columns]:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for values in iter_rows(rows, columns):
        ws.append(values)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    wb.save(out)
    out.seek(0)
    return out


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
