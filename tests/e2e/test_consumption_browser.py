"""Consumption in the browser (issue #14): a clerk imports a day of 96-point data through the
import page; a manager opens the customer's load page and sees the day's curve and the year
heatmap, prints the advice letter, and records a reason on the anomaly task from the work queue."""

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from powerkam.consumption import anomalies
from powerkam.consumption.models import DailyAggregate, UsageAnomaly
from powerkam.core.models import Task
from tests.consumption.analysis_data import put_daily, regular_series
from tests.consumption.conftest import BANDS, wide_csv
from tests.factories import CustomerFactory, MeteringPointFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = date.today()
DAY = TODAY - timedelta(days=1)


@pytest.fixture
def falling_customer(org_tree):
    from powerkam.billing.models import TariffTimeBand
    from tests.billing.factories import TariffFactory

    tariff = TariffFactory(code="E2E-TOU", effective_from=date(2020, 1, 1))
    for period, start, end in BANDS:
        TariffTimeBand.objects.create(tariff=tariff, season="全年", months=",".join(map(str, range(1, 13))),
                                      period=period, start=start, end=end)
    manager = StaffFactory(role="manager", org_unit=org_tree["s1"], full_name="王经理")
    cu = CustomerFactory(name="浏览器负荷客户有限公司", org_unit=org_tree["s1"], primary_manager=manager,
                         is_key_account=True, tariff_code=tariff.code, tou_enabled=True,
                         contract_capacity_kva=Decimal("2000"))
    MeteringPointFactory(customer=cu, meter_no="E2E0001", multiplier=Decimal("1"))
    start = DAY - timedelta(days=200)
    values = regular_series(start, 200)
    values[-14:] *= 0.45  # two weeks at less than half of its usual working-day kWh
    put_daily(cu, start, values[:-1])  # the last day comes from the import below
    return manager, cu


def test_import_load_page_advice_and_anomaly_reason(page, browser_login, org_tree, falling_customer, tmp_path):
    manager, cu = falling_customer
    clerk = StaffFactory(role="clerk", org_unit=org_tree["north"])

    # 1. The clerk imports one day of 96 points (wide layout, kW, already multiplied).
    curve = [round(150 + 120 * math.sin(math.pi * s / 96), 1) for s in range(96)]
    path = tmp_path / "curve.csv"
    path.write_bytes(wide_csv([("E2E0001", DAY, curve)]).getvalue())
    browser_login(clerk)
    page.goto(f"{page.base_url}/consumption/import/")
    page.select_option("select[name=layout]", "wide")
    page.select_option("select[name=quantity]", "kw")
    page.check("input[name=already_multiplied]")
    page.set_input_files("input[name=file]", str(path))
    page.click("#ingest-submit")
    page.wait_for_load_state()
    agg = DailyAggregate.objects.get(customer=cu, day=DAY)
    assert agg.slots == 96 and agg.kwh_total == pytest.approx(Decimal(str(sum(curve) / 4)), abs=Decimal("0.01"))
    page.context.clear_cookies()

    # The night's anomaly watch finds the drop and gives the manager a task.
    anomalies.run_watch(TODAY)
    anomaly = UsageAnomaly.objects.get(customer=cu)
    assert anomaly.kind == "drop" and anomaly.task.assignee == manager

    # 2. The manager opens the load page: the day's curve and the year heatmap are drawn.
    browser_login(manager)
    page.goto(f"{page.base_url}/consumption/customers/{cu.pk}/load/?day={DAY.isoformat()}")
    expect(page.locator("#chart-day canvas").first).to_be_visible()
    expect(page.locator("#load-heatmap[data-pk-done='1'] canvas").first).to_be_visible()
    expect(page.locator("#load-no-curve")).to_have_count(0)

    # 3. The advice letter, printed (Chromium's print rendering to PDF).
    page.goto(f"{page.base_url}/consumption/advice/{cu.pk}/")
    expect(page.locator("#advice-letter")).to_contain_text(cu.name)
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"

    # 4. From the work queue to the anomaly; the reason is recorded and the task closed.
    page.goto(f"{page.base_url}/queue/")
    page.locator(f"a[href$='/consumption/anomalies/{anomaly.pk}/']:visible").first.click()
    page.wait_for_load_state()
    page.click("#reason-submit")  # nothing chosen: a field error, nothing written
    expect(page.locator("#reason-form .invalid-feedback")).to_be_visible()
    page.select_option("#id_reason", label="减产停产")
    page.fill("#id_note", "二号生产线检修两周")
    page.click("#reason-submit")
    expect(page.locator("#anomaly-status")).to_contain_text("减产停产")
    anomaly.refresh_from_db()
    assert anomaly.status == "explained" and anomaly.task.status == Task.Status.DONE
