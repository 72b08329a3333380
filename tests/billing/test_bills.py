"""Bills list, detail, export and API: scoped, filtered, constant query counts."""

from datetime import date
from decimal import Decimal as D

import pytest

from tests.factories import CustomerFactory

from .factories import BillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_tree, make_staff):
    manager = make_staff("manager", org_tree["s1"])
    clerk = make_staff("clerk", org_tree["north"])
    mine = CustomerFactory(org_unit=org_tree["s1"], primary_manager=manager, name="甲钢铁")
    other = CustomerFactory(org_unit=org_tree["s3"], name="乙化工")
    bills = [BillFactory(customer=mine, period=date(2026, m, 1), total=D("100") * m) for m in (8, 9, 10)]
    foreign = BillFactory(customer=other, period=date(2026, 10, 1))
    return {"manager": manager, "clerk": clerk, "mine": mine, "other": other, "bills": bills, "foreign": foreign}


def test_manager_sees_own_portfolio_only(world, login):
    c = login(world["manager"])
    r = c.get("/billing/bills/")
    assert r.status_code == 200
    numbers = [b.number for b in r.context["page"].object_list]
    assert set(numbers) == {b.number for b in world["bills"]}
    assert c.get(f"/billing/bills/{world['foreign'].pk}/").status_code == 404
    assert c.get(f"/api/v1/bills/{world['foreign'].pk}/").status_code == 404


def test_filters_and_sort(world, login):
    c = login(world["manager"])
    r = c.get("/billing/bills/", {"period": "2026-09"})
    assert [b.period for b in r.context["page"].object_list] == [date(2026, 9, 1)]
    r = c.get("/billing/bills/", {"sort": "total"})
    assert [b.total for b in r.context["page"].object_list] == [D("800"), D("900"), D("1000")]
    r = c.get("/billing/bills/", {"q": "乙化工"})
    assert list(r.context["page"].object_list) == []
    r = c.get("/api/v1/bills/", {"period_from": "2026-09"})
    assert r.json()["count"] == 2


def test_org_unit_filter_is_subtree(world, login, org_tree, make_staff):
    c = login(make_staff("admin", org_tree["company"]))
    r = c.get("/billing/bills/", {"org_unit": org_tree["south"].pk})
    assert [b.pk for b in r.context["page"].object_list] == [world["foreign"].pk]


def test_export_csv_is_scoped(world, login):
    r = login(world["manager"]).get("/billing/bills/", {"export": "csv"})
    text = b"".join(r.streaming_content).decode("utf-8")
    assert world["bills"][0].number in text and world["foreign"].number not in text


def test_list_query_count_is_constant(world, login, django_assert_max_num_queries):
    c = login(world["clerk"])
    with django_assert_max_num_queries(12) as ctx:
        c.get("/billing/bills/")
    few = len(ctx.captured_queries)
    for m in range(1, 8):
        BillFactory(customer=world["mine"], period=date(2025, m, 1))
    with django_assert_max_num_queries(few):
        c.get("/billing/bills/")
    with django_assert_max_num_queries(few):
        c.get("/api/v1/bills/")


def test_detail_shows_lines(world, login):
    from powerkam.billing.models import BillLine

    bill = world["bills"][0]
    BillLine.objects.create(bill=bill, item="energy", label="Energy", quantity=D("1000"), unit="kWh",
                            unit_price=D("0.62"), amount=D("620.00"))
    r = login(world["manager"]).get(f"/billing/bills/{bill.pk}/")
    assert r.status_code == 200
    assert "620.00" in r.content.decode()
    d = login(world["manager"]).get(f"/api/v1/bills/{bill.pk}/").json()
    assert d["lines"][0]["amount"] == "620.00"


def test_detail_and_customer_fragment_constant_queries(world, login, django_assert_max_num_queries):
    from powerkam.billing.models import BillLine

    c = login(world["manager"])
    bill = world["bills"][0]
    with django_assert_max_num_queries(8) as ctx:
        c.get(f"/billing/bills/{bill.pk}/")
    base = len(ctx.captured_queries)
    BillLine.objects.bulk_create([BillLine(bill=bill, item=f"x{i}", label="x", amount=D("1.00"), sort=i)
                                  for i in range(20)])
    with django_assert_max_num_queries(base):
        c.get(f"/billing/bills/{bill.pk}/")
    r = c.get(f"/billing/customers/{world['mine'].pk}/bills/")
    assert r.status_code == 200 and world["bills"][0].number in r.content.decode()
    assert c.get(f"/billing/customers/{world['other'].pk}/bills/").status_code == 404


def test_api_search_finds_bills_by_number_and_customer(world, login, org_tree, make_staff):
    c = login(make_staff("admin", org_tree["company"]))
    assert c.get("/api/v1/bills/", {"search": "乙化工"}).json()["count"] == 1
    assert c.get("/api/v1/bills/", {"search": world["mine"].number}).json()["count"] == 3
    found = c.get("/api/v1/bills/", {"search": world["bills"][1].number}).json()
    assert [b["number"] for b in found["results"]] == [world["bills"][1].number]
    assert c.get("/api/v1/bills/", {"search": "no such bill"}).json()["count"] == 0
