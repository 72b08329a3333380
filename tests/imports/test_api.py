"""/api/v1/imports/: upload (dry run or commit), job status, error report, templates."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from powerkam.customers.models import Customer
from tests.imports.conftest import customer_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def post(client, rows, dry_run=True):
    return client.post("/api/v1/imports/", {"kind": "customers", "dry_run": "true" if dry_run else "false",
                                            "file": SimpleUploadedFile("c.xlsx", xlsx_bytes(rows))})


def test_dry_run_then_commit_through_the_api(login, clerk, manager):
    client = login(clerk)
    response = post(client, customer_rows(4, manager="mgr1"))
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "ready" and job["summary"]["created"] == 4 and job["progress"]["percent"] == 100
    assert Customer.objects.count() == 0
    got = client.get(f"/api/v1/imports/{job['id']}/").json()
    assert got["status"] == "ready"
    committed = client.post(f"/api/v1/imports/{job['id']}/commit/")
    assert committed.status_code == 200 and committed.json()["status"] == "done"
    assert Customer.objects.count() == 4


def test_direct_commit_and_error_report(login, clerk):
    client = login(clerk)
    rows = customer_rows(3)
    rows[3][7] = "abc"
    job = post(client, rows, dry_run=False).json()
    assert job["status"] == "failed" and job["summary"]["error_count"] == 1
    assert job["summary"]["errors"][0] == {"row": 4, "column": "合同容量(kVA)", "message": job["summary"]["errors"][0]["message"]}
    report = client.get(f"/api/v1/imports/{job['id']}/error-report/")
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert list(ws.values)[1][:2] == (4, "合同容量(kVA)")
    assert Customer.objects.count() == 0


def test_template_endpoint(login, clerk):
    response = login(clerk).get("/api/v1/imports/templates/metering_points/")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).worksheets[0]["B1"].value == "计量点编号"


def test_api_jobs_are_private_and_need_can_import(login, clerk, admin_user, manager):
    job = post(login(admin_user), customer_rows(1)).json()
    assert login(clerk).get(f"/api/v1/imports/{job['id']}/").status_code == 404
    assert login(manager).get("/api/v1/imports/").status_code == 403
    assert post(login(manager), customer_rows(1)).status_code == 403


def test_bad_kind_is_a_field_error(login, clerk):
    response = login(clerk).post("/api/v1/imports/", {"kind": "no_such_kind", "file": SimpleUploadedFile("c.csv", b"a")})
    assert response.status_code == 400 and "kind" in response.json()
