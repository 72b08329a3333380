"""Reading and validating metering exports (用电信息采集系统), then writing them (issue #14 item 1).

Layouts (headers in Chinese or English, see the *_HEADERS tuples):
- wide: one row per meter and day — meter (资产号) or customer number (户号), date (日期), optional
  kind (类型: 有功/无功), then 96 columns 00:15 … 24:00;
- long: one row per value — meter or customer, timestamp (时间, the END of the 15-minute interval;
  00:00 is the previous day's 24:00), value (有功), optional reactive (无功);
- daily: one row per meter and day — meter or customer, date, active/reactive register at the end of
  the day (示数) and/or the day's kWh/kvarh.

Values are raw meter values multiplied by the metering point's CT × PT multiplier, unless the batch
says they already are (applied exactly once, where the row is read). Every problem is collected with
its row and column; any error rejects the whole file and nothing is written (the caller runs this in
one transaction and rolls it back). Gaps (blank cells, missing intervals) are not errors: they go in
the file's data-quality report, and the day's aggregate is marked incomplete.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.billing.constants import TOU_PERIODS
from powerkam.imports.readers import FileRefused, file_format, is_blank, open_xlsx

from . import aggregates as agg
from . import constants as c
from . import partitions, storage

MAX_ERRORS = 200
MAX_EXAMPLES = 50
FLUSH_KEYS = 4000  # meter-days per write (≈ 384,000 values)
CHUNK_LINES = 4000  # CSV lines read (and, when clean, parsed and checked) at once

METER_HEADERS = ("meter_no", "meter", "电能表资产号", "电表资产号", "表计资产号", "资产编号", "资产号", "表号")
CUSTOMER_HEADERS = ("customer_number", "customer", "户号", "用户编号", "客户编号")
DATE_HEADERS = ("date", "day", "日期", "数据日期")
KIND_HEADERS = ("kind", "类型", "数据类型")
TIMESTAMP_HEADERS = ("timestamp", "time", "时间", "数据时间", "采集时间")
VALUE_HEADERS = ("kw", "value", "kwh", "有功", "有功功率", "数值", "值")
REACTIVE_HEADERS = ("kvar", "kvarh", "无功", "无功功率")
ACTIVE_REGISTER_HEADERS = ("active_register", "正向有功总", "有功示数", "正向有功示值", "有功总示数")
REACTIVE_REGISTER_HEADERS = ("reactive_register", "正向无功总", "无功示数", "无功总示数")
DAILY_KWH_HEADERS = ("kwh", "日电量", "有功电量")
DAILY_KVARH_HEADERS = ("kvarh", "无功电量")
# Daily TOU registers and kWh (the collection system's 日冻结 export: 正向有功总、尖、峰、平、谷).
PERIODS = tuple(str(p) for p in TOU_PERIODS)  # sharp, peak, flat, valley
PERIOD_REGISTER_HEADERS = {
    "sharp": ("sharp_register", "正向有功尖", "正向有功尖示值", "有功尖示数", "尖示数"),
    "peak": ("peak_register", "正向有功峰", "正向有功峰示值", "有功峰示数", "峰示数"),
    "flat": ("flat_register", "正向有功平", "正向有功平示值", "有功平示数", "平示数"),
    "valley": ("valley_register", "正向有功谷", "正向有功谷示值", "有功谷示数", "谷示数"),
}
PERIOD_KWH_HEADERS = {
    "sharp": ("kwh_sharp", "尖电量", "日尖电量"),
    "peak": ("kwh_peak", "峰电量", "日峰电量"),
    "flat": ("kwh_flat", "平电量", "日平电量"),
    "valley": ("kwh_valley", "谷电量", "日谷电量"),
}
REACTIVE_KINDS = {"无功", "reactive", "q", "kvar", "正向无功"}
ACTIVE_KINDS = {"", "有功", "active", "p", "kw", "正向有功"}

TIME_HEADER_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")
TS_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d%H%M",
              "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")


class Rejected(Exception):
    """The file has errors: roll back; the ingest records the errors."""


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Meter:
    mp_id: int
    customer_id: int
    multiplier: float
    label: str


@dataclass
class Outcome:
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    rows: int = 0
    values_written: int = 0
    values_changed: int = 0
    aggregates_written: int = 0
    customers: set[int] = field(default_factory=set)
    day_from: date | None = None
    day_to: date | None = None
    quality: dict = field(default_factory=dict)
    encoding: str = ""

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Problem(row, column, message))

    def saw_day(self, day: date) -> None:
        if self.day_from is None or day < self.day_from:
            self.day_from = day
        if self.day_to is None or day > self.day_to:
            self.day_to = day


# --- Reading ----------------------------------------------------------------------------------

@dataclass
class Source:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any] | Problem]]  # a Problem: a row that cannot be decoded
    encoding: str = ""
    close: Callable[[], None] = lambda: None
    # CSV only: the same data as blocks of raw lines (first row number, lines), for the vectorised
    # wide reader; `text_rows` turns a block into what `rows` yields. Use `rows` or `chunks`, not both.
    chunks: Iterator[tuple[int, list[bytes]]] | None = None
    text_rows: Callable[[int, list[bytes]], Iterator[tuple[int, list[Any] | Problem]]] | None = None


def _decode_row(raw: bytes, encoding: str, headers: list[str], number: int) -> str | Problem:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        # The broken bytes are in one field: GBK/UTF-8 never use the comma byte inside a character.
        for i, part in enumerate(raw.rstrip(b"\r\n").split(b",")):
            try:
                part.decode(encoding)
            except UnicodeDecodeError:
                column = headers[i] if i < len(headers) else str(i + 1)
                return Problem(number, column, _("This row is not valid %(encoding)s text (broken characters): "
                                                 "save the file again as UTF-8 or GBK.") % {"encoding": encoding.upper()})
        return Problem(number, "", _("This row is not valid text."))


def open_csv(fileobj) -> Source:
    """CSV in UTF-8 (with or without BOM) or GBK/GB18030, decoded row by row so that a broken row is
    reported with its row and column instead of refusing the file for its "encoding"."""
    fileobj.seek(0)
    head = fileobj.read(1 << 20)
    if not head:
        raise FileRefused(_("The file is empty."))
    if b"\x00" in head[:4096]:
        raise FileRefused(_("Wrong encoding: save the CSV file as UTF-8 (or GBK) text."))
    if head.startswith(b"PK\x03\x04"):
        raise FileRefused(_("This file is an Excel workbook; give it the .xlsx extension."))
    cut = head.rfind(b"\n") + 1 or len(head)
    try:
        head[:cut].decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "gb18030"
    fileobj.seek(0)
    if fileobj.read(3) != b"\xef\xbb\xbf":
        fileobj.seek(0)
    header_raw = fileobj.readline()
    header_text = _decode_row(header_raw, encoding, [], 1)
    if isinstance(header_text, Problem):
        raise FileRefused(_("The header row is not valid text: save the file as UTF-8 or GBK."))
    headers = [h.strip() for h in next(csv.reader([header_text]), [])]
    if is_blank(headers):
        raise FileRefused(_("The file is empty."))

    def chunks() -> Iterator[tuple[int, list[bytes]]]:
        number = 2
        readline = fileobj.readline  # not `for raw in fileobj`: Django's File iterates from the start
        while True:
            lines = []
            while len(lines) < CHUNK_LINES and (raw := readline()):
                lines.append(raw)
            if not lines:
                return
            yield number, lines
            number += len(lines)

    def text_rows(number: int, lines: list[bytes]) -> Iterator[tuple[int, list[Any] | Problem]]:
        for raw in lines:
            text = _decode_row(raw, encoding, headers, number)
            if isinstance(text, Problem):
                yield number, text
            else:
                values = next(csv.reader([text]), [])
                if values and (values[0].strip() or not is_blank(values)):
                    yield number, values
            number += 1

    def rows() -> Iterator[tuple[int, list[Any] | Problem]]:
        for number, lines in chunks():
            yield from text_rows(number, lines)

    return Source(headers=headers, rows=rows(), encoding=encoding, chunks=chunks(), text_rows=text_rows)


def open_file(fileobj, filename: str) -> Source:
    if file_format(filename) == "xlsx":
        src = open_xlsx(fileobj)
        return Source(headers=src.headers, rows=src.rows, encoding="xlsx", close=src.close)
    return open_csv(fileobj)


def source_from_records(records: list[dict], columns: list[str]) -> Source:
    """An API batch as rows: the record keys are the (English) headers; a wide record's `values`
    list is spread over the 96 time columns."""
    headers = list(columns)
    wide = "values" in columns
    if wide:
        headers = [h for h in columns if h != "values"] + [_slot_label(s) for s in range(1, c.SLOTS_PER_DAY + 1)]

    def rows():
        for i, rec in enumerate(records, start=1):
            if not isinstance(rec, dict):
                yield i, Problem(i, "", _("Each row must be an object."))
                continue
            cells = [rec.get(h) for h in columns if h != "values"]
            if wide:
                values = rec.get("values")
                if not isinstance(values, list):
                    yield i, Problem(i, "values", _("Give the 96 values as a list."))
                    continue
                cells += values
            yield i, cells

    return Source(headers=headers, rows=rows(), encoding="json")


def _slot_label(slot: int) -> str:
    minutes = slot * c.INTERVAL_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _find(headers: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in headers]
    for name in names:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def parse_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if timezone.is_naive(value) else timezone.localtime(value).replace(tzinfo=None)
    text = str(value or "").strip()
    for fmt in TS_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:  # ISO 8601 with an offset (API clients): the local wall-clock time it names
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    return ts if timezone.is_naive(ts) else timezone.localtime(ts).replace(tzinfo=None)


def day_slot(ts: datetime) -> tuple[date, int] | None:
    """(day, slot) of an interval END time; None when not on a 15-minute boundary."""
    if ts.second or ts.microsecond or ts.minute % c.INTERVAL_MINUTES:
        return None
    minutes = ts.hour * 60 + ts.minute
    if minutes == 0:
        return ts.date() - timedelta(days=1), c.SLOTS_PER_DAY
    return ts.date(), minutes // c.INTERVAL_MINUTES


def _number(value: Any) -> float | None:
    """A cell as float; None when blank. Raises ValueError when not a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    v = float(text.replace(",", ""))
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError
    return v


