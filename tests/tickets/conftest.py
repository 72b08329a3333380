"""Fixtures for the tickets tests: an org tree with a supervisor at every level, a clerk who
takes calls, two workers who hold stages, and a customer of station S1."""

from datetime import datetime

import pytest
from django.utils import timezone
from django.utils.translation import override

from tests.factories import CustomerFactory


def at(text: str) -> datetime:
    """'2026-09-30 10:00' as an aware Asia/Shanghai datetime."""
    return timezone.make_aware(datetime.fromisoformat(text))


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with override("en"):
        yield


@pytest.fixture
def people(org_tree, make_staff):
    t = org_tree
    return {
        "clerk": make_staff("clerk", t["s1"], full_name="Clerk Chen"),
        "worker": make_staff("specialist", t["s1"], full_name="Worker Wang"),
        "other": make_staff("specialist", t["s2"], full_name="Worker Li"),
        "station_sup": make_staff("supervisor", t["s1"], full_name="Station Sup"),
        "region_sup": make_staff("supervisor", t["north"], full_name="Region Sup"),
        "company_sup": make_staff("supervisor", t["company"], full_name="Company Sup"),
        "s3_clerk": make_staff("clerk", t["s3"], full_name="South Clerk"),
        "executive": make_staff("executive", t["company"], full_name="Exec"),
        "admin": make_staff("admin", t["company"], full_name="Admin"),
    }


@pytest.fixture
def customer(org_tree, people):
    return CustomerFactory(org_unit=org_tree["s1"], primary_manager=people["worker"])


@pytest.fixture
def complaint(customer, people):
    from powerkam.service.tickets import services

    return services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                                subject="Voltage too low every evening", description="Lights flicker",
                                cause="power_quality", now=at("2026-09-30 10:00"))
