"""Every API list, detail, child record and export answers within the caller's scope."""

import csv
import io

import openpyxl
import pytest

from powerkam.customers.models import Contact, Customer
from tests.api.util import ids
from tests.factories import ContactFactory, SupplyPointFactory

pytestmark = pytest.mark.django_db

VISIBLE = {
    "m1": {"c1", "c2"},  # c2 as secondary manager (1+1)
    "m2": {"c3"},
    "m3": {"c2"},
    "supervisor": {"c1", "c2", "c4"},  # the north subtree
    "clerk": {"c1", "c2", "c4"},
    "executive": {"c1", "c2", "c3", "c4"},
    "admin": {"c1", "c2", "c3", "c4"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_customer_list_is_the_callers_scope(world, api, who):
    response = api(getattr(world, who)).get("/api/v1/customers/")
    assert ids(response) == {getattr(world, c).pk for c in VISIBLE[who]}
    assert response.json()["count"] == len(VISIBLE[who])


def test_out_of_scope_detail_is_404_not_403(world, api):
    client = api(world.m1)
    assert client.get(f"/api/v1/customers/{world.c1.pk}/").status_code == 200
    assert client.get(f"/api/v1/customers/{world.c2.pk}/").status_code == 200
    for customer in (world.c3, world.c4):
        assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 404
        assert client.get(f"/api/v1/customers/{customer.pk}/history/").status_code == 404
        assert client.patch(f"/api/v1/customers/{customer.pk}/", {"name": "x"}, format="json").status_code == 404
        assert client.post(f"/api/v1/customers/{customer.pk}/close/", {"reason": "x"}, format="json").status_code == 404
    assert Customer.objects.get(pk=world.c3.pk).name == world.c3.name


def test_unknown_and_out_of_scope_look_the_same(world, api):
    client = api(world.m2)
    assert client.get(f"/api/v1/customers/{world.c1.pk}/").status_code == 404
    assert client.get("/api/v1/customers/999999/").status_code == 404


def test_child_records_follow_their_customer(world, api):
    mine = ContactFactory(customer=world.c1)
    theirs = ContactFactory(customer=world.c3)
    client = api(world.m1)
    assert ids(client.get("/api/v1/contacts/")) == {mine.pk}
    assert ids(client.get(f"/api/v1/contacts/?customer={world.c3.pk}")) == set()
    assert client.get(f"/api/v1/contacts/{theirs.pk}/").status_code == 404
    assert client.patch(f"/api/v1/contacts/{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/contacts/{theirs.pk}/").status_code == 404
    assert Contact.objects.filter(pk=theirs.pk, name=theirs.name).exists()


def test_creating_a_record_for_an_out_of_scope_customer_writes_nothing(world, api):
    response = api(world.m1).post("/api/v1/contacts/", {"customer": world.c3.pk, "name": "王五"}, format="json")
    assert response.status_code == 400
    assert "customer" in response.json()
    assert not Contact.objects.filter(name="王五").exists()


def test_supply_point_of_out_of_scope_customer_is_not_accepted(world, api):
    foreign_point = SupplyPointFactory(customer=world.c3)
    response = api(world.m1).post("/api/v1/transformers/", {
        "customer": world.c1.pk, "supply_point": foreign_point.pk, "capacity_kva": "400"}, format="json")
    assert response.status_code == 400
    assert "supply_point" in response.json()


def test_supervisor_sees_subtree_records(world, api):
    north = ContactFactory(customer=world.c4)
    ContactFactory(customer=world.c3)
    assert ids(api(world.supervisor).get("/api/v1/contacts/")) == {north.pk}


def test_executive_reads_everything_and_writes_nothing(world, api):
    client = api(world.executive)
    assert client.get(f"/api/v1/customers/{world.c3.pk}/").status_code == 200
    assert client.post("/api/v1/customers/", {"number": "3199", "name": "x", "org_unit": world.s1.pk},
                       format="json").status_code == 403
    assert client.patch(f"/api/v1/customers/{world.c1.pk}/", {"name": "改名"}, format="json").status_code == 403
    assert client.post(f"/api/v1/customers/{world.c1.pk}/close/", {"reason": "x"}, format="json").status_code == 403
    assert client.post("/api/v1/contacts/", {"customer": world.c1.pk, "name": "x"}, format="json").status_code == 403
    assert client.post("/api/v1/org-units/", {"code": "X", "name": "x", "kind": "station"},
                       format="json").status_code == 403
    assert Customer.objects.get(pk=world.c1.pk).name == world.c1.name


def test_findings_are_scoped(world, api):
    from powerkam.customers.models import DataQualityFinding

    mine = DataQualityFinding.objects.create(customer=world.c1, rule="metering_missing")
    DataQualityFinding.objects.create(customer=world.c3, rule="metering_missing")
    assert ids(api(world.m1).get("/api/v1/findings/")) == {mine.pk}


@pytest.mark.parametrize("param", ["format", "file_format"])
def test_xlsx_export_contains_only_visible_rows(world, api, param):
    response = api(world.m1).get(f"/api/v1/customers/export/?{param}=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {world.c1.number, world.c2.number}


def test_csv_export_applies_filters_and_scope(world, api):
    response = api(world.supervisor).get("/api/v1/customers/export/?format=csv&q=北二")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert {row[0] for row in rows[1:]} == {world.c4.number, world.c2.number}  # 北二…: c2 and c4


def test_export_rejects_unknown_format(world, api):
    response = api(world.m1).get("/api/v1/customers/export/?format=pdf")
    assert response.status_code == 400


def test_export_masks_id_numbers_for_managers(world, api):
    response = api(world.supervisor).get("/api/v1/customers/export/?format=csv")
    full = b"".join(response.streaming_content).decode("utf-8-sig")
    assert world.c4.id_number in full  # supervisors may see full ID numbers
    world.c4.primary_manager = world.m1
    world.c4.save()
    response = api(world.m1).get("/api/v1/customers/export/?format=csv")
    masked = b"".join(response.streaming_content).decode("utf-8-sig")
    assert world.c4.id_number not in masked
    assert world.c4.masked_id_number() in masked