# --- The archive side: meters, capacities, tariffs --------------------------------------------

class Archive:
    """The metering points the actor may load data for, by meter number and by customer number
    (a customer number names its only metering point), with each customer's capacity and tariff."""

    def __init__(self, actor, capacity_factor: Decimal):
        from powerkam.core.scoping import scope_to_user
        from powerkam.customers.models import MeteringPoint

        qs = MeteringPoint.objects.all()
        if actor is not None:
            qs = scope_to_user(qs, actor)
        self.by_meter: dict[str, Meter] = {}
        self.by_customer: dict[str, list[Meter]] = defaultdict(list)
        self.meters_of: dict[int, int] = defaultdict(int)
        self.capacity_kw: dict[int, float] = {}
        self.tariff: dict[int, str] = {}
        self.customer_number: dict[int, str] = {}
        factor = float(capacity_factor)
        for mp_id, number, meter_no, cust_id, mult, cnum, contract, operating, tariff in qs.values_list(
                "id", "number", "meter_no", "customer_id", "multiplier", "customer__number",
                "customer__contract_capacity_kva", "customer__operating_capacity_kva", "customer__tariff_code"):
            m = Meter(mp_id, cust_id, float(mult or 1) or 1.0, meter_no or number)
            if meter_no:
                self.by_meter[meter_no.strip()] = m
            self.by_customer[cnum].append(m)
            self.meters_of[cust_id] += 1
            cap = float(contract or 0) or float(operating or 0)
            self.capacity_kw[cust_id] = cap * factor if cap else 0.0
            self.tariff[cust_id] = tariff or ""
            self.customer_number[cust_id] = cnum


# --- The ingest -------------------------------------------------------------------------------

