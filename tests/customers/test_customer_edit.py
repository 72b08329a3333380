"""Create, edit, close and reopen customers through the pages (services do the writing)."""

import pytest
from django.urls import reverse

from powerkam.customers.models import Customer, TimelineEvent
from tests.factories import make_uscc


def form_data(customer=None, **overrides) -> dict:
    """Every field of the customer form, as the browser would post it."""
    from powerkam.customers.services import CUSTOMER_EDITABLE_FIELDS

    data = {}
    if customer is not None:
        for name in CUSTOMER_EDITABLE_FIELDS:
            value = getattr(customer, Customer._meta.get_field(name).attname)
            if isinstance(value, bool):
                if value:
                    data[name] = "on"
                continue
            data[name] = "" if value is None else str(value)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def new_customer_data(org_unit, **overrides):
    data = {
        "number": "3600000001", "name": "新建化工有限公司", "customer_type": "enterprise",
        "credit_code": make_uscc(501), "legal_representative": "钱七", "industry": "C",
        "usage_category": "large_industry", "voltage_level": "10kV", "contract_capacity_kva": "630",
        "operating_capacity_kva": "630", "lifecycle_status": "active", "importance_level": "none",
        "scope": "regional", "basic_charge_method": "capacity", "pf_standard": "0.90",
        "org_unit": str(org_unit.pk),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
class TestCreate:
    def test_create_makes_the_creator_the_manager(self, org_tree, people, login):
        r = login(people["m1"]).post(reverse("customers:create"), new_customer_data(org_tree["s1"]))
        cu = Customer.objects.get(number="3600000001")
        assert r.status_code == 302 and r["Location"] == reverse("customers:detail", args=[cu.pk])
        assert cu.primary_manager == people["m1"] and cu.developed_by == people["m1"]
        assert TimelineEvent.objects.filter(customer=cu, kind="archive.created").exists()
        assert cu.history.first().history_user == people["m1"]

    def test_bad_credit_code_is_a_field_error_and_nothing_is_written(self, org_tree, people, login):
        bad = make_uscc(501)[:-1] + ("0" if make_uscc(501)[-1] != "0" else "1")
        r = login(people["m1"]).post(reverse("customers:create"), new_customer_data(org_tree["s1"], credit_code=bad))
        assert r.status_code == 200
        assert "credit_code" in r.context["form"].errors
        assert "GB 32100" in str(r.context["form"].errors["credit_code"])
        assert 'is-invalid' in r.content.decode()
        assert not Customer.objects.filter(number="3600000001").exists()
        assert not TimelineEvent.objects.exists()

    def test_service_rule_errors_land_on_their_fields(self, org_tree, people, login):
        data = new_customer_data(org_tree["s1"], primary_manager=str(people["m1"].pk),
                                 secondary_manager=str(people["m1"].pk))
        r = login(people["sup_north"]).post(reverse("customers:create"), data)
        assert r.status_code == 200
        assert "secondary_manager" in r.context["form"].errors
        assert not Customer.objects.exists()

    def test_manager_choices_are_portfolio_roles_and_units_are_visible_ones(self, org_tree, people, login):
        r = login(people["sup_north"]).get(reverse("customers:create"))
        form = r.context["form"]
        managers = set(form.fields["primary_manager"].queryset)
        assert managers == {people["m1"], people["spec"]}  # not the supervisor, not m2 in the south
        units = set(form.fields["org_unit"].queryset)
        assert units == {org_tree["north"], org_tree["s1"], org_tree["s2"]}

    def test_org_unit_out_of_sight_is_refused(self, org_tree, people, login):
        r = login(people["sup_north"]).post(reverse("customers:create"), new_customer_data(org_tree["s3"]))
        assert "org_unit" in r.context["form"].errors
        assert not Customer.objects.exists()

    def test_closed_is_not_offered_as_status(self, people, login):
        form = login(people["admin"]).get(reverse("customers:create")).context["form"]
        assert "closed" not in dict(form.fields["lifecycle_status"].choices)


@pytest.mark.django_db
class TestEdit:
    def test_edit_records_history_and_timeline(self, archive, people, login):
        cu = archive["north_a"]
        url = reverse("customers:edit", args=[cu.pk])
        client = login(people["m1"])
        assert client.get(url).status_code == 200
        r = client.post(url, form_data(cu, name="城北特钢有限公司", contract_capacity_kva="1000"))
        assert r.status_code == 302, r.context["form"].errors
        cu.refresh_from_db()
        assert cu.name == "城北特钢有限公司"
        latest = cu.history.first()
        assert latest.history_user == people["m1"] and latest.prev_record.name == "城北钢铁有限公司"
        event = TimelineEvent.objects.get(customer=cu, kind="archive.updated")
        assert event.actor == people["m1"]

    def test_unchanged_form_writes_nothing(self, archive, people, login):
        cu = archive["north_a"]
        before = cu.history.count()
        r = login(people["m1"]).post(reverse("customers:edit", args=[cu.pk]), form_data(cu))
        assert r.status_code == 302
        assert cu.history.count() == before
        assert not TimelineEvent.objects.filter(customer=cu).exists()

    def test_invalid_edit_changes_nothing(self, archive, people, login):
        cu = archive["north_a"]
        r = login(people["m1"]).post(reverse("customers:edit", args=[cu.pk]),
                                     form_data(cu, name="改名", ka_tier="premium", is_key_account=None))
        assert r.status_code == 200
        assert "ka_tier" in r.context["form"].errors
        cu.refresh_from_db()
        assert cu.name == "城北钢铁有限公司"

    def test_out_of_scope_edit_is_404(self, archive, people, login):
        assert login(people["m2"]).get(reverse("customers:edit", args=[archive["north_a"].pk])).status_code == 404

    def test_current_manager_from_elsewhere_stays_selectable(self, archive, people, login):
        cu = archive["north_a"]
        cu.secondary_manager = people["m2"]  # a manager the northern supervisor cannot pick
        cu.save()
        r = login(people["sup_north"]).post(reverse("customers:edit", args=[cu.pk]), form_data(cu, notes="ok"))
        assert r.status_code == 302


@pytest.mark.django_db
class TestReadOnly:
    @pytest.mark.parametrize("name,method", [
        ("customers:create", "get"), ("customers:create", "post"),
        ("customers:edit", "post"), ("customers:close", "post"), ("customers:reopen", "post"),
    ])
    def test_executive_cannot_write(self, archive, people, login, name, method):
        args = [] if name == "customers:create" else [archive["north_a"].pk]
        client = login(people["exec"])
        r = getattr(client, method)(reverse(name, args=args), {"reason": "x", "name": "y"})
        assert r.status_code == 403
        archive["north_a"].refresh_from_db()
        assert archive["north_a"].name == "城北钢铁有限公司" and not archive["north_a"].is_closed


@pytest.mark.django_db
class TestCloseReopen:
    def test_close_requires_a_reason(self, archive, people, login):
        cu = archive["north_a"]
        r = login(people["m1"]).post(reverse("customers:close", args=[cu.pk]), {"reason": "  "})
        assert r.status_code == 200
        assert "reason" in r.context["form"].errors
        cu.refresh_from_db()
        assert not cu.is_closed

    def test_close_then_reopen(self, archive, people, login):
        cu = archive["north_a"]
        client = login(people["m1"])
        r = client.post(reverse("customers:close", args=[cu.pk]), {"reason": "企业搬迁", "closed_on": "2026-11-01"})
        assert r.status_code == 302
        cu.refresh_from_db()
        assert cu.is_closed and cu.close_reason == "企业搬迁"
        # closed customers leave the list, but the 360 page still opens, with a reopen button
        assert cu.number not in client.get(reverse("customers:list")).content.decode()
        html = client.get(reverse("customers:detail", args=[cu.pk])).content.decode()
        assert reverse("customers:reopen", args=[cu.pk]) in html
        assert reverse("customers:edit", args=[cu.pk]) not in html
        assert client.get(reverse("customers:edit", args=[cu.pk])).status_code == 302
        r = client.post(reverse("customers:reopen", args=[cu.pk]))
        cu.refresh_from_db()
        assert not cu.is_closed
        kinds = list(TimelineEvent.objects.filter(customer=cu).values_list("kind", flat=True))
        assert "archive.closed" in kinds and "archive.reopened" in kinds

    def test_close_before_opening_date_is_a_field_error(self, archive, people, login):
        from datetime import date

        cu = archive["north_a"]
        cu.opened_on = date(2020, 1, 1)
        cu.save()
        r = login(people["m1"]).post(reverse("customers:close", args=[cu.pk]),
                                     {"reason": "搬迁", "closed_on": "2019-01-01"})
        assert "closed_on" in r.context["form"].errors

    def test_reopen_needs_post(self, archive, people, login):
        assert login(people["m1"]).get(reverse("customers:reopen", args=[archive["north_a"].pk])).status_code == 405
