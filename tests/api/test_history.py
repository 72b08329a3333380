"""GET customers/{id}/history/: who changed which field of the customer or its records, from what, to what."""

import pytest

from tests.factories import ContactFactory, make_id_number

pytestmark = pytest.mark.django_db


def history(client, customer):
    response = client.get(f"/api/v1/customers/{customer.pk}/history/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_field_change_shows_old_and_new_value_and_who(world, api):
    client = api(world.m1)
    old_name = world.c1.name
    assert client.patch(f"/api/v1/customers/{world.c1.pk}/", {"name": "北一新材料有限公司"}, format="json").status_code == 200
    entries = history(client, world.c1)
    change = next(e for e in entries if e["field"] == "name")
    assert change["action"] == "changed"
    assert change["old"] == old_name and change["new"] == "北一新材料有限公司"
    assert change["who"] == world.m1.pk and change["who_name"] == world.m1.display_name
    assert change["record"] == "北一新材料有限公司" and change["record_type"] and change["field_label"]
    assert not any(e["field"] == "updated_at" for e in entries)


def test_choice_and_related_values_are_shown_by_name(world, api):
    client = api(world.supervisor)
    response = client.patch(f"/api/v1/customers/{world.c4.pk}/", {"primary_manager": world.m3.pk}, format="json")
    assert response.status_code == 200, response.content
    change = next(e for e in history(client, world.c4) if e["field"] == "primary_manager")
    assert change["new"] == str(world.m3)


def test_child_record_changes_are_in_the_customers_trail(world, api):
    contact = ContactFactory(customer=world.c1, mobile="13900000001")
    client = api(world.m1)
    assert client.patch(f"/api/v1/contacts/{contact.pk}/", {"mobile": "13900000002"}, format="json").status_code == 200
    assert client.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 204
    entries = history(client, world.c1)
    change = next(e for e in entries if e["field"] == "mobile")
    assert (change["old"], change["new"], change["who"]) == ("13900000001", "13900000002", world.m1.pk)
    assert change["record"] == contact.name
    assert any(e["record"] == contact.name and e["action"] == "deleted" for e in entries)
    # newest first
    assert entries == sorted(entries, key=lambda e: e["when"], reverse=True)


def test_id_numbers_in_the_trail_are_masked_for_managers(world, api):
    api(world.admin).patch(f"/api/v1/customers/{world.c1.pk}/", {"id_number": make_id_number(21)}, format="json")
    manager_view = next(e for e in history(api(world.m1), world.c1) if e["field"] == "id_number")
    assert "*" in manager_view["new"] and manager_view["new"] != make_id_number(21)
    clerk_view = next(e for e in history(api(world.clerk), world.c1) if e["field"] == "id_number")
    assert clerk_view["new"] == make_id_number(21)
