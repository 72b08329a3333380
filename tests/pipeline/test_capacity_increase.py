"""A won prospect of an EXISTING customer opens that customer's capacity-increase project (增容)
for the capacity it asks for — as a new customer's opens a new connection (新装) — through the
projects app's intake (same owner rules: the actor receives it, the prospect's owner or primary
manager tracks it), audited, with the customer's timeline saying where it came from."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from powerkam.customers.models import Customer, TimelineEvent
from powerkam.pipeline import conversion, services
from powerkam.projects.models import Project
from tests.factories import CustomerFactory

from .conftest import kind, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(org_tree, people):
    return CustomerFactory(org_unit=org_tree["s1"], primary_manager=people["m1"], address="城东工业园 3 号",
                           lifecycle_status="active")


def _opportunity(people, customer, *, stage_code="won", kva="800"):
    return services.save_opportunity(actor=people["m1"], today=date(2026, 9, 1), title="二期增容", customer=customer,
                                     kind=kind("capacity_increase"), stage=stage(stage_code),
                                     expected_kva=Decimal(kva), close_on=date(2026, 10, 30))


def test_a_won_opportunity_of_an_existing_customer_opens_its_capacity_increase(people, existing):
    opp = _opportunity(people, existing)
    customers = Customer.objects.count()
    customer, connection = conversion.convert_opportunity(opp, actor=people["clerk"])
    assert customer == existing and Customer.objects.count() == customers  # no new customer
    connection = Project.objects.get(pk=connection.pk)
    assert (connection.application_type, connection.applicant_type) == ("increase", "existing")
    assert connection.customer == existing and connection.requested_capacity_kva == Decimal("800")
    assert connection.site_address == "城东工业园 3 号"  # the customer's, the opportunity giving none
    assert connection.first_contact_owner == people["clerk"] and connection.tracker == people["m1"]
    assert connection.org_unit == existing.org_unit and not connection.green_channel
    assert connection.history.filter(history_user=people["clerk"]).exists()  # audited
    opp.refresh_from_db()
    assert opp.converted_at and opp.customer == existing
    assert opp.history.first().history_user == people["clerk"]
    event = TimelineEvent.objects.get(customer=existing, kind="pipeline.converted")
    with translation.override("en"):
        assert event.display_title == f"Capacity increase {connection.number} opened from {opp.number}"
    with translation.override("zh-hans"):
        assert event.display_title == f"由 {opp.number} 开立增容项目 {connection.number}"
    with pytest.raises(ValidationError):  # once
        conversion.convert_opportunity(opp, actor=people["clerk"])
    assert Project.objects.count() == 1


def test_linked_then_won_opens_it_too(people, existing):
    opp = services.save_opportunity(actor=people["m1"], today=date(2026, 9, 1), title="增容", prospect_name="老厂",
                                    kind=kind("capacity_increase"), expected_kva=Decimal("630"),
                                    close_on=date(2026, 10, 30))
    conversion.link_to_customer(opp, existing, actor=people["m1"])
    with pytest.raises(ValidationError):  # not won yet: nothing opens
        conversion.convert_opportunity(opp, actor=people["m1"])
    assert not Project.objects.exists()
    services.move_stage(opp, stage("won"), actor=people["m1"], today=date(2026, 9, 2))
    _customer, connection = conversion.convert_opportunity(opp, actor=people["m1"])
    assert connection.requested_capacity_kva == Decimal("630") and connection.application_type == "increase"


def test_no_capacity_asked_no_project(people, existing):
    opp = _opportunity(people, existing, kva="0")
    with pytest.raises(ValidationError) as exc:
        conversion.convert_opportunity(opp, actor=people["m1"])
    assert "expected_kva" in exc.value.message_dict
    opp.refresh_from_db()
    assert not Project.objects.exists() and opp.converted_at is None


def test_an_approved_project_linked_to_an_existing_customer_opens_a_green_channel_increase(project, people, existing):
    conversion.link_to_customer(project, existing, actor=people["m1"])
    customer, connection = conversion.convert_project(project, actor=people["m1"])
    assert customer == existing and Customer.objects.count() == 1
    assert connection.application_type == "increase" and connection.green_channel and connection.is_key_project
    assert connection.requested_capacity_kva == Decimal("16000") and connection.tracker == people["m1"]
    project.refresh_from_db()
    assert project.converted_at and project.customer == existing


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_opportunity_page_offers_it_and_opens_it(people, existing, make_staff, org_tree):
    opp = _opportunity(people, existing)
    client = _client(people["m1"])
    page = client.get(f"/pipeline/opportunities/{opp.pk}/").content.decode()
    assert 'id="open-increase"' in page and 'id="convert"' not in page
    executive = make_staff("executive", org_tree["company"])
    assert _client(executive).post(f"/pipeline/opportunities/{opp.pk}/convert/").status_code == 403
    assert not Project.objects.exists()
    response = client.post(f"/pipeline/opportunities/{opp.pk}/convert/", follow=True)
    assert response.redirect_chain[-1][0] == f"/customers/{existing.pk}/"
    connection = Project.objects.get()
    assert f"Capacity-increase project {connection.number} opened." in response.content.decode()
    assert 'id="open-increase"' not in client.get(f"/pipeline/opportunities/{opp.pk}/").content.decode()
