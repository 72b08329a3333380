"""Another app registers an import kind (registry.py) and gets the whole import machinery: the
/imports/ page, its template, the API, the dry run, the error report, the commit, the job."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from powerkam.customers.models import Contact
from powerkam.imports import registry, services
from powerkam.imports.columns import col, customer_ref
from powerkam.imports.models import ImportJob
from tests.factories import CustomerFactory
from tests.imports.conftest import xlsx_bytes

pytestmark = pytest.mark.django_db


class ContactTitleImporter(services.ChildImporter):
    """Sets the job title of contacts found by (customer, name): a stand-in for e.g. billing's bills."""

    model = Contact
    FIELDS = ("name", "title")

    def key_of_values(self, customer_id, values):
        return customer_id, values.get("name", "")

    def key_of_record(self, record):
        return record.customer_id, record.name

    def describe_key(self, values):
        return values.get("name", "")

    def finish(self):  # this kind does not change what the quality rules read
        pass


COLUMNS = (
    customer_ref(Contact),
    col(Contact, "name", "姓名", "Name", required=True),
    col(Contact, "title", "职务", "Job title", example="总经理"),
)


@pytest.fixture
def titles_kind():
    registry.register_kind("contact_titles", gettext_lazy("Contact titles"), COLUMNS, ContactTitleImporter,
                           help_text=gettext_lazy("Job titles of contacts, by name."))
    yield "contact_titles"
    registry.unregister_kind("contact_titles")


def rows(*lines):
    return xlsx_bytes([["客户编号", "姓名", "职务"], *lines])


def test_archive_kinds_are_registered():
    assert registry.kind_names()[:5] == ["customers", "contacts", "supply_points", "transformers",
                                         "metering_points"]
    assert registry.get_kind("customers").importer_class is services.CustomerImporter


@pytest.mark.parametrize("kind, columns, importer, message", [
    ("Widgets", COLUMNS, ContactTitleImporter, "lower-case"),
    ("a_kind_name_much_too_long_", COLUMNS, ContactTitleImporter, "lower-case"),
    ("test_widgets", (), ContactTitleImporter, "non-empty"),
    ("test_widgets", (COLUMNS[1], COLUMNS[1]), ContactTitleImporter, "two columns"),
    ("test_widgets", COLUMNS, object(), "Importer subclass"),
    ("customers", COLUMNS, ContactTitleImporter, "already registered"),
])
def test_register_refuses_bad_kinds(kind, columns, importer, message):
    with pytest.raises(ValueError, match=message):
        registry.register_kind(kind, "x", columns, importer)
    assert registry.get_kind("customers").importer_class is services.CustomerImporter
    assert not registry.is_kind("test_widgets")


def test_registered_kind_on_page_template_and_api(titles_kind, login, clerk):
    client = login(clerk)
    html = client.get(reverse("imports:index")).content.decode()
    assert reverse("imports:template", args=[titles_kind]) in html
    assert "Job titles of contacts, by name." in html
    assert f'<option value="{titles_kind}"' in html
    for url in (reverse("imports:template", args=[titles_kind]),
                reverse("import-template", kwargs={"kind": titles_kind})):
        response = client.get(url)
        assert response.status_code == 200, url
        wb = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in wb.worksheets[0][1]] == ["客户编号", "姓名", "职务"]
        assert [r[0].value for r in wb.worksheets[1].iter_rows(min_row=2, max_row=4)] == ["客户编号", "姓名", "职务"]


def test_registered_kind_dry_run_commit_and_history(titles_kind, login, clerk, org_tree):
    customer = CustomerFactory(number="3100000001", org_unit=org_tree["s1"])
    contact = Contact.objects.create(customer=customer, name="李四", title="")
    client = login(clerk)
    response = client.post(reverse("imports:upload"), {
        "kind": titles_kind, "file": SimpleUploadedFile("titles.xlsx", rows(["3100000001", "李四", "总经理"]))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.status == ImportJob.Status.READY
    assert job.summary["updated"] == 1 and job.get_kind_display() == "Contact titles"
    contact.refresh_from_db()
    assert contact.title == ""  # a dry run writes nothing

    client.post(reverse("imports:commit", args=[job.pk]))
    job.refresh_from_db()
    contact.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and contact.title == "总经理"
    assert contact.history.latest().history_user == clerk
    assert customer.timeline.filter(kind=services.TIMELINE_KIND, detail="Contact titles").count() == 1


def test_registered_kind_errors_report_and_nothing_written(titles_kind, clerk, org_tree):
    customer = CustomerFactory(number="3100000001", org_unit=org_tree["s1"])
    outside = CustomerFactory(number="3100000002", org_unit=org_tree["south"])
    Contact.objects.create(customer=customer, name="李四")
    Contact.objects.create(customer=outside, name="王五")
    data = rows(["3100000001", "李四", "总经理"], ["3100000002", "王五", "经理"], ["", "赵六", ""])
    result = services.run_import(titles_kind, io.BytesIO(data), "t.xlsx", actor=clerk, dry_run=False)
    assert not result.committed
    errors = sorted(result.errors, key=lambda e: e.row)
    assert [(e.row, e.column) for e in errors] == [(3, "客户编号"), (4, "客户编号")]
    assert "does not exist or is outside your scope" in errors[0].message
    assert errors[1].message == "This column is required."
    assert not Contact.objects.exclude(title="").exists()
    report = load_workbook(io.BytesIO(services.error_report_xlsx(result))).active
    assert sorted(r[0] for r in report.iter_rows(min_row=2, values_only=True)) == [3, 4]


def test_registered_kind_runs_as_background_job(titles_kind, clerk, org_tree, settings):
    settings.POWERKAM_IMPORT_INLINE_ROWS = 1
    customer = CustomerFactory(number="3100000001", org_unit=org_tree["s1"])
    Contact.objects.create(customer=customer, name="李四")
    Contact.objects.create(customer=customer, name="王五")
    data = rows(["3100000001", "李四", "总经理"], ["3100000001", "王五", "电工班长"])
    job = services.start_import(titles_kind, SimpleUploadedFile("t.xlsx", data), "t.xlsx", actor=clerk)
    assert job.background  # the test settings run tasks immediately
    assert job.status == ImportJob.Status.READY and job.summary["updated"] == 2
    job = services.commit_import(job, actor=clerk)
    assert job.background and job.status == ImportJob.Status.DONE
    assert sorted(customer.contacts.values_list("title", flat=True)) == ["总经理", "电工班长"]
