"""The customer API list at scale (issue #2): rows written directly must be what the serializer
writes, a remembered count must stay per scope and filter and be exact where it matters, and
the search shortcut must return what the filter set returns."""

import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.request import Request

from powerkam.customers import api as customer_api
from powerkam.customers import paging, selectors
from powerkam.customers.models import Customer, DataQualityFinding
from powerkam.customers.serializers import CustomerListSerializer
from tests.api.util import ids
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def drf_rows(customers, user) -> list:
    request = Request(RequestFactory().get("/api/v1/customers/"))
    request.user = user
    return json.loads(json.dumps(CustomerListSerializer(customers, many=True, context={"request": request}).data))


@pytest.mark.parametrize("who", ["m1", "admin"])  # masked and full ID numbers
def test_list_rows_are_the_serializers_rows(world, who, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    user = getattr(world, who)
    CustomerFactory(org_unit=world.s1, primary_manager=None, secondary_manager=None, ka_tier="",
                    is_key_account=False, operating_capacity_kva=Decimal("0"), legal_representative="")
    CustomerFactory(org_unit=world.s2, primary_manager=world.m1, secondary_manager=world.m3,
                    contract_capacity_kva=Decimal("1250.5"), is_key_account=True)
    DataQualityFinding.objects.create(customer=world.c1, rule="metering_missing")
    DataQualityFinding.objects.create(customer=world.c1, rule="contract_missing")
    customers = list(selectors.customer_list_queryset(Customer.objects.order_by("number")))
    fast = json.loads(json.dumps(customer_api.list_rows(customers, user)))
    assert fast == drf_rows(customers, user)
    assert any(row["open_findings_count"] == 2 for row in fast)
    assert any(row["secondary_manager_name"] is None for row in fast)


def test_the_api_answers_with_the_serializers_rows(world, api):
    response = api(world.supervisor).get("/api/v1/customers/")
    rows = response.json()["results"]
    customers = list(selectors.customer_list_queryset(Customer.objects.filter(pk__in=[r["id"] for r in rows]))
                     .order_by("number"))
    assert rows == drf_rows(customers, world.supervisor)


@pytest.fixture
def small_count_cache(monkeypatch):
    """Remember counts from 3 rows on (the production threshold is 10,000)."""
    monkeypatch.setattr(paging, "COUNT_CACHE_MIN", 3)
    cache.clear()
    yield
    cache.clear()


def test_a_large_count_is_remembered_per_scope_and_filter(world, api, small_count_cache):
    admin, supervisor = api(world.admin), api(world.supervisor)
    assert admin.get("/api/v1/customers/?page_size=2").json()["count"] == 4
    assert supervisor.get("/api/v1/customers/?page_size=2").json()["count"] == 3
    CustomerFactory(org_unit=world.s1, primary_manager=world.m1)
    # Page 1 of a remembered count: the count may be up to COUNT_CACHE_SECONDS old …
    assert admin.get("/api/v1/customers/?page_size=2").json()["count"] == 4
    # … but not another filter's or another scope's count,
    assert admin.get(f"/api/v1/customers/?page_size=2&org_unit={world.north.pk}").json()["count"] == 4
    assert api(world.m1).get("/api/v1/customers/?page_size=2").json()["count"] == 3
    # and the last page is counted exactly: its rows and its missing `next` link are right.
    last = admin.get("/api/v1/customers/?page_size=2&page=2").json()
    assert last["count"] == 5 and last["next"] is not None
    end = admin.get("/api/v1/customers/?page_size=2&page=3").json()
    assert end["count"] == 5 and end["next"] is None and len(end["results"]) == 1
    assert admin.get("/api/v1/customers/?page_size=2").json()["count"] == 5


def test_a_page_past_a_remembered_count_is_served_from_an_exact_count(world, api, small_count_cache):
    admin = api(world.admin)
    assert admin.get("/api/v1/customers/?page_size=2").json()["count"] == 4
    CustomerFactory(org_unit=world.s1)
    page = admin.get("/api/v1/customers/?page_size=2&page=3")
    assert page.status_code == 200
    assert page.json()["count"] == 5 and len(page.json()["results"]) == 1
    assert admin.get("/api/v1/customers/?page_size=2&page=4").status_code == 404


def test_small_counts_are_never_remembered(world, api):
    cache.clear()
    client = api(world.admin)
    assert client.get("/api/v1/customers/").json()["count"] == 4
    CustomerFactory(org_unit=world.s1)
    assert client.get("/api/v1/customers/").json()["count"] == 5


@pytest.mark.parametrize("who", ["m1", "supervisor", "admin"])
@pytest.mark.parametrize("term", ["有限", "北二", "  北一  ", "", "1381234"])
def test_the_search_shortcut_finds_what_the_filter_set_finds(world, api, who, term):
    ContactFactory(customer=world.c2, mobile="13812345678")
    client = api(getattr(world, who))
    shortcut = client.get("/api/v1/customers/", {"q": term})
    # An empty filter forces the filter set's path: the same rows.
    filterset = client.get("/api/v1/customers/", {"q": term, "lifecycle_status": ""})
    assert ids(shortcut) == ids(filterset)
    assert shortcut.json()["count"] == filterset.json()["count"]


def test_a_search_with_a_nul_character_is_refused_as_before(world, api):
    assert api(world.admin).get("/api/v1/customers/", {"q": "北\x00"}).status_code == 400


def test_a_list_that_fits_on_one_page_is_read_without_a_count(world, api, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(world.admin)
    client.get("/api/v1/customers/")  # warm up (session, content types)
    with CaptureQueriesContext(connection) as one_page:
        response = client.get("/api/v1/customers/")
    assert response.json()["count"] == 4
    assert not any(q["sql"].upper().startswith("SELECT COUNT(*)") for q in one_page.captured_queries)
    # Longer than a page: one COUNT more, page 1 and a later page alike, and the rows of a later
    # page in one query with its ids' page as a subquery.
    with django_assert_num_queries(len(one_page.captured_queries) + 1):
        first = client.get("/api/v1/customers/?page_size=3")
    with CaptureQueriesContext(connection) as later:
        second = client.get("/api/v1/customers/?page_size=3&page=2")
    assert len(later.captured_queries) == len(one_page.captured_queries) + 1
    assert first.json()["count"] == second.json()["count"] == 4
    assert [r["number"] for r in first.json()["results"] + second.json()["results"]] == sorted(
        Customer.objects.values_list("number", flat=True))
    assert first.json()["next"] and second.json()["next"] is None


@pytest.mark.parametrize("ordering", ["name", "-number", "-contract_capacity_kva", "open_findings"])
def test_later_pages_follow_the_ordering(world, api, ordering):
    for i in range(5):
        CustomerFactory(org_unit=world.s1, name=f"北{i}号", contract_capacity_kva=Decimal(100 * (i % 3)))
    DataQualityFinding.objects.create(customer=world.c3, rule="metering_missing")
    client = api(world.admin)
    whole = [r["id"] for r in client.get(f"/api/v1/customers/?ordering={ordering}").json()["results"]]
    paged = []
    for page in (1, 2, 3):
        paged += [r["id"] for r in client.get(f"/api/v1/customers/?ordering={ordering}&page_size=4&page={page}")
                  .json()["results"]]
    assert paged == whole and len(paged) == 9  # ties split by id the same way on every page


def test_a_cache_outage_does_not_break_the_list(world, api, small_count_cache, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(paging.cache, "get", down)
    monkeypatch.setattr(paging.cache, "set", down)
    response = api(world.admin).get("/api/v1/customers/?page_size=2&page=2")
    assert response.status_code == 200 and response.json()["count"] == 4
