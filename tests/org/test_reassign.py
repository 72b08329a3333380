"""Supervisors and administrators reassign a customer's managers (through update_customer)."""

import pytest
from django.urls import reverse

from powerkam.customers.models import TimelineEvent
from tests.factories import CustomerFactory


@pytest.fixture
def setup(org_tree, make_staff):
    t = org_tree
    s = {
        "m1": make_staff("manager", t["s1"], full_name="甲"),
        "m2": make_staff("manager", t["s2"], full_name="乙"),
        "m_south": make_staff("manager", t["s3"], full_name="丙"),
        "clerk": make_staff("clerk", t["s1"]),
        "sup": make_staff("supervisor", t["north"]),
        "admin": make_staff("admin", t["company"]),
        "exec": make_staff("executive", t["company"]),
    }
    s["customer"] = CustomerFactory(org_unit=t["s1"], primary_manager=s["m1"])
    return s


def url(s):
    return reverse("org:reassign", args=[s["customer"].pk])


@pytest.mark.django_db
class TestReassign:
    def test_supervisor_reassigns(self, setup, login):
        s = setup
        r = login(s["sup"]).post(url(s), {"primary_manager": s["m2"].pk, "secondary_manager": s["m1"].pk})
        assert r.status_code == 302
        cu = s["customer"]
        cu.refresh_from_db()
        assert (cu.primary_manager, cu.secondary_manager) == (s["m2"], s["m1"])
        assert cu.history.first().history_user == s["sup"]
        assert TimelineEvent.objects.filter(customer=cu, kind="archive.updated", actor=s["sup"]).exists()

    def test_same_person_twice_is_refused(self, setup, login):
        s = setup
        r = login(s["admin"]).post(url(s), {"primary_manager": s["m2"].pk, "secondary_manager": s["m2"].pk})
        assert r.status_code == 200 and "secondary_manager" in r.context["form"].errors
        s["customer"].refresh_from_db()
        assert s["customer"].primary_manager == s["m1"]

    def test_choices_are_limited_to_the_supervisors_subtree(self, setup, login):
        s = setup
        r = login(s["sup"]).get(url(s))
        assert set(r.context["form"].fields["primary_manager"].queryset) == {s["m1"], s["m2"]}
        r = login(s["sup"]).post(url(s), {"primary_manager": s["m_south"].pk})
        assert "primary_manager" in r.context["form"].errors

    def test_admin_may_choose_anyone(self, setup, login):
        s = setup
        r = login(s["admin"]).post(url(s), {"primary_manager": s["m_south"].pk})
        assert r.status_code == 302
        s["customer"].refresh_from_db()
        assert s["customer"].primary_manager == s["m_south"]

    @pytest.mark.parametrize("who", ["m1", "clerk", "exec"])
    def test_others_cannot(self, setup, login, who):
        s = setup
        assert login(s[who]).post(url(s), {"primary_manager": s["m2"].pk}).status_code == 403
        s["customer"].refresh_from_db()
        assert s["customer"].primary_manager == s["m1"]

    def test_out_of_scope_customer_is_404(self, setup, org_tree, login):
        s = setup
        south = CustomerFactory(org_unit=org_tree["s3"])
        assert login(s["sup"]).get(reverse("org:reassign", args=[south.pk])).status_code == 404

    def test_next_url_is_followed_only_when_local(self, setup, login):
        s = setup
        client = login(s["sup"])
        r = client.post(url(s), {"primary_manager": s["m2"].pk, "next": "/org/portfolios/"})
        assert r["Location"] == "/org/portfolios/"
        r = client.post(url(s), {"primary_manager": s["m1"].pk, "next": "https://evil.example/"})
        assert r["Location"] == reverse("customers:detail", args=[s["customer"].pk])
