"""Complaint analysis from the nightly summaries: the same figures as the live computation.

Subtree and company-wide users read TicketMonthlySummary / ComplaintStageSummary for the months
of the period that the last refresh covers (every ticket taken in before the refresh day) and
count the rest live; these tests compare that, field by field, with `live_complaint_analysis`
on generated data, for periods of full months, partial months, periods reaching or spanning the
refresh day, and with the unit filter."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from powerkam.service.tickets import demo, selectors, services
from powerkam.service.tickets.models import (
    ComplaintStageBucket,
    ComplaintStageSummary,
    Ticket,
    TicketMonthlySummary,
    TicketStage,
    TicketSummaryRefresh,
)
from tests.factories import CustomerFactory

from .conftest import at

pytestmark = pytest.mark.django_db

NOW = at("2026-11-23 12:00")
REFRESH = at("2026-11-23 02:00")

PERIODS = [
    (date(2026, 1, 1), date(2026, 6, 30)),  # full months only
    (date(2025, 11, 1), date(2026, 10, 31)),  # twelve full months, up to the refresh
    (date(2025, 11, 15), date(2026, 10, 20)),  # partial months at both ends
    (date(2025, 12, 1), date(2026, 11, 23)),  # the default period: today live, the rest summarised
    (date(2026, 11, 1), date(2026, 11, 22)),  # the current month up to the refresh day: all summarised
    (date(2026, 11, 1), date(2026, 11, 20)),  # a partial current month: all live
    (date(2026, 11, 5), date(2026, 11, 30)),  # partial, then past today
    (date(2026, 10, 1), date(2026, 12, 31)),  # ends after today
    (date(2026, 3, 5), date(2026, 3, 20)),  # inside one month: all live
    (date(2024, 11, 30), date(2026, 11, 30)),  # everything
    (date(2020, 1, 1), date(2020, 12, 31)),  # before any ticket
]


@pytest.fixture
def generated(org_tree, people, make_staff):
    """About 1,200 tickets over two years in S1, S2, S3; a few that the region supervisor (north)
    holds personally for a southern customer; one without an org unit; then a refresh."""
    for i in range(45):
        CustomerFactory(org_unit=org_tree[("s1", "s2", "s3")[i % 3]])
    make_staff("manager", org_tree["s2"], full_name="Manager Ma")
    demo.generate(1200, seed=4, now=NOW)
    south = Ticket.objects.filter(customer__org_unit=org_tree["s3"], ticket_type="complaint").order_by("pk")
    region_sup = people["region_sup"]
    ids = list(south.values_list("pk", flat=True)[:9])
    Ticket.objects.filter(pk__in=ids[:3]).update(first_contact_owner=region_sup)
    Ticket.objects.filter(pk__in=ids[3:6]).update(assignee=region_sup)
    TicketStage.objects.filter(ticket_id__in=ids[6:9]).update(owner=region_sup)
    Ticket.objects.filter(pk=Ticket.objects.filter(customer__org_unit=org_tree["s1"], ticket_type="complaint")
                          .order_by("pk").values("pk")[:1]).update(org_unit=None)
    services.refresh_ticket_summary(now=REFRESH)
    return org_tree


def _without_as_of(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "as_of"}


def test_summary_and_live_give_the_same_figures(generated, people):
    for who in ("admin", "executive", "company_sup", "region_sup", "station_sup", "clerk"):
        user = people[who]
        for date_from, date_to in PERIODS:
            p = selectors.AnalysisParams(date_from=date_from, date_to=date_to)
            hybrid = selectors.complaint_analysis(user, p)
            assert _without_as_of(hybrid) == selectors.live_complaint_analysis(user, p), (who, date_from, date_to)
        # The summary was read where the period holds a full month before the refresh.
        p = selectors.AnalysisParams(date(2026, 1, 1), date(2026, 6, 30))
        assert selectors.complaint_analysis(user, p)["as_of"] == REFRESH
        p = selectors.AnalysisParams(date(2026, 3, 5), date(2026, 3, 20))
        assert selectors.complaint_analysis(user, p)["as_of"] is None


def test_the_data_is_rich_enough_to_compare(generated, people):
    r = selectors.live_complaint_analysis(people["admin"], selectors.AnalysisParams(date(2024, 11, 1), date(2026, 11, 30)))
    assert r["totals"]["complaints"] > 100 and len(r["by_unit"]) == 4 and r["by_person"]
    assert all(s["p90_hours"] is not None for s in r["stage_durations"])
    region = selectors.live_complaint_analysis(people["region_sup"], selectors.AnalysisParams(date(2024, 11, 1),
                                                                                              date(2026, 11, 30)))
    assert "城南一所" in [u["label"] for u in region["by_unit"]]  # the tickets the region supervisor holds in the south


def test_the_unit_filter_gives_the_same_figures(generated, people):
    for unit, who in (("north", "admin"), ("s1", "admin"), ("s3", "admin"), ("company", "region_sup"),
                      ("s3", "region_sup"), ("s2", "region_sup")):
        for date_from, date_to in PERIODS[:4]:
            p = selectors.AnalysisParams(date_from, date_to, org_unit=generated[unit].pk,
                                         unit_path=generated[unit].path)
            assert _without_as_of(selectors.complaint_analysis(people[who], p)) == \
                selectors.live_complaint_analysis(people[who], p), (who, unit, date_from)


def test_portfolio_roles_get_the_live_computation(generated, people):
    p = selectors.AnalysisParams(date(2025, 11, 1), date(2026, 10, 31))
    for who in ("worker", "other"):
        result = selectors.complaint_analysis(people[who], p)
        assert "as_of" not in result
        assert result == selectors.live_complaint_analysis(people[who], p)


def test_tickets_after_the_refresh_are_counted_live(generated, people, customer):
    p = selectors.AnalysisParams(date(2025, 12, 1), date(2026, 11, 30))
    before = selectors.complaint_analysis(people["admin"], p)["totals"]["complaints"]
    services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                         subject="new", cause="billing", now=NOW + timedelta(minutes=5))
    after = selectors.complaint_analysis(people["admin"], p)
    assert after["totals"]["complaints"] == before + 1
    assert _without_as_of(after) == selectors.live_complaint_analysis(people["admin"], p)


def test_an_old_month_shows_the_figures_of_the_last_refresh(generated, people):
    """A change to a ticket of a summarised month shows after the next refresh (the page says so)."""
    p = selectors.AnalysisParams(date(2026, 1, 1), date(2026, 6, 30))
    old = selectors.complaint_analysis(people["admin"], p)
    Ticket.objects.filter(created_month=date(2026, 2, 1), ticket_type="complaint").update(reopen_count=9)
    assert selectors.complaint_analysis(people["admin"], p) == old
    services.refresh_ticket_summary(now=REFRESH + timedelta(days=1))
    assert _without_as_of(selectors.complaint_analysis(people["admin"], p)) == \
        selectors.live_complaint_analysis(people["admin"], p)


def test_refresh_is_idempotent_and_covers_the_months_before_the_current_one(generated):
    def rows():
        return (sorted(TicketMonthlySummary.objects.values_list(
                    "month", "customer_unit_id", "org_unit_id", "ticket_type", "cause", "about_staff_id", "n",
                    "closed", "reopened", "close_n", "close_sum"), key=str),
                sorted(ComplaintStageSummary.objects.values_list(
                    "month", "customer_unit_id", "org_unit_id", "stage", "coarse", "timed", "completed", "met",
                    "done_timed", "done_seconds", "done_longest"), key=str),
                sorted(ComplaintStageBucket.objects.values_list(
                    "month", "customer_unit_id", "org_unit_id", "stage", "bucket", "timed"), key=str))

    first = rows()
    result = services.refresh_ticket_summary(now=REFRESH)
    assert rows() == first
    assert (result["ticket_rows"], result["stage_rows"], result["bucket_rows"]) == tuple(len(r) for r in first)
    # Every complaint stage with a duration is in one bucket.
    assert sum(r[5] for r in first[2]) == TicketStage.objects.filter(
        ticket__ticket_type="complaint", ticket__created_at__lt=at("2026-11-23 00:00"),
        duration_seconds__isnull=False).count()
    assert TicketSummaryRefresh.objects.get().covered_until == date(2026, 11, 23)
    assert max(r[0] for r in first[0]) == date(2026, 11, 1)
    assert sum(r[6] for r in first[0]) == Ticket.objects.filter(created_at__lt=at("2026-11-23 00:00")).count()
    assert Ticket.objects.filter(created_at__gte=at("2026-11-23 00:00")).exists()  # today's: not summarised


def test_page_query_count_does_not_grow_with_tickets(generated, people, login, django_assert_max_num_queries):
    url = reverse("tickets:analysis")
    query = {"date_from": "2025-11-15", "date_to": "2026-11-23"}
    counts = {}
    for who in ("company_sup", "region_sup"):
        client = login(people[who])
        client.get(url, query)
        with django_assert_max_num_queries(16) as ctx:
            response = client.get(url, query)
        assert response.context["result"]["as_of"] == REFRESH
        assert "Figures of full months up to" in response.content.decode()
        counts[who] = len(ctx.captured_queries)
    demo.generate(300, seed=9, now=NOW)
    services.refresh_ticket_summary(now=REFRESH)
    for who in ("company_sup", "region_sup"):
        client = login(people[who])
        with django_assert_max_num_queries(counts[who]):
            client.get(url, query)


def test_refresh_command_and_job(generated):
    from django.core.management import call_command

    from powerkam.core import jobs

    TicketSummaryRefresh.objects.all().delete()
    call_command("refresh_ticket_summary")
    assert TicketSummaryRefresh.objects.count() == 1
    assert "refresh_ticket_summary" in jobs.JOBS
    assert jobs.run_job("refresh_ticket_summary")["ticket_rows"] == TicketMonthlySummary.objects.count()


@pytest.mark.parametrize("seconds", [
    [35819, 35820, 35999, 36000, 36180, 179, 180, 540, 539, 3600],  # around 10 h (a slice edge) and 0.05 h
    [35820] * 9 + [35819],
    [7 * 3600 + 1] * 30 + [12 * 3600] * 4,
])
def test_p90_from_buckets_is_exactly_the_live_one(org_tree, people, customer, seconds):
    start = at("2026-09-01 09:00")
    for k, s in enumerate(seconds):
        t = services.open_ticket(actor=people["clerk"], customer=customer, ticket_type="complaint", channel="phone",
                                 subject=f"c{k}", cause="billing", now=start)
        services.advance(t, actor=people["clerk"], stage="verify", result_note="ok", now=start + timedelta(seconds=s))
    services.refresh_ticket_summary(now=REFRESH)
    p = selectors.AnalysisParams(date(2026, 9, 1), date(2026, 9, 30))
    for who in ("admin", "station_sup"):
        hybrid = selectors.complaint_analysis(people[who], p)
        assert hybrid["as_of"] == REFRESH
        assert _without_as_of(hybrid) == selectors.live_complaint_analysis(people[who], p)
    verify = next(s for s in hybrid["stage_durations"] if s["key"] == "verify")
    assert verify["count"] == len(seconds) and verify["p90_hours"] is not None
