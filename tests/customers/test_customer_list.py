"""The customer list: search, filters, sort, pagination, htmx partial, scope, query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from powerkam.customers import constants as c
from powerkam.customers.models import DataQualityFinding
from tests.factories import ContactFactory, CustomerFactory

URL = reverse("customers:list")


def numbers(response) -> list[str]:
    return [cu.number for cu in response.context["page"].object_list]


@pytest.mark.django_db
class TestSearch:
    def test_by_name_fragment(self, archive, people, login):
        r = login(people["admin"]).get(URL, {"q": "钢铁"})
        assert numbers(r) == ["3100000001"]

    def test_by_number_prefix(self, archive, people, login):
        r = login(people["admin"]).get(URL, {"q": "32000"})
        assert numbers(r) == ["3200000001"]

    def test_by_credit_code(self, archive, people, login):
        code = archive["north_b"].credit_code
        r = login(people["admin"]).get(URL, {"q": code.lower()})
        assert numbers(r) == ["3100000002"]

    def test_by_contact_phone(self, archive, people, login):
        ContactFactory(customer=archive["south"], mobile="13912345678")
        r = login(people["admin"]).get(URL, {"q": "1234-5678"})
        assert numbers(r) == ["3200000001"]

    def test_search_respects_scope(self, archive, people, login):
        r = login(people["m1"]).get(URL, {"q": "城南"})
        assert numbers(r) == []


@pytest.mark.django_db
class TestFilters:
    def test_closed_hidden_by_default_and_shown_on_request(self, archive, people, login):
        CustomerFactory(number="3900000001", org_unit=archive["south"].org_unit,
                        lifecycle_status=c.LifecycleStatus.CLOSED)
        client = login(people["admin"])
        assert "3900000001" not in numbers(client.get(URL))
        assert "3900000001" in numbers(client.get(URL, {"show_closed": "1"}))
        assert numbers(client.get(URL, {"lifecycle_status": "closed"})) == ["3900000001"]

    def test_key_account_and_tier(self, archive, people, login):
        client = login(people["admin"])
        assert numbers(client.get(URL, {"is_key_account": "true"})) == ["3100000001"]
        assert numbers(client.get(URL, {"ka_tier": "premium"})) == ["3100000001"]
        assert numbers(client.get(URL, {"is_key_account": "false"})) == ["3100000002", "3200000001"]

    def test_usage_voltage_industry(self, archive, people, login):
        archive["south"].usage_category = c.UsageCategory.GENERAL_COMMERCIAL
        archive["south"].voltage_level = c.VoltageLevel.V35
        archive["south"].industry = "F"
        archive["south"].save()
        client = login(people["admin"])
        assert numbers(client.get(URL, {"usage_category": "general_commercial"})) == ["3200000001"]
        assert numbers(client.get(URL, {"voltage_level": "35kV"})) == ["3200000001"]
        assert numbers(client.get(URL, {"industry": "F"})) == ["3200000001"]

    def test_org_unit_subtree(self, archive, org_tree, people, login):
        r = login(people["admin"]).get(URL, {"org_unit": org_tree["north"].pk})
        assert numbers(r) == ["3100000001", "3100000002"]

    def test_manager_primary_or_secondary(self, archive, people, login):
        r = login(people["admin"]).get(URL, {"manager": people["spec"].pk})
        assert numbers(r) == ["3100000002"]

    def test_has_open_findings(self, archive, people, login):
        DataQualityFinding.objects.create(customer=archive["south"], rule="capacity_mismatch")
        client = login(people["admin"])
        assert numbers(client.get(URL, {"has_open_findings": "true"})) == ["3200000001"]
        assert numbers(client.get(URL, {"has_open_findings": "false"})) == ["3100000001", "3100000002"]

    def test_open_findings_count_shown(self, archive, people, login):
        DataQualityFinding.objects.create(customer=archive["south"], rule="capacity_mismatch")
        DataQualityFinding.objects.create(customer=archive["south"], rule="metering_missing")
        r = login(people["admin"]).get(URL)
        counts = {cu.number: cu.open_findings for cu in r.context["page"].object_list}
        assert counts == {"3100000001": 0, "3100000002": 0, "3200000001": 2}

    def test_bad_filter_values_are_ignored(self, archive, people, login):
        r = login(people["admin"]).get(URL, {"org_unit": "abc", "sort": "drop table", "page": "x"})
        assert r.status_code == 200
        assert len(numbers(r)) == 3


@pytest.mark.django_db
class TestSortAndPages:
    def test_sort_by_name_and_capacity(self, archive, people, login):
        archive["south"].contract_capacity_kva = 100
        archive["south"].save()
        client = login(people["admin"])
        assert numbers(client.get(URL, {"sort": "-number"})) == ["3200000001", "3100000002", "3100000001"]
        assert numbers(client.get(URL, {"sort": "capacity"}))[0] == "3200000001"
        assert numbers(client.get(URL, {"sort": "-capacity"}))[-1] == "3200000001"

    def test_pagination_with_total(self, settings, org_tree, people, login):
        settings.PAGE_SIZE = 5
        for i in range(12):
            CustomerFactory(number=f"33{i:08d}", org_unit=org_tree["s1"])
        client = login(people["admin"])
        r = client.get(URL)
        assert r.context["page"].paginator.count == 12
        assert len(numbers(r)) == 5
        assert "12" in r.content.decode()
        r3 = client.get(URL, {"page": 3})
        assert numbers(r3) == ["3300000010", "3300000011"]


@pytest.mark.django_db
class TestScope:
    @pytest.mark.parametrize("who,expected", [
        ("m1", ["3100000001", "3100000002"]),
        ("spec", ["3100000002"]),
        ("m2", ["3200000001"]),
        ("sup_north", ["3100000001", "3100000002"]),
        ("clerk_south", ["3200000001"]),
        ("exec", ["3100000001", "3100000002", "3200000001"]),
    ])
    def test_each_role_sees_its_scope(self, archive, people, login, who, expected):
        assert numbers(login(people[who]).get(URL)) == expected

    def test_executive_gets_no_new_button(self, archive, people, login):
        assert reverse("customers:create") not in login(people["exec"]).get(URL).content.decode()
        assert reverse("customers:create") in login(people["m1"]).get(URL).content.decode()

    def test_login_required(self, client):
        assert client.get(URL).status_code == 302


@pytest.mark.django_db
def test_htmx_request_gets_table_partial(archive, people, login):
    r = login(people["admin"]).get(URL, {"q": "城北"}, headers={"HX-Request": "true"})
    html = r.content.decode()
    assert "<html" not in html and 'id="customers"' in html
    assert numbers(r) == ["3100000001", "3100000002"]
    assert "HX-Request" in r["Vary"]
    full = login(people["admin"]).get(URL).content.decode()
    assert "<html" in full and 'hx-target="#customer-table"' in full


@pytest.mark.django_db
def test_query_count_is_constant(org_tree, people, login, django_assert_num_queries):
    client = login(people["sup_north"])

    def make(n, start):
        for i in range(n):
            cu = CustomerFactory(number=f"34{start + i:08d}", org_unit=org_tree["s1"], primary_manager=people["m1"],
                                 secondary_manager=people["spec"])
            DataQualityFinding.objects.create(customer=cu, rule="capacity_mismatch")

    make(3, 0)
    client.get(URL)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(URL)
    few = len(ctx.captured_queries)
    assert len(numbers(r)) == 3
    make(22, 100)
    with django_assert_num_queries(few):
        r = client.get(URL)
    assert len(numbers(r)) == 25


@pytest.mark.django_db
def test_a_page_count_only_when_the_list_is_longer_than_a_page(settings, org_tree, people, login):
    """Page 1 is read first: a list that fits on it (a search, usually) needs no COUNT query; a
    longer one one COUNT, on any page; and every page is one query for its rows."""
    settings.PAGE_SIZE = 5

    def counts(captured) -> int:
        return sum(q["sql"].upper().startswith("SELECT COUNT(*)") for q in captured)

    for i in range(12):
        CustomerFactory(number=f"33{i:08d}", name=f"城北{i}号厂" if i < 3 else f"城西{i}号厂", org_unit=org_tree["s1"])
    client = login(people["admin"])
    client.get(URL)
    with CaptureQueriesContext(connection) as search:
        r = client.get(URL, {"q": "城北"})
    assert numbers(r) == ["3300000000", "3300000001", "3300000002"] and counts(search.captured_queries) == 0
    assert r.context["page"].paginator.count == 3
    with CaptureQueriesContext(connection) as first:
        r1 = client.get(URL)
    with CaptureQueriesContext(connection) as later:
        r3 = client.get(URL, {"page": 3})
    assert counts(first.captured_queries) == counts(later.captured_queries) == 1
    assert len(first.captured_queries) == len(later.captured_queries) == len(search.captured_queries) + 1
    assert r1.context["page"].paginator.count == r3.context["page"].paginator.count == 12
    assert numbers(r3) == ["3300000010", "3300000011"]
