"""Energisation writes the archive in one transaction, audited (issue #12 §6): a new connection
creates the customer with exactly the supply points, transformers, metering points (CT × PT) and
contract the project describes; a capacity increase adds transformers and raises the capacity
with history; a reduction takes transformers out of service; the data-quality rules run."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.customers.models import (
    Customer,
    DataQualityFinding,
    MeteringPoint,
    SupplyContract,
    SupplyPoint,
    TimelineEvent,
    Transformer,
)
from powerkam.projects import constants as c
from powerkam.projects import services
from powerkam.projects.models import ProjectTransformer
from tests.factories import (
    CustomerFactory,
    SupplyContractFactory,
    SupplyPointFactory,
    TransformerFactory,
)

from .conftest import FULL_FLOW_DATES, d

pytestmark = pytest.mark.django_db


def _energisable(to_acceptance, planned, walk, **overrides):
    p = to_acceptance(**overrides)
    planned(p)
    return walk(p, *[d(x) for x in FULL_FLOW_DATES[6:]])


def test_a_new_connection_creates_exactly_the_described_archive(to_acceptance, planned, walk, people):
    p = _energisable(to_acceptance, planned, walk)
    before = Customer.objects.count()
    p = services.energise(p, actor=people["specialist"], energised_on=d("2024-04-29"), note="送电成功")
    assert Customer.objects.count() == before + 1
    cu = p.customer
    assert (cu.name, cu.address, cu.voltage_level, cu.industry) == ("城北新材料有限公司", "城北工业园 8 号", "10kV", "C")
    assert cu.lifecycle_status == "active" and cu.opened_on == d("2024-04-29")
    assert cu.org_unit == p.org_unit and cu.primary_manager == people["tracker"]
    assert cu.contract_capacity_kva == Decimal("1260") and cu.operating_capacity_kva == Decimal("1260")
    assert cu.pf_standard == "0.90"  # high-voltage large industry ≥ 160 kVA
    sp = SupplyPoint.objects.get(customer=cu)
    assert (sp.name, sp.capacity_kva, sp.voltage_level) == ("10kV 城北线 T 接", Decimal("1260"), "10kV")
    [tr] = Transformer.objects.filter(customer=cu)
    assert (tr.model_no, tr.capacity_kva, tr.quantity, tr.in_service, tr.supply_point) == (
        "SCB13-630/10", Decimal("630"), 2, True, sp)
    [mp] = MeteringPoint.objects.filter(customer=cu)
    assert (mp.number, mp.ct_ratio, mp.pt_ratio, mp.multiplier, mp.supply_point) == (
        "MP-0001", "100/5", "10000/100", Decimal("2000.00"), sp)
    [contract] = SupplyContract.objects.filter(customer=cu)
    assert (contract.number, contract.valid_from, contract.valid_to) == ("HT-2024-0001", d("2024-04-26"),
                                                                          d("2029-04-25"))
    # Audited: every new record's history names the person who energised.
    for row in (cu, sp, tr, mp, contract):
        assert row.history.first().history_user == people["specialist"]
    # The customer's timeline: created, accepted (back-dated), energised.
    titles = list(TimelineEvent.objects.filter(customer=cu, kind="project").values_list("title", flat=True))
    assert any("accepted" in t for t in titles) and any("energised" in t for t in titles)
    # Data quality ran on the result: it flags what a connection project does not record (the
    # feeder, the identity documents, the two-part tariff), nothing about capacity, metering or contract.
    assert set(DataQualityFinding.objects.filter(customer=cu, status="open").values_list("rule", flat=True)) == {
        "missing_supply_line", "identity_missing", "two_part_tariff_missing"}
    assert p.stage == c.Stage.ENERGISATION and p.status == c.Status.ENERGISED and p.energised_on == d("2024-04-29")
    assert p.current_stage is None and p.due_on is None


def test_a_prospect_is_completed_not_duplicated(to_acceptance, planned, walk, people, org_tree):
    prospect = CustomerFactory(org_unit=org_tree["s1"], lifecycle_status="potential",
                               primary_manager=people["specialist"],
                               name="城北新材料有限公司", voltage_level="0.4kV", contract_capacity_kva=0,
                               operating_capacity_kva=0)
    p = _energisable(to_acceptance, planned, walk, customer=prospect)
    count = Customer.objects.count()
    p = services.energise(p, actor=people["specialist"], energised_on=d("2024-04-29"))
    assert Customer.objects.count() == count and p.customer == prospect
    prospect.refresh_from_db()
    assert prospect.lifecycle_status == "active" and prospect.voltage_level == "10kV"
    assert prospect.contract_capacity_kva == Decimal("1260")
    assert prospect.primary_manager == people["specialist"]  # kept: who developed it maintains it


def test_a_capacity_increase_adds_transformers_with_history(accept, walk, people, customer):
    SupplyContractFactory(customer=customer)
    SupplyPointFactory(customer=customer)
    TransformerFactory(customer=customer, capacity_kva=Decimal("400"), quantity=1)
    customer.contract_capacity_kva = customer.operating_capacity_kva = Decimal("400")
    customer.save()
    p = accept(d("2024-03-04"), application_type=c.ApplicationType.INCREASE,
               applicant_type=c.ApplicantType.EXISTING, customer=customer, applicant_name="")
    assert p.applicant_name == customer.name
    services.set_contractor(p, actor=people["specialist"], role=c.ContractorRole.BUILDER, name="安装公司",
                            licence_class="5", licence_valid_from=d("2022-01-01"), licence_valid_to=d("2027-01-01"))
    services.add_transformer(p, actor=people["specialist"], capacity_kva="800", model_no="S13-800/10")
    p = walk(p, *[d(x) for x in FULL_FLOW_DATES])
    p = services.energise(p, actor=people["specialist"], energised_on=d("2024-04-29"))
    customer.refresh_from_db()
    assert customer.contract_capacity_kva == Decimal("1200")
    assert Transformer.objects.filter(customer=customer, in_service=True).count() == 2
    capacities = [h.contract_capacity_kva for h in customer.history.order_by("history_id")]
    assert capacities[-1] == Decimal("1200") and Decimal("400") in capacities
    assert customer.history.first().history_user == people["specialist"]


def test_a_reduction_takes_a_transformer_out_of_service(accept, walk, people, customer):
    keep = TransformerFactory(customer=customer, capacity_kva=Decimal("630"), quantity=1)
    drop = TransformerFactory(customer=customer, capacity_kva=Decimal("400"), quantity=1)
    Customer.objects.filter(pk=customer.pk).update(contract_capacity_kva=1030, operating_capacity_kva=1030)
    p = accept(d("2024-03-04"), application_type=c.ApplicationType.REDUCTION,
               applicant_type=c.ApplicantType.EXISTING, customer=customer, requested_capacity_kva="400")
    assert p.flow == c.STAGES_REDUCTION
    services.add_transformer(p, actor=people["specialist"], action=c.TransformerAction.REMOVE, existing=drop)
    p = walk(p, d("2024-03-05"), d("2024-03-06"), d("2024-03-08"))
    services.energise(p, actor=people["specialist"], energised_on=d("2024-03-11"))
    customer.refresh_from_db()
    drop.refresh_from_db()
    keep.refresh_from_db()
    assert not drop.in_service and keep.in_service
    assert customer.contract_capacity_kva == Decimal("630")
    assert ProjectTransformer.objects.get(project=p).existing == drop


def test_energisation_needs_the_archive_data(to_acceptance, walk, people):
    p = to_acceptance()
    p = walk(p, *[d(x) for x in FULL_FLOW_DATES[6:]])
    with pytest.raises(ValidationError) as e:
        services.energise(p, actor=people["specialist"], energised_on=d("2024-04-29"))
    assert {"transformers", "supply_points", "metering_points", "contract_number"} <= set(e.value.message_dict)
    p.refresh_from_db()
    assert p.status == c.Status.OPEN and p.customer_id is None


def test_a_failure_while_writing_leaves_nothing(to_acceptance, planned, walk, people, monkeypatch):
    from powerkam.projects import energise

    p = _energisable(to_acceptance, planned, walk)
    count = Customer.objects.count()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(energise.quality, "evaluate", boom)
    with pytest.raises(RuntimeError):
        services.energise(p, actor=people["specialist"], energised_on=d("2024-04-29"))
    p.refresh_from_db()
    assert Customer.objects.count() == count and p.status == c.Status.OPEN and p.customer_id is None
    assert not SupplyContract.objects.filter(number="HT-2024-0001").exists()
