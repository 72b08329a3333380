from datetime import date

import pytest

from powerkam.customers import constants as cc
from tests.factories import ContactFactory, CustomerFactory

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def team(org_tree, make_staff):
    """A manager and a specialist in s1, a manager in s3, the north-region supervisor, an admin."""
    return {
        "manager": make_staff("manager", org_tree["s1"], full_name="王经理"),
        "specialist": make_staff("specialist", org_tree["s1"], full_name="李专员"),
        "other_manager": make_staff("manager", org_tree["s3"], full_name="赵经理"),
        "supervisor": make_staff("supervisor", org_tree["north"], full_name="张主管"),
        "south_supervisor": make_staff("supervisor", org_tree["south"], full_name="陈主管"),
        "admin": make_staff("admin", org_tree["company"], full_name="管理员"),
        "executive": make_staff("executive", org_tree["company"], full_name="领导"),
    }


@pytest.fixture
def key_account(org_tree, team):
    def make(tier=cc.KeyAccountTier.PREMIUM, manager=None, unit="s1", **kwargs):
        return CustomerFactory(is_key_account=True, ka_tier=tier, org_unit=org_tree[unit],
                               primary_manager=manager or team["manager"], **kwargs)

    return make


@pytest.fixture
def contact():
    return ContactFactory
