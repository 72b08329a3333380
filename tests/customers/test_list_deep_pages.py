"""The customer list's pages, deep ones included (issue #11 item 5: a page's cost must not grow
with the list): every page holds exactly the rows, in exactly the order, of plain OFFSET paging
of the scoped list in the chosen sort — for every sort the list offers, for every kind of scope,
with ties on the sort key (decided by the id) and closed customers hidden or shown.

On PostgreSQL the ids of a page can be read from the list order's indexes without the table
(customers migration 0009): checked on the indexes' definitions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from powerkam.core.scoping import visible_customers
from powerkam.customers import constants as c
from powerkam.customers.filters import CUSTOMER_ORDERING
from powerkam.customers.models import Customer
from powerkam.customers.views import SORT_COLUMNS
from tests.factories import CustomerFactory

URL = reverse("customers:list")
PAGE = 4
PG = connection.vendor == "postgresql"


@pytest.fixture
def crowd(org_tree, people):
    """23 customers over three stations and three managers, numbers not in id order, with
    repeated names, capacities and update times (ties the id must break) and 4 closed ones."""
    t, p = org_tree, people
    stations = (t["s1"], t["s2"], t["s3"])
    managers = (p["m1"], p["m2"], None)
    made = []
    for i in range(23):
        made.append(CustomerFactory(
            number=f"35{(i * 7) % 23:08d}",  # numbers out of creation (id) order
            name=f"城北{'钢铁' if i % 3 else '纺织'}有限公司" if i % 4 else f"城南水泥厂{i}",
            contract_capacity_kva=Decimal((i % 5) * 400),
            org_unit=stations[i % 3], primary_manager=managers[i % 3],
            secondary_manager=p["spec"] if i % 4 in (1, 2) else None,
            lifecycle_status=c.LifecycleStatus.CLOSED if i % 5 == 4 else c.LifecycleStatus.ACTIVE,
        ))
    stamp = timezone.now().replace(microsecond=0)
    for i, customer in enumerate(made):  # update() keeps auto_now from breaking the ties
        Customer.objects.filter(pk=customer.pk).update(updated_at=stamp - timedelta(hours=i % 4))
    return made


def expected_pages(user, sort: str, *, show_closed: bool = False) -> list[list[str]]:
    """Plain OFFSET paging of the scoped list: the reference for every page."""
    qs = visible_customers(user)
    if not show_closed:
        qs = qs.exclude(lifecycle_status=c.LifecycleStatus.CLOSED)
    rows = list(qs.order_by(CUSTOMER_ORDERING[sort], "pk").values_list("number", flat=True))
    return [rows[i:i + PAGE] for i in range(0, len(rows), PAGE)] or [[]]


def numbers(response) -> list[str]:
    return [cu.number for cu in response.context["page"].object_list]


SORTS = [key for key, _label in SORT_COLUMNS] + [f"-{key}" for key, _label in SORT_COLUMNS]


def test_every_sort_of_the_page_is_one_the_paging_knows():
    assert set(SORTS) == set(CUSTOMER_ORDERING)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("who", ["admin", "sup_north", "clerk_south", "m1", "spec"])
def test_every_page_has_the_rows_of_offset_paging(settings, crowd, people, login, who, sort):
    settings.PAGE_SIZE = PAGE
    user = people[who]
    pages = expected_pages(user, sort)
    assert sum(map(len, pages)) >= 5  # each scope sees more than one page
    client = login(user)
    for number, rows in enumerate(pages, start=1):
        r = client.get(URL, {"sort": sort, "page": number})
        assert numbers(r) == rows, (who, sort, number)
        assert r.context["page"].paginator.count == sum(map(len, pages))
    # Past the last page: the last page, as Django's get_page answers.
    assert numbers(client.get(URL, {"sort": sort, "page": len(pages) + 3})) == pages[-1]


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["number", "-name", "updated"])
def test_closed_customers_shown_on_request_page_by_page(settings, crowd, people, login, sort):
    settings.PAGE_SIZE = PAGE
    pages = expected_pages(people["admin"], sort, show_closed=True)
    assert len(pages) == 6
    client = login(people["admin"])
    for number, rows in enumerate(pages, start=1):
        assert numbers(client.get(URL, {"sort": sort, "page": number, "show_closed": "1"})) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "sup_north", "m1"])
def test_api_pages_have_the_rows_of_offset_paging(crowd, people, login, who):
    user = people[who]
    everyone = list(visible_customers(user).order_by("number").values_list("number", flat=True))
    client = login(user)
    for start in range(0, len(everyone), 3):
        r = client.get("/api/v1/customers/", {"page": start // 3 + 1, "page_size": 3})
        assert [row["number"] for row in r.json()["results"]] == everyone[start:start + 3]


def _index_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customers_customer'")
        return dict(cursor.fetchall())


@pytest.mark.skipif(not PG, reason="the list order's covering indexes are PostgreSQL only")
@pytest.mark.django_db
def test_postgres_list_order_indexes_cover_the_status_and_the_scope():
    """The ids of a page of the default list (open customers, by number, id) can be read from an
    index alone, for the whole company and for a scope: the rows OFFSET skips are never fetched
    from the table to test their status or scope. (Whether the planner takes it depends on the
    table's size and visibility map: docs/performance.md shows the plans at 100,000 and 200,000.)"""
    defs = _index_definitions()
    assert "(number, id) INCLUDE (lifecycle_status)" in defs["cust_number_id_status_idx"]
    assert ("(number, id) INCLUDE (lifecycle_status, org_unit_id, primary_manager_id, secondary_manager_id)"
            in defs["cust_number_id_scope_idx"])
    assert "cust_number_id_idx" not in defs  # replaced, not added to
