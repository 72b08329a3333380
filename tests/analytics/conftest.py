"""The worked data set of the analysis tests (figures worked out by hand in each test).

Three customers; manager A has c1, manager B has c2 and c3. c1, c2 in station s1 (north),
c3 in s3 (south).

kWh by billing month (void bill of c2 in 2026-03 not counted):
            2025-01  2025-02  2025-12  2026-01  2026-02  2026-03
    c1        1000       —     1200     1100     1320     1000
    c2         500       —       —       400      480      600   (+ void 9999)
    c3        2000     2000      —      2500     2200       —

The fixture ends with a refresh of the monthly sales summary (analytics.MonthlySales), which the
sales-volume and unit-price figures of subtree and company scopes read.
"""

from datetime import date

import pytest
from django.utils import translation

from powerkam.analytics.services import refresh_monthly_sales
from powerkam.billing.models import Bill
from powerkam.customers import constants as cc
from tests.factories import CustomerFactory

from .factories import make_bill


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(org_tree, make_staff):
    a = make_staff("manager", org_tree["s1"], username="mgr_a", full_name="Manager A")
    b = make_staff("manager", org_tree["s3"], username="mgr_b", full_name="Manager B")
    admin = make_staff("admin", org_tree["company"], username="boss")
    c1 = CustomerFactory(number="C1", name="Customer One", org_unit=org_tree["s1"], primary_manager=a,
                         usage_category=cc.UsageCategory.LARGE_INDUSTRY, voltage_level="10kV", industry="C",
                         ka_tier=cc.KeyAccountTier.PREMIUM)
    c2 = CustomerFactory(number="C2", name="Customer Two", org_unit=org_tree["s1"], primary_manager=b,
                         usage_category=cc.UsageCategory.GENERAL_COMMERCIAL, voltage_level="0.4kV", industry="F",
                         ka_tier=cc.KeyAccountTier.MEDIUM)
    c3 = CustomerFactory(number="C3", name="Customer Three", org_unit=org_tree["s3"], primary_manager=b,
                         usage_category=cc.UsageCategory.LARGE_INDUSTRY, voltage_level="35kV", industry="C",
                         ka_tier=cc.KeyAccountTier.PREMIUM)
    m = date
    bills = {
        # c1
        "c1_2501": make_bill(c1, m(2025, 1, 1), 1000),
        "c1_2512": make_bill(c1, m(2025, 12, 1), 1200),
        "c1_2601": make_bill(c1, m(2026, 1, 1), 1100, energy="660.00", basic="200.00", pf="-6.60",
                             surcharges="33.00", paid="886.40"),
        "c1_2602": make_bill(c1, m(2026, 2, 1), 1320, paid="500.00"),  # total 931.60
        "c1_2603": make_bill(c1, m(2026, 3, 1), 1000),
        # c2
        "c2_2501": make_bill(c2, m(2025, 1, 1), 500),
        "c2_2601": make_bill(c2, m(2026, 1, 1), 400, energy="280.00", basic="0.00", surcharges="12.00",
                             paid="292.00"),
        "c2_2602": make_bill(c2, m(2026, 2, 1), 480),  # total 402.40, unpaid
        "c2_2603": make_bill(c2, m(2026, 3, 1), 600),
        "c2_void": make_bill(c2, m(2026, 3, 1), 9999, status=Bill.Status.VOID),
        # c3
        "c3_2501": make_bill(c3, m(2025, 1, 1), 2000),
        "c3_2502": make_bill(c3, m(2025, 2, 1), 2000),
        "c3_2601": make_bill(c3, m(2026, 1, 1), 2500, energy="1500.00", basic="500.00", pf="15.00",
                             surcharges="75.00", paid="2090.00"),
        "c3_2602": make_bill(c3, m(2026, 2, 1), 2200, paid="1000.00"),  # total 1486.00
    }
    refresh_monthly_sales()
    return {"a": a, "b": b, "admin": admin, "c1": c1, "c2": c2, "c3": c3, "bills": bills, **org_tree}
