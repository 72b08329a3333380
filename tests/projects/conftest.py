"""Fixtures for connection projects: an org tree with a supervisor at station and region level,
a specialist who takes applications in and tracks them, and helpers that accept an application
and walk it through its stages on given dates."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils.translation import override

from powerkam.projects import constants as c
from powerkam.projects import services
from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with override("en"):
        yield


@pytest.fixture
def people(org_tree, make_staff):
    t = org_tree
    return {
        "specialist": make_staff("specialist", t["s1"], full_name="Specialist Zhao"),
        "tracker": make_staff("manager", t["s1"], full_name="Tracker Qian"),
        "other": make_staff("specialist", t["s3"], full_name="South Sun"),
        "station_sup": make_staff("supervisor", t["s1"], full_name="Station Sup"),
        "region_sup": make_staff("supervisor", t["north"], full_name="Region Sup"),
        "company_sup": make_staff("supervisor", t["company"], full_name="Company Sup"),
        "executive": make_staff("executive", t["company"], full_name="Exec"),
    }


@pytest.fixture
def customer(org_tree, people):
    return CustomerFactory(org_unit=org_tree["s1"], primary_manager=people["specialist"], voltage_level="10kV")


def application(**overrides) -> services.Application:
    fields = {"application_type": c.ApplicationType.NEW, "applicant_type": c.ApplicantType.NEW,
              "applicant_name": "城北新材料有限公司", "site_address": "城北工业园 8 号",
              "requested_capacity_kva": "1260", "voltage_level": "10kV", "supply_mode": c.SupplyMode.SINGLE,
              "industry": "C", "usage_category": "large_industry", "applicant_contact": "刘经理",
              "applicant_phone": "13800000000"}
    fields.update(overrides)
    return services.Application(**fields)


@pytest.fixture
def accept(people, org_tree):
    def make(accepted_on: date, **overrides):
        return services.accept_application(application(**overrides), actor=people["specialist"],
                                           tracker=people["tracker"], accepted_on=accepted_on,
                                           org_unit=org_tree["s1"])

    return make


@pytest.fixture
def walk(people):
    """Advance `project` stage by stage on the given dates: walk(p, d1, d2, ...)."""

    def run(project, *days: date):
        for day in days:
            project.refresh_from_db()
            project = services.advance(project, actor=people["specialist"], stage=project.stage, ended_on=day,
                                       note="ok")
        project.refresh_from_db()
        return project

    return run


def d(text: str) -> date:
    return date.fromisoformat(text)
