"""Conversion: one transaction creates exactly one customer ("connecting") with the prospect's
managers, contacts and history on its 360 timeline; or the prospect is linked to an existing one."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from powerkam.customers.models import Contact, Customer, TimelineEvent
from powerkam.pipeline import conversion, services
from powerkam.pipeline.services import LineInput
from powerkam.projects.models import Project
from tests.factories import CustomerFactory

from .conftest import item, kind, stage

pytestmark = pytest.mark.django_db


def test_an_approved_project_becomes_one_connecting_customer_with_managers_contacts_history(project, people):
    services.add_project_contact(project, name="王总", title="筹建办主任", mobile="13900000001", actor=people["m1"])
    services.add_contact_log(project, contacted_on=date(2026, 9, 3), department="市发改委", summary="确认立项批复",
                             actor=people["m1"], today=date(2026, 9, 4))
    services.submit_report(project, week=date(2026, 9, 7), actor=people["m1"], next_steps="跟进用地",
                           today=date(2026, 9, 8))
    before = Customer.objects.count()
    customer, connection = conversion.convert_project(project, actor=people["m1"])
    assert Customer.objects.count() == before + 1 and Project.objects.count() == 1
    assert connection.tracker == people["m1"] and connection.requested_capacity_kva == Decimal("16000")
    assert customer.lifecycle_status == "connecting" and customer.is_key_account
    assert (customer.primary_manager, customer.secondary_manager) == (people["m1"], people["m2"])
    assert customer.developed_by == people["m1"]
    assert list(Contact.objects.filter(customer=customer).values_list("name", flat=True)) == ["王总"]
    kinds = set(TimelineEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert {"pipeline.project", "pipeline.gov_contact", "pipeline.weekly_report", "pipeline.converted"} <= kinds
    project.refresh_from_db()
    assert project.customer == customer and project.converted_at
    with pytest.raises(ValidationError):
        conversion.convert_project(project, actor=people["m1"])
    assert Customer.objects.count() == before + 1 and Project.objects.count() == 1
    assert connection.customer == customer and connection.green_channel and connection.is_key_project


def test_a_planned_project_does_not_convert(org_tree, people):
    p = services.save_project(actor=people["clerk"], name="规划园区", gov_status="planned", org_unit=org_tree["s1"])
    with pytest.raises(ValidationError):
        conversion.convert_project(p, actor=people["clerk"])
    assert not Customer.objects.exists()


def test_a_won_opportunity_through_an_accepted_quote_converts(people):
    opp = services.save_opportunity(actor=people["m1"], today=date(2026, 9, 1), title="充电站", prospect_name="新区公交场站", site_address="新区公交场站北门", expected_kva=Decimal("480"),
                                    contact_name="李工", contact_mobile="13900000002", kind=kind("charging"),
                                    stage=stage("negotiation"), close_on=date(2026, 10, 30))
    with pytest.raises(ValidationError):
        conversion.convert_opportunity(opp, actor=people["m1"])
    q = services.create_quote(opp, actor=people["m1"], lines=[LineInput(item("CH-01"), Decimal("4"))],
                              today=date(2026, 9, 1))
    services.accept_quote(q, actor=people["m1"], today=date(2026, 9, 2))
    opp.refresh_from_db()
    customer, connection = conversion.convert_opportunity(opp, actor=people["m1"])
    assert connection.customer == customer and not connection.green_channel
    assert customer.name == "新区公交场站" and customer.primary_manager == people["m1"]
    assert Contact.objects.get(customer=customer).name == "李工"
    kinds = list(TimelineEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert "pipeline.stage" in kinds and "pipeline.quote" in kinds


def test_linking_to_an_existing_customer_for_a_capacity_increase(people, org_tree):
    existing = CustomerFactory(org_unit=org_tree["s1"], primary_manager=people["m1"])
    opp = services.save_opportunity(actor=people["m1"], today=date(2026, 9, 1), title="增容 800 kVA",
                                    prospect_name="老厂", kind=kind("capacity_increase"), close_on=date(2026, 10, 30))
    conversion.link_to_customer(opp, existing, actor=people["m1"])
    assert Customer.objects.count() == 1
    assert TimelineEvent.objects.filter(customer=existing, kind="pipeline.linked").exists()


def test_a_conversion_the_connection_intake_refuses_writes_nothing(project, people):
    project.site_address = ""
    project.save()
    with pytest.raises(ValidationError) as exc:
        conversion.convert_project(project, actor=people["m1"])
    assert "site_address" in exc.value.message_dict
    assert not Customer.objects.exists() and not Project.objects.exists()
    project.refresh_from_db()
    assert project.converted_at is None
