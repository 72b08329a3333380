"""Org units and staff via the API: all staff read, administrators write, no password hashes."""

import pytest

from powerkam.org.models import OrgUnit, Staff

pytestmark = pytest.mark.django_db


def test_org_units_read_for_all_write_for_admin(world, api):
    assert api(world.m1).get("/api/v1/org-units/").json()["count"] == 6
    assert api(world.m1).post("/api/v1/org-units/", {"code": "S9", "name": "新所", "kind": "station"},
                              format="json").status_code == 403
    response = api(world.admin).post("/api/v1/org-units/", {
        "code": "S9", "name": "新所", "kind": "station", "parent": world.south.pk}, format="json")
    assert response.status_code == 201, response.content
    unit = OrgUnit.objects.get(code="S9")
    assert response.json()["path"] == unit.path and unit.path.startswith(world.south.path)
    within = api(world.m1).get(f"/api/v1/org-units/?within={world.south.pk}").json()["results"]
    assert {u["code"] for u in within} == {"R2", "S3", "S9"}


def test_org_unit_cannot_move_under_itself(world, api):
    response = api(world.admin).patch(f"/api/v1/org-units/{world.north.pk}/", {"parent": world.s1.pk}, format="json")
    assert response.status_code == 400
    world.north.refresh_from_db()
    assert world.north.parent == world.company


def test_org_unit_in_use_is_not_deleted(world, api):
    assert api(world.admin).delete(f"/api/v1/org-units/{world.s1.pk}/").status_code == 409
    assert OrgUnit.objects.filter(pk=world.s1.pk).exists()


def test_staff_list_is_minimal_for_non_admins(world, api):
    rows = api(world.m1).get("/api/v1/staff/?page_size=100").json()["results"]
    assert set(rows[0]) == {"id", "username", "display_name", "role", "org_unit", "org_unit_name", "portfolio_count"}
    counts = {r["username"]: r["portfolio_count"] for r in rows}
    assert counts["m1"] == 2 and counts["m2"] == 1 and counts["m3"] == 1 and counts["sup_north"] == 0


def test_admin_sees_more_but_never_the_password(world, api):
    rows = api(world.admin).get("/api/v1/staff/").json()["results"]
    assert "email" in rows[0] and "is_active" in rows[0]
    assert all("password" not in r for r in rows)


def test_portfolio_count_leaves_out_closed_customers(world, api):
    api(world.m1).post(f"/api/v1/customers/{world.c1.pk}/close/", {"reason": "销户"}, format="json")
    me = api(world.m1).get("/api/v1/staff/me/").json()
    assert me["username"] == "m1" and me["portfolio_count"] == 1


def test_admin_creates_staff_with_a_checked_password(world, api):
    client = api(world.admin)
    weak = client.post("/api/v1/staff/", {"username": "new1", "password": "123", "role": "manager",
                                          "org_unit": world.s1.pk}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()
    response = client.post("/api/v1/staff/", {"username": "new1", "password": "Kam-Strong-2025!", "role": "manager",
                                              "org_unit": world.s1.pk, "full_name": "新经理"}, format="json")
    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    assert Staff.objects.get(username="new1").check_password("Kam-Strong-2025!")


def test_only_admins_manage_staff(world, api):
    assert api(world.supervisor).post("/api/v1/staff/", {"username": "x"}, format="json").status_code == 403
    assert api(world.supervisor).patch(f"/api/v1/staff/{world.m1.pk}/", {"role": "admin"},
                                       format="json").status_code == 403
    assert api(world.admin).delete(f"/api/v1/staff/{world.m1.pk}/").status_code == 405
    response = api(world.admin).patch(f"/api/v1/staff/{world.m1.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200
    assert not Staff.objects.get(pk=world.m1.pk).is_active
