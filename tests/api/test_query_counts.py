"""List endpoints issue a constant number of queries whatever the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.customers.models import DataQualityFinding
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    MeteringPointFactory,
    SupplyContractFactory,
    SupplyPointFactory,
    TransformerFactory,
)

pytestmark = pytest.mark.django_db


def populate(world, n: int) -> None:
    for i in range(n):
        manager = world.m1 if i % 2 else world.m3
        customer = CustomerFactory(org_unit=world.s2, primary_manager=manager,
                                   secondary_manager=world.m1 if manager == world.m3 else None)
        ContactFactory(customer=customer)
        point = SupplyPointFactory(customer=customer)
        TransformerFactory(customer=customer, supply_point=point)
        MeteringPointFactory(customer=customer, supply_point=point)
        SupplyContractFactory(customer=customer)
        DataQualityFinding.objects.create(customer=customer, rule="metering_missing")


URLS = ["/api/v1/customers/", "/api/v1/contacts/", "/api/v1/supply-points/", "/api/v1/transformers/",
        "/api/v1/metering-points/", "/api/v1/contracts/", "/api/v1/findings/"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("who", ["m1", "supervisor"])
def test_list_query_count_is_constant(world, api, django_assert_num_queries, url, who):
    client = api(getattr(world, who))
    populate(world, 5)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] >= 5
    populate(world, 25)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.json()["count"] >= 30


def test_staff_list_query_count_is_constant(world, api, make_staff, django_assert_num_queries):
    def hire(n):
        for _ in range(n):
            CustomerFactory(org_unit=world.s1, primary_manager=make_staff("manager", world.s1))

    client = api(world.m1)
    hire(5)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/staff/")
    hire(25)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/staff/")
    assert response.json()["count"] >= 30


def test_customer_detail_query_count_is_constant(world, api, django_assert_num_queries):
    client = api(world.m1)
    customer = world.c1
    for _ in range(2):
        ContactFactory(customer=customer)
        SupplyPointFactory(customer=customer)
        TransformerFactory(customer=customer)
        MeteringPointFactory(customer=customer)
        SupplyContractFactory(customer=customer)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/customers/{customer.pk}/")
    for _ in range(10):
        ContactFactory(customer=customer)
        SupplyPointFactory(customer=customer)
        TransformerFactory(customer=customer)
        MeteringPointFactory(customer=customer)
        SupplyContractFactory(customer=customer)
        customer.timeline.create(kind="test", title="x")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(f"/api/v1/customers/{customer.pk}/")
