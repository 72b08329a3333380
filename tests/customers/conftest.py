import pytest

from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(org_tree, make_staff):
    """Staff across the org tree: two managers in the north, a supervisor of the north region,
    a clerk of the south, an executive and an admin at company level."""
    t = org_tree
    return {
        "m1": make_staff("manager", t["s1"], full_name="王经理"),
        "m2": make_staff("manager", t["s3"], full_name="李经理"),
        "spec": make_staff("specialist", t["s1"], full_name="赵专员"),
        "sup_north": make_staff("supervisor", t["north"], full_name="北主管"),
        "clerk_south": make_staff("clerk", t["south"], full_name="南内勤"),
        "exec": make_staff("executive", t["company"], full_name="领导"),
        "admin": make_staff("admin", t["company"], full_name="管理员"),
    }


@pytest.fixture
def archive(org_tree, people):
    """Customers: two in the north for m1, one in the south for m2."""
    t, p = org_tree, people
    return {
        "north_a": CustomerFactory(name="城北钢铁有限公司", number="3100000001", org_unit=t["s1"],
                                   primary_manager=p["m1"], is_key_account=True, ka_tier="premium"),
        "north_b": CustomerFactory(name="城北纺织厂", number="3100000002", org_unit=t["s2"],
                                   primary_manager=p["m1"], secondary_manager=p["spec"]),
        "south": CustomerFactory(name="城南水泥厂", number="3200000001", org_unit=t["s3"],
                                 primary_manager=p["m2"]),
    }
