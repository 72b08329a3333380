"""Survey list, satisfaction analysis, loss rate, exit survey button, API — scoped, with exports."""

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from powerkam.customers import constants as cc
from powerkam.service.surveys import selectors
from powerkam.service.surveys.models import SurveyInvitation, SurveyResponse
from powerkam.service.surveys.services import request_survey, submit_response
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def answered(customer, overall, *, category="complaint", kind="ticket", when=None, **aspects):
    inv = request_survey(customer=customer, kind=kind, category=category)
    resp = submit_response(inv.token, {"overall": overall, **aspects})
    if when:
        SurveyResponse.objects.filter(pk=resp.pk).update(answered_at=when)
    return resp


@pytest.fixture
def people(org_tree, make_staff):
    m1 = make_staff("manager", org_tree["s1"], full_name="王经理")
    m2 = make_staff("manager", org_tree["s3"], full_name="李经理")
    c1 = CustomerFactory(org_unit=org_tree["s1"], primary_manager=m1, name="北一客户")
    c2 = CustomerFactory(org_unit=org_tree["s3"], primary_manager=m2, name="南一客户")
    for cu in (c1, c2):
        ContactFactory(customer=cu, is_primary=True, email=f"{cu.pk}@example.com")
    return {"m1": m1, "m2": m2, "c1": c1, "c2": c2,
            "admin": make_staff("admin", org_tree["company"]),
            "sup_north": make_staff("supervisor", org_tree["north"])}


def test_analysis_by_unit_manager_and_type_worked_example(people):
    # 北一: scores 5, 4, 2 (complaint, complaint, fault_repair); 南一: 3
    answered(people["c1"], 5, responsiveness=5)
    answered(people["c1"], 4, responsiveness=3)
    answered(people["c1"], 2, category="fault_repair")
    answered(people["c2"], 3)
    qs = selectors.responses(people["admin"])
    by_unit = {r.label: r for r in selectors.satisfaction_by(qs, "unit")}
    north = by_unit["城北一所"]
    assert (north.responses, north.overall, north.responsiveness, north.satisfied, north.dissatisfied) == (3, 3.67, 4.0, 2, 1)
    assert north.satisfied_rate == 66.7
    assert by_unit["城南一所"].overall == 3.0
    by_manager = {r.label: r.overall for r in selectors.satisfaction_by(qs, "manager")}
    assert by_manager == {"王经理": 3.67, "李经理": 3.0}
    by_type = {r.key: (r.responses, r.overall) for r in selectors.satisfaction_by(qs, "category")}
    assert by_type == {"complaint": (3, 4.0), "fault_repair": (1, 2.0)}
    total = selectors.totals(qs)
    assert (total.responses, total.overall) == (4, 3.5)
    # the manager KPI stays with the manager at answer time, even after the portfolio moves
    people["c1"].primary_manager = people["m2"]
    people["c1"].save()
    today = timezone.localdate()
    assert selectors.manager_kpi(people["m1"], today - timedelta(days=1), today) == {
        "responses": 3, "average": 3.67, "satisfied_rate": 66.7, "dissatisfied": 1}


