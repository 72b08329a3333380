"""The one visibility scope: portfolio, org subtree, company (issue #2 "Visibility")."""

import pytest
from django.http import Http404

from powerkam.core.scoping import get_visible_or_404, scope_to_user, visible_customers
from powerkam.customers.models import Contact, Customer
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_tree, make_staff):
    m1 = make_staff("manager", org_tree["s1"])
    m2 = make_staff("specialist", org_tree["s3"])
    a = CustomerFactory(org_unit=org_tree["s1"], primary_manager=m1)
    b = CustomerFactory(org_unit=org_tree["s2"], primary_manager=m2, secondary_manager=m1)
    d = CustomerFactory(org_unit=org_tree["s3"], primary_manager=m2)
    return {"m1": m1, "m2": m2, "a": a, "b": b, "d": d, **org_tree}


def names(qs):
    return set(qs.values_list("pk", flat=True))


def test_manager_sees_own_portfolio_including_as_secondary(world):
    assert names(visible_customers(world["m1"])) == {world["a"].pk, world["b"].pk}
    assert names(visible_customers(world["m2"])) == {world["b"].pk, world["d"].pk}


def test_supervisor_and_clerk_see_their_subtree(world, make_staff):
    north_supervisor = make_staff("supervisor", world["north"])
    station_clerk = make_staff("clerk", world["s3"])
    assert names(visible_customers(north_supervisor)) == {world["a"].pk, world["b"].pk}
    assert names(visible_customers(station_clerk)) == {world["d"].pk}


def test_executive_admin_and_company_supervisor_see_everything(world, make_staff):
    for user in (make_staff("executive", world["company"]), make_staff("admin", world["company"]),
                 make_staff("supervisor", world["company"])):
        assert visible_customers(user).count() == 3


def test_staff_without_unit_or_inactive_see_nothing(world, make_staff):
    clerk = make_staff("clerk", world["s1"])
    clerk.org_unit = None
    assert visible_customers(clerk).count() == 0
    m1 = world["m1"]
    m1.is_active = False
    assert visible_customers(m1).count() == 0


def test_child_records_follow_their_customer(world):
    ContactFactory(customer=world["a"])
    ContactFactory(customer=world["d"])
    assert set(scope_to_user(Contact.objects.all(), world["m1"]).values_list("customer_id", flat=True)) == {world["a"].pk}


def test_out_of_scope_is_404_not_403(world):
    assert get_visible_or_404(Customer.objects.all(), world["m1"], pk=world["a"].pk) == world["a"]
    with pytest.raises(Http404):
        get_visible_or_404(Customer.objects.all(), world["m1"], pk=world["d"].pk)


def test_moving_a_station_moves_its_customers_into_the_new_subtree(world, make_staff):
    south_supervisor = make_staff("supervisor", world["south"])
    s2 = world["s2"]
    s2.parent = world["south"]
    s2.save()
    assert names(visible_customers(south_supervisor)) == {world["b"].pk, world["d"].pk}
