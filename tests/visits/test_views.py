"""Pages: rendering, scoping (404 outside scope), bad input, constant query counts, exports."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from powerkam.core.models import Task
from powerkam.customers import constants as cc
from powerkam.service.visits import constants as c
from powerkam.service.visits import services
from powerkam.service.visits.models import CareRecord, MustVisitOccasion, Visit, VisitReschedule

from .helpers import done_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def planned(key_account, today):
    def make(n=1, **kwargs):
        return [services.plan_visit(customer=key_account(**kwargs), planned_on=today + timedelta(days=i % 5), today=today)
                for i in range(n)]
    return make


def test_calendar_month_and_week(login, team, planned, today):
    v = planned()[0]
    client = login(team["manager"])
    r = client.get(reverse("visits:calendar"))
    assert r.status_code == 200
    assert v.customer.name in r.content.decode()
    r = client.get(reverse("visits:calendar"), {"view": "week", "date": v.planned_on.isoformat()})
    assert v.customer.name in r.content.decode()
    # htmx navigation returns only the grid.
    r = client.get(reverse("visits:calendar"), {"date": (today + timedelta(days=62)).isoformat()}, HTTP_HX_REQUEST="true")
    assert "<html" not in r.content.decode() and "visit-calendar" in r.content.decode()
    assert v.customer.name not in r.content.decode()


def test_calendar_filters_person_and_unit(login, team, planned, key_account, today):
    mine = planned()[0]
    theirs = services.plan_visit(customer=key_account(unit="s3", manager=team["other_manager"]), planned_on=today,
                                 today=today)
    client = login(team["admin"])
    page = client.get(reverse("visits:calendar"), {"person": team["other_manager"].pk}).content.decode()
    assert theirs.customer.name in page and mine.customer.name not in page
    unit = theirs.customer.org_unit
    page = client.get(reverse("visits:calendar"), {"unit": unit.parent_id}).content.decode()
    assert theirs.customer.name in page and mine.customer.name not in page


def test_calendar_and_lists_constant_queries(login, team, planned, django_assert_max_num_queries):
    client = login(team["manager"])
    planned(2)
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("visits:calendar"))
        client.get(reverse("visits:list"))
    n_small = len(small.captured_queries)
    planned(25)
    with django_assert_max_num_queries(n_small):
        client.get(reverse("visits:calendar"))
        client.get(reverse("visits:list"))


def test_detail_and_care_constant_queries(login, team, key_account, contact, today, django_assert_max_num_queries):
    client = login(team["manager"])
    customer = key_account()
    visit = services.plan_visit(customer=customer, planned_on=today, today=today)
    done_visit(customer, today - timedelta(days=3))
    services.add_care_record(customer=customer, kind="greeting", occurred_on=today, summary="问候",
                             contact=contact(customer=customer, birthday=today))
    with django_assert_max_num_queries(40) as small:
        client.get(reverse("visits:detail", args=[visit.pk]))
        client.get(reverse("visits:care"))
        client.get(reverse("visits:customer_tab", args=[customer.pk]))
    for i in range(8):
        done_visit(customer, today - timedelta(days=30 * (i + 1)))
        ct = contact(customer=customer, birthday=today + timedelta(days=i))
        services.add_care_record(customer=customer, kind="greeting", occurred_on=today, summary=f"问候{i}", contact=ct)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("visits:detail", args=[visit.pk]))
        client.get(reverse("visits:care"))
        client.get(reverse("visits:customer_tab", args=[customer.pk]))


def test_out_of_scope_is_404(login, team, key_account, today):
    other = key_account(unit="s3", manager=team["other_manager"])
    visit = services.plan_visit(customer=other, planned_on=today, today=today)
    client = login(team["manager"])
    for url in (reverse("visits:detail", args=[visit.pk]), reverse("visits:customer_tab", args=[other.pk]),
                reverse("visits:create") + f"?customer={other.pk}", reverse("visits:care_create") + f"?customer={other.pk}"):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("visits:record", args=[visit.pk]), {"done_on": today, "findings": "x"}).status_code == 404
    assert client.post(reverse("visits:reschedule", args=[visit.pk]),
                       {"new_date": today + timedelta(days=3), "reason": "x"}).status_code == 404
    assert other.name not in client.get(reverse("visits:list")).content.decode()
    assert other.name not in client.get(reverse("visits:calendar")).content.decode()
    # The north supervisor does not see the south either; the admin does.
    assert login(team["supervisor"]).get(reverse("visits:detail", args=[visit.pk])).status_code == 404
    assert login(team["admin"]).get(reverse("visits:detail", args=[visit.pk])).status_code == 200


def test_record_from_the_page(login, team, key_account, contact, today):
    customer = key_account()
    ct = contact(customer=customer, name="周电工")
    visit = services.plan_visit(customer=customer, planned_on=today, today=today)
    client = login(team["manager"])
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert "Before the visit" in page and "Record the visit" in page
    r = client.post(reverse("visits:record", args=[visit.pk]), {
        "done_on": today.isoformat(), "participants": [team["manager"].pk, team["specialist"].pk],
        "contacts_met": [ct.pk], "findings": "设备运行正常", "customer_needs": "",
        "fu1_title": "寄送峰谷电价说明", "fu1_assignee": team["specialist"].pk,
        "fu1_due": (today + timedelta(days=5)).isoformat()})
    assert r.status_code == 302
    visit.refresh_from_db()
    assert visit.status == c.VisitStatus.DONE and visit.findings == "设备运行正常"
    assert Task.objects.get(key=f"visit:{visit.pk}:follow_up:1").assignee == team["specialist"]


def test_record_bad_input_400_nothing_written(login, team, key_account, today):
    visit = services.plan_visit(customer=key_account(), planned_on=today, today=today)
    client = login(team["manager"])
    r = client.post(reverse("visits:record", args=[visit.pk]), {
        "done_on": (today + timedelta(days=2)).isoformat(), "findings": "x"})
    assert r.status_code == 400
    assert "A visit cannot be recorded for a day still to come" in r.content.decode()
    visit.refresh_from_db()
    assert visit.status == c.VisitStatus.PLANNED


def test_plan_in_the_past_from_the_page(login, team, key_account, today):
    customer = key_account()
    client = login(team["manager"])
    r = client.post(reverse("visits:create"), {"customer": customer.pk, "planned_on": (today - timedelta(days=1)).isoformat(),
                                               "assignee": team["manager"].pk})
    assert r.status_code == 400
    assert "A visit cannot be planned in the past" in r.content.decode()
    assert not Visit.objects.exists()
    r = client.post(reverse("visits:create"), {"customer": customer.pk, "planned_on": today.isoformat(),
                                               "assignee": team["manager"].pk, "purpose": "走访"})
    assert r.status_code == 302
    assert Visit.objects.get().purpose == "走访"


def test_reschedule_from_the_page(login, team, planned, today):
    visit = planned()[0]
    client = login(team["manager"])
    new = today + timedelta(days=9)
    r = client.post(reverse("visits:reschedule", args=[visit.pk]), {"new_date": new.isoformat(), "reason": "客户停产检修"})
    assert r.status_code == 302
    assert VisitReschedule.objects.get(visit=visit).reason == "客户停产检修"
    assert "客户停产检修" in client.get(reverse("visits:detail", args=[visit.pk])).content.decode()


def test_executive_is_read_only(login, team, planned, today):
    visit = planned()[0]
    client = login(team["executive"])
    assert client.get(reverse("visits:detail", args=[visit.pk])).status_code == 200
    assert client.post(reverse("visits:record", args=[visit.pk]), {"done_on": today, "findings": "x"}).status_code == 403


def test_occasion_page_admin_only(login, team, key_account, org_tree, today):
    key_account()
    assert login(team["manager"]).get(reverse("visits:occasion_create")).status_code == 403
    client = login(team["admin"])
    r = client.post(reverse("visits:occasion_create"), {
        "name": "台风预警", "kind": "severe_weather", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(), "org_units": [org_tree["s1"].pk]})
    assert r.status_code == 302
    occasion = MustVisitOccasion.objects.get()
    assert occasion.visits.count() == 1
    assert "台风预警" in client.get(reverse("visits:occasions")).content.decode()
    services.plan_visit(customer=occasion.visits.get().customer, planned_on=today, today=today)
    assert client.get(reverse("visits:list")).context["page"].paginator.count == 2
    listed = client.get(reverse("visits:list"), {"occasion": occasion.pk}).context["page"]
    assert [v.occasion_id for v in listed] == [occasion.pk]
    r = client.post(reverse("visits:occasion_create"), {"name": "x", "kind": "holiday", "starts_on": today.isoformat(),
                                                        "ends_on": today.isoformat()})
    assert r.status_code == 400
    assert "Say which customers the occasion concerns" in r.content.decode()


def test_care_page_and_form(login, team, key_account, contact, today):
    customer = key_account()
    ct = contact(customer=customer, name="吴总", birthday=date(1970, today.month, today.day))
    client = login(team["manager"])
    page = client.get(reverse("visits:care")).content.decode()
    assert "吴总" in page
    r = client.post(reverse("visits:care_create"), {"customer": customer.pk, "kind": "birthday",
                                                    "occurred_on": today.isoformat(), "contact": ct.pk,
                                                    "summary": "送蛋糕"})
    assert r.status_code == 302
    assert CareRecord.objects.get().summary == "送蛋糕"
    assert "送蛋糕" in client.get(reverse("visits:care")).content.decode()
    r = client.get(reverse("visits:care"), {"export": "csv"})
    assert "送蛋糕" in b"".join(r.streaming_content).decode()


def test_visit_list_filters_and_export(login, team, planned, today):
    a, b = planned(2)
    client = login(team["manager"])
    page = client.get(reverse("visits:list"), {"q": a.customer.number}).content.decode()
    assert a.customer.name in page and b.customer.name not in page
    r = client.get(reverse("visits:list"), {"export": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    r = client.get(reverse("visits:list"), {"export": "csv"})
    body = b"".join(r.streaming_content).decode()
    assert a.customer.name in body and b.customer.name in body


def test_customer_tab(login, team, key_account, today):
    customer = key_account()
    done_visit(customer, today - timedelta(days=40), findings="电容补偿柜故障")
    services.plan_visit(customer=customer, planned_on=today + timedelta(days=3), today=today)
    page = login(team["manager"]).get(reverse("visits:customer_tab", args=[customer.pk])).content.decode()
    assert "电容补偿柜故障" in page and (today + timedelta(days=3)).isoformat() in page


def test_analysis_by_unit_and_manager(login, team, key_account, org_tree, today):
    a = key_account(unit="s1")
    b = key_account(unit="s3", manager=team["other_manager"], tier=cc.KeyAccountTier.MEDIUM)
    start = today - timedelta(days=40)
    # s1: one on time, one late, one overdue; s3: one on time.
    Visit.objects.create(customer=a, org_unit=a.org_unit, assignee=team["manager"], due_on=start, planned_on=start,
                         status="done", done_on=start)
    Visit.objects.create(customer=a, org_unit=a.org_unit, assignee=team["manager"], due_on=start, planned_on=start,
                         status="done", done_on=start + timedelta(days=3))
    Visit.objects.create(customer=a, org_unit=a.org_unit, assignee=team["manager"], due_on=start, planned_on=start)
    Visit.objects.create(customer=b, org_unit=b.org_unit, assignee=team["other_manager"], due_on=start, planned_on=start,
                         status="done", done_on=start)
    params = {"from": (start - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    r = login(team["admin"]).get(reverse("visits:analysis"), params)
    rows = {row["label"]: row for row in r.context["rows"]}
    assert (rows["城北一所"]["planned"], rows["城北一所"]["on_time"], rows["城北一所"]["late"],
            rows["城北一所"]["overdue"], rows["城北一所"]["rate"]) == (3, 1, 1, 1, 33.3)
    assert (rows["城南一所"]["planned"], rows["城南一所"]["on_time"], rows["城南一所"]["rate"]) == (1, 1, 100.0)
    assert r.context["totals"]["planned"] == 4
    # A manager sees only their portfolio.
    r = login(team["manager"]).get(reverse("visits:analysis"), params | {"by": "manager"})
    assert [row["label"] for row in r.context["rows"]] == ["王经理"]
    r = login(team["admin"]).get(reverse("visits:analysis"), params | {"export": "xlsx"})
    assert r.status_code == 200


def test_analysis_chart_data_is_an_object_not_a_json_string(login, team, key_account, today):
    """The chart script reads data.labels and data.series.map(...): the page must embed the chart
    as a JSON object. Encoded twice it was a string, and the chart stayed blank for every role
    ("Cannot read properties of undefined (reading 'map')")."""
    import json
    import re

    customer = key_account()
    done_visit(customer, today - timedelta(days=5))
    html = login(team["admin"]).get(reverse("visits:analysis")).content.decode()
    embedded = re.search(r'<script id="completion-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(embedded.group(1))
    assert isinstance(data, dict) and data["labels"] == ["城北一所"]
    assert [len(s["data"]) for s in data["series"]] == [1, 1, 1, 1]


def test_analysis_constant_queries(login, team, key_account, today, django_assert_max_num_queries):
    client = login(team["admin"])
    with django_assert_max_num_queries(15) as small:
        client.get(reverse("visits:analysis"), {"by": "manager"})
    for _i in range(10):
        cu = key_account()
        done_visit(cu, today - timedelta(days=5))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("visits:analysis"), {"by": "manager"})


def test_briefing_and_tab_show_open_tickets(login, team, key_account, today):
    from powerkam.service.tickets.models import Ticket

    customer = key_account()
    visit = services.plan_visit(customer=customer, planned_on=today, today=today)
    common = {"customer": customer, "org_unit": customer.org_unit, "channel": "phone", "ticket_type": "complaint",
              "first_contact_owner": team["manager"], "assignee": team["manager"]}
    Ticket.objects.create(subject="抄表数据异常", status="open", **common)
    Ticket.objects.create(subject="已经处理完的咨询", status="closed", **common)
    client = login(team["manager"])
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert "抄表数据异常" in page and "已经处理完的咨询" not in page
    tab = client.get(reverse("visits:customer_tab", args=[customer.pk]))
    assert tab.context["tickets_count"] == 1
    assert "抄表数据异常" in tab.content.decode()


def test_calendar_cell_shows_six_and_counts_the_rest(login, team, key_account, today):
    from powerkam.service.visits.selectors import calendar_weeks, visible_visits

    day = today + timedelta(days=1)
    for i in range(8):
        services.plan_visit(customer=key_account(name=f"客户{i:02d}"), planned_on=day, today=today)
    weeks = calendar_weeks(visible_visits(team["manager"]), "week", day)
    cell = next(cell for week in weeks for cell in week if cell["day"] == day)
    assert [v.customer.name for v in cell["visits"]] == [f"客户{i:02d}" for i in range(6)]
    assert cell["more"] == 2
    page = login(team["manager"]).get(reverse("visits:calendar"), {"date": day.isoformat(), "view": "week"})
    assert "+2 more" in page.content.decode()
