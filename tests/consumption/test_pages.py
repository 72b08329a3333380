"""Import pages (upload, per-file report) and the advice letter: scope, both languages' strings, queries."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from powerkam.consumption.models import DailyAggregate, IngestBatch

from .conftest import wide_csv


@pytest.mark.django_db
def test_clerk_uploads_a_day_of_96_values_and_sees_the_report(meter, clerk, login):
    client = login(clerk)
    assert client.get("/consumption/import/").status_code == 200
    f = wide_csv([("ZJ0001", date(2026, 11, 2), [40.0] * 96)])
    r = client.post("/consumption/import/upload/", {"layout": "wide", "quantity": "kw",
                                                   "file": SimpleUploadedFile("day.csv", f.getvalue())})
    batch = IngestBatch.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/consumption/import/{batch.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert 'data-count="values">96<' in page
    assert batch.values_written == 96 and batch.created_by == clerk
    listing = client.get("/consumption/import/").content.decode()
    assert "day.csv" in listing


@pytest.mark.django_db
def test_rejected_file_lists_row_and_column(meter, clerk, login):
    client = login(clerk)
    values = [40.0] * 96
    values[3] = -1
    f = wide_csv([("ZJ0001", date(2026, 11, 2), values)])
    r = client.post("/consumption/import/upload/", {"layout": "wide", "quantity": "kw",
                                                   "file": SimpleUploadedFile("bad.csv", f.getvalue())}, follow=True)
    page = r.content.decode()
    assert 'id="batch-errors"' in page and "<td>2</td><td>01:00</td>" in page


@pytest.mark.django_db
def test_the_form_needs_a_file_and_managers_cannot_import(meter, clerk, login, make_staff):
    r = login(clerk).post("/consumption/import/upload/", {"layout": "wide"})
    assert r.status_code == 400 and IngestBatch.objects.count() == 0
    manager = make_staff(role="manager")
    assert login(manager).get("/consumption/import/").status_code == 403


@pytest.mark.django_db
def test_a_batch_is_its_uploaders_only(meter, clerk, login, make_staff):
    from powerkam.consumption import services

    batch = services.start_ingest(io.BytesIO(wide_csv([("ZJ0001", date(2026, 11, 2), [1.0] * 96)]).getvalue()),
                                  "x.csv", layout="wide", actor=clerk)
    other = make_staff(role="admin", is_superuser=True)
    assert login(other).get(f"/consumption/import/{batch.pk}/").status_code == 404


@pytest.mark.django_db
def test_advice_letter_is_scoped_and_printable(meter, clerk, login, make_staff, django_assert_max_num_queries):
    customer = meter.customer
    customer.pf_standard = "0.90"
    customer.save()
    first = (timezone.localdate().replace(day=1) - timedelta(days=200)).replace(day=1)
    DailyAggregate.objects.bulk_create([
        DailyAggregate(customer=customer, day=first + timedelta(days=d), kwh_total=Decimal("9600"),
                       kwh_peak=Decimal("4000"), kwh_flat=Decimal("3000"), kwh_valley=Decimal("2600"),
                       kvarh=Decimal("7200"), max_demand_kw=Decimal("500"), slots=96, complete=True)
        for d in range(150)])
    client = login(clerk)
    with django_assert_max_num_queries(60):  # a fixed number per month of the 12, whatever the data
        page = client.get(f"/consumption/advice/{customer.pk}/").content.decode()
    assert 'id="advice-basic"' in page and 'id="advice-shift"' in page and 'id="advice-pf"' in page
    assert 'id="advice-print"' in page
    stranger = make_staff(role="manager")
    assert login(stranger).get(f"/consumption/advice/{customer.pk}/").status_code == 404


@pytest.mark.django_db
def test_advice_letter_without_data(meter, clerk, login):
    page = login(clerk).get(f"/consumption/advice/{meter.customer_id}/").content.decode()
    assert 'id="advice-no-data"' in page
