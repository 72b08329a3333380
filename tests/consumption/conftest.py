"""A key account on a two-part TOU tariff with one metering point (multiplier 10), and file builders."""

import io
from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from powerkam.billing.models import TariffTimeBand
from tests.billing.factories import TariffFactory
from tests.factories import CustomerFactory, MeteringPointFactory

ALL_MONTHS = ",".join(str(m) for m in range(1, 13))
# valley 23:00–07:00 (8 h), sharp 19:00–21:00 (2 h), peak 08:00–11:00, 18:00–19:00, 21:00–22:00 (5 h), flat the rest (9 h)
BANDS = (("valley", time(23), time(7)), ("peak", time(8), time(11)), ("peak", time(18), time(19)),
         ("sharp", time(19), time(21)), ("peak", time(21), time(22)))
SLOTS = [f"{(s * 15) // 60:02d}:{(s * 15) % 60:02d}" for s in range(1, 97)]


@pytest.fixture
def tariff(db):
    t = TariffFactory(code="DGY-10", effective_from=date(2024, 1, 1))
    for period, start, end in BANDS:
        TariffTimeBand.objects.create(tariff=t, season="全年", months=ALL_MONTHS, period=period, start=start, end=end)
    return t


@pytest.fixture
def customer(tariff):
    return CustomerFactory(number="3100000001", tariff_code=tariff.code, contract_capacity_kva=Decimal("800"),
                           tou_enabled=True)


@pytest.fixture
def meter(customer):
    return MeteringPointFactory(customer=customer, number="MP1", meter_no="ZJ0001", multiplier=Decimal("10"))


@pytest.fixture
def clerk(make_staff):
    return make_staff(role="admin", is_superuser=True)


def wide_csv(rows, *, encoding="utf-8", header_extra=(), kind=False) -> io.BytesIO:
    """rows: (meter_no, day, [96 values]) → a wide CSV file."""
    head = ["电能表资产号", "日期", *(["类型"] if kind else []), *SLOTS, *header_extra]
    lines = [",".join(head)]
    for r in rows:
        meter_no, day, values = r[0], r[1], r[2]
        extra = [r[3]] if kind else []
        lines.append(",".join([meter_no, day.isoformat(), *extra, *("" if v is None else f"{v:g}" for v in values)]))
    return io.BytesIO(("\n".join(lines) + "\n").encode(encoding))


def long_csv(rows, *, q=False) -> io.BytesIO:
    """rows: (meter_no, day, [96 values]) → the same data, one row per interval (timestamp = interval end)."""
    lines = ["资产号,时间,有功" + (",无功" if q else "")]
    for r in rows:
        meter_no, day, values = r[0], r[1], r[2]
        for s, v in enumerate(values, start=1):
            if v is None:
                continue
            end = (date_time(day) + timedelta(minutes=15 * s))
            line = f"{meter_no},{end:%Y-%m-%d %H:%M},{v:g}"
            if q:
                line += f",{r[3][s - 1]:g}"
            lines.append(line)
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def date_time(day):
    from datetime import datetime

    return datetime.combine(day, time())
