"""Imports respect the visibility scope: a clerk imports only into their own subtree."""

import pytest

from powerkam.customers.models import Contact, Customer
from powerkam.imports.services import run_import
from tests.factories import CustomerFactory
from tests.imports.conftest import customer_rows, upload

pytestmark = pytest.mark.django_db


def test_clerk_cannot_create_customers_outside_their_subtree(clerk, org_tree):
    rows = customer_rows(3)
    rows[2][9] = "S3"  # 城南一所: south region, not the clerk's
    f, name = upload(rows)
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(3, "所属供电所编码")]
    assert "outside your unit" in result.errors[0].message
    assert Customer.objects.count() == 0


def test_clerk_cannot_update_a_customer_outside_their_subtree(clerk, org_tree):
    CustomerFactory(number="3200000001", org_unit=org_tree["s3"], name="城南的客户")
    f, name = upload(customer_rows(2))
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, "客户编号")]
    assert Customer.objects.get(number="3200000001").name == "城南的客户"
    assert Customer.objects.count() == 1


def test_clerk_cannot_import_children_of_customers_outside_scope(clerk, org_tree):
    mine = CustomerFactory(org_unit=org_tree["s2"])
    theirs = CustomerFactory(org_unit=org_tree["s3"])
    rows = [["客户编号", "姓名", "手机"], [mine.number, "甲", "13900000001"], [theirs.number, "乙", "13900000002"]]
    f, name = upload(rows, fmt="csv")
    result = run_import("contacts", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(3, "客户编号")]
    assert "does not exist or is outside your scope" in result.errors[0].message
    assert Contact.objects.count() == 0


def test_admin_imports_anywhere(admin_user, org_tree):
    rows = customer_rows(2)
    rows[2][9] = "S3"
    f, name = upload(rows)
    assert run_import("customers", f, name, actor=admin_user, dry_run=False).ok
    assert Customer.objects.count() == 2


def test_clerk_without_org_unit_imports_nothing(make_staff, org_tree):
    clerk = make_staff(role="clerk")
    clerk.org_unit = None
    clerk.save()
    f, name = upload(customer_rows(1))
    result = run_import("customers", f, name, actor=clerk, dry_run=True)
    assert not result.ok and "outside your unit" in result.errors[0].message


# Issue #9 "Trust" §2: a reference in an imported row is resolved like the page's choices.


def test_clerk_cannot_make_a_manager_of_another_region_the_customers_manager(clerk, org_tree, make_staff):
    make_staff("manager", org_tree["s3"], username="south_mgr")
    f, name = upload(customer_rows(1, manager="south_mgr"))
    result = run_import("customers", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column) for e in result.errors] == [(2, "客户经理用户名")]
    assert result.errors[0].message == "Unknown user “south_mgr”."  # as for a name that does not exist
    assert Customer.objects.count() == 0


def test_clerk_may_name_a_manager_of_their_own_region(clerk, org_tree, make_staff):
    make_staff("manager", org_tree["s1"], username="north_mgr")
    f, name = upload(customer_rows(1, manager="north_mgr"))
    assert run_import("customers", f, name, actor=clerk, dry_run=False).ok
    assert Customer.objects.get().primary_manager.username == "north_mgr"


def test_clerk_cannot_feed_a_customer_from_another_regions_substation(clerk, org_tree):
    from powerkam.customers.models import SupplyPoint
    from tests.factories import SubstationFactory, SupplyLineFactory

    mine = CustomerFactory(org_unit=org_tree["s1"])
    south = SubstationFactory(name="110kV南郊变", org_unit=org_tree["south"])
    SupplyLineFactory(substation=south, name="10kV南郊一线")
    rows = [["客户编号", "电源名称", "变电站", "供电线路"], [mine.number, "1号电源", "110kV南郊变", "10kV南郊一线"]]
    f, name = upload(rows, fmt="csv")
    result = run_import("supply_points", f, name, actor=clerk, dry_run=False)
    assert [(e.row, e.column, e.message) for e in result.errors] == [(2, "变电站", "Unknown substation “110kV南郊变”.")]
    assert SupplyPoint.objects.count() == 0
