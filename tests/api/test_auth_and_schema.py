"""Token and session auth; the OpenAPI 3 schema and its Swagger UI (served from the sidecar, no CDN)."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_gets_nothing(world, api):
    assert api().get("/api/v1/customers/").status_code in (401, 403)


def test_token_auth(world):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "m1", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    rows = client.get("/api/v1/customers/").json()["results"]
    assert {r["id"] for r in rows} == {world.c1.pk, world.c2.pk}
    # Writes with a token are audited to the token's owner.
    assert client.patch(f"/api/v1/customers/{world.c1.pk}/", {"notes": "token"}, format="json").status_code == 200
    assert world.c1.history.first().history_user == world.m1


def test_wrong_password_gets_no_token(world):
    response = APIClient().post("/api/v1/auth/token/", {"username": "m1", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_schema_is_openapi_3(world, api):
    response = api(world.m1).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/customers/", "/api/v1/customers/{id}/close/", "/api/v1/customers/{id}/history/",
                 "/api/v1/customers/export/", "/api/v1/contracts/", "/api/v1/findings/", "/api/v1/staff/"):
        assert path in schema["paths"], path


def test_swagger_ui_renders_from_local_assets(world, api):
    response = api(world.m1).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_token_endpoint_counts_towards_the_lockout(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"username": "m1", "password": "wrong"}, format="json")
    response = client.post("/api/v1/auth/token/", {"username": "m1", "password": PASSWORD}, format="json")
    assert response.status_code != 200
    assert "token" not in (response.json() if response.get("Content-Type", "").startswith("application/json") else {})
