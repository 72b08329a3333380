"""The collections board counts as arrears only what is past due (issue #10 item 3: 1,901
customers were listed as 欠费客户, most with 0 days overdue). Bills not yet due are shown
beside the arrears and listed on their own ("not yet due" view)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from powerkam.receivables import selectors

TODAY = timezone.localdate()


@pytest.fixture
def bills(world, bill_maker):
    c1, c2 = world["c1"], world["c2"]
    bill_maker(c1, "1000.00", TODAY - timedelta(days=10))   # 10 days overdue
    bill_maker(c1, "300.00", TODAY + timedelta(days=5))     # not yet due
    bill_maker(c2, "700.00", TODAY)                         # due today: not yet overdue
    bill_maker(c2, "50.00", TODAY - timedelta(days=1), paid="50.00")  # paid in full (status left open)
    return world


def test_only_customers_with_bills_past_due_are_in_arrears(bills):
    rows = list(selectors.board(bills["sup"], {}, TODAY)[0])
    assert [r.pk for r in rows] == [bills["c1"].pk]
    row = rows[0]
    assert (row.outstanding, row.open_bills, row.oldest_due) == (Decimal("1000.00"), 1, TODAY - timedelta(days=10))
    assert (row.not_due, row.next_due) == (Decimal("300.00"), TODAY + timedelta(days=5))


def test_bills_not_yet_due_are_listed_separately(bills):
    rows = list(selectors.board(bills["sup"], {"view": "not_due", "sort": "-outstanding"}, TODAY)[0])
    assert [(r.pk, r.not_due, r.next_due) for r in rows] == [
        (bills["c2"].pk, Decimal("700.00"), TODAY), (bills["c1"].pk, Decimal("300.00"), TODAY + timedelta(days=5))]


def test_page_api_and_export_count_past_due_only(bills, login):
    client = login(bills["sup"])
    page = client.get("/receivables/board/")
    assert page.context["page"].paginator.count == 1
    html = page.content.decode()
    assert "1 customer in arrears" in html and bills["c2"].name not in html
    not_due = client.get("/receivables/board/?view=not_due")
    assert not_due.context["page"].paginator.count == 2
    assert "2 customers with bills not yet due" in not_due.content.decode()
    api = client.get("/api/v1/receivables/board/").json()["results"]
    assert [(r["number"], r["outstanding"], r["not_due"]) for r in api] == [(bills["c1"].number, "1000.00", "300.00")]
    api = client.get("/api/v1/receivables/board/?view=not_due").json()["results"]
    assert {r["number"] for r in api} == {bills["c1"].number, bills["c2"].number}
    csv = b"".join(client.get("/receivables/board/?export=csv").streaming_content).decode()
    assert bills["c1"].number in csv and bills["c2"].number not in csv and "300.00" in csv
