"""The OpenAPI schema (/api/schema/) says what the endpoints do: required fields are required,
fields that can be null or "" say so, time fields have the format they are sent in, the error
responses (400, 403, 404) are documented, and a page_size the API would not honour is a 400."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def component(schema, name):
    return schema["components"]["schemas"][name]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_calculator_requires_what_the_endpoint_requires(schema):
    required = component(schema, "BillCalculationRequest")["required"]
    assert {"period", "pf_standard", "basic_method"} <= set(required)


def test_error_responses_are_documented(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        params = operation.get("parameters", [])
        if method != "get" or any(p["in"] == "query" for p in params):
            assert "400" in codes, (method, path)
        if any(p["in"] == "path" for p in params):
            assert "404" in codes, (method, path)
        if operation.get("security") != [{}]:
            assert "403" in codes, (method, path)
    public = schema["paths"]["/api/v1/surveys/answer/{token}/"]["get"]
    assert "403" not in public["responses"]


@pytest.mark.parametrize(("name", "field"), [
    ("CustomerList", "primary_manager_name"), ("CustomerList", "secondary_manager_name"),
    ("CustomerDetail", "secondary_manager_name"), ("OrgUnit", "parent_name"), ("Task", "customer_name"),
    ("Task", "customer_number"), ("SupplyPoint", "supply_line_name"),
])
def test_names_read_through_an_optional_relation_are_nullable(schema, name, field):
    assert component(schema, name)["properties"][field].get("nullable") is True


def test_a_required_relation_name_is_not_nullable(schema):
    assert not component(schema, "Bill")["properties"]["customer_name"].get("nullable")


@pytest.mark.parametrize(("name", "field"), [("CustomerList", "ka_tier"), ("CustomerDetail", "cooperation_depth"),
                                             ("Ticket", "cause"), ("Ticket", "stage")])
def test_blank_choices_may_be_empty(schema, name, field):
    prop = component(schema, name)["properties"][field]
    refs = [alternative.get("$ref", "") for alternative in prop.get("oneOf", [])]
    assert "#/components/schemas/BlankEnum" in refs, prop


def test_time_fields_are_times_of_day_without_offset(schema):
    start = component(schema, "TariffTimeBand")["properties"]["start"]
    assert start["format"] == "partial-time" and start["pattern"].startswith("^")


def test_staff_reads_are_documented_with_what_everybody_gets(schema):
    item = schema["paths"]["/api/v1/staff/{id}/"]
    assert item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/StaffMinimal")
    assert item["patch"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/StaffAdmin")


@pytest.mark.parametrize("page_size", ["0", "-1", "501", "abc", "1.5", "１０"])
def test_page_size_outside_1_to_500_is_refused(world, api, page_size):
    response = api(world.supervisor).get("/api/v1/customers/", {"page_size": page_size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["请输入 1 到 500 之间的整数。"]}


@pytest.mark.parametrize("url", ["/api/v1/bills/", "/api/v1/analytics/arrears/", "/api/v1/staff/"])
def test_page_size_refused_on_every_paginated_list(world, api, url):
    assert api(world.supervisor).get(url, {"page_size": "0"}).status_code == 400


def test_page_size_in_range_is_honoured(world, api):
    response = api(world.supervisor).get("/api/v1/customers/", {"page_size": "2"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_record_ids_in_paths_are_integers(schema):
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] in ("id", "bill_id"):
                assert parameter["schema"] == {"type": "integer"}, (method, path)
