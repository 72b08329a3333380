"""Archive operations: portfolio defaults, validation, audit trail and timeline."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.customers import services
from powerkam.customers.models import Customer
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def base_fields(org_unit, **extra):
    return {"number": "3100099999", "name": "华东精密制造有限公司", "org_unit": org_unit,
            "credit_code": "91350100M000100Y43", "legal_representative": "李四", **extra}


def test_who_develops_it_maintains_it(org_tree, make_staff):
    manager = make_staff("manager", org_tree["s1"])
    customer = services.create_customer(actor=manager, **base_fields(org_tree["s1"]))
    assert customer.developed_by == manager and customer.primary_manager == manager
    assert customer.history.first().history_user == manager
    assert customer.timeline.filter(kind="archive.created").exists()


def test_a_clerk_who_enters_a_customer_is_not_made_its_manager(org_tree, make_staff):
    clerk = make_staff("clerk", org_tree["s1"])
    customer = services.create_customer(actor=clerk, **base_fields(org_tree["s1"]))
    assert customer.developed_by == clerk and customer.primary_manager is None


def test_invalid_credit_code_writes_nothing(org_tree):
    with pytest.raises(ValidationError) as exc:
        services.create_customer(actor=None, **base_fields(org_tree["s1"], credit_code="91350100M000100Y44"))
    assert "credit_code" in exc.value.message_dict
    assert Customer.objects.count() == 0


def test_negative_capacity_is_refused(org_tree):
    with pytest.raises(ValidationError) as exc:
        services.create_customer(actor=None, **base_fields(org_tree["s1"], contract_capacity_kva=Decimal("-1")))
    assert "contract_capacity_kva" in exc.value.message_dict


def test_dual_managers_must_be_two_portfolio_holders(org_tree, make_staff):
    m = make_staff("manager", org_tree["s1"])
    clerk = make_staff("clerk", org_tree["s1"])
    with pytest.raises(ValidationError) as exc:
        services.create_customer(actor=None, **base_fields(org_tree["s1"], primary_manager=m, secondary_manager=m))
    assert "secondary_manager" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.create_customer(actor=None, **base_fields(org_tree["s1"], primary_manager=clerk))


def test_update_records_who_changed_which_field_from_what_to_what(org_tree, make_staff):
    clerk = make_staff("clerk", org_tree["s1"])
    customer = CustomerFactory(org_unit=org_tree["s1"])
    changed = services.update_customer(customer, actor=clerk, contract_capacity_kva=Decimal("1250"))
    assert changed == ["contract_capacity_kva"]
    new, old = customer.history.all()[:2]
    delta = new.diff_against(old)
    assert [(ch.field, ch.old, ch.new) for ch in delta.changes] == [
        ("contract_capacity_kva", Decimal("800.00"), Decimal("1250"))]
    assert new.history_user == clerk
    assert customer.timeline.filter(kind="archive.updated").count() == 1
    assert services.update_customer(customer, actor=clerk, contract_capacity_kva=Decimal("1250")) == []


def test_close_needs_a_reason_and_blocks_edits_until_reopened(org_tree):
    customer = CustomerFactory(org_unit=org_tree["s1"])
    with pytest.raises(ValidationError):
        services.close_customer(customer, actor=None, reason="  ")
    services.close_customer(customer, actor=None, reason="企业破产")
    customer.refresh_from_db()
    assert customer.lifecycle_status == "closed" and customer.closed_on is not None
    with pytest.raises(ValidationError):
        services.update_customer(customer, actor=None, name="改名")
    with pytest.raises(ValidationError):
        services.save_record(ContactFactory.build(customer=customer), actor=None)
    services.reopen_customer(customer, actor=None)
    assert services.update_customer(customer, actor=None, name="改名") == ["name"]
