"""The data-quality page: open findings in scope, counts by org unit and rule, filters,
export, and the administrators' re-run button."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from powerkam.customers.models import DataQualityFinding
from tests.factories import complete_customer

URL = reverse("customers:quality")


@pytest.fixture
def findings(archive):
    mk = DataQualityFinding.objects.create
    return [
        mk(customer=archive["north_a"], rule="capacity_mismatch", params={"transformers_kva": "630", "contract_kva": "800"}),
        mk(customer=archive["north_a"], rule="metering_missing"),
        mk(customer=archive["north_b"], rule="metering_missing"),
        mk(customer=archive["south"], rule="contract_expired", params={"valid_to": "2020-01-01"}),
        mk(customer=archive["south"], rule="metering_missing", status="resolved"),
    ]


def listed(response) -> list[str]:
    return [cu.number for cu in response.context["page"].object_list]


@pytest.mark.django_db
class TestQualityPage:
    def test_admin_sees_everything_open(self, findings, people, login):
        r = login(people["admin"]).get(URL)
        assert r.status_code == 200
        assert listed(r) == ["3100000001", "3100000002", "3200000001"]
        by_rule = {row["rule"]: row["findings"] for row in r.context["by_rule"]}
        assert by_rule == {"capacity_mismatch": 1, "metering_missing": 2, "contract_expired": 1}
        by_unit = {row["customer__org_unit__name"]: (row["customers"], row["findings"]) for row in r.context["by_unit"]}
        assert by_unit == {"城北一所": (1, 2), "城北二所": (1, 1), "城南一所": (1, 1)}
        html = r.content.decode()
        assert "630" in html and reverse("customers:quality_rerun") in html

    @pytest.mark.parametrize("who,expected", [
        ("m1", ["3100000001", "3100000002"]),
        ("m2", ["3200000001"]),
        ("sup_north", ["3100000001", "3100000002"]),
        ("clerk_south", ["3200000001"]),
    ])
    def test_scope(self, findings, people, login, who, expected):
        r = login(people[who]).get(URL)
        assert listed(r) == expected
        assert sum(row["findings"] for row in r.context["by_unit"]) == sum(
            1 for f in findings if f.status == "open" and f.customer.number in expected)

    def test_filter_by_rule_and_unit(self, findings, org_tree, people, login):
        client = login(people["admin"])
        assert listed(client.get(URL, {"rule": "metering_missing"})) == ["3100000001", "3100000002"]
        r = client.get(URL, {"rule": "metering_missing", "org_unit": org_tree["s2"].pk})
        assert listed(r) == ["3100000002"]
        assert [f.rule for f in r.context["page"].object_list[0].open_findings_list] == ["metering_missing"]

    def test_org_unit_outside_scope_is_ignored(self, findings, org_tree, people, login):
        r = login(people["sup_north"]).get(URL, {"org_unit": org_tree["s3"].pk})
        assert listed(r) == ["3100000001", "3100000002"]

    def test_htmx_gets_the_list_partial(self, findings, people, login):
        r = login(people["admin"]).get(URL, {"rule": "contract_expired"}, headers={"HX-Request": "true"})
        html = r.content.decode()
        assert "<html" not in html and "3200000001" in html

    def test_pagination(self, settings, findings, people, login):
        settings.PAGE_SIZE = 2
        client = login(people["admin"])
        assert listed(client.get(URL)) == ["3100000001", "3100000002"]
        assert listed(client.get(URL, {"page": 2})) == ["3200000001"]


@pytest.mark.django_db
class TestQualityExport:
    def test_xlsx(self, findings, people, login):
        r = login(people["m1"]).get(reverse("customers:quality_export"), {"fmt": "xlsx"})
        ws = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True).active
        rows = list(ws.iter_rows(values_only=True))
        assert len(rows) == 4  # header + 3 open findings of m1's customers
        assert {row[0] for row in rows[1:]} == {"3100000001", "3100000002"}

    def test_csv_filtered(self, findings, people, login):
        r = login(people["exec"]).get(reverse("customers:quality_export"), {"fmt": "csv", "rule": "contract_expired"})
        rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
        assert len(rows) == 2 and rows[1][0] == "3200000001" and "2020-01-01" in rows[1][5]


@pytest.mark.django_db
class TestRerun:
    def test_admin_reruns_the_checks(self, org_tree, people, login):
        good = complete_customer(org_unit=org_tree["s1"])
        stale = DataQualityFinding.objects.create(customer=good, rule="metering_missing")
        r = login(people["admin"]).post(reverse("customers:quality_rerun"))
        assert r.status_code == 302
        stale.refresh_from_db()
        assert stale.status == "resolved"

    @pytest.mark.parametrize("who", ["m1", "sup_north", "exec"])
    def test_others_cannot(self, people, login, who):
        assert login(people[who]).post(reverse("customers:quality_rerun")).status_code == 403

    def test_rerun_button_hidden_from_others(self, people, login):
        assert reverse("customers:quality_rerun") not in login(people["m1"]).get(URL).content.decode()


@pytest.mark.django_db
def test_query_count_is_constant(archive, org_tree, people, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CustomerFactory

    client = login(people["sup_north"])
    DataQualityFinding.objects.create(customer=archive["north_a"], rule="metering_missing")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(20):
        cu = CustomerFactory(org_unit=org_tree["s1"] if i % 2 else org_tree["s2"])
        DataQualityFinding.objects.create(customer=cu, rule="metering_missing")
        DataQualityFinding.objects.create(customer=cu, rule="capacity_mismatch")
    with CaptureQueriesContext(connection) as many:
        r = client.get(URL)
    assert len(r.context["page"].object_list) == 21
    assert len(many.captured_queries) == len(few.captured_queries)
