"""Adding, changing and removing archive records (contacts, supply points, transformers,
metering points, contracts with their scanned copy) from the 360 page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from powerkam.customers.models import (
    Contact,
    MeteringPoint,
    SupplyContract,
    SupplyPoint,
    TimelineEvent,
    Transformer,
)
from tests.factories import ContactFactory, SupplyLineFactory, SupplyPointFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def add_url(customer, kind):
    return reverse("customers:record_add", args=[customer.pk, kind])


@pytest.mark.django_db
class TestAddRecords:
    def test_contact(self, archive, people, login):
        cu = archive["north_a"]
        client = login(people["m1"])
        assert client.get(add_url(cu, "contact")).status_code == 200
        r = client.post(add_url(cu, "contact"), {"name": "周电工", "role": "electrician", "mobile": "13900002222"})
        assert r.status_code == 302 and "tab=contacts" in r["Location"]
        contact = Contact.objects.get(customer=cu)
        assert contact.mobile == "13900002222"
        assert contact.history.first().history_user == people["m1"]
        assert TimelineEvent.objects.filter(customer=cu, kind="archive.contact").exists()

    def test_supply_point_takes_the_substation_of_its_line(self, archive, people, login):
        cu = archive["north_a"]
        line = SupplyLineFactory()
        r = login(people["m1"]).post(add_url(cu, "supply_point"), {
            "name": "1号电源", "source_type": "main", "supply_line": line.pk, "voltage_level": "10kV",
            "capacity_kva": "800"})
        assert r.status_code == 302
        assert SupplyPoint.objects.get(customer=cu).substation == line.substation

    def test_supply_line_of_another_substation_is_refused(self, archive, people, login):
        cu = archive["north_a"]
        line, other = SupplyLineFactory(), SupplyLineFactory()
        r = login(people["m1"]).post(add_url(cu, "supply_point"), {
            "name": "1号电源", "source_type": "main", "substation": other.substation.pk, "supply_line": line.pk,
            "voltage_level": "10kV", "capacity_kva": "800"})
        assert "supply_line" in r.context["form"].errors
        assert not SupplyPoint.objects.exists()

    def test_transformer_supply_point_must_be_the_customers(self, archive, people, login):
        cu = archive["north_a"]
        foreign = SupplyPointFactory(customer=archive["south"])
        r = login(people["m1"]).post(add_url(cu, "transformer"), {
            "supply_point": foreign.pk, "model_no": "S11", "capacity_kva": "400", "quantity": "2", "in_service": "on"})
        assert "supply_point" in r.context["form"].errors
        assert not Transformer.objects.exists()

    def test_metering_point_bad_ratio(self, archive, people, login):
        cu = archive["north_a"]
        r = login(people["m1"]).post(add_url(cu, "metering_point"), {
            "number": "MP1", "ct_ratio": "75-5", "pt_ratio": "10000/100", "multiplier": "1500"})
        assert "ct_ratio" in r.context["form"].errors
        assert not MeteringPoint.objects.exists()

    def test_duplicate_metering_point_number_is_an_error(self, archive, people, login):
        cu = archive["north_a"]
        data = {"number": "MP1", "ct_ratio": "75/5", "pt_ratio": "10000/100", "multiplier": "1500"}
        client = login(people["m1"])
        assert client.post(add_url(cu, "metering_point"), data).status_code == 302
        r = client.post(add_url(cu, "metering_point"), data)
        assert r.status_code == 200 and r.context["form"].errors
        assert MeteringPoint.objects.count() == 1

    def test_unknown_kind_is_404(self, archive, people, login):
        assert login(people["m1"]).get(add_url(archive["north_a"], "bill")).status_code == 404


@pytest.mark.django_db
class TestContractScan:
    def post(self, client, customer, upload, number="HT-1"):
        return client.post(add_url(customer, "contract"), {
            "number": number, "valid_from": "2025-01-01", "valid_to": "2030-12-31", "property_boundary": "进线柜",
            "scan": upload})

    def test_pdf_is_stored_and_served_through_the_scope(self, archive, people, login):
        cu = archive["north_a"]
        client = login(people["m1"])
        r = self.post(client, cu, SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf"))
        assert r.status_code == 302
        contract = SupplyContract.objects.get(customer=cu)
        assert contract.scan.name.startswith(f"contracts/{cu.pk}/")
        html = client.get(reverse("customers:detail", args=[cu.pk])).content.decode()
        media_url = reverse("media", args=[contract.scan.name])
        assert media_url in html
        assert b"".join(client.get(media_url).streaming_content) == PDF
        assert login(people["m2"]).get(media_url).status_code == 404

    def test_png_is_accepted(self, archive, people, login):
        r = self.post(login(people["m1"]), archive["north_a"], SimpleUploadedFile("scan.png", PNG, content_type="image/png"))
        assert r.status_code == 302

    @pytest.mark.parametrize("name,content", [
        ("contract.docx", b"PK\x03\x04 word"),
        ("contract.exe", b"MZ"),
        ("fake.pdf", b"MZ this is not a pdf"),
    ])
    def test_other_files_are_refused(self, archive, people, login, name, content):
        r = self.post(login(people["m1"]), archive["north_a"], SimpleUploadedFile(name, content))
        assert "scan" in r.context["form"].errors
        assert not SupplyContract.objects.exists()

    def test_more_than_10_mb_is_refused(self, archive, people, login, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
        big = PDF + b"0" * (10 * 1024 * 1024)
        r = self.post(login(people["m1"]), archive["north_a"], SimpleUploadedFile("big.pdf", big))
        assert "scan" in r.context["form"].errors
        assert not SupplyContract.objects.exists()

    def test_contract_ending_before_it_starts(self, archive, people, login):
        r = login(people["m1"]).post(add_url(archive["north_a"], "contract"), {
            "number": "HT-2", "valid_from": "2030-01-01", "valid_to": "2025-12-31"})
        assert "valid_to" in r.context["form"].errors
        assert not SupplyContract.objects.exists()


@pytest.mark.django_db
class TestEditAndDelete:
    def test_edit_contact(self, archive, people, login):
        contact = ContactFactory(customer=archive["north_a"], name="老周")
        url = reverse("customers:record_edit", args=[contact.customer_id, "contact", contact.pk])
        r = login(people["m1"]).post(url, {"name": "周师傅", "role": "electrician", "mobile": contact.mobile})
        assert r.status_code == 302
        contact.refresh_from_db()
        assert contact.name == "周师傅"

    def test_delete_contact(self, archive, people, login):
        contact = ContactFactory(customer=archive["north_a"])
        url = reverse("customers:record_delete", args=[contact.customer_id, "contact", contact.pk])
        client = login(people["m1"])
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 302
        assert not Contact.objects.exists()

    def test_record_of_another_customer_is_404(self, archive, people, login):
        contact = ContactFactory(customer=archive["north_b"])
        url = reverse("customers:record_edit", args=[archive["north_a"].pk, "contact", contact.pk])
        assert login(people["m1"]).get(url).status_code == 404

    def test_out_of_scope_customer_is_404(self, archive, people, login):
        contact = ContactFactory(customer=archive["south"])
        url = reverse("customers:record_delete", args=[archive["south"].pk, "contact", contact.pk])
        assert login(people["m1"]).post(url).status_code == 404
        assert Contact.objects.exists()

    def test_executive_cannot_change_records(self, archive, people, login):
        contact = ContactFactory(customer=archive["north_a"])
        client = login(people["exec"])
        assert client.post(add_url(archive["north_a"], "contact"), {"name": "x"}).status_code == 403
        url = reverse("customers:record_delete", args=[archive["north_a"].pk, "contact", contact.pk])
        assert client.post(url).status_code == 403
        assert Contact.objects.count() == 1
