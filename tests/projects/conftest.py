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


FULL_FLOW_DATES = ["2024-03-05", "2024-03-06", "2024-03-20", "2024-03-28", "2024-04-15", "2024-04-18",
                   "2024-04-23", "2024-04-26"]  # accepted … contract and metering ended (10 kV)


@pytest.fixture
def to_acceptance(accept, walk, people):
    """A 10 kV new connection at completion acceptance (from 23 Apr 2024), with a class-4 builder."""

    def make(**overrides):
        p = accept(d("2024-03-04"), **overrides)
        services.set_contractor(p, actor=people["specialist"], role=c.ContractorRole.BUILDER, name="某电力安装公司",
                                licence_number="承装（修、试）4-1234", licence_class="4",
                                licence_valid_from=d("2022-01-01"), licence_valid_to=d("2027-12-31"))
        return walk(p, *[d(x) for x in FULL_FLOW_DATES[:6]])

    return make


@pytest.fixture
def planned(people):
    """The archive data of a new 10 kV connection: one supply point, two transformers, a
    metering point 100/5 × 10000/100, a contract."""

    def make(project):
        a = people["specialist"]
        sp = services.add_supply_point(project, actor=a, name="10kV 城北线 T 接", capacity_kva="1260")
        services.add_transformer(project, actor=a, capacity_kva="630", quantity=2, model_no="SCB13-630/10",
                                 supply_point=sp)
        services.add_metering_point(project, actor=a, number="MP-0001", ct_ratio="100/5", pt_ratio="10000/100",
                                    meter_no="M123", supply_point=sp)
        services.set_contract(project, actor=a, number="HT-2024-0001", valid_from=d("2024-04-26"),
                              valid_to=d("2029-04-25"), signed_on=d("2024-04-25"))
        return sp

    return make
