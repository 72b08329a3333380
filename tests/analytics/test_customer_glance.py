"""The 360 overview answers at a glance (issue #10 item 5): arrears and days overdue, last bill,
credit code, 12-month kWh trend, open tickets and complaints, next visit, open data-quality
findings and ladder step — each a link to its tab, in two more queries whatever the history."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from powerkam.analytics.glance import money_and_service_glance
from powerkam.customers.models import DataQualityFinding
from powerkam.service.tickets import services as tickets
from powerkam.service.visits import services as visits

from .factories import make_bill
from .test_money_tab import _money_records


def _service_records(world, today):
    c1, manager = world["c1"], world["a"]
    for kind in ("complaint", "consultation", "fault_repair"):
        tickets.open_ticket(actor=manager, customer=c1, ticket_type=kind, channel="phone", subject=f"{kind} 1")
    visits.plan_visit(customer=c1, planned_on=today + timedelta(days=9), today=today)
    visits.plan_visit(customer=c1, planned_on=today + timedelta(days=30), today=today)


def test_the_figures_worked_example(world):
    _money_records(world)
    today = date(2026, 4, 1)
    _service_records(world, today)
    with translation.override("zh-hans"):
        items = {g.key: g for g in money_and_service_glance(world["c1"], today)}
    # open: 2025-01 730.00 (due 2025-02-20), 2025-12 856.00, 2026-02 431.60 left, 2026-03 730.00 (due 04-20)
    # arrears are past due only (issue #10): the 2026-03 bill, due 04-20, is not yet due
    assert (items["arrears"].value, items["arrears"].tone, items["arrears"].tab) == ("2,017.60元", "danger", "money")
    assert "405" in items["arrears"].detail and "730.00元" in items["arrears"].detail  # since 2025-02-20
    assert (items["last_bill"].value, items["last_bill"].detail) == ("730.00元", "2026-03")
    # the 12 finished months 2025-04 … 2026-03: 1200 + 1100 + 1320 + 1000
    assert items["kwh_trend"].value == "4,620 kWh" and items["kwh_trend"].spark
    assert items["kwh_trend"].detail == "2025-04 至 2026-03"
    assert (items["ladder"].tone, items["ladder"].tab) == ("warning", "money") and "7" in items["ladder"].value
    assert (items["credit"].value, items["credit"].tab) == ("3A2", "credit")  # the approved one, not the draft
    assert (items["tickets"].value, items["tickets"].tone, items["tickets"].tab) == ("3", "danger", "service")
    assert "1" in items["tickets"].detail
    assert (items["next_visit"].value, items["next_visit"].tab) == ("2026-04-10", "service")


def test_a_customer_with_nothing_yet(world):
    today = date(2026, 4, 1)
    items = {g.key: g for g in money_and_service_glance(world["c3"], today)}
    # c3's bills: 2025-01, 2025-02 (open, overdue) and 2026-01 / 2026-02 partly paid
    assert items["credit"].value == "—" and items["tickets"].value == "0" and items["next_visit"].value == "—"
    assert items["ladder"].tone == ""


def test_360_overview_starts_with_the_glance_and_links_each_to_its_tab(world, login):
    _money_records(world)
    today = timezone.localdate()
    _service_records(world, today)
    DataQualityFinding.objects.create(customer=world["c1"], rule="missing_contact")
    html = login(world["a"]).get(reverse("customers:detail", args=[world["c1"].pk])).content.decode()
    glance = html[html.index('id="glance"'):html.index('id="glance"') + 8000]
    for key, tab in (("arrears", "money"), ("last_bill", "money"), ("kwh_trend", "money"), ("ladder", "money"),
                     ("credit", "credit"), ("tickets", "service"), ("next_visit", "service"),
                     ("findings", "quality")):
        assert f'href="?tab={tab}#tab-{tab}" data-glance="{key}"' in glance
    assert html.index('id="glance"') < html.index("id=\"id-number\"")  # before the archive's fields


def test_the_glance_costs_two_queries_whatever_the_history(world, login):
    client = login(world["admin"])
    url = reverse("customers:detail", args=[world["c1"].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    glance_sql = [q["sql"] for q in few.captured_queries if "billing_bill" in q["sql"]]
    assert len(glance_sql) == 2  # the row of subqueries and the 12-month trend
    _money_records(world)
    _service_records(world, timezone.localdate())
    for m in range(1, 13):
        make_bill(world["c1"], date(2024, m, 1), 100 * m)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
