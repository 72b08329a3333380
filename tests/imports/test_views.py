"""The import pages: index, template download, upload → dry run → commit, progress, errors."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from powerkam.customers.models import Customer
from powerkam.imports.models import ImportJob
from tests.imports.conftest import csv_bytes, customer_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def post_file(client, rows, kind="customers", name="客户.xlsx"):
    data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    return client.post(reverse("imports:upload"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_index_lists_kinds_templates_and_my_jobs(login, clerk, admin_user):
    ImportJob.objects.create(kind="customers", filename="mine.xlsx", created_by=clerk, status="done")
    ImportJob.objects.create(kind="customers", filename="theirs.xlsx", created_by=admin_user, status="done")
    response = login(clerk).get(reverse("imports:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for kind in ("customers", "contacts", "supply_points", "transformers", "metering_points"):
        assert reverse("imports:template", args=[kind]) in html
    assert "mine.xlsx" in html and "theirs.xlsx" not in html


def test_only_users_who_can_import(login, manager):
    client = login(manager)
    assert client.get(reverse("imports:index")).status_code == 403
    assert client.get(reverse("imports:template", args=["customers"])).status_code == 403
    assert post_file(client, customer_rows(1)).status_code == 403


def test_template_download(login, clerk):
    response = login(clerk).get(reverse("imports:template", args=["customers"]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb.worksheets[0][1]][:2] == ["客户编号", "客户名称"]
    assert wb.sheetnames[1] == "说明"
    assert login(clerk).get(reverse("imports:template", args=["nope"])).status_code == 404


def test_upload_dry_run_preview_then_commit(login, clerk, manager):
    client = login(clerk)
    response = post_file(client, customer_rows(25, manager="mgr1"))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert 'id="commit-form"' in page and 'data-count="created">25<' in page
    assert page.count("badge text-bg-success") == 20  # preview of the first 20 rows
    assert Customer.objects.count() == 0

    response = client.post(reverse("imports:commit", args=[job.pk]))
    assert response.status_code == 302
    assert Customer.objects.count() == 25
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'id="commit-form"' not in page


def test_errors_are_shown_with_a_report_and_no_commit_button(login, clerk):
    client = login(clerk)
    rows = customer_rows(3)
    rows[2][2] = "123"
    post_file(client, rows, name="bad.csv")
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'id="import-errors"' in page and "统一社会信用代码" in page
    assert 'id="commit-form"' not in page
    report = client.get(reverse("imports:error_report", args=[job.pk]))
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    rows = list(ws.values)
    assert rows[0] == ("行号", "列", "错误信息") and rows[1][:2] == (3, "统一社会信用代码")
    assert client.post(reverse("imports:commit", args=[job.pk])).status_code == 302
    assert Customer.objects.count() == 0


def test_refused_file_shows_the_reason(login, clerk):
    client = login(clerk)
    post_file(client, customer_rows(2), name="fake.xlsx".replace("xlsx", "xlsx"))  # a real workbook: fine
    client.post(reverse("imports:upload"), {"kind": "customers",
                                            "file": SimpleUploadedFile("fake.xlsx", b"not a zip")})
    job = ImportJob.objects.filter(filename="fake.xlsx", status="failed").get()
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "不是有效的 Excel 工作簿" in page  # the UI speaks Chinese by default


def test_jobs_are_private(login, clerk, admin_user):
    job = ImportJob.objects.create(kind="customers", filename="x.xlsx", created_by=admin_user)
    client = login(clerk)
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:progress", args=[job.pk])).status_code == 404
    assert client.post(reverse("imports:commit", args=[job.pk])).status_code == 404


def test_progress_partial_polls_until_done(login, clerk):
    from powerkam.imports import services

    job = ImportJob.objects.create(kind="customers", filename="x.csv", created_by=clerk, status="validating",
                                   total_rows=200, background=True)
    services._write_progress(job.pk, 50, 200)
    client = login(clerk)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "25%" in page
    partial = client.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"every 1s" in partial.content and b"<html" not in partial.content
    ImportJob.objects.filter(pk=job.pk).update(status="ready")
    done = client.get(reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_oversized_request_is_refused_from_its_length(login, clerk, settings):
    settings.POWERKAM_MAX_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("big.csv", b"a" * 200_000)
    response = login(clerk).post(reverse("imports:upload"), {"kind": "customers", "file": big})
    assert response.status_code == 400 and ImportJob.objects.count() == 0
