"""The monthly report (xlsx read back, PDF pages, e-mail, archive, the job's day), the dashboard's
figures and drill-down, the work-quality figures and their late items, the executive's landing."""

from datetime import date
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.core import mail
from openpyxl import load_workbook

from powerkam.kpis import reports, selectors
from powerkam.kpis.models import MonthlyReport, ReportSubscription, Target
from powerkam.service.visits.models import Visit
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

OCT = date(2026, 10, 1)


@pytest.fixture
def company(org_tree, make_staff):
    m = make_staff("manager", org_tree["s1"], username="m", full_name="Manager M")
    c1 = CustomerFactory(number="K1", org_unit=org_tree["s1"], primary_manager=m, is_key_account=True,
                         ka_tier="premium")
    c3 = CustomerFactory(number="K3", org_unit=org_tree["s3"])
    make_bill(c1, OCT, 1000)                       # billed 730.00 in October (north)
    make_bill(c3, OCT, 2000)                       # 1360.00 (south)
    make_bill(c1, date(2025, 10, 1), 500)          # last year 415.00
    make_bill(c1, date(2026, 9, 1), 1000, paid="730.00")   # due 2026-10-20, paid
    make_bill(c3, date(2026, 9, 1), 1000, paid="0.00")     # due 2026-10-20, open (arrears)
    # visits due in October: north one late (done after due), south one on time
    Visit.objects.create(customer=c1, org_unit=org_tree["s1"], assignee=m, due_on=date(2026, 10, 10),
                         planned_on=date(2026, 10, 10), status="done", done_on=date(2026, 10, 14))
    Visit.objects.create(customer=c3, org_unit=org_tree["s3"], assignee=m, due_on=date(2026, 10, 10),
                         planned_on=date(2026, 10, 10), status="done", done_on=date(2026, 10, 9))
    from powerkam.analytics.services import refresh_summaries

    refresh_summaries()  # the nightly job: the dashboard's money figures read the summaries
    return {"m": m, "c1": c1, "c3": c3}


def test_dashboard_figures(company, org_tree, make_staff):
    boss = make_staff("executive", org_tree["company"])
    Target.objects.create(month=OCT, metric="revenue", org_unit=org_tree["company"], value=D("3000"))
    data = selectors.dashboard(boss, OCT)
    whole = data["whole"]
    assert whole["revenue"] == {"value": D("2090.00"), "last_year": D("415.00"), "target": D("3000")}
    assert whole["kwh"]["value"] == D("3000.00")
    assert whole["collection_rate"]["value"] == D("50.00")  # 730 of 1460 due in October
    # every open bill today: K1 Oct 730 + K3 Oct 1360 + K1 Oct 2025 415 + K3 Sept 730
    assert whole["arrears"]["value"] == D("3235.00")
    assert whole["key_accounts"]["value"] == 1
    units = {u["unit"].code: u["figures"] for u in data["units"]}
    assert units["R1"]["revenue"]["value"] == D("730.00") and units["R2"]["revenue"]["value"] == D("1360.00")


def test_executive_lands_on_the_dashboard_and_drills_to_arrears(company, org_tree, make_staff, login):
    boss = make_staff("executive", org_tree["company"])
    client = login(boss)
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/kpis/"
    page = client.get("/kpis/?month=2026-10").content.decode()
    assert 'href="/analytics/arrears/"' in page
    assert f'href="/analytics/arrears/?org_unit={org_tree["south"].pk}"' in page
    arrears = client.get(f"/analytics/arrears/?org_unit={org_tree['south'].pk}").content.decode()
    # match the number cell, not the bare text: "K1" can occur inside the page's random CSRF token
    assert ">K3</a>" in arrears and ">K1</a>" not in arrears


def test_work_quality_and_late_items(company, org_tree, make_staff, login):
    boss = make_staff("admin", org_tree["company"])
    data = selectors.work_quality(boss, OCT)
    visits = next(r for r in data["rows"] if r["process"] == "visits")
    assert visits["total"] == {"unit_id": None, "items": 2, "late": 1, "compliance": D("50.00")}
    by_unit = {c["unit_id"]: c for c in visits["cells"]}
    assert by_unit[org_tree["north"].pk]["compliance"] == D("0.00")
    assert by_unit[org_tree["south"].pk]["compliance"] == D("100.00")
    page = login(boss).get(f"/kpis/work-quality/visits/late/?month=2026-10&org_unit={org_tree['north'].pk}")
    assert page.status_code == 200 and page.content.decode().count('class="list-group-item"') == 1


def test_monthly_report_xlsx_pdf_email_archive(company, org_tree, make_staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    boss = make_staff("executive", org_tree["company"], email="boss@example.com")
    ReportSubscription.objects.create(staff=boss)
    report = reports.generate_report(OCT)
    wb = load_workbook(BytesIO(report.xlsx.read()))
    assert len(wb.sheetnames) == 3
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    whole_revenue = next(r for r in rows[1:] if r[0] == rows[1][0] and r[2] == 2090.0)
    assert whole_revenue[3] == 415.0
    kpi_rows = list(wb.worksheets[1].iter_rows(values_only=True))
    assert kpi_rows[1][1] == "Manager M"
    if reports.chromium_path():
        assert report.pdf and not report.pdf_error
        assert reports.pdf_pages(report.pdf.read()) == 3
    else:
        assert report.pdf_error  # said plainly, never a fake file
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@example.com"]
    assert len(mail.outbox[0].attachments) == (2 if report.pdf else 1)
    assert MonthlyReport.objects.count() == 1


def test_report_job_runs_on_its_day_once(company, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setenv("POWERKAM_REPORT_DAY", "5")
    monkeypatch.setattr(reports, "build_pdf", lambda data: b"%PDF-1.4 fake for the schedule test")
    assert reports.monthly_report_job(date(2026, 11, 4)) == {"skipped": "not the report day"}
    result = reports.monthly_report_job(date(2026, 11, 5))
    assert result["month"] == "2026-10"
    assert reports.monthly_report_job(date(2026, 11, 5)) == {"skipped": "already made"}


def test_archive_download_for_company_roles_only(company, org_tree, make_staff, login, settings, monkeypatch):
    monkeypatch.setattr(reports, "build_pdf", lambda data: b"%PDF-1.4 x")
    report = reports.generate_report(OCT, email=False)
    boss = make_staff("executive", org_tree["company"])
    sup = make_staff("supervisor", org_tree["north"])
    assert login(boss).get(f"/kpis/reports/{report.pk}/xlsx/").status_code == 200
    assert login(sup).get(f"/kpis/reports/{report.pk}/xlsx/").status_code == 404