@dataclass
class _Wide:
    """The columns of a wide file, and its parsed dates."""

    headers: list[str]
    meter_col: int | None
    customer_col: int | None
    date_col: int
    kind_col: int | None
    first: int  # the 00:15 column
    width: int
    slot_headers: list[str]
    days: dict[str, date] = field(default_factory=dict)


class Ingest:
    """One file or API batch through validation and (when clean so far) writing."""

    def __init__(self, *, layout: str, quantity: str = c.Quantity.POWER_KW, already_multiplied: bool = False,
                 actor=None, batch_id: int | None = None, capacity_factor: Decimal | None = None,
                 progress: Callable[[int], None] | None = None):
        from .models import ConsumptionSettings

        self.layout = layout
        self.to_kw = 4.0 if quantity == c.Quantity.ENERGY_KWH else 1.0
        self.already_multiplied = already_multiplied
        self.batch_id = batch_id
        self.progress = progress
        factor = capacity_factor if capacity_factor is not None else ConsumptionSettings.current().capacity_factor
        self.archive = Archive(actor, factor)
        self.out = Outcome()
        self.buffer: dict[tuple[int, int], list] = {}  # (mp, day) → [customer, kw[96], kvar[96], first row]
        self.flushed: dict[tuple[int, int], list] = {}  # (mp, day) → [customer, active mask, reactive mask, row]
        self.months: set[tuple[int, int]] = set()
        self.calendar = agg.TouCalendar(set(self.archive.tariff.values()))
        self.gaps = 0
        self.gap_examples: list[dict] = []
        self.implausible = 0

    # -- entry point
    def run(self, source: Source) -> Outcome:
        self.out.encoding = source.encoding
        try:
            if self.layout == c.Layout.DAILY:
                self._daily(source)
            else:
                self._curves(source)
        finally:
            source.close()
        if self.out.error_count:
            raise Rejected
        return self.out

    # -- header checks (structural: the whole file is refused)
    def _id_columns(self, headers: list[str]) -> tuple[int | None, int | None]:
        meter, customer = _find(headers, METER_HEADERS), _find(headers, CUSTOMER_HEADERS)
        if meter is None and customer is None:
            raise FileRefused(_("The file needs a meter number column (资产号 / meter_no) or a customer number "
                                "column (户号 / customer_number)."))
        return meter, customer

    def _meter(self, number: int, cells: list, meter_col: int | None, customer_col: int | None,
               headers: list[str]) -> Meter | None:
        if meter_col is not None and meter_col < len(cells) and str(cells[meter_col] or "").strip():
            key = str(cells[meter_col]).strip()
            m = self.archive.by_meter.get(key)
            if m is None:
                self.out.error(number, headers[meter_col],
                               _("Unknown meter “%(meter)s”: no metering point of a customer you may load data for "
                                 "has this meter number.") % {"meter": key})
            return m
        if customer_col is not None and customer_col < len(cells) and str(cells[customer_col] or "").strip():
            key = str(cells[customer_col]).strip()
            meters = self.archive.by_customer.get(key, [])
            if not meters:
                self.out.error(number, headers[customer_col],
                               _("Unknown customer number “%(number)s”, or the customer has no metering point.")
                               % {"number": key})
                return None
            if len(meters) > 1:
                self.out.error(number, headers[customer_col],
                               _("Customer “%(number)s” has %(n)s metering points: give the meter number.")
                               % {"number": key, "n": len(meters)})
                return None
            return meters[0]
        column = headers[meter_col] if meter_col is not None else headers[customer_col]
        self.out.error(number, column, _("The meter or customer number is missing."))
        return None

    # -- 15-minute curves (wide and long)
    def _curves(self, source: Source) -> None:
        headers = source.headers
        meter_col, customer_col = self._id_columns(headers)
        if self.layout == c.Layout.WIDE:
            self._wide(source, headers, meter_col, customer_col)
        else:
            self._long(source, headers, meter_col, customer_col)
        self._flush()
        self.out.quality.update({
            "meter_days": len(self.flushed), "values": self.out.values_written,
            "gaps": self.gaps, "gap_examples": self.gap_examples,
            "customers": len(self.out.customers),
        })

    def _time_columns(self, headers: list[str]) -> int:
        """Index of the first of the 96 time columns; refuses any other number of them."""
        cols = []
        for i, h in enumerate(headers):
            m = TIME_HEADER_RE.match(str(h).strip())
            if m:
                cols.append((i, int(m.group(1)) * 60 + int(m.group(2))))
        if not cols:
            raise FileRefused(_("No time columns: a wide file has 96 columns 00:15, 00:30 … 24:00 after the meter "
                                "and date columns."))
        expected = [s * c.INTERVAL_MINUTES for s in range(1, c.SLOTS_PER_DAY + 1)]
        minutes = [m for _, m in cols]
        if len(cols) != c.SLOTS_PER_DAY:
            raise FileRefused(_("The file has %(n)s time columns; a wide file has exactly 96 (00:15 … 24:00).")
                              % {"n": len(cols)})
        if minutes != expected or cols[-1][0] - cols[0][0] != c.SLOTS_PER_DAY - 1:
            bad = next((headers[i] for (i, m), e in zip(cols, expected, strict=True) if m != e), headers[cols[0][0]])
            raise FileRefused(_("The time columns must be 00:15, 00:30 … 24:00 in order, side by side; column "
                                "“%(column)s” is out of place.") % {"column": bad})
        return cols[0][0]

    def _wide(self, source, headers, meter_col, customer_col) -> None:
        date_col = _find(headers, DATE_HEADERS)
        if date_col is None:
            raise FileRefused(_("The file needs a date column (日期 / date)."))
        first = self._time_columns(headers)
        w = _Wide(headers=headers, meter_col=meter_col, customer_col=customer_col, date_col=date_col,
                  kind_col=_find(headers, KIND_HEADERS), first=first, width=len(headers),
                  slot_headers=headers[first:first + c.SLOTS_PER_DAY])
        if source.chunks is not None:
            # CSV: a block of clean rows is parsed and checked at once; a block with anything to report
            # goes row by row, which gives every problem its row and column.
            for number, lines in source.chunks:
                if not self._wide_block(number, lines, w, source.encoding):
                    for row_number, cells in source.text_rows(number, lines):
                        self._wide_row(row_number, cells, w)
                if len(self.buffer) >= FLUSH_KEYS:
                    self._flush()
            return
        for number, cells in source.rows:
            self._wide_row(number, cells, w)
            if len(self.buffer) >= FLUSH_KEYS:
                self._flush()

    def _wide_day(self, raw_day: Any, w: _Wide) -> date | None:
        day = w.days.get(raw_day) if isinstance(raw_day, str) else None
        if day is None:
            day = parse_day(raw_day)
            if isinstance(raw_day, str) and day is not None:
                w.days[raw_day] = day
        return day

    def _wide_row(self, number: int, cells: list | Problem, w: _Wide) -> None:
        headers = w.headers
        self.out.rows += 1
        if isinstance(cells, Problem):
            self.out.error(cells.row, cells.column, cells.message)
            return
        if len(cells) > w.width and not is_blank(cells[w.width:]):
            self.out.error(number, str(w.width + 1),
                           _("The row has %(n)s columns, the header %(width)s: a wide row has 96 values "
                             "(00:15 … 24:00), no more.") % {"n": len(cells), "width": w.width})
            return
        meter = self._meter(number, cells, w.meter_col, w.customer_col, headers)
        day = self._wide_day(cells[w.date_col] if w.date_col < len(cells) else None, w)
        if day is None:
            self.out.error(number, headers[w.date_col], _("Not a date (use YYYY-MM-DD)."))
        reactive = False
        if w.kind_col is not None and w.kind_col < len(cells):
            kind = str(cells[w.kind_col] or "").strip().lower()
            if kind in REACTIVE_KINDS:
                reactive = True
            elif kind not in ACTIVE_KINDS:
                self.out.error(number, headers[w.kind_col], _("Unknown kind: use 有功 (active) or 无功 (reactive)."))
                return
        if meter is None or day is None:
            return
        raw = list(cells[w.first:w.first + c.SLOTS_PER_DAY])
        if len(raw) < c.SLOTS_PER_DAY:
            raw += [None] * (c.SLOTS_PER_DAY - len(raw))
        values = self._values(number, raw, w.slot_headers)
        if values is None:
            return
        self._put(number, meter, day, values, reactive, w.slot_headers)

    def _wide_block(self, number: int, lines: list[bytes], w: _Wide, encoding: str) -> bool:
        """Read, check and buffer a block of CSV lines at once (pandas' C parser, numpy checks over the
        whole block). Returns False, having changed nothing, when any line has something to report
        (or anything unusual: quotes, blank lines, a ragged row, a repeated meter-day): the caller
        then reads the block row by row, which reports each problem with its row and column."""
        if self.out.error_count:
            return False  # the file is rejected already: list every problem, row by row
        commas = w.width - 1
        for raw in lines:
            if raw.count(b",") != commas or not raw.strip(b" \t\r\n,"):
                return False
        blob = b"".join(lines)
        if b'"' in blob:
            return False
        try:
            text = blob.decode(encoding)
        except UnicodeDecodeError:
            return False
        import pandas as pd

        id_cols = [i for i in (w.meter_col, w.customer_col, w.date_col, w.kind_col) if i is not None]
        value_cols = list(range(w.first, w.first + c.SLOTS_PER_DAY))
        try:
            frame = pd.read_csv(io.StringIO(text), header=None, names=list(range(w.width)), index_col=False,
                                usecols=id_cols + value_cols, dtype={**{i: object for i in id_cols},
                                                                     **{i: np.float64 for i in value_cols}},
                                keep_default_na=False, na_values=[""], engine="c", **_exact_floats(pd))
        except (ValueError, pd.errors.ParserError):
            return False
        n = len(frame)
        if n != len(lines):
            return False
        values = frame[value_cols].to_numpy(dtype=np.float64)
        if np.isinf(values).any() or (values < 0).any():
            return False
        # meters (the meter number first, else the customer number of a one-meter customer) and days
        archive = self.archive
        meter_ids = frame[w.meter_col].tolist() if w.meter_col is not None else [None] * n
        customer_ids = frame[w.customer_col].tolist() if w.customer_col is not None else [None] * n
        meters: list[Meter] = []
        for m_raw, c_raw in zip(meter_ids, customer_ids, strict=True):
            meter = None
            if isinstance(m_raw, str) and m_raw.strip():
                meter = archive.by_meter.get(m_raw.strip())
            elif isinstance(c_raw, str) and c_raw.strip():
                found = archive.by_customer.get(c_raw.strip(), ())
                meter = found[0] if len(found) == 1 else None
            if meter is None:
                return False
            meters.append(meter)
        days = []
        for raw_day in frame[w.date_col].tolist():
            day = self._wide_day(raw_day, w) if isinstance(raw_day, str) else None
            if day is None:
                return False
            days.append(day.toordinal())
        reactive = np.zeros(n, dtype=bool)
        if w.kind_col is not None:
            for i, kind in enumerate(frame[w.kind_col].tolist()):
                kind = kind.strip().lower() if isinstance(kind, str) else ""
                if kind in REACTIVE_KINDS:
                    reactive[i] = True
                elif kind not in ACTIVE_KINDS:
                    return False
        # repeated meter-days (in the block, or already read) go row by row for their message
        keys = [(m.mp_id, d) for m, d in zip(meters, days, strict=True)]
        seen = set()
        for key, q in zip(keys, reactive.tolist(), strict=True):
            idx = 2 if q else 1
            if (key, q) in seen:
                return False
            seen.add((key, q))
            done, entry = self.flushed.get(key), self.buffer.get(key)
            if (done is not None and done[idx]) or (entry is not None and not np.isnan(entry[idx]).all()):
                return False
        # × multiplier (once), kW, and the capacity check, over the whole block
        if not self.already_multiplied:
            values *= np.fromiter((m.multiplier for m in meters), dtype=np.float64, count=n)[:, None]
        if self.to_kw != 1.0:
            values *= self.to_kw
        cap = np.fromiter((archive.capacity_kw.get(m.customer_id) or 0.0 for m in meters), dtype=np.float64, count=n)
        limit = np.where((cap > 0) & ~reactive, cap, np.inf)
        if (values > limit[:, None]).any():
            return False
        # clean: into the buffer
        buffer = self.buffer
        for i, (key, meter) in enumerate(zip(keys, meters, strict=True)):
            entry = buffer.get(key)
            if entry is None:
                entry = buffer[key] = [meter.customer_id, np.full(c.SLOTS_PER_DAY, np.nan),
                                       np.full(c.SLOTS_PER_DAY, np.nan), number + i]
            entry[2 if reactive[i] else 1] = values[i]
        self.out.rows += n
        self.out.customers.update(m.customer_id for m in meters)
        self.out.saw_day(date.fromordinal(min(days)))
        self.out.saw_day(date.fromordinal(max(days)))
        return True

    def _values(self, number: int, raw: list, slot_headers: list[str]) -> np.ndarray | None:
        """96 floats (NaN = blank), or None after recording the cells that are not numbers."""
        try:
            if "" in raw:
                raise ValueError
            arr = np.array(raw, dtype=np.float64)
            if np.isinf(arr).any():
                raise ValueError
            return arr
        except (ValueError, TypeError):
            pass
        arr = np.full(c.SLOTS_PER_DAY, np.nan)
        ok = True
        for i, v in enumerate(raw):
            try:
                x = _number(v)
            except (ValueError, TypeError):
                self.out.error(number, slot_headers[i], _("Not a number: “%(value)s”.") % {"value": str(v)[:40]})
                ok = False
                continue
            if x is not None:
                arr[i] = x
        return arr if ok else None

    def _put(self, number: int, meter: Meter, day: date, values: np.ndarray, reactive: bool,
             slot_headers: list[str] | None, slot: int | None = None) -> None:
        """Validate one meter-day's values (all 96, or one slot) and add them to the buffer."""
        neg = values < 0
        if neg.any():
            for i in np.flatnonzero(neg)[:10]:
                col = slot_headers[i] if slot_headers else _("value")
                self.out.error(number, col, _("Negative value %(value)s: metering values cannot be negative.")
                               % {"value": f"{values[i]:g}"})
            return
        if not self.already_multiplied:
            values = values * meter.multiplier
        if not reactive:
            values = values * self.to_kw
            cap = self.archive.capacity_kw.get(meter.customer_id) or 0.0
            if cap:
                over = values > cap
                if over.any():
                    for i in np.flatnonzero(over)[:10]:
                        col = slot_headers[i] if slot_headers else _("value")
                        self.out.error(number, col, _("%(value)s kW is beyond the customer's capacity × the configured "
                                                      "factor (%(limit)s kW): check the value and the multiplier.")
                                       % {"value": f"{values[i]:.2f}", "limit": f"{cap:.0f}"})
                    return
        else:
            values = values * self.to_kw
        key = (meter.mp_id, day.toordinal())
        entry = self.buffer.get(key)
        done = self.flushed.get(key)
        idx = 1 if reactive else 0
        present = ~np.isnan(values)
        if slot is not None:
            bit = 1 << (slot - 1)
            dup = (done is not None and done[1 + idx] & bit) or (entry is not None and not np.isnan(entry[1 + idx][slot - 1]))
        else:
            dup = (done is not None and done[1 + idx]) or (entry is not None and (~np.isnan(entry[1 + idx])).any())
        if dup:
            first_row = (entry or done)[3]
            if slot is not None:
                self.out.error(number, _("timestamp"), _("Duplicate timestamp: meter %(meter)s, %(day)s interval "
                                                         "%(slot)s is also in row %(row)s.")
                               % {"meter": meter.label, "day": day, "slot": _slot_label(slot), "row": first_row})
            else:
                self.out.error(number, _("date"), _("Duplicate: meter %(meter)s on %(day)s is also in row %(row)s.")
                               % {"meter": meter.label, "day": day, "row": first_row})
            return
        if entry is None:
            entry = self.buffer[key] = [meter.customer_id, np.full(c.SLOTS_PER_DAY, np.nan),
                                        np.full(c.SLOTS_PER_DAY, np.nan), number]
        if slot is not None:
            entry[1 + idx][slot - 1] = values[0]
        else:
            entry[1 + idx][present] = values[present]
        self.out.customers.add(meter.customer_id)
        self.out.saw_day(day)

    def _long(self, source, headers, meter_col, customer_col) -> None:
        ts_col = _find(headers, TIMESTAMP_HEADERS)
        value_col = _find(headers, VALUE_HEADERS)
        q_col = _find(headers, REACTIVE_HEADERS)
        if ts_col is None or value_col is None:
            raise FileRefused(_("A long file needs a timestamp column (时间 / timestamp) and a value column "
                                "(有功 / kw)."))
        for number, cells in source.rows:
            self.out.rows += 1
            if isinstance(cells, Problem):
                self.out.error(cells.row, cells.column, cells.message)
                continue
            meter = self._meter(number, cells, meter_col, customer_col, headers)
            raw_ts = cells[ts_col] if ts_col < len(cells) else None
            ts = parse_timestamp(raw_ts)
            where = None
            if ts is None:
                self.out.error(number, headers[ts_col], _("Not a timestamp (use YYYY-MM-DD HH:MM)."))
            else:
                where = day_slot(ts)
                if where is None:
                    self.out.error(number, headers[ts_col], _("%(ts)s is not on a 15-minute boundary (:00, :15, :30, "
                                                              ":45).") % {"ts": f"{ts:%Y-%m-%d %H:%M:%S}"})
            try:
                p = _number(cells[value_col] if value_col < len(cells) else None)
            except (ValueError, TypeError):
                self.out.error(number, headers[value_col], _("Not a number: “%(value)s”.")
                               % {"value": str(cells[value_col])[:40]})
                continue
            q = None
            if q_col is not None and q_col < len(cells):
                try:
                    q = _number(cells[q_col])
                except (ValueError, TypeError):
                    self.out.error(number, headers[q_col], _("Not a number: “%(value)s”.") % {"value": str(cells[q_col])[:40]})
                    continue
            if meter is None or where is None:
                continue
            day, slot = where
            if p is not None:
                self._put(number, meter, day, np.array([p]), False, [headers[value_col]], slot)
            if q is not None:
                self._put(number, meter, day, np.array([q]), True, [headers[q_col]], slot)
            if len(self.buffer) >= FLUSH_KEYS:
                self._flush()

    # -- writing one buffer
    def _flush(self) -> None:
        buffer, self.buffer = self.buffer, {}
        if not buffer:
            return
        keys = list(buffer)
        n = len(keys)
        entries = [buffer[k] for k in keys]
        kw = np.stack([e[1] for e in entries])
        kvar = np.stack([e[2] for e in entries])
        self._note_gaps(keys, entries, kw)
        revisited = [k for k in keys if k in self.flushed]
        flushed = self.flushed
        for key, entry, p_mask, q_mask in zip(keys, entries, _masks(kw), _masks(kvar), strict=True):
            old = flushed.get(key)
            if old is None:
                flushed[key] = [entry[0], p_mask, q_mask, entry[3]]
            else:
                old[1] |= p_mask
                old[2] |= q_mask
        if self.progress is not None:
            self.progress(self.out.rows)
        if self.out.error_count:
            return  # the file is rejected; keep validating, write nothing more
        mp = np.fromiter((k[0] for k in keys), dtype=np.int64, count=n)
        day = np.fromiter((k[1] for k in keys), dtype=np.int64, count=n)
        cust = np.fromiter((e[0] for e in entries), dtype=np.int64, count=n)
        first, last = date.fromordinal(int(day.min())), date.fromordinal(int(day.max()))
        new_months = [m for m in _months(first, last) if m not in self.months]
        if new_months:
            partitions.ensure_partitions_now(date(*new_months[0], 1), date(*new_months[-1], 1))
            self.months.update(new_months)
        # A meter-day is "fresh" when nothing of its customer is stored on that day yet (nor written by
        # this batch): those are copied straight in; the others are merged (upsert).
        ranges = storage.stored_day_ranges(set(cust.tolist()), first, last)
        stored = np.zeros(n, dtype=bool)
        for customer, (lo, hi) in ranges.items():
            stored |= (cust == customer) & (day >= lo) & (day <= hi)
        if revisited:
            revisited_set = set(revisited)
            stored |= np.fromiter((k in revisited_set for k in keys), dtype=bool, count=n)
        fresh_key = ~stored
        rows = storage.Rows(
            customer=np.repeat(cust, c.SLOTS_PER_DAY), day=np.repeat(day, c.SLOTS_PER_DAY),
            mp=np.repeat(mp, c.SLOTS_PER_DAY), slot=np.tile(np.arange(1, c.SLOTS_PER_DAY + 1, dtype=np.int16), n),
            kw=kw.ravel(), kvar=kvar.ravel())
        keep = ~(np.isnan(rows.kw) & np.isnan(rows.kvar))
        fresh_row = np.repeat(fresh_key, c.SLOTS_PER_DAY)[keep]
        rows = rows.take(keep)
        self.out.values_written += int((~np.isnan(rows.kw)).sum())
        self.out.values_changed += storage.write_intervals(rows.take(fresh_row), fresh=True)
        self.out.values_changed += storage.write_intervals(rows.take(~fresh_row), fresh=False)
        self._aggregate(buffer, {k for k, f in zip(keys, fresh_key.tolist(), strict=True) if f})

    def _note_gaps(self, keys: list, entries: list, kw: np.ndarray) -> None:
        missing = np.isnan(kw)
        count = missing.sum(axis=1)
        for i in np.flatnonzero((count > 0) & (count < c.SLOTS_PER_DAY)).tolist():
            self.gaps += int(count[i])
            if len(self.gap_examples) < MAX_EXAMPLES:
                mp, day = keys[i]
                self.gap_examples.append({"row": entries[i][3], "metering_point": mp,
                                          "day": date.fromordinal(day).isoformat(),
                                          "intervals": [_slot_label(int(j) + 1) for j in np.flatnonzero(missing[i])][:12],
                                          "missing": int(count[i])})

    def _aggregate(self, buffer, fresh_keys: set[tuple[int, int]]) -> None:
        by_customer_day: dict[tuple[int, int], list] = defaultdict(list)
        stale: set[tuple[int, int]] = set()
        for (mp, day), (cust, kw, kvar, _row) in buffer.items():
            by_customer_day[(cust, day)].append((kw, kvar))
            if (mp, day) not in fresh_keys:
                stale.add((cust, day))
        in_memory, from_db = {}, set()
        for key, curves in by_customer_day.items():
            # From memory when every meter of the customer is in this buffer and nothing was stored before.
            if key not in stale and len(curves) == self.archive.meters_of.get(key[0], 1):
                kw = np.sum([cv[0] for cv in curves], axis=0) if len(curves) > 1 else curves[0][0]
                kvar = np.sum([cv[1] for cv in curves], axis=0) if len(curves) > 1 else curves[0][1]
                complete = all(not np.isnan(cv[0]).any() for cv in curves)
                in_memory[key] = (kw, kvar, complete)
            else:
                from_db.add(key)
        for key, (kw, kvar, count) in storage.stored_curves(from_db).items():
            in_memory[key] = (kw, kvar, bool((count >= self.archive.meters_of.get(key[0], 1)).all()))
        if not in_memory:
            return
        now = timezone.now()
        keys = list(in_memory)
        days = [date.fromordinal(d) for _cust, d in keys]
        # the TOU weights of each customer-day, as an index into the few distinct matrices
        table: dict[int, tuple[int, np.ndarray]] = {}
        index = np.empty(len(keys), dtype=np.intp)
        for i, ((cust, _d), day) in enumerate(zip(keys, days, strict=True)):
            w = self.calendar.weights(self.archive.tariff.get(cust, ""), day)
            slot = table.get(id(w))
            if slot is None:
                slot = table[id(w)] = (len(table), w)
            index[i] = slot[0]
        weights = np.stack([w for _j, w in table.values()])
        figures = agg.batch_figures(days, np.stack([in_memory[k][0] for k in keys]),
                                    np.stack([in_memory[k][1] for k in keys]), weights, index)
        rows = [(cust, day, *fig[:10], fig[10], c.AggregateSource.INTERVAL, in_memory[(cust, d)][2], self.batch_id, now)
                for (cust, d), day, fig in zip(keys, days, figures, strict=True)]
        self.out.aggregates_written += storage.upsert_aggregates(rows)

    # -- daily readings
    def _daily(self, source: Source) -> None:
        from .models import DailyReading

        headers = source.headers
        meter_col, customer_col = self._id_columns(headers)
        date_col = _find(headers, DATE_HEADERS)
        if date_col is None:
            raise FileRefused(_("The file needs a date column (日期 / date)."))
        cols = {"active_register": _find(headers, ACTIVE_REGISTER_HEADERS),
                "reactive_register": _find(headers, REACTIVE_REGISTER_HEADERS),
                "kwh": _find(headers, DAILY_KWH_HEADERS), "kvarh": _find(headers, DAILY_KVARH_HEADERS)}
        for period in PERIODS:
            cols[f"{period}_register"] = _find(headers, PERIOD_REGISTER_HEADERS[period])
            cols[f"kwh_{period}"] = _find(headers, PERIOD_KWH_HEADERS[period])
        # The periods the file gives (register or kWh); a period it has no column for is one the meter
        # does not register (many tariffs have no sharp peak) — the sum check below proves it.
        split_periods = [p for p in PERIODS if cols[f"{p}_register"] is not None or cols[f"kwh_{p}"] is not None]
        has_total = cols["active_register"] is not None or cols["kwh"] is not None
        if not has_total and not split_periods:
            raise FileRefused(_("A daily file needs the active register (正向有功总 / active_register) or the "
                                "day's energy (日电量 / kwh)."))
        if not has_total and len(split_periods) < len(PERIODS):
            raise FileRefused(_("Without the total (正向有功总 / 日电量), a daily file needs all four time-of-use "
                                "periods: sharp, peak, flat and valley (尖、峰、平、谷)."))
        readings: dict[tuple[int, date], dict] = {}
        meters: dict[int, Meter] = {}
        for number, cells in source.rows:
            self.out.rows += 1
            if isinstance(cells, Problem):
                self.out.error(cells.row, cells.column, cells.message)
                continue
            meter = self._meter(number, cells, meter_col, customer_col, headers)
            day = parse_day(cells[date_col] if date_col < len(cells) else None)
            if day is None:
                self.out.error(number, headers[date_col], _("Not a date (use YYYY-MM-DD)."))
            values = {}
            bad = False
            for name, col in cols.items():
                if col is None or col >= len(cells):
                    values[name] = None
                    continue
                try:
                    v = _number(cells[col])
                except (ValueError, TypeError):
                    self.out.error(number, headers[col], _("Not a number: “%(value)s”.") % {"value": str(cells[col])[:40]})
                    bad = True
                    continue
                if v is not None and v < 0:
                    self.out.error(number, headers[col], _("Negative value %(value)s: metering values cannot be "
                                                           "negative.") % {"value": f"{v:g}"})
                    bad = True
                values[name] = v
            if bad or meter is None or day is None:
                continue
            key = (meter.mp_id, day)
            if key in readings:
                self.out.error(number, headers[date_col], _("Duplicate: meter %(meter)s on %(day)s is also in row "
                                                            "%(row)s.") % {"meter": meter.label, "day": day,
                                                                           "row": readings[key]["row"]})
                continue
            values["row"] = number
            readings[key] = values
            meters[meter.mp_id] = meter
            self.out.customers.add(meter.customer_id)
            self.out.saw_day(day)
        if not readings:
            return
        registers = ["active_register", "reactive_register", *(f"{p}_register" for p in PERIODS)]
        # Registers never go backwards: against the meter's previous reading in the file, or the last one
        # stored before the file. A day's energy is a difference only with the reading of the day before.
        first_day = min(d for _, d in readings)
        last_stored = DailyReading.objects.filter(metering_point_id__in=list(meters), day__lt=first_day)
        if connection.vendor == "postgresql":
            last_stored = last_stored.order_by("metering_point_id", "-day").distinct("metering_point_id")
        else:
            last_stored = last_stored.order_by("metering_point_id", "day")  # the last one of each meter wins
        previous: dict[int, dict[str, tuple[date, float]]] = defaultdict(dict)
        for mp_id, day, *regs in last_stored.values_list("metering_point_id", "day", *registers):
            previous[mp_id] = {name: (day, float(v)) for name, v in zip(registers, regs, strict=True) if v is not None}
        # the column an error about the day's total names: its register, its kWh, or the four periods
        total_header = ", ".join(headers[cols[f"{p}_register"] if cols[f"{p}_register"] is not None else cols[f"kwh_{p}"]]
                                 for p in split_periods)
        for name in ("kwh", "active_register"):
            if cols[name] is not None:
                total_header = headers[cols[name]]
        daily_rows = []
        per_customer_day: dict[tuple[int, date], list] = defaultdict(list)
        for (mp_id, day), v in sorted(readings.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            meter = meters[mp_id]
            mult = 1.0 if self.already_multiplied else meter.multiplier
            prev = previous[mp_id]
            energy = {}
            for name, kwh_name, unit in (("active_register", "kwh", "kwh"), ("reactive_register", "kvarh", "kvarh"),
                                         *((f"{p}_register", f"kwh_{p}", "kwh") for p in PERIODS)):
                reg, given = v[name], v[kwh_name]
                amount = None if given is None else given * mult
                before = prev.get(name)
                if reg is not None and before is not None:
                    if reg < before[1]:
                        if unit == "kwh":  # as the reactive total always was: no kvarh that day, not an error
                            self.out.error(v["row"], headers[cols[name]],
                                           _("The register went backwards: %(now)s on %(day)s after %(before)s on "
                                             "%(prev)s.") % {"now": f"{reg:g}", "day": day, "before": f"{before[1]:g}",
                                                             "prev": before[0]})
                    elif amount is None and before[0] == day - timedelta(days=1):
                        amount = (reg - before[1]) * mult
                if reg is not None:
                    prev[name] = (day, reg)
                energy[kwh_name] = amount
            kwh, kvarh = energy["kwh"], energy["kvarh"]
            split = _split(split_periods, energy)
            if split is not None and kwh is None and not has_total:
                kwh = sum(split.values())
            total_col = headers[cols["kwh"]] if v["kwh"] is not None else total_header
            if split is not None and kwh is not None:
                tolerance = max(kwh * float(c.TOU_SUM_TOLERANCE_SHARE), float(c.TOU_SUM_TOLERANCE_UNITS) * mult)
                if abs(sum(split.values()) - kwh) > tolerance:
                    self.out.error(v["row"], total_col, _(
                        "The time-of-use periods add up to %(sum)s kWh, the day's total is %(total)s kWh (more than "
                        "%(tolerance)s kWh apart): check the period columns.")
                        % {"sum": f"{sum(split.values()):.2f}", "total": f"{kwh:.2f}", "tolerance": f"{tolerance:.2f}"})
            cap = self.archive.capacity_kw.get(meter.customer_id) or 0.0
            if kwh is not None and cap and kwh > cap * 24:
                self.out.error(v["row"], total_col,
                               _("%(value)s kWh in a day is beyond the customer's capacity × the configured factor × "
                                 "24 h (%(limit)s kWh).") % {"value": f"{kwh:.0f}", "limit": f"{cap * 24:.0f}"})
            daily_rows.append(DailyReading(
                customer_id=meter.customer_id, day=day, metering_point_id=mp_id,
                **{name: None if v[name] is None else Decimal(repr(v[name])) for name in registers},
                kwh=None if kwh is None else agg.dec(kwh), kvarh=None if kvarh is None else agg.dec(kvarh),
                **{f"kwh_{p}": None if split is None else agg.dec(split[p]) for p in PERIODS},
                batch_id=self.batch_id))
            per_customer_day[(meter.customer_id, day)].append((kwh, kvarh, split))
        if self.out.error_count:
            return
        DailyReading.objects.bulk_create(
            daily_rows, batch_size=2000, update_conflicts=True, unique_fields=["customer", "day", "metering_point"],
            update_fields=[*registers, "kwh", "kvarh", *(f"kwh_{p}" for p in PERIODS), "batch"])
        self.out.values_written = len(daily_rows)
        self._daily_aggregates(per_customer_day, first_day)
        self.out.quality.update({"readings": len(daily_rows), "customers": len(self.out.customers),
                                 "without_kwh": sum(1 for r in daily_rows if r.kwh is None)})

    def _daily_aggregates(self, per_customer_day: dict, first_day: date) -> None:
        """Daily aggregates where no 15-minute curve gave a richer one: the kWh of the customer's meters,
        and the TOU split when every meter's reading has one (else unknown: NULL, never guessed)."""
        from .models import DailyAggregate

        with_curve = set(DailyAggregate.objects.filter(
            customer_id__in={k[0] for k in per_customer_day}, day__gte=first_day, day__lte=self.out.day_to,
            source=c.AggregateSource.INTERVAL).values_list("customer_id", "day"))
        now = timezone.now()
        rows = []
        unknown = 0
        for (cust, day), parts in per_customer_day.items():
            if (cust, day) in with_curve:
                continue
            metered = [(p, q, s) for p, q, s in parts if p is not None]
            if not metered:
                continue
            total = sum(p for p, _q, _s in metered)
            qs = [q for _p, q, _s in parts if q is not None]
            kvarh = sum(qs) if qs else None
            complete = len(metered) >= self.archive.meters_of.get(cust, 1)
            if all(s is not None for _p, _q, s in metered):
                split = [agg.dec(sum(s[p] for _p, _q, s in metered)) for p in PERIODS]
            else:
                split = [None] * len(PERIODS)
                unknown += 1
            rows.append((cust, day, agg.dec(total), *split, None if kvarh is None else agg.dec(kvarh), None, None, None,
                         None if kvarh is None else agg.power_factor(total, kvarh), 0, c.AggregateSource.DAILY,
                         complete, self.batch_id, now))
        self.out.aggregates_written = storage.upsert_aggregates(rows)
        self.out.quality.update({"without_tou_split": unknown, "with_tou_split": len(rows) - unknown})


def _exact_floats(pd) -> dict:
    """pandas' C parser reading every value exactly as Python's float(text) does: its default from
    pandas 3 on; before, `float_precision="round_trip"` (deprecated in 3)."""
    return {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def _split(split_periods: list[str], energy: dict[str, float | None]) -> dict[str, float] | None:
    """A meter-day's kWh per TOU period, or None when unknown: no period columns, a blank period, or no
    reading of the day before to take the register differences from. A period the file has no column
    for counts 0 (the sum check against the total catches a period that is missing but used)."""
    if not split_periods or any(energy[f"kwh_{p}"] is None for p in split_periods):
        return None
    return {p: energy[f"kwh_{p}"] if p in split_periods else 0.0 for p in PERIODS}


def _masks(values: np.ndarray) -> list[int]:
    """Per row of (n, 96) values, the bit mask of the slots present (bit 0 = slot 1)."""
    present = ~np.isnan(values)
    full, none = present.all(axis=1), ~present.any(axis=1)
    out = np.where(full, -1, 0).tolist()
    for i in np.flatnonzero(~full & ~none).tolist():
        out[i] = sum(1 << int(j) for j in np.flatnonzero(present[i]))
    return [(1 << c.SLOTS_PER_DAY) - 1 if m == -1 else m for m in out]


def _months(first: date, last: date) -> list[tuple[int, int]]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
