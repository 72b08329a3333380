"""KPI figures of one manager in one month (October 2026), computed by hand (selectors docstring)."""

from datetime import date, datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.kpis import selectors, services
from powerkam.kpis.models import Target
from powerkam.service.surveys.models import SurveyInvitation, SurveyResponse
from powerkam.service.tickets.models import Ticket
from powerkam.service.visits.models import Visit
from tests.analytics.factories import make_bill
from tests.factories import CustomerFactory

OCT = date(2026, 10, 1)


def at(day: int, hour: int = 12, month: int = 10) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour))


@pytest.fixture
def month_of_m(org_tree, make_staff):
    m = make_staff("manager", org_tree["s1"], username="m", full_name="Manager M")
    other = make_staff("manager", org_tree["s1"], username="o")
    c1 = CustomerFactory(number="K1", org_unit=org_tree["s1"], primary_manager=m)
    c2 = CustomerFactory(number="K2", org_unit=org_tree["s1"], primary_manager=m)
    c3 = CustomerFactory(number="K3", org_unit=org_tree["s1"], primary_manager=other)
    # billed in October: 0.63 × kWh + 100 each → 730.00 + 415.00; due in November (not in the rate)
    make_bill(c1, OCT, 1000)
    make_bill(c2, OCT, 500)
    make_bill(c3, OCT, 9000)  # another manager's
    # due in October (September bills, due 2026-10-20): 730.00 paid, 415.00 unpaid
    make_bill(c1, date(2026, 9, 1), 1000, paid="730.00")
    make_bill(c2, date(2026, 9, 1), 500)
    # satisfaction: 5 and 4 in October, 1 in November (not counted)
    for i, (overall, when) in enumerate(((5, at(3)), (4, at(9)), (1, at(2, month=11)))):
        inv = SurveyInvitation.objects.create(customer=c1, kind="visit", channel="sms", token_hash=f"h{i}",
                                              expires_at=at(28, month=12))
        SurveyResponse.objects.create(invitation=inv, customer=c1, kind="visit", manager=m, overall=overall,
                                      answered_at=when)
    # one complaint about m in October, one about the other manager
    for staff in (m, other):
        t = Ticket.objects.create(customer=c1, channel="phone", ticket_type="complaint", subject="late",
                                  about_staff=staff, assignee=other, first_contact_owner=other)
        Ticket.objects.filter(pk=t.pk).update(created_at=at(5))
    # tasks due in October: done on time, done late, still open, cancelled (left out)
    tasks = [workqueue.open_task(kind=Task.Kind.FOLLOW_UP, assignee=m, title=f"t{i}", due_at=at(d), key=f"t{i}")
             for i, d in enumerate((10, 15, 25, 26))]
    Task.objects.filter(pk=tasks[0].pk).update(status="done", closed_at=at(9))
    Task.objects.filter(pk=tasks[1].pk).update(status="done", closed_at=at(20))
    Task.objects.filter(pk=tasks[3].pk).update(status="cancelled", closed_at=at(20))
    # visits due in October: one done in time, one still planned
    Visit.objects.create(customer=c1, org_unit=org_tree["s1"], assignee=m, due_on=date(2026, 10, 12),
                         planned_on=date(2026, 10, 12), status="done", done_on=date(2026, 10, 11))
    Visit.objects.create(customer=c2, org_unit=org_tree["s1"], assignee=m, due_on=date(2026, 10, 20),
                         planned_on=date(2026, 10, 20))
    return m


def test_one_manager_month_by_hand(month_of_m):
    f = selectors.person_kpis([month_of_m], OCT)[month_of_m.pk]
    assert f["revenue"] == D("1145.00") and f["kwh"] == D("1500.00")
    assert f["collection_rate"] == D("63.76")  # 730.00 ÷ 1145.00
    assert f["satisfaction"] == D("4.50")  # (5 + 4) ÷ 2
    assert f["complaints"] == 1
    assert f["task_completion"] == D("66.67")  # 2 done ÷ 3 due
    assert f["timeliness"] == D("33.33")  # 1 on time ÷ 3 due
    assert f["visit_completion"] == D("50.00")
    assert f["service_cost"] == D("300.00")  # 1 visit done × 300
    assert f["portfolio"] == 2 and f["portfolio_flag"] == "below"


def test_scorecard_ranks_and_constant_queries(month_of_m, org_tree, make_staff, django_assert_max_num_queries):
    sup = make_staff("supervisor", org_tree["north"])
    with django_assert_max_num_queries(14):
        card = selectors.scorecard(sup, OCT, sort="revenue")
    assert [r["staff"].username for r in card.rows] == ["o", "m"]  # 5770.00 before 1145.00
    assert card.unit["people"] == 2 and card.unit["below_1_15"] == 2


def test_target_outside_the_supervisors_unit_is_refused(month_of_m, org_tree, make_staff):
    south_sup = make_staff("supervisor", org_tree["south"])
    with pytest.raises(ValidationError) as exc:
        services.set_target(actor=south_sup, month=OCT, metric="revenue", value="1000", staff=month_of_m)
    assert "staff" in exc.value.message_dict
    assert not Target.objects.exists()


@pytest.mark.parametrize("value,metric", [("-5", "revenue"), ("abc", "revenue"), ("10", "nonsense")])
def test_bad_target_writes_nothing(month_of_m, org_tree, make_staff, value, metric):
    sup = make_staff("supervisor", org_tree["north"])
    with pytest.raises(ValidationError):
        services.set_target(actor=sup, month=OCT, metric=metric, value=value, staff=month_of_m)
    assert not Target.objects.exists()


def test_target_set_and_shown(month_of_m, org_tree, make_staff, login):
    sup = make_staff("supervisor", org_tree["north"])
    client = login(sup)
    r = client.post("/kpis/targets/?month=2026-10", {f"t-{month_of_m.pk}-revenue": "2290", "month": "2026-10"})
    assert r.status_code == 302
    t = Target.objects.get()
    assert t.value == D("2290") and t.set_by == sup and t.history.count() == 1
    card = selectors.scorecard(sup, OCT)
    row = next(r for r in card.rows if r["staff"] == month_of_m)
    assert row["cells"]["revenue"]["achievement"] == D("50.00")
    page = client.get("/kpis/team/?month=2026-10")
    assert page.status_code == 200 and "2290" in page.content.decode()


def test_drill_down_lists_the_bills(month_of_m, org_tree, make_staff, login):
    sup = make_staff("supervisor", org_tree["north"])
    page = login(sup).get(f"/kpis/team/{month_of_m.pk}/collection_rate/?month=2026-10")
    assert page.status_code == 200
    assert page.content.decode().count("<tr>") == 3  # header + the two bills due in October


def test_scorecard_export(month_of_m, org_tree, make_staff, login):
    from io import BytesIO

    from openpyxl import load_workbook

    sup = make_staff("supervisor", org_tree["north"])
    r = login(sup).get("/kpis/team/?month=2026-10&export=xlsx")
    ws = load_workbook(BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)).active
    names = [row[1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert names == ["o", "Manager M"] or names[1] == "Manager M"
