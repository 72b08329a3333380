"""A clerk imports a day of 96-point data (wide, GBK) in the browser, sees the report, then a file
with a broken value is rejected with its row and column and writes nothing."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from powerkam.consumption.models import DailyAggregate, IntervalReading
from tests.factories import CustomerFactory, MeteringPointFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

SLOTS = [f"{(s * 15) // 60:02d}:{(s * 15) % 60:02d}" for s in range(1, 97)]


def wide(tmp_path, name, values):
    path = tmp_path / name
    text = "电能表资产号,日期," + ",".join(SLOTS) + "\nZJ7001,2026-11-02," + ",".join(values) + "\n"
    path.write_bytes(text.encode("gbk"))
    return path


def upload(page, path):
    page.goto(f"{page.base_url}/consumption/import/")
    page.select_option("select[name=layout]", "wide")
    page.set_input_files("input[name=file]", str(path))
    page.click("#ingest-submit")
    page.wait_for_load_state()


def test_clerk_imports_a_day_of_96_point_data(page, browser_login, org_tree, tmp_path):
    clerk = StaffFactory(role="clerk", org_unit=org_tree["north"])
    customer = CustomerFactory(org_unit=org_tree["s1"], contract_capacity_kva=Decimal("800"))
    MeteringPointFactory(customer=customer, meter_no="ZJ7001", multiplier=Decimal("10"))
    browser_login(clerk)
    page.click("#nav-metering-import")
    expect(page.locator("#ingest-form")).to_be_visible()

    upload(page, wide(tmp_path, "day.csv", ["40"] * 96))
    expect(page.locator("#batch-counts [data-count=values]")).to_have_text("96")
    assert IntervalReading.objects.filter(customer=customer).count() == 96
    assert DailyAggregate.objects.get(customer=customer, day=date(2026, 11, 2)).kwh_total == Decimal("9600.000")

    bad = ["40"] * 96
    bad[4] = "-1"
    upload(page, wide(tmp_path, "bad.csv", bad))
    rows = page.locator("#batch-errors tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("01:15")
    assert IntervalReading.objects.filter(customer=customer).count() == 96
