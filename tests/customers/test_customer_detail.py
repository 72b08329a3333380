"""The customer 360 page: scope, tabs, masked ID, audit trail, constant query count."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from powerkam.customers import services
from powerkam.customers.models import DataQualityFinding
from tests.factories import (
    ContactFactory,
    MeteringPointFactory,
    SupplyContractFactory,
    SupplyPointFactory,
    TransformerFactory,
    complete_customer,
    make_id_number,
)


def url(customer):
    return reverse("customers:detail", args=[customer.pk])


@pytest.mark.django_db
class TestScope:
    @pytest.mark.parametrize("who,status", [
        ("m1", 404), ("m2", 200), ("sup_north", 404), ("clerk_south", 200), ("exec", 200), ("admin", 200),
    ])
    def test_out_of_scope_is_404(self, archive, people, login, who, status):
        assert login(people[who]).get(url(archive["south"])).status_code == status

    def test_unknown_customer_is_404(self, people, login):
        assert login(people["admin"]).get(reverse("customers:detail", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_header_and_tabs(archive, people, login):
    cu = archive["north_a"]
    html = login(people["m1"]).get(url(cu)).content.decode()
    assert cu.number in html and cu.name in html and cu.credit_code in html
    assert "王经理" in html and "城北一所" in html
    for tab in ("overview", "contacts", "power", "equipment", "metering", "contracts", "quality", "timeline", "audit"):
        assert f'id="tab-{tab}"' in html
    assert reverse("customers:edit", args=[cu.pk]) in html


@pytest.mark.django_db
def test_executive_sees_no_edit_buttons(archive, people, login):
    cu = archive["north_a"]
    TransformerFactory(customer=cu)
    html = login(people["exec"]).get(url(cu)).content.decode()
    assert reverse("customers:edit", args=[cu.pk]) not in html
    assert reverse("customers:close", args=[cu.pk]) not in html
    assert "/transformer/new/" not in html


@pytest.mark.django_db
class TestIdNumber:
    @pytest.fixture
    def person(self, archive):
        cu = archive["north_a"]
        cu.id_number = make_id_number(7)
        cu.save()
        return cu

    def test_masked_for_manager(self, person, people, login):
        html = login(people["m1"]).get(url(person)).content.decode()
        assert person.id_number not in html
        assert person.masked_id_number() in html

    def test_full_for_supervisor(self, person, people, login):
        html = login(people["sup_north"]).get(url(person)).content.decode()
        assert person.id_number in html


@pytest.mark.django_db
def test_archive_tabs_show_records(archive, people, login):
    cu = archive["north_a"]
    ContactFactory(customer=cu, name="电工老周", mobile="13900001111")
    SupplyPointFactory(customer=cu, name="1号电源")
    SupplyPointFactory(customer=cu, name="2号电源", supply_line=None, substation=None, source_type="backup")
    TransformerFactory(customer=cu, capacity_kva=Decimal("315"), quantity=2)
    TransformerFactory(customer=cu, capacity_kva=Decimal("500"), quantity=1, in_service=False)
    MeteringPointFactory(customer=cu, number="MP-OK")
    MeteringPointFactory(customer=cu, number="MP-BAD", multiplier=Decimal("100"))
    SupplyContractFactory(customer=cu, number="HT-OLD", valid_from=date(2015, 1, 1), valid_to=date(2019, 12, 31))
    DataQualityFinding.objects.create(customer=cu, rule="capacity_mismatch",
                                      params={"transformers_kva": "630", "contract_kva": "800"})
    r = login(people["m1"]).get(url(cu))
    html = r.content.decode()
    assert "电工老周" in html and "13900001111" in html
    assert "2号电源" in html
    summary = r.context["transformers"]
    assert summary["in_service_kva"] == Decimal("630") and not summary["matches"]
    assert html.count("multiplier-mismatch") == 1
    assert "contract-expired" in html
    assert "630" in html and "800" in html  # the finding's text


@pytest.mark.django_db
def test_timeline_newest_first(archive, people, login):
    cu = archive["north_a"]
    services.add_timeline_event(cu, "test", "第一件事")
    services.add_timeline_event(cu, "test", "第二件事")
    r = login(people["m1"]).get(url(cu))
    titles = [e.title for e in r.context["timeline"]]
    assert titles[:2] == ["第二件事", "第一件事"]


@pytest.mark.django_db
def test_audit_trail_shows_who_what_old_new(archive, people, login):
    cu = archive["north_a"]
    m1 = people["m1"]
    services.update_customer(cu, actor=m1, name="城北特钢有限公司", contract_capacity_kva=Decimal("1000"))
    contact = ContactFactory(customer=cu, name="老周")
    contact.mobile = "13800000000"
    services.save_record(contact, actor=m1)
    services.delete_record(contact, actor=m1)
    r = login(m1).get(url(cu))
    audit = r.context["audit"]
    assert audit[0].action == "deleted" and audit[0].object_label == "老周"
    changes = {(ch.field, ch.old, ch.new) for e in audit for ch in e.changes}
    assert ("name", "城北钢铁有限公司", "城北特钢有限公司") in changes
    assert ("contract_capacity_kva", "800", "1000") in changes
    customer_change = next(e for e in audit if e.model_label == "customer" or e.changes and e.changes[0].field == "name")
    assert customer_change.who == m1
    html = r.content.decode()
    assert str(cu._meta.get_field("contract_capacity_kva").verbose_name) in html


@pytest.mark.django_db
def test_audit_trail_masks_id_number(archive, people, login):
    cu = archive["north_a"]
    services.update_customer(cu, actor=people["admin"], id_number=make_id_number(3))
    r = login(people["m1"]).get(url(cu))
    html = r.content.decode()
    assert make_id_number(3) not in html


@pytest.mark.django_db
def test_audit_trail_foreign_keys_by_name(archive, people, login):
    cu = archive["north_a"]
    services.update_customer(cu, actor=people["admin"], primary_manager=people["spec"])
    r = login(people["admin"]).get(url(cu))
    changes = [ch for e in r.context["audit"] for ch in e.changes if ch.field == "primary_manager"]
    assert (changes[0].old, changes[0].new) == ("王经理", "赵专员")


@pytest.mark.django_db
def test_query_count_constant_as_children_grow(org_tree, people, login):
    m1 = people["m1"]
    cu = complete_customer(org_unit=org_tree["s1"], primary_manager=m1)
    client = login(m1)

    def grow(n, tag):
        for i in range(n):
            contact = ContactFactory(customer=cu)
            services.save_record(contact, actor=m1)
            sp = SupplyPointFactory(customer=cu, name=f"{tag}电源{i}")
            TransformerFactory(customer=cu, supply_point=sp)
            MeteringPointFactory(customer=cu, supply_point=sp)
            SupplyContractFactory(customer=cu)
            DataQualityFinding.objects.create(customer=cu, rule=f"rule_{tag}_{i}")
            services.update_customer(cu, actor=m1, notes=f"{tag}{i}")

    grow(1, "a")
    client.get(url(cu))
    with CaptureQueriesContext(connection) as few:
        client.get(url(cu))
    grow(10, "b")
    with CaptureQueriesContext(connection) as many:
        r = client.get(url(cu))
    assert len(r.context["customer"].transformers.all()) == 12
    if len(many.captured_queries) != len(few.captured_queries):
        print("\n".join(q["sql"][:200] for q in many.captured_queries))
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("tab,active", [("audit", "audit"), ("nonsense", "overview"), ("", "overview")])
def test_tab_from_the_address(archive, people, login, tab, active):
    r = login(people["m1"]).get(url(archive["north_a"]), {"tab": tab})
    assert r.context["active_tab"] == active
