"""Archive data-quality rules (DOMAIN.md "Customer archive"), with worked examples."""

from datetime import date
from decimal import Decimal

import pytest

from powerkam.customers import constants as c
from powerkam.customers import quality, services
from powerkam.customers.models import DataQualityFinding
from tests.factories import (
    MeteringPointFactory,
    SupplyContractFactory,
    SupplyPointFactory,
    TransformerFactory,
    complete_customer,
)

pytestmark = pytest.mark.django_db(transaction=True)  # rules run on commit


def open_rules(customer):
    return set(customer.findings.filter(status="open").values_list("rule", flat=True))


def test_a_complete_archive_has_no_findings():
    customer = complete_customer()
    assert open_rules(customer) == set()


def test_two_250_kva_transformers_recorded_as_one_is_a_capacity_mismatch():
    # DOMAIN.md: "Two 250 kVA transformers recorded as one means under-billing."
    customer = complete_customer(contract_capacity_kva=Decimal("500"), operating_capacity_kva=Decimal("500"),
                                 pf_standard=c.PFStandard.PF090)
    customer.transformers.all().delete()
    TransformerFactory(customer=customer, capacity_kva=Decimal("250"), quantity=1)
    assert "capacity_mismatch" in open_rules(customer)
    finding = customer.findings.get(rule="capacity_mismatch", status="open")
    assert finding.params == {"transformers_kva": "250", "contract_kva": "500"}
    # Fixing the archive resolves the finding; nothing was "fixed" by the system.
    t = customer.transformers.get()
    t.quantity = 2
    services.save_record(t, actor=None)
    assert "capacity_mismatch" not in open_rules(customer)
    assert customer.findings.get(rule="capacity_mismatch").status == "resolved"
    customer.refresh_from_db()
    assert customer.contract_capacity_kva == Decimal("500")


def test_transformers_out_of_service_do_not_count():
    customer = complete_customer()  # 2 × 400 kVA = 800 kVA, contract 800
    TransformerFactory(customer=customer, capacity_kva=Decimal("315"), quantity=1, in_service=False)
    assert "capacity_mismatch" not in open_rules(customer)


def test_multiplier_must_equal_ct_times_pt():
    customer = complete_customer()
    # 75/5 × 10000/100 = 15 × 100 = 1500
    MeteringPointFactory(customer=customer, ct_ratio="200/5", pt_ratio="10000/100", multiplier=Decimal("400"))
    assert "multiplier_mismatch" in open_rules(customer)
    assert "4000" in customer.findings.get(rule="multiplier_mismatch", status="open").text


def test_missing_supply_line():
    customer = complete_customer()
    SupplyPointFactory(customer=customer, name="2号电源", supply_line=None, substation=None, source_type="backup")
    assert "missing_supply_line" in open_rules(customer)


def test_expired_contract(monkeypatch):
    customer = complete_customer()
    customer.contracts.all().delete()
    SupplyContractFactory(customer=customer, valid_from=date(2019, 1, 1), valid_to=date(2024, 12, 31))
    assert "contract_expired" in open_rules(customer)


def test_closed_customer_needs_no_contract_or_line():
    customer = complete_customer()
    services.close_customer(customer, actor=None, reason="企业搬迁")
    customer.contracts.all().delete()
    assert not {"contract_expired", "missing_supply_line"} & open_rules(customer)


@pytest.mark.parametrize("category,industry,voltage,capacity,expected", [
    # 功率因数调整电费办法 (1983), Art. 2
    (c.UsageCategory.LARGE_INDUSTRY, "C", "10kV", Decimal("160"), "0.90"),
    (c.UsageCategory.LARGE_INDUSTRY, "C", "10kV", Decimal("159"), "0.85"),
    (c.UsageCategory.GENERAL_COMMERCIAL, "C", "0.4kV", Decimal("200"), "0.85"),  # low-voltage industrial
    (c.UsageCategory.GENERAL_COMMERCIAL, "F", "10kV", Decimal("630"), "0.85"),  # non-industrial
    (c.UsageCategory.AGRICULTURE, "A", "10kV", Decimal("315"), "0.80"),
    (c.UsageCategory.GENERAL_COMMERCIAL, "F", "0.4kV", Decimal("80"), "none"),  # under 100 kVA
    (c.UsageCategory.RESIDENTIAL, "", "10kV", Decimal("1000"), "none"),
])
def test_expected_pf_standard(category, industry, voltage, capacity, expected):
    assert c.expected_pf_standard(category, industry, voltage, capacity) == expected


def test_pf_standard_mismatch_is_flagged():
    customer = complete_customer(pf_standard=c.PFStandard.PF085)  # 800 kVA large industry at 10 kV → 0.90
    assert "pf_standard_mismatch" in open_rules(customer)


def test_missing_identity_documents():
    customer = complete_customer(credit_code="", legal_representative="")
    finding = customer.findings.get(rule="identity_missing", status="open")
    assert "统一社会信用代码" in finding.text or "credit code" in finding.text


def test_nightly_evaluation_is_idempotent_and_resolves():
    customer = complete_customer(pf_standard=c.PFStandard.PF085)
    first = quality.evaluate_all()
    second = quality.evaluate_all()
    assert first["customers"] == 1 and second == {"opened": 0, "resolved": 0, "customers": 1}
    assert DataQualityFinding.objects.filter(customer=customer, status="open").count() == 1


def test_suspended_evaluation_during_bulk_work():
    with quality.suspended():
        customer = complete_customer(pf_standard=c.PFStandard.PF085)
    assert open_rules(customer) == set()
    quality.evaluate_all(customer_ids=[customer.pk])
    assert open_rules(customer) == {"pf_standard_mismatch"}
