"""A NUL character (\\0) anywhere in a request — path, query string, form, JSON body — is a 400
with a Chinese message, before any view runs (PostgreSQL refuses NUL in text: every search box
of the lists failed with a 500 there)."""

import pytest

pytestmark = pytest.mark.django_db

MESSAGE = "请求中含有空字符（\\0），不允许提交。"
SEARCH_PAGES = ["/billing/bills/", "/receivables/", "/receivables/board/", "/service/tickets/", "/service/visits/list/",
                "/service/surveys/", "/queue/", "/credit/", "/credit/assessments/", "/customers/", "/service/outages/"]
SEARCH_APIS = ["/api/v1/bills/", "/api/v1/tickets/", "/api/v1/visits/", "/api/v1/surveys/", "/api/v1/payments/",
               "/api/v1/receivables/board/", "/api/v1/tasks/", "/api/v1/credit/assessments/", "/api/v1/customers/",
               "/api/v1/outages/", "/api/v1/staff/"]


@pytest.mark.parametrize("url", SEARCH_PAGES)
def test_search_box_of_a_page(world, login, url):
    response = login(world.supervisor).get(url, {"q": "北\x00一"})
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()


@pytest.mark.parametrize("url", SEARCH_APIS)
def test_search_parameter_of_an_api_list(world, api, url):
    response = api(world.supervisor).get(url, {"q": "北\x00一", "search": "x"})
    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE}


def test_in_a_parameter_name_and_in_the_path(world, api):
    client = api(world.supervisor)
    assert client.get("/api/v1/bills/?q%00=1").status_code == 400
    assert client.get("/api/v1/surveys/answer/ab%00c/").status_code == 400


def test_in_a_form_post_nothing_changes(world, login):
    from powerkam.customers.models import Customer

    before = Customer.objects.count()
    response = login(world.admin).post("/customers/new/", {"name": "甲\x00乙", "number": "3100009999"})
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert Customer.objects.count() == before


def test_in_a_json_body(world, api):
    response = api(world.m1).patch(f"/api/v1/customers/{world.c1.pk}/", {"notes": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE}
    world.c1.refresh_from_db()
    assert "\x00" not in world.c1.notes


def test_without_nul_the_search_works(world, api):
    response = api(world.supervisor).get("/api/v1/customers/", {"q": "北一"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [world.c1.pk]


def test_a_broken_multipart_body_is_still_the_endpoints_400(world, api):
    response = api(world.supervisor).generic("POST", "/api/v1/care-records/", b"--xyz\r\nbroken",
                                             content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 400