def test_analysis_page_scoped_with_chart_and_export(people, login, django_assert_max_num_queries):
    answered(people["c1"], 5)
    answered(people["c2"], 1)
    client = login(people["m1"])
    client.get(reverse("surveys:list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("surveys:analysis"), {"by": "unit"})
    html = response.content.decode()
    assert response.status_code == 200 and "vendor/echarts/echarts.min.js" in html
    assert [r.label for r in response.context["rows"]] == ["城北一所"]  # the manager's own portfolio only
    assert response.context["total"].responses == 1
    xlsx = client.get(reverse("surveys:analysis"), {"by": "manager", "export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("王经理", 1, 5)
    by_month = login(people["admin"]).get(reverse("surveys:analysis"), {"by": "month"})
    assert by_month.context["rows"][0].label == timezone.localdate().strftime("%Y-%m")
    assert by_month.context["total"].responses == 2


def test_survey_list_states_filters_scope_and_export(people, login, commit):
    answered(people["c1"], 4)
    with commit():
        open_inv = request_survey(customer=people["c1"], kind="visit")
        expired = request_survey(customer=people["c1"], kind="visit")
        request_survey(customer=people["c2"], kind="visit")
    SurveyInvitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = login(people["m1"])
    response = client.get(reverse("surveys:list"))
    assert response.context["page"].paginator.count == 3
    states = {i.pk: i.state for i in response.context["page"]}
    assert states[open_inv.pk] == "sent" and states[expired.pk] == "expired"
    assert client.get(reverse("surveys:list"), {"state": "expired"}).context["page"].paginator.count == 1
    assert client.get(reverse("surveys:list"), {"state": "answered"}).context["page"].paginator.count == 1
    assert client.get(reverse("surveys:list"), {"kind": "visit", "q": "北一"}).context["page"].paginator.count == 2
    export = client.get(reverse("surveys:list"), {"export": "csv"})
    body = b"".join(export.streaming_content).decode()
    assert "Expired" in body and "南一客户" not in body


def test_loss_rate_worked_example(org_tree, make_staff, login):
    admin = make_staff("admin", org_tree["company"])
    start, end = date(2026, 1, 1), date(2026, 6, 30)
    old = date(2020, 1, 1)
    mk = lambda unit, **kw: CustomerFactory(org_unit=org_tree[unit], opened_on=kw.pop("opened_on", old), **kw)  # noqa: E731
    for _ in range(8):
        mk("s1")
    lost1 = mk("s1", lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on=date(2026, 3, 1), close_reason="搬迁")
    mk("s1", lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on=date(2026, 5, 20), close_reason="停产")
    mk("s1", lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on=date(2025, 12, 31))  # gone before the period
    mk("s1", opened_on=date(2026, 2, 1))  # new in the period: not in the base
    mk("s1", lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on=date(2026, 7, 1))  # after: in base, not lost
    for _ in range(3):
        mk("s3")
    mk("s3", lifecycle_status=cc.LifecycleStatus.CLOSED, closed_on=date(2026, 6, 30))
    rows, total = selectors.loss_by_unit(admin, start, end)
    by_unit = {r.unit: (r.active_at_start, r.lost, r.rate) for r in rows}
    # 城北一所: 8 active + 2 lost + 1 closed later = 11 at start; lost 2 → 18.18 %
    assert by_unit == {"城北一所": (11, 2, 18.18), "城南一所": (4, 1, 25.0)}
    assert (total.active_at_start, total.lost, total.rate) == (15, 3, 20.0)
    ContactFactory(customer=lost1, is_primary=True, email="x@example.com")
    inv = request_survey(customer=lost1, kind="exit")
    submit_response(inv.token, {"overall": 2, "exit_reason": "price", "comment": "电价太高"})
    assert selectors.exit_reasons(admin, start, end) == [("price", "Electricity price", 1)]
    page = login(admin).get(reverse("surveys:loss"), {"from": "2026-01-01", "to": "2026-06-30"})
    html = page.content.decode()
    assert page.status_code == 200 and "20.0%" in html and "电价太高" in html and "Electricity price" in html


def test_exit_survey_button(people, login, commit):
    customer = people["c1"]
    customer.lifecycle_status = cc.LifecycleStatus.CLOSED
    customer.closed_on = timezone.localdate()
    customer.save()
    client = login(people["m1"])
    assert customer in client.get(reverse("surveys:list")).context["pending_exit"]
    with commit():
        response = client.post(reverse("surveys:send_exit"), {"customer": customer.pk}, follow=True)
    assert "Exit survey sent" in response.content.decode()
    assert SurveyInvitation.objects.get(kind="exit").customer == customer
    assert customer not in client.get(reverse("surveys:list")).context["pending_exit"]
    assert login(people["m2"]).post(reverse("surveys:send_exit"), {"customer": customer.pk}).status_code == 404
    still_open = login(people["m2"]).post(reverse("surveys:send_exit"), {"customer": people["c2"].pk}, follow=True)
    assert "is not closed" in still_open.content.decode()


def test_api_list_scoped_and_public_answer(people, commit):
    with commit():
        inv = request_survey(customer=people["c1"], kind="ticket", category="complaint")
        request_survey(customer=people["c2"], kind="ticket")
    staff = APIClient()
    staff.force_login(people["m1"], backend="django.contrib.auth.backends.ModelBackend")
    listing = staff.get("/api/v1/surveys/")
    assert listing.data["count"] == 1 and listing.data["results"][0]["state"] == "sent"
    public = APIClient()
    url = f"/api/v1/surveys/answer/{inv.token}/"
    assert public.get(url).data["questions"] == ["overall", "responsiveness", "professionalism", "communication", "comment"]
    bad = public.post(url, {"overall": 7}, format="json")
    assert bad.status_code == 400 and "out of range" in str(bad.data["overall"])
    ok = public.post(url, {"overall": 5, "comment": "好"}, format="json")
    assert ok.status_code == 201 and ok.data["overall"] == 5
    again = public.post(url, {"overall": 5}, format="json")
    assert again.status_code == 410 and again.data["reason"] == "used"
    assert public.post("/api/v1/surveys/answer/forged:token/", {"overall": 5}, format="json").status_code == 404
    assert staff.get("/api/v1/surveys/", {"state": "answered"}).data["results"][0]["response"]["overall"] == 5


def test_month_label_for_answers_at_local_midnight(people):
    when = timezone.make_aware(datetime(2026, 3, 1, 0, 30))  # Asia/Shanghai; 2026-02-28 in UTC
    answered(people["c1"], 4, when=when)
    rows = selectors.satisfaction_by(selectors.responses(people["admin"]), "month")
    assert [r.label for r in rows] == ["2026-03"]


def test_list_and_loss_pages_issue_a_constant_number_of_queries(people, login, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(people["admin"])
    client.get(reverse("surveys:list"))

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    answered(people["c1"], 4)
    small = (count(reverse("surveys:list")), count(reverse("surveys:loss")))
    for i in range(6):
        answered(people["c1" if i % 2 else "c2"], 1 + i % 5)
        request_survey(customer=people["c2"], kind="visit")
    assert (count(reverse("surveys:list")), count(reverse("surveys:loss"))) == small


def test_customer_360_tab(people, login, django_assert_max_num_queries):
    answered(people["c1"], 4, comment="很好")
    answered(people["c1"], 2)
    client = login(people["m1"])
    client.get(reverse("surveys:list"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("surveys:customer_tab", args=[people["c1"].pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "Average overall satisfaction 3.0/5 over 2 answers." in html
    assert "很好" in html
    assert client.get(reverse("surveys:customer_tab", args=[people["c2"].pk])).status_code == 404
    detail = client.get(reverse("customers:detail", args=[people["c1"].pk])).content.decode()
    assert reverse("surveys:customer_tab", args=[people["c1"].pk]) in detail
