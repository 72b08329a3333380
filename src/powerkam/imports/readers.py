"""Read an uploaded spreadsheet as a stream of rows, refusing bad files before any row is parsed.

- size: over settings.POWERKAM_MAX_UPLOAD_BYTES is refused from the size alone;
- csv: UTF-8 (with or without BOM) first, strictly, then GB18030 (which covers GBK); a file
  that decodes as neither is refused as "wrong encoding";
- xlsx: openpyxl read_only (rows are streamed) with data_only=False, so formula cells stay
  visible as formulas and are rejected by the importer instead of being trusted;
- rows: more than POWERKAM_IMPORT_MAX_ROWS data rows are refused, counted in the file as it is
  streamed (never from what an xlsx's <dimension> claims: it can say 2 rows and hold 250,000),
  before the first row is validated, and again while the rows are read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from xml.parsers.expat import ExpatError

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
DEFAULT_MAX_ROWS = 200_000


class FileRefused(Exception):
    """The whole file is refused; the message says why (gettext, shown to the user)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_upload_bytes() -> int:
    return int(getattr(settings, "POWERKAM_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "POWERKAM_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def file_size(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    pos = fileobj.tell()
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(pos)
    return size


def check_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise FileRefused(_("The file is %(size)s MB; files over %(limit)s MB are refused. Split it into smaller files.")
                          % {"size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:g}"})
    if size == 0:
        raise FileRefused(_("The file is empty."))


def file_format(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    raise FileRefused(_("Unsupported file type: upload an Excel workbook (.xlsx) or a CSV file (.csv)."))


def is_blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


@dataclass
class RowSource:
    """The header row and an iterator over (spreadsheet row number, cell values) of data rows."""

    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    total: int  # data rows (exact for csv, from the sheet dimension for xlsx; 0 if unknown)
    closers: list = field(default_factory=list)

    def close(self) -> None:
        for closer in self.closers:
            try:
                closer()
            except Exception:  # noqa: BLE001 - closing a reader never fails an import
                pass


class _Unclosable(io.RawIOBase):
    """Lets a TextIOWrapper read a file it must not close (the caller owns it)."""

    def __init__(self, fileobj):
        self._f = fileobj

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._f.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:  # leave the underlying file open
        pass


def _csv_rows(fileobj, encoding: str) -> Iterator[list[str]]:
    fileobj.seek(0)
    text = io.TextIOWrapper(io.BufferedReader(_Unclosable(fileobj), 1 << 20), encoding=encoding,
                            errors="strict", newline="")
    yield from csv.reader(text)


def open_csv(fileobj) -> RowSource:
    fileobj.seek(0)
    head = fileobj.read(4096)
    if b"\x00" in head:  # UTF-16 / binary: GB18030 would "decode" it into nonsense
        raise FileRefused(_("Wrong encoding: save the CSV file as UTF-8 (or GBK) text."))
    if head.startswith(b"PK\x03\x04"):
        raise FileRefused(_("This file is an Excel workbook; give it the .xlsx extension."))
    limit = max_rows()
    for encoding in CSV_ENCODINGS:
        try:
            header, count = None, 0
            for values in _csv_rows(fileobj, encoding):  # pre-pass: decode everything, count rows
                if header is None:
                    header = values
                elif not is_blank(values):
                    count += 1
        except UnicodeDecodeError:
            continue
        except csv.Error as exc:
            raise FileRefused(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None
        break
    else:
        raise FileRefused(_("Wrong encoding: the file is neither UTF-8 nor GBK/GB18030 text. Save it as "
                            "“CSV UTF-8” and upload it again."))
    if header is None or is_blank(header):
        raise FileRefused(_("The file is empty."))
    if count > limit:
        raise FileRefused(_("The file has %(n)s rows; at most %(limit)s rows can be imported at once.")
                          % {"n": count, "limit": limit})

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, values in enumerate(_csv_rows(fileobj, encoding), start=1):
            if number > 1 and not is_blank(values):
                yield number, [FormulaCell(v) if v[:1] == "=" else v for v in values]

    return RowSource(headers=[h.strip() for h in header], rows=rows(), total=count)


CELL_TYPES = (str, int, float, Decimal, bool, datetime, date, time, type(None))


class FormulaCell:
    """Marks a cell that holds a formula (or anything but a plain value)."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text


def _plain(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("="):
        return FormulaCell(value)
    if not isinstance(value, CELL_TYPES):  # ArrayFormula, DataTableFormula …
        return FormulaCell(str(getattr(value, "text", value)))
    return value


class BrokenCell(ValueError):
    """A cell (or row) of the sheet XML that cannot be read: a shared-string index past the
    table, a malformed cell reference or row number, a number that is not one."""

    def __init__(self, row: str, cell: str):
        super().__init__(f"row {row}, cell {cell}")
        self.row, self.cell = row, cell


def broken_cell_refused(sheet_title: str, exc: BrokenCell) -> FileRefused:
    return FileRefused(_("The workbook is damaged: sheet “%(sheet)s”, row %(row)s, cell %(cell)s cannot be read. "
                         "Open it in Excel and save it again, or save it as CSV.")
                       % {"sheet": sheet_title, "row": exc.row, "cell": exc.cell})


NOT_A_WORKBOOK = gettext_noop("The file is not a valid Excel workbook (.xlsx). Save it from Excel as "
                              "“Excel Workbook (*.xlsx)” or as CSV.")


@dataclass
class _Sheet:
    """The first worksheet of a workbook and what reading its cells needs, without openpyxl's
    read-only worksheet (whose constructor parses the whole sheet when it declares no size)."""

    archive: Any
    path: str
    shared: list
    date_styles: Any
    timedelta_styles: Any
    epoch: Any
    title: str = ""

    def open(self):
        return self.archive.open(self.path)


def _first_sheet(fileobj) -> _Sheet:
    """openpyxl's own workbook reading steps (manifest, shared strings, workbook, styles) without
    loading the worksheets; the first worksheet as `load_workbook(...).worksheets[0]` chooses it."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(fileobj, read_only=True, data_only=False)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        path, title = next((rel.target, sheet.name) for sheet, rel in reader.parser.find_sheets()
                           if rel.target in reader.valid_files and "chartsheet" not in rel.Type)
    except BaseException:
        reader.archive.close()
        raise
    wb = reader.wb
    return _Sheet(reader.archive, path, reader.shared_strings, wb._date_formats, wb._timedelta_formats, wb.epoch,
                  title)


def open_xlsx(fileobj) -> RowSource:
    fileobj.seek(0)
    if not zipfile.is_zipfile(fileobj):
        raise FileRefused(_(NOT_A_WORKBOOK))
    fileobj.seek(0)
    forked = file_size(fileobj) >= sheet_process_bytes() and _can_fork()
    if forked:
        # The rows are read by a forked process while this one counts them (`_start_reader`): each
        # reads its own copy of the bytes, as a file descriptor's offset would be shared by both.
        fileobj = io.BytesIO(fileobj.read())
    try:
        sheet = _first_sheet(fileobj)
    except Exception:  # noqa: BLE001 - any parser failure means "not a workbook we can read"
        raise FileRefused(_(NOT_A_WORKBOOK)) from None
    stream = _read_sheet(sheet.open(), sheet.shared, sheet.date_styles, sheet.timedelta_styles, sheet.epoch)
    try:
        first = next(stream, None)
    except ExpatError:
        sheet.archive.close()
        raise FileRefused(_(NOT_A_WORKBOOK)) from None
    except BrokenCell as exc:
        sheet.archive.close()
        raise broken_cell_refused(sheet.title, exc) from None
    header_row = first[1] if first is not None and first[0] == 1 else None
    if header_row is None or is_blank(header_row):
        stream.close()
        sheet.archive.close()
        raise FileRefused(_("The file is empty."))
    limit = max_rows()
    child: list = []  # the reading process, when there is one
    rest = _start_reader(stream, child) if forked else stream  # it reads while this one counts
    try:
        total = _data_rows_at_most(sheet, limit)
    except BaseException:
        _stop(child)
        stream.close()
        sheet.archive.close()
        raise

    def rows() -> Iterator[tuple[int, list[Any]]]:
        count = 0
        try:
            for number, values in rest:
                if not is_blank(values):
                    count += 1
                    if count > limit:  # the sheet changed under us, or the count above was fooled
                        raise FileRefused(too_many_rows(limit))
                    yield number, values if type(values) is _PlainRow else [_plain(v) for v in values]
        except ExpatError:
            raise FileRefused(_(NOT_A_WORKBOOK)) from None
        except BrokenCell as exc:
            raise broken_cell_refused(sheet.title, exc) from None

    def close() -> None:
        _stop(child)
        stream.close()
        sheet.archive.close()

    headers = ["" if h is None else str(h).strip() for h in header_row]
    return RowSource(headers=headers, rows=rows(), total=total, closers=[close])


def sheet_process_bytes() -> int:
    """Workbooks of at least this many bytes (~6,500 rows of the template at 1 MB) have their
    rows read by a process of their own (`_start_reader`); 0 turns it off."""
    size = int(getattr(settings, "POWERKAM_IMPORT_SHEET_PROCESS_BYTES", 1_000_000))
    return size if size > 0 else 1 << 62


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _start_reader(stream: Iterator[tuple[int, list[Any]]], child: list, chunk: int = 1000
                  ) -> Iterator[tuple[int, list[Any]]]:
    """`stream`'s rows, read from now on by a forked process and received by the returned
    iterator in chunks of `chunk` rows (the process is put in `child`, for `_stop`).

    Reading a sheet's XML is the largest piece of Python work of an xlsx import (~4.5 s of CPU
    per 100,000 rows, against ~0.8 s for the same rows as csv), and the import's threads share
    one interpreter lock: in a process of its own it runs beside them — and beside this process
    counting the rows first (`_data_rows_at_most`) — while this one only unpickles rows. The
    child is a fork taken at this point: it continues the very same `stream` (its decompressor,
    shared strings and position, over its own copy of the file's bytes), touches nothing else (no
    database connection, no thread) and leaves with os._exit. The same rows, in the same order;
    a damaged cell or XML is raised by the iterator as the reader would have raised it
    (BrokenCell, ExpatError)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_send_rows, args=(stream, sender, chunk), name="import-sheet-reader",
                              daemon=True)
    process.start()
    child.append(process)
    sender.close()
    return _received(receiver, process)


def _received(receiver, process) -> Iterator[tuple[int, list[Any]]]:
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError("the sheet reader process stopped unexpectedly") from None
            kind = message[0]
            if kind == "rows":
                yield from message[1]
            elif kind == "end":
                break
            elif kind == "broken":
                raise BrokenCell(message[1], message[2])
            elif kind == "expat":
                raise ExpatError(message[1])
            else:
                raise RuntimeError(f"the sheet reader process failed: {message[1]}")
    finally:
        receiver.close()
        _stop([process])


def _stop(processes: list) -> None:
    for process in processes:
        if process.is_alive():
            process.kill()
        process.join()


def _send_rows(stream, sender, chunk: int) -> None:
    """In the reading process: every row of `stream`, then ("end",) — or what stopped it."""
    try:
        batch = []
        for item in stream:
            batch.append(item)
            if len(batch) >= chunk:
                sender.send(("rows", batch))
                batch = []
        if batch:
            sender.send(("rows", batch))
        sender.send(("end",))
    except BrokenCell as exc:
        sender.send(("broken", exc.row, exc.cell))
    except ExpatError as exc:
        sender.send(("expat", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - told to the importing process
        sender.send(("error", repr(exc)))
    finally:
        sender.close()


def too_many_rows(limit: int) -> str:
    return _("The file has more than %(limit)s rows; at most %(limit)s rows can be imported at once.") % {
        "limit": limit}


ROW_TAG_RE = re.compile(rb"<(?:\w+:)?row[\s>/]")
_PLAIN_ROW_TAG_RE = re.compile(rb"<row[\s>/]")  # ROW_TAG_RE for a sheet without namespace prefixes


def _row_tags(data: bytes) -> int:
    """len(ROW_TAG_RE.findall(data)); without a prefixed tag in `data`, by a pattern that starts
    with a literal, which the regular expression engine scans for (the optional prefix group
    made it try a match at every "<": 0.53 s against ~0.2 s for a 100,000-row sheet)."""
    if b":row" in data:
        return len(ROW_TAG_RE.findall(data))
    return len(_PLAIN_ROW_TAG_RE.findall(data))
SHEET_CHUNK = 1 << 20


def count_row_tags(source, stop_after: int | None = None, max_bytes: int | None = None) -> tuple[int, bool]:
    """(row elements, whole sheet read?) of a worksheet's XML, counted in the raw bytes as they are
    decompressed (no XML parsing: a fraction of a second for a sheet of 200,000 rows). Stops once
    more than `stop_after` rows or `max_bytes` bytes were read. Counts the header and blank rows
    too, so it is an upper bound of the data rows."""
    count, read, tail = 0, 0, b""
    with source:
        while chunk := source.read(SHEET_CHUNK):
            read += len(chunk)
            data = tail + chunk
            count += _row_tags(data)
            tail = data[-15:]
            count -= _row_tags(tail)  # counted again with the next chunk
            if (stop_after is not None and count > stop_after) or (max_bytes is not None and read > max_bytes):
                return count + _row_tags(tail), False
        count += _row_tags(tail)
    return count, True


def _data_rows_at_most(sheet: _Sheet, limit: int) -> int:
    """The data rows of the sheet, refused (FileRefused) over `limit`: the row elements are counted
    first (fast, an upper bound); only when that count is over the limit are the non-blank rows
    counted exactly, stopping at limit + 1. Returns the row count for the progress bar."""
    tags, _whole = count_row_tags(sheet.open(), stop_after=limit + 1)
    if tags - 1 <= limit:
        return max(tags - 1, 0)
    count = 0
    stream = _read_sheet(sheet.open(), sheet.shared, sheet.date_styles, sheet.timedelta_styles, sheet.epoch)
    try:
        for number, values in stream:
            if number > 1 and not is_blank(values):
                count += 1
                if count > limit:
                    raise FileRefused(too_many_rows(limit))
    except ExpatError:
        raise FileRefused(_(NOT_A_WORKBOOK)) from None
    finally:
        stream.close()
    return count


DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"(?:[A-Z]+\d+:)?[A-Z]+(\d+)\"")


def _declared_rows(ws) -> int:
    """Data rows the sheet declares in its <dimension> (read from the first 64 KB), 0 if it does not.
    Not `ws.max_row`: without a dimension openpyxl parses the whole sheet to compute it."""
    try:
        with ws._get_source() as source:
            head = source.read(1 << 16)
    except AttributeError:
        return (ws.max_row or 0) - 1 if ws.max_row else 0
    return _dimension_rows(head)


def _dimension_rows(head: bytes) -> int:
    match = DIMENSION_RE.search(head)
    return int(match.group(1)) - 1 if match else 0


def _fast_sheet_rows(wb, ws) -> Iterator[tuple[int, list[Any]]] | None:
    """The worksheet's rows as (row number, values) from its XML (`_read_sheet`: regular expressions
    for plain rows, expat for the others): the values openpyxl's
    read-only `iter_rows(values_only=True)` gives (shared and inline strings, numbers as int or
    float, booleans, dates by the cell's number format, error texts), formulas as "=…" text, at
    a fraction of openpyxl's per-cell cost. Uses openpyxl's own shared strings, date styles and
    epoch. Only present rows are yielded, numbered as in the sheet. None if this openpyxl does
    not expose what is needed (the caller then uses iter_rows)."""
    try:
        source = ws._get_source()
        shared = wb.shared_strings
        date_styles, timedelta_styles, epoch = wb._date_formats, wb._timedelta_formats, wb.epoch
    except AttributeError:
        return None
    return _read_sheet(source, shared, date_styles, timedelta_styles, epoch)


def _parse_sheet(source, shared, date_styles, timedelta_styles, epoch,
                 first_row: int = 0) -> Iterator[tuple[int, list[Any]]]:
    from xml.parsers import expat

    from openpyxl.utils.cell import column_index_from_string

    done: list[tuple[int, list[Any]]] = []
    columns: dict[str, int] = {}
    # Parser state (closures: this runs ~5 times per cell).
    row_no, values, col, kind, style = first_row, [], 0, "n", 0
    formula: str | None = None
    v: str | None = None
    text: list[str] | None = None
    in_is = in_rph = False
    cell_ref: str | None = None  # the current <c r=…> as written, for the error of a broken cell

    def start(name, attrs):
        nonlocal row_no, values, col, kind, style, formula, v, text, in_is, in_rph, cell_ref
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            ref = cell_ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                index = columns.get(letters)
                if index is None:
                    index = columns[letters] = column_index_from_string(letters)
                col = index
            else:
                col += 1
            kind = attrs.get("t", "n")
            s_attr = attrs.get("s")
            style = int(s_attr) if s_attr else 0
            formula = v = None
        elif name == "v":
            text = []
        elif name == "f":
            text = []
            formula = ""
        elif name == "row":
            ref = attrs.get("r")
            cell_ref = None
            if ref and not (ref.isascii() and ref.isdigit()):
                raise BrokenCell(ref, "-")
            row_no = int(ref) if ref else row_no + 1
            values = []
            col = 0
        elif name == "is":
            in_is = True
            v = ""
        elif name == "rPh":
            in_rph = True
        elif name == "t" and in_is and not in_rph:
            text = []

    def end(name):
        nonlocal v, formula, text, in_is, in_rph
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "v":
            v = "".join(text)
            text = None
        elif name == "c":
            value = _cell_value(kind, v, formula, style)
            index = col - 1
            width = len(values)
            if index == width:
                values.append(value)
            else:
                if index > width:
                    values.extend([None] * (index - width + 1))
                values[index] = value
        elif name == "row":
            done.append((row_no, values))
        elif name == "f":
            formula = "".join(text)
            text = None
        elif name == "t" and text is not None and in_is:
            v += "".join(text)
            text = None
        elif name == "is":
            in_is = False
        elif name == "rPh":
            in_rph = False

    def chars(data):
        if text is not None:
            text.append(data)

    def _cell_value(kind, v, formula, style):
        if formula is not None:
            return "=" + formula  # refused as a formula by the importer (data_only=False semantics)
        return _convert(kind, v, style, shared, date_styles, timedelta_styles, epoch)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    def parse(chunk: bytes, final: bool) -> None:
        try:
            parser.Parse(chunk, final)
        except BrokenCell:
            raise
        except (ValueError, IndexError, TypeError, OverflowError) as exc:  # raised in a handler above
            from openpyxl.utils.cell import get_column_letter

            where = cell_ref or (get_column_letter(col) + str(row_no) if col > 0 else "-")
            raise BrokenCell(str(row_no), where) from exc

    try:
        while chunk := source.read(1 << 16):
            parse(chunk, False)
            if done:
                yield from done
                done.clear()
        parse(b"", True)
        yield from done
    finally:
        source.close()


# The sheet XML as openpyxl and Excel write it — `<row r="2"><c r="A2" s="1" t="s"><v>0</v></c>…`
# with no formula, no entity, no carriage return, no rich text, no prefix — is read with two
# regular expressions instead of expat's five Python callbacks per cell (round 6 of
# docs/performance.md: ~3× less CPU); anything else (a formula, an entity, whitespace between
# cells, an attribute in another order …) is handed to expat, row by row, or for the whole sheet.
_FAST_ROW_NUMBER_RE = re.compile(r'(?:^|\s)r="([^"]*)"')
_FAST_CELL_RE = re.compile(
    r'<c(?: r="([A-Z]{1,3})([0-9]+)")?(?: s="([0-9]+)")?(?: t="(\w+)")? ?'
    r'(?:/>|>(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)')
_COLUMN_LETTERS = [a for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"] + [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                  for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
_SHEET_DATA_RE = re.compile(r'<sheetData\b[^>]*?(/?)>')
_ENCODING_RE = re.compile(r'^\s*<\?xml[^>]*encoding=["\']([^"\']+)["\']')
FAST_HEAD_CHARS = 1 << 22  # the sheetData element must start within this many characters
# A row holding any of these goes to expat (an entity, a carriage return, a comment, a processing
# instruction: what the regular expressions do not read as expat would).
_NOT_READ = ("&", "\r", "<!", "<?")
# A row holding any of these needs `_plain` (a text starting with "=", a date cell).
_NEEDS_PLAIN = ("<t>=", 'preserve">=', "<v>=", 't="d"')


def _has_any(text: str, needles: tuple[str, ...]) -> bool:
    return any(needle in text for needle in needles)


class _PlainRow(list):
    """A row the regular expressions read whose values need no `_plain`: no text starting with
    "=", nothing but str, int, float, bool, datetime and None (the row's XML was checked)."""


class _Replay(io.RawIOBase):
    """Bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, source):
        self._head, self._source = head, source

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        return self._source.read(size)

    def close(self) -> None:
        self._source.close()


def _convert(kind, v, style, shared, date_styles, timedelta_styles, epoch):
    """A cell's value from its type, text and style (no formula), as openpyxl gives it."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    if kind == "inlineStr":
        return v if v else None
    if not v:
        return None
    if kind == "s":
        index = int(v)
        if index < 0:  # shared[-1] would quietly read the last string
            raise IndexError(index)
        return shared[index]
    if kind == "n":
        number = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
        if style in date_styles:
            try:
                return from_excel(number, epoch, timedelta=style in timedelta_styles)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if kind == "b":
        return bool(int(v))
    if kind == "d":
        return from_ISO8601(v)
    return v  # "str" (a formula's cached text), "e" (an error such as #N/A)


def _read_sheet(source, shared, date_styles, timedelta_styles, epoch) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's rows as `_parse_sheet` gives them (the same values, errors and refusals), the
    plain rows by regular expressions, anything else by expat (`_parse_sheet` over that part)."""
    import codecs

    from openpyxl.utils.cell import column_index_from_string, get_column_letter

    raw: list[bytes] = []
    decoder = codecs.getincrementaldecoder("utf-8")()
    text, start, eof = "", None, False
    try:
        while start is None and not eof and len(text) < FAST_HEAD_CHARS:
            chunk = source.read(1 << 16)
            eof = not chunk
            raw.append(chunk)
            text += decoder.decode(chunk, eof)
            start = _SHEET_DATA_RE.search(text)
        declared = _ENCODING_RE.match(text)
        plain = start is not None and (declared is None or declared.group(1).lower().replace("_", "-") in ("utf-8", "utf8"))
    except UnicodeDecodeError:
        plain = False
    if not plain:  # another encoding, prefixed tags, no sheetData…: expat for the whole sheet
        yield from _parse_sheet(_Replay(b"".join(raw), source), shared, date_styles, timedelta_styles, epoch)
        return
    del raw
    head, text = text[:start.end()], text[start.end():]
    if start.group(1):  # <sheetData/>
        head = head[:-2] + ">"
        text = "</sheetData>" + text
    columns: dict[str, int] = {}
    row_no = 0
    cells_of = _FAST_CELL_RE.findall
    number_of = _FAST_ROW_NUMBER_RE.search
    convert = _convert
    sequence = _COLUMN_LETTERS
    # Rows may skip `_plain` unless a shared string starts with "=" or a style gives durations.
    plain_rows = not timedelta_styles and not any(isinstance(t, str) and t[:1] == "=" for t in shared)

    def by_expat(part: str) -> Iterator[tuple[int, list[Any]]]:
        nonlocal row_no
        for number, values in _parse_sheet(io.BytesIO(f"<sheetData>{part}</sheetData>".encode()), shared,
                                           date_styles, timedelta_styles, epoch, first_row=row_no):
            row_no = number
            yield number, values

    def general(content: str, at: int) -> list[Any]:
        """The cells of a row whose references are not A, B, C … in order (gaps, no references)."""
        values: list[Any] = []
        col = 0
        for letters, _digits, style, kind, v, inline in cells_of(content):
            if letters:
                index = columns.get(letters)
                if index is None:
                    index = columns[letters] = column_index_from_string(letters)
                col = index
            else:
                col += 1
            if kind == "inlineStr":
                value = inline or v or None
            else:
                value = convert(kind or "n", v, int(style) if style else 0, shared, date_styles, timedelta_styles,
                                epoch)
            width = len(values)
            if col - 1 == width:
                values.append(value)
            else:
                if col - 1 > width:
                    values.extend([None] * (col - width))
                values[col - 1] = value
        return values

    def rows_of(region: str) -> Iterator[tuple[int, list[Any]]]:
        nonlocal row_no
        # What the rows are checked for, looked for once in the whole region (about 1 MB) and then
        # row by row only if the region has it.
        odd = _has_any(region, _NOT_READ)
        kept = plain_rows and not _has_any(region, _NEEDS_PLAIN)
        pieces = region.split("</row>")
        for piece in pieces[:-1]:
            start = piece.find("<row")
            close = piece.find(">", start)
            if (start < 0 or close < 0 or piece[close - 1] == "/" or piece[start + 4] not in " >"
                    or piece.count("<row") != 1 or (start and not piece[:start].isspace())):
                yield from by_expat(piece + "</row>")
                continue
            content = piece[close + 1:]
            cells = cells_of(content)
            if len(cells) != content.count("<c") or (odd and _has_any(content, _NOT_READ)):
                # a cell it does not read (a formula …): the row goes to expat
                yield from by_expat(piece + "</row>")
                continue
            found = number_of(piece[start + 4:close])
            ref = found.group(1) if found else None
            if ref and not (ref.isascii() and ref.isdigit()):
                raise BrokenCell(ref, "-")
            at = int(ref) if ref else row_no + 1
            try:
                if [c[0] for c in cells] == sequence[:len(cells)]:
                    values = [(inline or v or None) if kind == "inlineStr" else
                              shared[int(v)] if kind == "s" and v.isdigit() else
                              convert(kind or "n", v, int(style) if style else 0, shared, date_styles,
                                      timedelta_styles, epoch)
                              for _letters, _digits, style, kind, v, inline in cells]
                else:
                    values = general(content, at)
            except (ValueError, IndexError, TypeError, OverflowError) as exc:
                # which cell: read again one by one (this row only, and only when it is broken)
                for index, (letters, digits, style, kind, v, _inline) in enumerate(cells, start=1):
                    try:
                        if kind != "inlineStr":
                            convert(kind or "n", v, int(style) if style else 0, shared, date_styles,
                                    timedelta_styles, epoch)
                        if letters:
                            column_index_from_string(letters)
                    except (ValueError, IndexError, TypeError, OverflowError):
                        where = letters + digits if letters else get_column_letter(index) + str(at)
                        raise BrokenCell(str(at), where) from exc
                raise BrokenCell(str(at), "-") from exc
            row_no = at
            if kept or (plain_rows and not _has_any(content, _NEEDS_PLAIN)):
                values = _PlainRow(values)
            yield row_no, values
        tail = pieces[-1]
        if tail and not tail.isspace():
            yield from by_expat(tail)

    try:
        while True:
            close = text.find("</sheetData>")
            if close >= 0:
                yield from rows_of(text[:close])
                text = text[close:]
                break
            cut = text.rfind("</row>")
            if cut >= 0:
                yield from rows_of(text[:cut + 6])
                text = text[cut + 6:]
            chunk = source.read(1 << 20)
            if not chunk:
                text += decoder.decode(b"", True)
                break
            text += decoder.decode(chunk)
        if not text.startswith("</sheetData>"):  # the sheet ends inside its rows
            yield from by_expat(text)  # the rows in it, then the error below
        rest = text.encode() + source.read()
        # What is not rows is checked as expat would: a well-formed document around them.
        from xml.parsers import expat

        expat.ParserCreate().Parse(head.encode() + (rest if rest.startswith(b"</sheetData>") else b""), True)
    except UnicodeDecodeError:
        raise ExpatError("not well-formed (invalid token)") from None
    finally:
        source.close()


def open_source(fileobj, filename: str) -> RowSource:
    """Check size, type and encoding; return the rows. Raises FileRefused."""
    check_size(file_size(fileobj))
    fmt = file_format(filename)
    return open_xlsx(fileobj) if fmt == "xlsx" else open_csv(fileobj)


ESTIMATE_MAX_BYTES = 8 << 20  # of sheet XML read by the estimate: beyond, the file is "large"


def estimate_rows(fileobj, filename: str, stop_after: int | None = None) -> int:
    """A cheap row count to choose between inline and background import: bounded work, whatever
    the file. A csv's lines are counted in its bytes; an xlsx's row elements are counted as its
    sheet is decompressed, stopping after `stop_after` rows or ESTIMATE_MAX_BYTES of XML (the
    file is then large: more than `stop_after`), and never less than its <dimension> claims."""
    try:
        fmt = file_format(filename)
    except FileRefused:
        return 0
    fileobj.seek(0)
    if fmt == "csv":
        count = 0
        while chunk := fileobj.read(1 << 20):
            count += chunk.count(b"\n")
        fileobj.seek(0)
        return max(count - 1, 0)
    try:
        sheet = _first_sheet(fileobj)
        try:
            with sheet.open() as head:
                declared = _dimension_rows(head.read(1 << 16))  # not max_row: that parses a sheet without <dimension>
            if stop_after is None:  # a full count
                tags, whole = count_row_tags(sheet.open())
            else:
                tags, whole = count_row_tags(sheet.open(), stop_after=stop_after + 1, max_bytes=ESTIMATE_MAX_BYTES)
            counted = tags - 1 if whole else max(tags - 1, stop_after + 1)
            rows = max(declared, counted)
        finally:
            sheet.archive.close()
    except Exception:  # noqa: BLE001 - the import itself reports a broken file
        rows = 0
    fileobj.seek(0)
    return max(rows, 0) or file_size(fileobj) // 100
