"""load_demo builds a consistent demo company; its deliberate archive errors become findings."""

import pytest
from django.core.management import call_command

from powerkam.customers import constants as c
from powerkam.customers.demo import DEMO_PASSWORD, make_credit_code
from powerkam.customers.models import Customer, DataQualityFinding, MeteringPoint, SupplyContract
from powerkam.customers.validators import is_valid_uscc
from powerkam.org.models import OrgUnit, Role, Staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    call_command("load_demo", scale=200, seed=7, verbosity=0, archive_only=True)


def test_org_tree_company_regions_stations(demo):
    company = OrgUnit.objects.get(kind=OrgUnit.Kind.COMPANY)
    assert company.name == "市供电公司"
    regions = OrgUnit.objects.filter(parent=company, kind=OrgUnit.Kind.REGION)
    assert regions.count() == 3
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.STATION, parent__in=regions).count() == 9
    assert all(u.path.startswith(company.path) for u in OrgUnit.objects.all())


def test_staff_in_every_role_with_the_demo_password(demo):
    roles = {r for r in Staff.objects.values_list("role", flat=True)}
    assert roles == set(Role.values)
    assert 28 <= Staff.objects.count() <= 35
    assert Staff.objects.filter(role=Role.ADMIN).count() == 1
    assert Staff.objects.get(username="manager1").check_password(DEMO_PASSWORD)
    assert Staff.objects.get(username="supervisor1").org_unit.kind == OrgUnit.Kind.COMPANY


def test_customers_have_valid_credit_codes_and_full_archives(demo):
    assert Customer.objects.count() == 200
    codes = [code for code in Customer.objects.values_list("credit_code", flat=True) if code]
    assert len(codes) > 180
    assert all(is_valid_uscc(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert Customer.objects.filter(is_key_account=True, primary_manager__isnull=True).count() == 0
    assert Customer.objects.filter(is_key_account=True).exists()
    active = Customer.objects.filter(lifecycle_status=c.LifecycleStatus.ACTIVE)
    assert active.filter(contracts__isnull=True).count() == 0
    assert active.filter(supply_points__isnull=True).count() == 0


def test_correct_records_are_consistent(demo):
    """Everything not deliberately broken passes the quality rules: the findings are only the
    injected errors, and there are several kinds of them."""
    findings = DataQualityFinding.objects.filter(status=DataQualityFinding.Status.OPEN)
    rules = set(findings.values_list("rule", flat=True))
    assert rules <= {"capacity_mismatch", "multiplier_mismatch", "missing_supply_line", "contract_expired",
                     "pf_standard_mismatch", "identity_missing"}
    assert findings.count() <= 200 * 0.08
    broken = set(findings.values_list("customer_id", flat=True))
    for mp in MeteringPoint.objects.exclude(customer_id__in=broken):
        assert mp.multiplier == mp.expected_multiplier
    for cu in Customer.objects.exclude(pk__in=broken):
        assert cu.pf_standard == c.expected_pf_standard(cu.usage_category, cu.industry, cu.voltage_level,
                                                        cu.contract_capacity_kva)


def test_a_larger_demo_has_findings_of_several_rules(db):
    call_command("load_demo", scale=600, seed=3, verbosity=0, archive_only=True)
    rules = set(DataQualityFinding.objects.values_list("rule", flat=True))
    assert len(rules) >= 4


def test_same_seed_same_data(db):
    from powerkam.customers.demo import load_demo

    load_demo(scale=30, seed=5, evaluate=False)
    first = list(Customer.objects.order_by("number").values_list("number", "name", "credit_code",
                                                                 "contract_capacity_kva"))
    SupplyContract.objects.all().delete()
    Customer.objects.all().delete()
    load_demo(scale=30, seed=5, evaluate=False)
    again = list(Customer.objects.order_by("number").values_list("number", "name", "credit_code",
                                                                 "contract_capacity_kva"))
    assert first == again


def test_if_empty_is_a_no_op_the_second_time(demo, capsys):
    before = Customer.objects.count(), Staff.objects.count()
    call_command("load_demo", if_empty=True, scale=50)
    assert (Customer.objects.count(), Staff.objects.count()) == before
    assert "already exist" in capsys.readouterr().out


def test_without_if_empty_a_loaded_database_is_refused(demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo", scale=10, verbosity=0)


def test_demo_logins_prints_users_by_role_and_the_password(demo, capsys):
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    for username in ("admin", "executive1", "supervisor1", "clerk1", "manager1", "specialist1"):
        assert username in out
    assert "http://" in out


def test_credit_code_generator_is_valid_and_unique():
    codes = {make_credit_code(n, "91", "320102") for n in range(5000)}
    assert len(codes) == 5000
    assert all(is_valid_uscc(code) for code in codes)


def test_full_demo_fills_every_module(db, capsys):
    """`make run`'s demo: after the archive, every module's demo data in layer order."""
    from powerkam.billing.models import Bill
    from powerkam.core.models import Task

    call_command("load_demo", scale=120, seed=2)
    out = capsys.readouterr().out
    assert "Module demo data loaded" in out
    for name in ("billing:", "receivables:", "credit:", "tickets:", "visits:", "outages:", "surveys:"):
        assert name in out
    assert Bill.objects.exists()
    assert Bill.objects.filter(paid_amount__gt=0).exists()  # receivables paid the billing demo's bills
    assert Task.objects.filter(status=Task.Status.OPEN).exists()
