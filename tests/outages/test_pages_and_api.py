"""Outage pages and API: create, notify, report, scope, exports, constant query counts."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from powerkam.service.outages import services
from powerkam.service.outages.models import Outage, OutageNotice
from tests.factories import CustomerFactory, SupplyLineFactory, SupplyPointFactory

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def supervisor(make_staff, org_tree):
    return make_staff("supervisor", org_tree["north"])


def test_supervisor_creates_and_notifies_through_the_pages(grid, supervisor, login, commit):
    client = login(supervisor)
    start = timezone.now() + timedelta(days=10)
    response = client.post(reverse("outages:create"), {
        "substation": grid["sub"].pk, "supply_lines": [grid["l1"].pk], "kind": "planned",
        "starts_at": local(start), "ends_at": local(start + timedelta(hours=6)), "reason": "更换10kV开关"})
    outage = Outage.objects.get()
    assert response.status_code == 302 and response.url == reverse("outages:detail", args=[outage.pk])
    page = client.get(response.url)
    assert page.status_code == 200 and "5 affected customers" in page.content.decode()
    with commit():
        response = client.post(reverse("outages:notify", args=[outage.pk]), follow=True)
    html = response.content.decode()
    assert "3 customers reached, 2 missed, 1 personal calls assigned" in html
    assert 'id="missed"' in html and "No contact in the archive" in html and "戊商场" in html
    assert 'id="gaps"' in html and "辛物流" in html
    # the report export lists one row per delivery plus one per unreached customer
    xlsx = client.get(reverse("outages:report_export", args=[outage.pk]) + "?export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 5 + 2
    assert any(r[1] == "戊商场" and r[10] == "No contact in the archive" for r in rows)


@pytest.mark.parametrize("post,field_message", [
    ({"ends_offset": -2}, "The outage window must end after it starts."),
    ({"supply_lines": [987654]}, "Unknown supply line: 987654."),
])
def test_bad_input_on_the_page_writes_nothing(grid, supervisor, login, post, field_message):
    start = timezone.now() + timedelta(days=10)
    data = {"substation": grid["sub"].pk, "supply_lines": post.get("supply_lines", [grid["l1"].pk]),
            "kind": "planned", "starts_at": local(start),
            "ends_at": local(start + timedelta(hours=post.get("ends_offset", 6))), "reason": "检修"}
    response = login(supervisor).post(reverse("outages:create"), data)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert Outage.objects.count() == 0


def test_late_notice_on_the_page_needs_the_supervisor_reason(grid, make_staff, org_tree, supervisor, login, commit):
    start = timezone.now() + timedelta(days=2)
    outage = services.create_outage(substation=grid["sub"], supply_lines=[grid["l1"]], starts_at=start,
                                    ends_at=start + timedelta(hours=4), reason="检修")
    clerk = make_staff("clerk", org_tree["s1"])
    page = login(clerk).get(reverse("outages:detail", args=[outage.pk])).content.decode()
    assert "only a supervisor can send it now" in page and 'id="send-notices" disabled' in page
    response = login(clerk).post(reverse("outages:notify", args=[outage.pk]), {"override_reason": "急"}, follow=True)
    assert "Only a supervisor can send a late outage notice." in response.content.decode()
    assert OutageNotice.objects.count() == 0
    with commit():
        response = login(supervisor).post(reverse("outages:notify", args=[outage.pk]),
                                          {"override_reason": "开关缺陷危及安全"}, follow=True)
    assert "开关缺陷危及安全" in response.content.decode()
    assert OutageNotice.objects.count() == 5


def test_phone_acknowledgement_from_the_report(grid, login, commit):
    start = timezone.now() + timedelta(days=8)
    outage = services.create_outage(substation=grid["sub"], supply_lines=[grid["l1"]], starts_at=start,
                                    ends_at=start + timedelta(hours=4), reason="检修")
    with commit():
        services.notify_outage(outage)
    notice = OutageNotice.objects.get(customer=grid["a"])
    response = login(grid["manager"]).post(reverse("outages:ack_phone", args=[notice.pk]), {"note": "张工已知悉"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.ack_method == "phone" and notice.acknowledged_by == grid["manager"] and notice.ack_note == "张工已知悉"
    # a notice of a customer outside the manager's portfolio answers 404
    other = OutageNotice.objects.get(customer=grid["twice"])
    assert login(grid["manager"]).post(reverse("outages:ack_phone", args=[other.pk])).status_code == 404


def test_scope_manager_sees_only_own_customers_rows(grid, make_staff, org_tree, login, commit):
    start = timezone.now() + timedelta(days=8)
    outage = services.create_outage(substation=grid["sub"], supply_lines=[grid["l1"]], starts_at=start,
                                    ends_at=start + timedelta(hours=4), reason="检修")
    with commit():
        services.notify_outage(outage)
    html = login(grid["manager"]).get(reverse("outages:detail", args=[outage.pk])).content.decode()
    assert "甲钢铁" in html and "丁化工" not in html
    south_manager = make_staff("manager", org_tree["s3"])
    assert login(south_manager).get(reverse("outages:detail", args=[outage.pk])).status_code == 404
    assert login(south_manager).get(reverse("outages:list")).context["page"].paginator.count == 0
    assert login(grid["manager"]).get(reverse("outages:list")).context["page"].paginator.count == 1


def test_list_search_filter_export_and_constant_queries(grid, supervisor, login, django_assert_max_num_queries, commit):
    start = timezone.now() + timedelta(days=8)
    for i in range(3):
        line = SupplyLineFactory(substation=grid["sub"])
        SupplyPointFactory(customer=CustomerFactory(org_unit=grid["a"].org_unit), supply_line=line)
        o = services.create_outage(substation=grid["sub"], supply_lines=[line], starts_at=start + timedelta(days=i),
                                   ends_at=start + timedelta(days=i, hours=4), reason=f"检修{i}")
        with commit():
            services.notify_outage(o)
    client = login(supervisor)
    client.get(reverse("outages:list"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("outages:list"))
    assert response.context["page"].paginator.count == 3
    more = SupplyLineFactory(substation=grid["sub"])
    services.create_outage(substation=grid["sub"], supply_lines=[more], starts_at=start, ends_at=start + timedelta(hours=1),
                           reason="其他")
    with django_assert_max_num_queries(10):
        client.get(reverse("outages:list"))
    assert client.get(reverse("outages:list"), {"q": "检修1"}).context["page"].paginator.count == 1
    assert client.get(reverse("outages:list"), {"status": "draft"}).context["page"].paginator.count == 1
    export = client.get(reverse("outages:list"), {"export": "csv"})
    assert export.status_code == 200 and "检修2" in b"".join(export.streaming_content).decode()


def test_detail_report_has_constant_queries(grid, supervisor, login, django_assert_max_num_queries, commit):
    start = timezone.now() + timedelta(days=8)
    outage = services.create_outage(substation=grid["sub"], supply_lines=[grid["l1"]], starts_at=start,
                                    ends_at=start + timedelta(hours=4), reason="检修")
    for _ in range(5):
        SupplyPointFactory(customer=CustomerFactory(org_unit=grid["a"].org_unit), supply_line=grid["l1"])
    with commit():
        services.notify_outage(outage)
    client = login(supervisor)
    client.get(reverse("outages:list"))  # session warmed
    with django_assert_max_num_queries(14):
        response = client.get(reverse("outages:detail", args=[outage.pk]))
    assert len(response.context["notices"]) == 10


def test_api_create_notify_report(grid, supervisor, commit):
    client = api(supervisor)
    start = timezone.now() + timedelta(days=9)
    bad = client.post("/api/v1/outages/", {"substation": grid["sub"].pk, "supply_lines": [grid["l1"].pk, 424242],
                                           "starts_at": start.isoformat(), "ends_at": (start - timedelta(hours=1)).isoformat(),
                                           "reason": "检修"}, format="json")
    assert bad.status_code == 400
    assert "Unknown supply line: 424242." in str(bad.data["supply_lines"])
    assert "must end after it starts" in str(bad.data["ends_at"])
    assert Outage.objects.count() == 0
    created = client.post("/api/v1/outages/", {"substation": grid["sub"].pk, "supply_lines": [grid["l2"].pk],
                                               "starts_at": start.isoformat(),
                                               "ends_at": (start + timedelta(hours=3)).isoformat(),
                                               "reason": "检修", "kind": "planned"}, format="json")
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    assert created.data["supply_line_ids"] == [grid["l2"].pk]
    with commit():
        notified = client.post(f"/api/v1/outages/{pk}/notify/", {}, format="json")
    assert notified.status_code == 200 and notified.data["notices"] == 2 and notified.data["reached"] == 2
    report = client.get(f"/api/v1/outages/{pk}/report/")
    assert report.status_code == 200
    assert sorted(n["customer_name"] for n in report.data["notices"]) == ["丙医院", "乙食品"]
    assert report.data["summary"]["sms"] == 2
    listing = client.get("/api/v1/outages/")
    assert listing.data["count"] == 1 and listing.data["results"][0]["customers_notified"] == 2
    notice_id = report.data["notices"][0]["id"]
    ack = client.post(f"/api/v1/outage-notices/{notice_id}/acknowledge/", {"note": "电话确认"}, format="json")
    assert ack.status_code == 200 and ack.data["ack_method"] == "phone"


def test_api_late_notice_and_read_only(grid, make_staff, org_tree, supervisor, commit):
    start = timezone.now() + timedelta(days=1)
    outage = services.create_outage(substation=grid["sub"], supply_lines=[grid["l1"]], starts_at=start,
                                    ends_at=start + timedelta(hours=4), reason="检修")
    with commit():
        refused = api(supervisor).post(f"/api/v1/outages/{outage.pk}/notify/", {}, format="json")
    assert refused.status_code == 400 and "7 days" in str(refused.data)
    executive = make_staff("executive", org_tree["company"])
    assert api(executive).post(f"/api/v1/outages/{outage.pk}/notify/", {"override_reason": "x"},
                               format="json").status_code == 403
    with commit():
        ok = api(supervisor).post(f"/api/v1/outages/{outage.pk}/notify/", {"override_reason": "抢修后复电调试"}, format="json")
    assert ok.status_code == 200 and ok.data["late"] is True
