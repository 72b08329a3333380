"""Customer list export: same filters and scope as the list, read back as xlsx and csv."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from powerkam.customers.models import DataQualityFinding

URL = reverse("customers:export")


def read_xlsx(response) -> list[list]:
    data = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
class TestExport:
    def test_xlsx_is_scoped(self, archive, people, login):
        r = login(people["m1"]).get(URL, {"fmt": "xlsx"})
        assert r.status_code == 200 and ".xlsx" in r["Content-Disposition"]
        rows = read_xlsx(r)
        assert [row[0] for row in rows[1:]] == ["3100000001", "3100000002"]

    def test_csv_follows_filters(self, archive, people, login):
        DataQualityFinding.objects.create(customer=archive["south"], rule="capacity_mismatch")
        r = login(people["exec"]).get(URL, {"fmt": "csv", "has_open_findings": "true"})
        rows = read_csv(r)
        assert len(rows) == 2
        assert rows[1][0] == "3200000001" and rows[1][1] == "城南水泥厂"
        assert rows[1][-1] == "1"

    def test_supervisor_scope_and_search(self, archive, people, login):
        rows = read_csv(login(people["sup_north"]).get(URL, {"fmt": "csv", "q": "纺织"}))
        assert [r[0] for r in rows[1:]] == ["3100000002"]
        rows = read_csv(login(people["sup_north"]).get(URL, {"fmt": "csv", "q": "城南"}))
        assert rows[1:] == []

    def test_unknown_format(self, people, login):
        assert login(people["admin"]).get(URL, {"fmt": "pdf"}).status_code == 400

    def test_export_links_carry_the_filters(self, archive, people, login):
        html = login(people["admin"]).get(reverse("customers:list"), {"q": "城北", "sort": "-name"}).content.decode()
        assert "/customers/export/?q=%E5%9F%8E%E5%8C%97&amp;sort=-name&amp;fmt=xlsx" in html
