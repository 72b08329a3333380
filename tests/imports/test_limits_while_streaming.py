"""Heavy checks never run inside a web request (issue #9 item 6): an xlsx whose <dimension> lies
is counted as it streams, a large file goes to a job, the row limit is met before any row is
validated, and no more than the size limit of an upload is ever read."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from powerkam.customers.models import Customer
from powerkam.imports import readers, services
from powerkam.imports.models import ImportJob
from tests.imports.conftest import customer_rows

pytestmark = pytest.mark.django_db


def lying_xlsx(rows: list[list], claims: str = "A1:K2") -> bytes:
    """A workbook of `rows` whose sheet's <dimension> claims `claims` (one data row)."""
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as src, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, n = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{claims}"'.encode(), data)
                assert n == 1
            dst.writestr(item, data)
    return patched.getvalue()


def test_the_estimate_counts_the_rows_whatever_the_dimension_claims():
    data = lying_xlsx(customer_rows(500))
    assert readers.estimate_rows(io.BytesIO(data), "big.xlsx") == 500
    assert readers.estimate_rows(io.BytesIO(data), "big.xlsx", stop_after=100) > 100  # stops counting early


def test_row_tags_are_counted_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(readers, "SHEET_CHUNK", 7)  # every <row …> tag cut somewhere
    xml = b"<sheetData>" + b"".join(b'<x:row r="%d"><c/></x:row>' % i for i in range(1, 41)) + b"</sheetData>"
    assert readers.count_row_tags(io.BytesIO(xml)) == (40, True)
    count, whole = readers.count_row_tags(io.BytesIO(xml), stop_after=10)
    assert count > 10 and not whole


def test_a_large_file_whose_dimension_lies_is_checked_in_a_job_not_in_the_request(clerk, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.POWERKAM_IMPORT_INLINE_ROWS = 100
    data = lying_xlsx(customer_rows(500))
    job = services.start_import("customers", io.BytesIO(data), "big.xlsx", actor=clerk)
    assert job.background and job.status == ImportJob.Status.VALIDATING
    assert job.processed_rows == 0 and job.summary == {}  # not one row validated in the request
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "READY" and task.args_kwargs["args"] == [job.pk, True]


def test_the_row_limit_is_met_before_any_row_is_validated(clerk, settings):
    settings.POWERKAM_IMPORT_MAX_ROWS = 1500
    data = lying_xlsx(customer_rows(2500))
    result = services.run_import("customers", io.BytesIO(data), "big.xlsx", actor=clerk, dry_run=True)
    assert [e.message for e in result.errors] == [
        "The file has more than 1500 rows; at most 1500 rows can be imported at once."]
    assert result.total_rows == 0 and result.preview == []


def test_a_file_within_the_limit_is_not_refused_for_blank_rows(clerk, settings):
    """The fast count includes blank rows; the exact count decides."""
    settings.POWERKAM_IMPORT_MAX_ROWS = 5
    rows = customer_rows(5) + [[None] * 11] * 20
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    for r in range(7, 27):  # styled empty cells: <row> elements holding no value
        wb.active.cell(row=r, column=1).number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    result = services.run_import("customers", io.BytesIO(out.getvalue()), "c.xlsx", actor=clerk, dry_run=True)
    assert result.ok and result.total_rows == 5


# --------------------------------------------------------------------------- the upload's bytes

RECEIVED: list[int] = []


class CountingHandler(FileUploadHandler):
    """Records how many bytes of uploaded files reached the handlers that store them."""

    def receive_data_chunk(self, raw_data, start):
        RECEIVED.append(len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def counting(settings):
    RECEIVED.clear()
    settings.POWERKAM_MAX_UPLOAD_BYTES = 100_000
    settings.FILE_UPLOAD_HANDLERS = ["tests.imports.test_limits_while_streaming.CountingHandler",
                                     "django.core.files.uploadhandler.MemoryFileUploadHandler",
                                     "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
    return RECEIVED


def csrf_client(user) -> tuple[Client, str]:
    """A browser-like client: the CSRF check is enforced, as it is for real requests."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get(reverse("imports:index"))
    return client, client.cookies["csrftoken"].value


def test_an_upload_declared_too_large_is_refused_before_a_byte_is_read(clerk, counting):
    client, token = csrf_client(clerk)
    response = client.post(reverse("imports:upload"), {
        "csrfmiddlewaretoken": token, "kind": "customers", "file": SimpleUploadedFile("big.csv", b"x" * 300_000)})
    assert response.status_code == 400 and "文件超过" in response.content.decode()
    assert sum(counting) == 0 and ImportJob.objects.count() == 0


def test_an_upload_is_read_no_further_than_the_limit(clerk, counting):
    client, token = csrf_client(clerk)
    response = client.post(reverse("imports:upload"), {
        "csrfmiddlewaretoken": token, "kind": "customers", "file": SimpleUploadedFile("big.csv", b"x" * 150_000)})
    assert response.status_code == 400
    assert sum(counting) <= 100_000 and ImportJob.objects.count() == 0 and Customer.objects.count() == 0


def test_the_api_reads_an_upload_no_further_than_the_limit(clerk, counting, login):
    response = login(clerk).post("/api/v1/imports/", {
        "kind": "customers", "file": SimpleUploadedFile("big.csv", b"x" * 150_000)})
    assert response.status_code == 400 and "文件超过" in str(response.json()["file"])  # translated (zh-hans)
    assert sum(counting) <= 100_000 and ImportJob.objects.count() == 0
