"""A JSON request body is an object: a list, a string or a number is a 400 that says so (in
Chinese), for every endpoint alike — it never reaches a view that reads `request.data.get(...)`."""

import pytest

pytestmark = pytest.mark.django_db

MESSAGE = "请求体必须是 JSON 对象。"
NOT_OBJECTS = ["[]", '[{"period": "2026-10"}]', '"2026-10"', "42", "null"]


@pytest.mark.parametrize("body", NOT_OBJECTS)
@pytest.mark.parametrize("url", ["/api/v1/billing/calculate/", "/api/v1/outages/", "/api/v1/tickets/",
                                 "/api/v1/customers/"])
def test_signed_in_writes(world, api, url, body):
    response = api(world.supervisor).post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": MESSAGE}


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_public_survey_answer(world, api, body):
    response = api().post("/api/v1/surveys/answer/any-token/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": MESSAGE}


def test_an_object_still_reaches_the_endpoint(world, api):
    response = api(world.supervisor).post("/api/v1/billing/calculate/", {"period": "2026-10"}, format="json")
    assert response.status_code == 400
    assert "tariff_code" in response.json()
