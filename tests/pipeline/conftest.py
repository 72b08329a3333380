from datetime import date
from decimal import Decimal

import pytest

from powerkam.pipeline import services
from powerkam.pipeline.models import Competitor, OpportunityKind, OpportunityStage, ServiceItem


@pytest.fixture
def people(org_tree, make_staff):
    """North region: supervisor, two managers, a clerk; south: a manager."""
    return {
        "sup": make_staff("supervisor", org_tree["north"], full_name="主管甲"),
        "m1": make_staff("manager", org_tree["s1"], full_name="经理甲"),
        "m2": make_staff("manager", org_tree["s1"], full_name="经理乙"),
        "spec": make_staff("specialist", org_tree["s2"], full_name="专员丙"),
        "clerk": make_staff("clerk", org_tree["north"], full_name="内勤丁"),
        "south": make_staff("manager", org_tree["s3"], full_name="南区经理"),
        "admin": make_staff("admin", org_tree["company"], full_name="管理员"),
    }


def approved_fields(org_tree, people, **changes):
    fields = {
        "name": "城北新区数据中心", "gov_status": "approved", "approval_doc_no": "发改投资〔2026〕88号",
        "approval_date": date(2026, 3, 2), "approving_authority": "市发改委", "investor": "城北新区投资集团", "site_address": "城北新区经五路8号",
        "org_unit": org_tree["s1"], "expected_load_kw": Decimal("12000"), "expected_capacity_kva": Decimal("16000"),
        "expected_annual_kwh": Decimal("80000000"), "reliability": "dual",
        "expected_energisation_on": date(2027, 6, 30), "primary_manager": people["m1"],
        "secondary_manager": people["m2"],
    }
    fields.update(changes)
    return fields


@pytest.fixture
def project(org_tree, people):
    return services.save_project(actor=people["m1"], today=date(2026, 9, 1), **approved_fields(org_tree, people))


def kind(code):
    return OpportunityKind.objects.get(code=code)


def stage(code):
    return OpportunityStage.objects.get(code=code)


def item(code):
    return ServiceItem.objects.get(code=code)


def competitor(name="增量配电网公司"):
    return Competitor.objects.get(name=name)
