"""Customers through the API: create/update go through the services, bad input is a 400
with field errors and writes nothing, no hard delete (close/reopen), ID numbers masked."""

from datetime import date

import pytest
from django.utils import timezone

from powerkam.core.scoped import NOT_VISIBLE
from powerkam.customers import constants as c
from powerkam.customers.models import Customer, DataQualityFinding, TimelineEvent
from tests.factories import (
    ContactFactory,
    MeteringPointFactory,
    SupplyContractFactory,
    SupplyPointFactory,
    TransformerFactory,
    make_id_number,
    make_uscc,
)

pytestmark = pytest.mark.django_db


def new_customer(world, **extra):
    return {"number": "3190000001", "name": "新建电子有限公司", "org_unit": world.s1.pk,
            "credit_code": make_uscc(4242), "legal_representative": "李四", "usage_category": "large_industry",
            "basic_charge_method": "capacity", "contract_capacity_kva": "630.00", **extra}


def test_manager_creates_a_customer_and_owns_it(world, api):
    response = api(world.m1).post("/api/v1/customers/", new_customer(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(number="3190000001")
    assert body["id"] == customer.pk
    # 谁开发，谁维护: the developer defaults to the caller and becomes the primary manager.
    assert customer.developed_by == world.m1 and customer.primary_manager == world.m1
    assert body["timeline"][0]["kind"] == "archive.created"
    assert customer.history.first().history_user == world.m1


def test_lower_case_credit_code_is_normalised(world, api):
    code = make_uscc(4243)
    response = api(world.m1).post("/api/v1/customers/", new_customer(world, credit_code=code.lower()), format="json")
    assert response.status_code == 201, response.content
    assert Customer.objects.get(number="3190000001").credit_code == code


def test_invalid_credit_code_is_a_field_error_and_writes_nothing(world, api):
    code = make_uscc(4244)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = api(world.m1).post("/api/v1/customers/", new_customer(world, credit_code=wrong), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["credit_code"]
    assert "GB 32100" in response.json()["credit_code"][0]
    assert not Customer.objects.filter(number="3190000001").exists()
    assert not TimelineEvent.objects.filter(kind="archive.created").exists()


def test_negative_capacity_is_a_field_error(world, api):
    response = api(world.m1).post("/api/v1/customers/", new_customer(world, contract_capacity_kva="-5"), format="json")
    assert response.status_code == 400
    assert "contract_capacity_kva" in response.json()
    assert not Customer.objects.filter(number="3190000001").exists()


def test_service_rules_come_back_as_field_errors(world, api):
    # The secondary manager must differ from the primary (1+1): a rule of the service, not the serializer.
    response = api(world.admin).post("/api/v1/customers/", new_customer(
        world, primary_manager=world.m1.pk, secondary_manager=world.m1.pk), format="json")
    assert response.status_code == 400
    assert "secondary_manager" in response.json()
    assert not Customer.objects.filter(number="3190000001").exists()


def test_creating_outside_ones_scope_is_refused(world, api):
    # A north supervisor cannot create a customer in the south: the unit is not one the page
    # offers them, so it is refused like a unit that does not exist.
    response = api(world.supervisor).post("/api/v1/customers/", new_customer(world, org_unit=world.s3.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"org_unit": [str(NOT_VISIBLE)]}
    assert not Customer.objects.filter(number="3190000001").exists()
    assert not TimelineEvent.objects.filter(kind="archive.created").exists()


def test_partial_update_goes_through_the_service(world, api):
    response = api(world.m1).patch(f"/api/v1/customers/{world.c1.pk}/", {"tariff_code": "DGY-10"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["tariff_code"] == "DGY-10"
    world.c1.refresh_from_db()
    assert world.c1.tariff_code == "DGY-10"
    assert world.c1.timeline.filter(kind="archive.updated").exists()


def test_update_with_bad_value_changes_nothing(world, api):
    response = api(world.m1).patch(f"/api/v1/customers/{world.c1.pk}/",
                                   {"name": "改名", "operating_capacity_kva": "-1"}, format="json")
    assert response.status_code == 400
    assert "operating_capacity_kva" in response.json()
    assert Customer.objects.get(pk=world.c1.pk).name == world.c1.name


def test_no_hard_delete(world, api):
    response = api(world.admin).delete(f"/api/v1/customers/{world.c1.pk}/")
    assert response.status_code == 405
    assert Customer.objects.filter(pk=world.c1.pk).exists()


def test_close_and_reopen(world, api):
    client = api(world.m1)
    url = f"/api/v1/customers/{world.c1.pk}/"
    response = client.post(url + "close/", {"reason": "企业搬迁", "closed_on": "2025-06-30"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["lifecycle_status"] == "closed"
    assert response.json()["close_reason"] == "企业搬迁"
    world.c1.refresh_from_db()
    assert world.c1.is_closed and world.c1.closed_on == date(2025, 6, 30)

    # A closed customer is not edited, and is not closed twice.
    assert client.patch(url, {"name": "x"}, format="json").status_code == 400
    again = client.post(url + "close/", {"reason": "again"}, format="json")
    assert again.status_code == 400 and "non_field_errors" in again.json()

    response = client.post(url + "reopen/", format="json")
    assert response.status_code == 200
    assert response.json()["lifecycle_status"] == "active"
    assert response.json()["closed_on"] is None
    assert client.post(url + "reopen/", format="json").status_code == 400
    kinds = list(world.c1.timeline.values_list("kind", flat=True))
    assert "archive.closed" in kinds and "archive.reopened" in kinds


def test_close_needs_a_reason(world, api):
    response = api(world.m1).post(f"/api/v1/customers/{world.c1.pk}/close/", {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert not Customer.objects.get(pk=world.c1.pk).is_closed


def test_close_before_opening_date_is_a_field_error(world, api):
    world.c1.opened_on = date(2024, 1, 1)
    world.c1.save()
    response = api(world.m1).post(f"/api/v1/customers/{world.c1.pk}/close/",
                                  {"reason": "x", "closed_on": "2023-12-31"}, format="json")
    assert response.status_code == 400
    assert "closed_on" in response.json()


def test_lifecycle_status_cannot_close_a_customer(world, api):
    response = api(world.m1).patch(f"/api/v1/customers/{world.c1.pk}/", {"lifecycle_status": "closed"}, format="json")
    assert response.status_code == 400
    assert "lifecycle_status" in response.json()


@pytest.mark.parametrize("who, masked", [("m1", True), ("executive", True), ("supervisor", False),
                                         ("clerk", False), ("admin", False)])
def test_id_number_is_masked_in_list_and_detail(world, api, who, masked):
    person = world.c2
    person.customer_type = c.CustomerType.PERSON
    person.id_number = make_id_number(11)
    person.save()
    client = api(getattr(world, who))
    expected = person.masked_id_number() if masked else person.id_number
    rows = {r["id"]: r for r in client.get("/api/v1/customers/").json()["results"]}
    assert rows[person.pk]["id_number"] == expected
    assert client.get(f"/api/v1/customers/{person.pk}/").json()["id_number"] == expected
    if masked:
        assert "*" in expected


def test_sending_back_the_masked_id_number_keeps_the_stored_one(world, api):
    person = world.c2
    person.id_number = make_id_number(12)
    person.save()
    client = api(world.m1)
    shown = client.get(f"/api/v1/customers/{person.pk}/").json()["id_number"]
    response = client.patch(f"/api/v1/customers/{person.pk}/", {"id_number": shown, "notes": "回访"}, format="json")
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.id_number == make_id_number(12) and person.notes == "回访"


def test_detail_nests_the_archive(world, api):
    customer = world.c1
    ContactFactory(customer=customer, name="赵六", is_primary=True)
    point = SupplyPointFactory(customer=customer)
    TransformerFactory(customer=customer, supply_point=point)
    MeteringPointFactory(customer=customer, supply_point=point, multiplier="1000")
    SupplyContractFactory(customer=customer)
    DataQualityFinding.objects.create(customer=customer, rule="multiplier_mismatch", params={"points": "MP1"})
    DataQualityFinding.objects.create(customer=customer, rule="metering_missing", status="resolved",
                                      resolved_at=timezone.now())
    for i in range(55):
        customer.timeline.create(kind="test", title=f"event {i}")
    body = api(world.m1).get(f"/api/v1/customers/{customer.pk}/").json()
    assert body["contacts"][0]["name"] == "赵六"
    assert body["supply_points"][0]["supply_line_name"] == point.supply_line.name
    assert body["supply_points"][0]["substation_name"] == point.supply_line.substation.name
    assert body["transformers"][0]["total_kva"] == "800.00"
    assert body["metering_points"][0]["expected_multiplier"] == "1500.0000"  # 75/5 × 10000/100
    assert len(body["contracts"]) == 1
    assert [f["rule"] for f in body["open_findings"]] == ["multiplier_mismatch"]
    assert "MP1" in body["open_findings"][0]["text"] and body["open_findings"][0]["label"]
    assert body["open_findings_count"] == 1
    assert len(body["timeline"]) == 50


def test_list_filters_search_ordering_and_page_size(world, api):
    client = api(world.admin)
    assert {r["name"] for r in client.get("/api/v1/customers/?q=北二").json()["results"]} == {world.c2.name, world.c4.name}
    assert {r["id"] for r in client.get(f"/api/v1/customers/?org_unit={world.north.pk}").json()["results"]} == {
        world.c1.pk, world.c2.pk, world.c4.pk}
    assert {r["id"] for r in client.get(f"/api/v1/customers/?manager={world.m1.pk}").json()["results"]} == {
        world.c1.pk, world.c2.pk}
    numbers = [r["number"] for r in client.get("/api/v1/customers/?ordering=-number").json()["results"]]
    assert numbers == sorted(numbers, reverse=True)
    page = client.get("/api/v1/customers/?page_size=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
