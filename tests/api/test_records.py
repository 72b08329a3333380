"""Archive records (contacts, supply points, transformers, metering points, contracts) via the API:
filterable by customer, written through services.save_record / delete_record."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from powerkam.customers.models import SupplyContract, TimelineEvent, Transformer
from tests.api.util import ids
from tests.factories import (
    ContactFactory,
    SupplyLineFactory,
    SupplyPointFactory,
    TransformerFactory,
)

pytestmark = pytest.mark.django_db


def test_records_filter_by_customer(world, api):
    a = ContactFactory(customer=world.c1)
    b = ContactFactory(customer=world.c2)
    client = api(world.m1)
    assert ids(client.get(f"/api/v1/contacts/?customer={world.c1.pk}")) == {a.pk}
    assert ids(client.get(f"/api/v1/contacts/?customer={world.c2.pk}")) == {b.pk}


def test_create_goes_through_save_record(world, api):
    response = api(world.m1).post("/api/v1/transformers/", {
        "customer": world.c1.pk, "model_no": "SCB13-630/10", "capacity_kva": "630", "quantity": 2}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["total_kva"] == "1260.00"
    transformer = Transformer.objects.get(pk=response.json()["id"])
    assert transformer.history.first().history_user == world.m1
    assert TimelineEvent.objects.filter(customer=world.c1, kind="archive.transformer").exists()


def test_negative_capacity_is_a_field_error(world, api):
    response = api(world.m1).post("/api/v1/transformers/", {
        "customer": world.c1.pk, "capacity_kva": "-400"}, format="json")
    assert response.status_code == 400
    assert "capacity_kva" in response.json()
    assert not Transformer.objects.exists()


def test_customer_is_fixed_once_the_record_exists(world, api):
    transformer = TransformerFactory(customer=world.c1)
    response = api(world.m1).patch(f"/api/v1/transformers/{transformer.pk}/",
                                   {"customer": world.c2.pk, "in_service": False}, format="json")
    assert response.status_code == 200
    transformer.refresh_from_db()
    assert transformer.customer == world.c1 and not transformer.in_service


def test_records_of_a_closed_customer_are_not_edited(world, api):
    client = api(world.m1)
    client.post(f"/api/v1/customers/{world.c1.pk}/close/", {"reason": "销户"}, format="json")
    response = client.post("/api/v1/contacts/", {"customer": world.c1.pk, "name": "x"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_supply_point_line_must_leave_the_substation(world, api):
    line = SupplyLineFactory()
    other = SupplyLineFactory()
    client = api(world.m1)
    response = client.post("/api/v1/supply-points/", {
        "customer": world.c1.pk, "name": "2号电源", "supply_line": line.pk, "substation": other.substation.pk},
        format="json")
    assert response.status_code == 400 and "supply_line" in response.json()
    response = client.post("/api/v1/supply-points/", {
        "customer": world.c1.pk, "name": "2号电源", "supply_line": line.pk, "capacity_kva": "500"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["substation"] == line.substation.pk
    assert response.json()["substation_name"] == line.substation.name
    assert response.json()["supply_line_name"] == line.name


def test_supply_point_of_another_customer_is_refused(world, api):
    point = SupplyPointFactory(customer=world.c2)
    response = api(world.m1).post("/api/v1/metering-points/", {
        "customer": world.c1.pk, "supply_point": point.pk, "number": "MP9", "multiplier": "1"}, format="json")
    assert response.status_code == 400
    assert "supply_point" in response.json()


def test_metering_point_shows_expected_multiplier(world, api):
    response = api(world.m1).post("/api/v1/metering-points/", {
        "customer": world.c1.pk, "number": "MP1", "ct_ratio": "200/5", "pt_ratio": "10000/100",
        "multiplier": "4000"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["expected_multiplier"] == "4000.0000"
    bad = api(world.m1).post("/api/v1/metering-points/", {
        "customer": world.c1.pk, "number": "MP2", "ct_ratio": "200", "multiplier": "1"}, format="json")
    assert bad.status_code == 400 and "ct_ratio" in bad.json()


def test_contract_scan_upload_is_multipart(world, api):
    scan = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = api(world.m1).post("/api/v1/contracts/", {
        "customer": world.c1.pk, "number": "GYD-2025-001", "valid_from": "2025-01-01", "valid_to": "2029-12-31",
        "scan": scan}, format="multipart")
    assert response.status_code == 201, response.content
    contract = SupplyContract.objects.get(number="GYD-2025-001")
    assert contract.scan.name.startswith(f"contracts/{world.c1.pk}/")
    assert response.json()["scan"].endswith(".pdf")
    # The scan is served only through the scope (core protected_media).
    assert api(world.m1).get(f"/media/{contract.scan.name}").status_code == 200
    assert api(world.m2).get(f"/media/{contract.scan.name}").status_code == 404


def test_contract_scan_must_be_a_document(world, api):
    page = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    response = api(world.m1).post("/api/v1/contracts/", {
        "customer": world.c1.pk, "number": "GYD-2025-002", "valid_from": "2025-01-01", "valid_to": "2029-12-31",
        "scan": page}, format="multipart")
    assert response.status_code == 400 and "scan" in response.json()
    assert not SupplyContract.objects.exists()


def test_contract_cannot_end_before_it_starts(world, api):
    response = api(world.m1).post("/api/v1/contracts/", {
        "customer": world.c1.pk, "number": "GYD-2025-003", "valid_from": "2025-01-01", "valid_to": "2024-12-31"},
        format="json")
    assert response.status_code == 400 and "valid_to" in response.json()


def test_delete_goes_through_delete_record(world, api):
    contact = ContactFactory(customer=world.c1)
    assert api(world.m1).delete(f"/api/v1/contacts/{contact.pk}/").status_code == 204
    assert TimelineEvent.objects.filter(customer=world.c1, kind="archive.contact", title__contains=contact.name).exists()


def test_findings_filters(world, api):
    from powerkam.customers.models import DataQualityFinding

    a = DataQualityFinding.objects.create(customer=world.c1, rule="metering_missing")
    b = DataQualityFinding.objects.create(customer=world.c4, rule="contract_expired", params={"valid_to": "-"})
    c = DataQualityFinding.objects.create(customer=world.c3, rule="metering_missing", status="resolved")
    client = api(world.admin)
    assert ids(client.get("/api/v1/findings/?rule=metering_missing")) == {a.pk, c.pk}
    assert ids(client.get("/api/v1/findings/?status=open")) == {a.pk, b.pk}
    assert ids(client.get(f"/api/v1/findings/?customer={world.c4.pk}")) == {b.pk}
    assert ids(client.get(f"/api/v1/findings/?org_unit={world.north.pk}")) == {a.pk, b.pk}
    row = client.get(f"/api/v1/findings/{b.pk}/").json()
    assert row["rule_label"] and row["text"] and row["customer_number"] == world.c4.number


def test_grid_reference_data_is_admin_written(world, api):
    assert api(world.m1).get("/api/v1/substations/").status_code == 200
    assert api(world.m1).post("/api/v1/substations/", {"name": "新城110kV变电站"}, format="json").status_code == 403
    response = api(world.admin).post("/api/v1/substations/", {"name": "新城110kV变电站"}, format="json")
    assert response.status_code == 201
    line = api(world.admin).post("/api/v1/supply-lines/", {"substation": response.json()["id"], "name": "新城线"},
                                 format="json")
    assert line.status_code == 201
    # A substation with lines is in use: 409, not a server error.
    assert api(world.admin).delete(f"/api/v1/substations/{response.json()['id']}/").status_code == 409
