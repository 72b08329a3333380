"""A search's count stops at a cap (issue #11 item 5: what a search costs must not grow with the
data): up to settings.POWERKAM_SEARCH_COUNT_CAP matches the count is exact; beyond it the list
says "1,000+ customers" (here the cap is 3) and the API `count_exact: false`; the pager has no
link to a last page it does not know; `?page=last` and any page at or past the cap's are counted
exactly. Filters without a search term are counted exactly, as before. Through the one scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from powerkam.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = reverse("customers:list")
API = "/api/v1/customers/"
CAP = 3


@pytest.fixture
def cap(settings):
    settings.POWERKAM_SEARCH_COUNT_CAP = CAP
    settings.PAGE_SIZE = 1
    return CAP


@pytest.fixture
def mills(org_tree, people):
    """7 customers whose names hold 纺织 (5 of them m1's, in the north; 2 m2's, in the south),
    and 2 others."""
    t, p = org_tree, people
    made = [CustomerFactory(name=f"城北纺织{i}厂", number=f"31000000{i:02d}", org_unit=t["s1"], primary_manager=p["m1"])
            for i in range(5)]
    made += [CustomerFactory(name=f"城南纺织{i}厂", number=f"32000000{i:02d}", org_unit=t["s3"], primary_manager=p["m2"])
             for i in range(2)]
    CustomerFactory(name="城北钢铁有限公司", org_unit=t["s1"], primary_manager=p["m1"])
    CustomerFactory(name="城南水泥厂", org_unit=t["s3"], primary_manager=p["m2"])
    return sorted(made, key=lambda c: c.number)


def api_page(client, **params) -> dict:
    response = client.get(API, params)
    assert response.status_code == 200, response.content
    return response.json()


def shown_count(response) -> str:
    body = response.content.decode()
    start = body.index('id="customer-count">') + len('id="customer-count">')
    return body[start:body.index("<", start)]


@pytest.mark.parametrize("matches", [1, CAP - 1, CAP])
def test_a_search_up_to_the_cap_is_counted_exactly(cap, org_tree, people, login, matches):
    for i in range(matches):
        CustomerFactory(name=f"城北纺织{i}厂", org_unit=org_tree["s1"])
    client = login(people["admin"])
    page = api_page(client, q="纺织", page_size=1)
    assert (page["count"], page["count_exact"]) == (matches, True)
    response = client.get(URL, {"q": "纺织"})
    assert shown_count(response) == f"{matches} 户客户"
    assert response.context["page"].paginator.count_exact


def test_a_search_past_the_cap_says_more_than_the_cap(cap, mills, people, login):
    client = login(people["admin"])
    page = api_page(client, q="纺织", page_size=1)
    assert (page["count"], page["count_exact"]) == (CAP, False)
    assert page["next"] and page["results"][0]["number"] == mills[0].number
    response = client.get(URL, {"q": "纺织"})
    assert shown_count(response) == f"超过 {CAP} 个客户"
    assert shown_count(client.get(URL, {"q": "纺织"}, HTTP_ACCEPT_LANGUAGE="en")) == f"{CAP}+ customers"
    # The pager links the pages the capped count knows, then an ellipsis: no "last" page.
    page = response.context["page"]
    assert page.elided_range == [1, 2, 3, page.paginator.ELLIPSIS] and page.has_next()
    assert "page=4" not in response.content.decode() and "page=7" not in response.content.decode()


def test_the_cap_is_shown_with_thousands_grouped(settings, mills, people, login):
    settings.POWERKAM_SEARCH_COUNT_CAP = 1000
    response = login(people["admin"]).get(URL, {"q": "纺织"})
    assert shown_count(response) == "7 户客户"  # under the cap: exact
    from powerkam.customers import paging

    paginator = paging.ListPaginator(Customer.objects.order_by("pk"), 1, count_cap=1)
    paginator.page(1)
    assert not paginator.count_exact
    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load i18n %}{% blocktrans with n=cap|floatformat:"g" %}{{ n }}+ customers{% endblocktrans %}')
    for lang, text in (("zh-hans", "超过 1,000 个客户"), ("en", "1,000+ customers")):
        with translation.override(lang):
            assert template.render(Context({"cap": 1000})) == text


def test_the_last_page_is_counted_exactly(cap, mills, people, login):
    client = login(people["admin"])
    last = api_page(client, q="纺织", page_size=1, page="last")
    assert (last["count"], last["count_exact"], last["next"]) == (7, True, None)
    assert last["results"][0]["number"] == mills[-1].number
    response = client.get(URL, {"q": "纺织", "page": "last"})
    assert shown_count(response) == "7 户客户" and response.context["page"].number == 7
    assert [cu.number for cu in response.context["page"].object_list] == [mills[-1].number]


def test_pages_at_and_past_the_caps_are_served_from_an_exact_count(cap, mills, people, login):
    client = login(people["admin"])
    numbers = []
    for n in range(1, 8):
        page = api_page(client, q="纺织", page_size=1, page=n)
        numbers += [row["number"] for row in page["results"]]
        assert page["count_exact"] is (n >= CAP + 1)
        assert bool(page["next"]) is (n < 7)
    assert numbers == [c.number for c in mills]
    assert client.get(API, {"q": "纺织", "page_size": 1, "page": 8}).status_code == 404
    # The list page: page 3 links page 4 without counting it; page 4 is counted exactly.
    third = client.get(URL, {"q": "纺织", "page": 3})
    assert shown_count(third) == f"超过 {CAP} 个客户" and third.context["page"].has_next()
    fourth = client.get(URL, {"q": "纺织", "page": 4})
    assert shown_count(fourth) == "7 户客户"
    assert fourth.context["page"].elided_range[-1] == 7


@pytest.mark.parametrize("params", [{}, {"lifecycle_status": "active"}, {"q": ""}])
def test_filters_without_a_search_term_are_counted_exactly(cap, mills, people, login, params):
    client = login(people["admin"])
    page = api_page(client, page_size=1, **params)
    assert (page["count"], page["count_exact"]) == (9, True)
    assert shown_count(client.get(URL, params)) == "9 户客户"


def test_a_cap_of_zero_counts_every_search_exactly(cap, settings, mills, people, login):
    settings.POWERKAM_SEARCH_COUNT_CAP = 0
    client = login(people["admin"])
    page = api_page(client, q="纺织", page_size=1)
    assert (page["count"], page["count_exact"]) == (7, True)
    assert shown_count(client.get(URL, {"q": "纺织"})) == "7 户客户"


def test_the_capped_count_is_the_users_scope(cap, mills, people, login):
    # m1 sees 5 matches (past the cap), m2 2 (exact), the south's clerk m2's 2, the north's
    # supervisor m1's 5; with a filter beside the search the cap holds too.
    expected = {"m1": (CAP, False), "m2": (2, True), "clerk_south": (2, True), "sup_north": (CAP, False)}
    for who, count in expected.items():
        client = login(people[who])
        page = api_page(client, q="纺织", page_size=1)
        assert (page["count"], page["count_exact"]) == count, who
        assert api_page(client, q="纺织", page_size=1, page="last")["count"] in (5, 2)
        filtered = api_page(client, q="纺织", page_size=1, lifecycle_status="active")
        assert (filtered["count"], filtered["count_exact"]) == count, who


def _queries(client, url, params) -> list[str]:
    client.get(url, params)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("url", [API, URL])
def test_a_capped_count_is_one_query_as_the_exact_count_was(cap, settings, mills, people, login, url):
    client = login(people["admin"])
    params = {"q": "纺织", **({"page_size": 1} if url == API else {})}
    capped = _queries(client, url, params)
    settings.POWERKAM_SEARCH_COUNT_CAP = 0
    exact = _queries(client, url, params)
    assert len(capped) == len(exact)
    counts = [sql for sql in capped if sql.upper().startswith("SELECT COUNT(*)")]
    assert len(counts) == 1 and f"LIMIT {CAP + 1}" in counts[0]
    # A page past the cap's is counted exactly at once, not capped first.
    settings.POWERKAM_SEARCH_COUNT_CAP = CAP
    deep = _queries(client, url, {**params, "page": 5})
    counts = [sql for sql in deep if sql.upper().startswith("SELECT COUNT(*)")]
    assert len(counts) == 1 and "LIMIT" not in counts[0].upper()


def test_the_api_schema_documents_count_exact():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    listed = schema["paths"]["/api/v1/customers/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    name = listed["$ref"].rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][name]
    assert component["properties"]["count_exact"]["type"] == "boolean"
    assert "count_exact" in component["required"]
