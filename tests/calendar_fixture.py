"""A 2027 holiday arrangement for tests — A TEST FIXTURE, NOT THE OFFICIAL 2027 NOTICE.

The State Council's 2027 notice (国务院办公厅关于2027年部分节假日安排的通知) is not known to us;
these rows only have its shape: New Year's Day on Friday 1 January with the weekend, the
Spring Festival week around Saturday 6 February 2027 (正月初一) with two adjusted working
weekend days (Sunday 31 January, Saturday 20 February). Never load them as real data.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook

ARRANGEMENT_2027_FIXTURE = [
    ("2027-01-01", "放假", "元旦"), ("2027-01-02", "放假", "元旦"), ("2027-01-03", "放假", "元旦"),
    ("2027-01-31", "调休上班", "春节"),
    *[(f"2027-02-{d:02d}", "放假", "春节") for d in range(5, 14)],
    ("2027-02-20", "调休上班", "春节"),
]


def arrangement_xlsx(rows=ARRANGEMENT_2027_FIXTURE, header=("日期", "类型", "名称")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for day, *rest in rows:
        try:  # real date cells, as a spreadsheet holds them; anything else as typed text
            day = date.fromisoformat(day)
        except (TypeError, ValueError):
            pass
        ws.append([day, *rest])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
