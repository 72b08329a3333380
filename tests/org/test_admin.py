"""The admin UI to manage org units, staff and the archive loads and saves."""

import pytest
from django.urls import reverse

from powerkam.org.models import Staff
from tests.factories import ContactFactory, CustomerFactory, SupplyLineFactory


@pytest.fixture
def admin_client(org_tree, make_staff, login):
    user = make_staff("admin", org_tree["company"], is_staff=True, is_superuser=True)
    return login(user)


@pytest.mark.django_db
@pytest.mark.parametrize("name", [
    "admin:org_orgunit_changelist", "admin:org_staff_changelist", "admin:org_staff_add",
    "admin:customers_substation_changelist", "admin:customers_supplyline_changelist",
    "admin:customers_customer_changelist", "admin:customers_customer_add",
])
def test_admin_pages_load(admin_client, name):
    assert admin_client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_customer_change_page_with_inlines_and_history(admin_client, org_tree):
    cu = CustomerFactory(org_unit=org_tree["s1"])
    ContactFactory(customer=cu)
    assert admin_client.get(reverse("admin:customers_customer_change", args=[cu.pk])).status_code == 200
    assert admin_client.get(reverse("admin:customers_customer_history", args=[cu.pk])).status_code == 200
    line = SupplyLineFactory()
    assert admin_client.get(reverse("admin:customers_substation_change", args=[line.substation.pk])).status_code == 200


@pytest.mark.django_db
def test_admin_sets_role_and_org_unit(admin_client, org_tree, make_staff):
    staff = make_staff("manager", org_tree["s1"])
    url = reverse("admin:org_staff_change", args=[staff.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    data = {
        "username": staff.username, "full_name": "新名字", "first_name": "", "last_name": "", "employee_no": "E1",
        "email": "", "phone": "", "role": "supervisor", "org_unit": org_tree["north"].pk, "is_active": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
    }
    r = admin_client.post(url, data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    staff = Staff.objects.get(pk=staff.pk)
    assert (staff.role, staff.org_unit, staff.full_name) == ("supervisor", org_tree["north"], "新名字")
    assert staff.history.count() >= 2


@pytest.mark.django_db
def test_admin_adds_staff_with_role_and_unit(admin_client, org_tree):
    r = admin_client.post(reverse("admin:org_staff_add"), {
        "username": "newmanager", "full_name": "新经理", "role": "manager", "org_unit": org_tree["s2"].pk,
        "usable_password": "true", "password1": "Strong-Pass-2026!", "password2": "Strong-Pass-2026!",
    })
    assert r.status_code == 302, r.context["adminform"].form.errors
    staff = Staff.objects.get(username="newmanager")
    assert (staff.role, staff.org_unit, staff.full_name) == ("manager", org_tree["s2"], "新经理")
    assert staff.check_password("Strong-Pass-2026!")
