"""The forecast and the board read their figures in a few grouped queries shaped for speed (the open
opportunities by unit, owner, kind and close month with SQLite's own month function and covering
indexes, issue #13). Here every view is checked against the plain query for that view alone —
Django's TruncMonth, the joins for the labels, the competitors from the link table — over a set
that spans month ends, a leap day, two years, every stage, units, owners, kinds and competitors,
as the company, a region supervisor, a manager and a unit filter see it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Avg, Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import TruncMonth
from django.test.utils import CaptureQueriesContext

from powerkam.core.dbfunctions import MonthStart
from powerkam.pipeline import selectors, services, sqlite_indexes
from powerkam.pipeline.models import Competitor, GovernmentProject, Opportunity, OpportunityKind

from .conftest import approved_fields, stage

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 1)
CLOSES = [date(2026, 9, 1), date(2026, 9, 30), date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 1),
          date(2027, 1, 31), date(2027, 2, 28), date(2028, 2, 29), date(2028, 3, 1)]
OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")
REASONS = ("price", "competitor", "timing")


@pytest.fixture
def spread(org_tree, people):
    kinds = list(OpportunityKind.objects.order_by("order", "pk")[:3])
    rivals = list(Competitor.objects.order_by("pk")[:2])
    owners = [people["m1"], people["m2"], people["spec"], people["south"]]
    for i in range(40):
        opp = services.save_opportunity(
            actor=owners[i % 4], today=TODAY, title=f"机会{i}", prospect_name="客户", kind=kinds[i % 3],
            stage=stage(OPEN_STAGES[i % 4]), close_on=CLOSES[i % len(CLOSES)], owner=owners[i % 4],
            # hundreds of yuan: every weighted amount is whole, however the sums are grouped
            expected_annual_revenue_yuan=Decimal(100 * (i * 37 % 50 + 1)), expected_kva=Decimal(10 * i),
            expected_annual_kwh=Decimal(1000 * i), competitors=[rivals[i % 2]] if i % 3 == 0 else [])
        if i % 5 == 0:
            services.move_stage(opp, stage("won"), actor=owners[i % 4], today=TODAY + timedelta(days=i))
        elif i % 7 == 0:
            services.move_stage(opp, stage("lost"), actor=owners[i % 4], loss_reason=REASONS[i % 3],
                                today=TODAY + timedelta(days=i))
    for i, energised in enumerate((date(2026, 10, 31), date(2026, 10, 1), date(2028, 2, 29))):
        services.save_project(actor=people["m1"], today=TODAY, **approved_fields(
            org_tree, people, name=f"重点项目{i}", expected_energisation_on=energised,
            expected_capacity_kva=Decimal(1000 + i), expected_annual_kwh=Decimal(5000 * (i + 1))))


def _month(value) -> str:
    return value.strftime("%Y-%m")


def _plain(opps, projects) -> dict:
    """Each view of the forecast as its own plain grouped query."""
    open_ = opps.filter(stage__outcome="open").order_by()
    # each row weighted on its own (revenue × probability / 100; every amount here is whole)
    weighted = ExpressionWrapper(F("expected_annual_revenue_yuan") * F("probability") / Value(Decimal("100")),
                                 output_field=DecimalField(max_digits=20, decimal_places=2))
    money = {"n": Count("id"), "revenue": Sum("expected_annual_revenue_yuan"), "weighted": Sum(weighted)}

    def grouped(qs, *keys):
        return {tuple(r[k] for k in keys): (r["n"], r["revenue"], r["weighted"])
                for r in qs.values(*keys).annotate(**money)}

    by_month = {_month(m): v for (m,), v in grouped(open_.annotate(m=TruncMonth("close_on")), "m").items()}
    capacity: dict = {}
    for r in open_.annotate(m=TruncMonth("close_on")).values("m").annotate(kva=Sum("expected_kva"),
                                                                          kwh=Sum("expected_annual_kwh")):
        capacity[_month(r["m"])] = {"opp_kva": r["kva"], "opp_kwh": r["kwh"], "gp_kva": 0, "gp_kwh": 0}
    for r in (projects.filter(is_closed=False, converted_at__isnull=True, expected_energisation_on__isnull=False)
              .order_by().annotate(m=TruncMonth("expected_energisation_on")).values("m")
              .annotate(kva=Sum("expected_capacity_kva"), kwh=Sum("expected_annual_kwh"))):
        row = capacity.setdefault(_month(r["m"]), {"opp_kva": 0, "opp_kwh": 0})
        row.update(gp_kva=r["kva"], gp_kwh=r["kwh"])
    closed = opps.exclude(stage__outcome="open").order_by()
    won = Q(stage__outcome="won")

    def rates(*keys):
        return {tuple(r[k] for k in keys): (r["closed"], r["won"], round(100 * r["won"] / r["closed"], 1),
                                            round(r["cycle"], 1) if r["cycle"] is not None else None)
                for r in closed.values(*keys).annotate(closed=Count("id"), won=Count("id", filter=won),
                                                       cycle=Avg("cycle_days", filter=won))}

    through = Opportunity.competitors.through
    return {
        "by_month": by_month,
        "by_unit": grouped(open_, "org_unit_id", "org_unit__name"),
        "by_owner": grouped(open_, "owner_id", "owner__full_name", "owner__username"),
        "by_kind": grouped(open_, "kind_id", "kind__name"),
        "capacity": {m: (v["opp_kva"], v["opp_kwh"], v["gp_kva"], v["gp_kwh"]) for m, v in capacity.items()},
        "win_kind": rates("kind_id", "kind__name"),
        "win_owner": rates("owner_id", "owner__full_name", "owner__username"),
        "lost_reasons": {r["loss_reason"]: (r["n"], r["revenue"]) for r in closed.filter(stage__outcome="lost")
                         .values("loss_reason").annotate(n=Count("id"), revenue=Sum("expected_annual_revenue_yuan"))},
        "competitors": {(r["competitor_id"], r["competitor__name"]): (r["n"], r["won"], r["lost"])
                        for r in through.objects.filter(opportunity__in=opps.values("pk"))
                        .values("competitor_id", "competitor__name")
                        .annotate(n=Count("id"), won=Count("id", filter=Q(opportunity__stage__outcome="won")),
                                  lost=Count("id", filter=Q(opportunity__stage__outcome="lost")))},
    }


def _as_read(data: dict) -> dict:
    """The forecast's lists in the plain queries' shape."""
    def keyed(rows, *keys):
        return {tuple(r[k] for k in keys): (r["n"], r["revenue"], r["weighted"]) for r in rows}

    def rates(rows, *keys):
        return {tuple(r[k] for k in keys): (r["closed"], r["won"], r["win_rate"], r["cycle"]) for r in rows}

    return {
        "by_month": {r["month"]: (r["n"], r["revenue"], r["weighted"]) for r in data["by_month"]},
        "by_unit": keyed(data["by_unit"], "org_unit_id", "org_unit__name"),
        "by_owner": keyed(data["by_owner"], "owner_id", "owner__full_name", "owner__username"),
        "by_kind": keyed(data["by_kind"], "kind_id", "kind__name"),
        "capacity": {r["month"]: (r["opp_kva"], r["opp_kwh"], r["gp_kva"], r["gp_kwh"]) for r in data["capacity"]},
        "win_kind": rates(data["win_kind"], "kind_id", "kind__name"),
        "win_owner": rates(data["win_owner"], "owner_id", "owner__full_name", "owner__username"),
        "lost_reasons": {r["reason"]: (r["n"], r["revenue"]) for r in data["lost_reasons"]},
        "competitors": {(r["competitor_id"], r["competitor__name"]): (r["n"], r["won"], r["lost"])
                        for r in data["competitors"]},
    }


@pytest.mark.parametrize("who", ["admin", "sup", "m1", "unit s2"])
def test_forecast_is_the_plain_queries(spread, org_tree, people, who):
    user = people["admin" if who == "unit s2" else who]
    opps, projects = selectors.visible_opportunities(user), selectors.visible_projects(user)
    if who == "unit s2":
        path = org_tree["s2"].path
        opps, projects = opps.filter(org_unit__path__startswith=path), projects.filter(org_unit__path__startswith=path)
    data = selectors.forecast(opps, projects)
    expected = _plain(opps, projects)
    assert expected["by_month"] and expected["win_owner"]  # the set reaches every view
    assert _as_read(data) == expected
    assert [r["month"] for r in data["by_month"]] == sorted(expected["by_month"])
    assert data["totals"]["n"] == sum(n for n, _r, _w in expected["by_month"].values())


def test_the_set_spans_what_the_month_grouping_must_get_right(spread, people):
    data = selectors.forecast(*(f(people["admin"]) for f in (selectors.visible_opportunities,
                                                            selectors.visible_projects)))
    assert {"2027-02", "2028-02", "2028-03"} <= {r["month"] for r in data["by_month"]}
    assert len(data["competitors"]) == 2 and any(r["lost"] for r in data["competitors"])


def test_month_start_is_trunc_month_for_dates(spread):
    rows = (Opportunity.objects.annotate(a=MonthStart("close_on"), b=TruncMonth("close_on")).values_list("a", "b"))
    assert rows and all(a == b and a.day == 1 and isinstance(a, date) for a, b in rows)
    plain = GovernmentProject.objects.annotate(a=MonthStart("expected_energisation_on"),
                                               b=TruncMonth("expected_energisation_on"))
    assert all(a == b for a, b in plain.values_list("a", "b"))


def test_board_is_the_plain_sort(spread, people):
    columns = selectors.board(selectors.visible_opportunities(people["admin"]), per_stage=3)
    for col in columns:
        rows = list(Opportunity.objects.filter(stage=col.stage))
        if col.stage.outcome == "open":
            rows.sort(key=lambda o: (o.close_on, o.pk))
        else:
            rows.sort(key=lambda o: (o.closed_on, o.pk), reverse=True)
        assert [o.pk for o in col.cards] == [o.pk for o in rows[:3]]
        assert col.count == len(rows)
        assert col.revenue == sum(o.expected_annual_revenue_yuan for o in rows)
        assert col.weighted == sum(o.expected_annual_revenue_yuan * o.probability / 100 for o in rows)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the covering indexes are SQLite's")
def test_sqlite_reads_the_open_groups_from_the_covering_index(spread, people):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        assert set(sqlite_indexes.INDEXES) <= {row[0] for row in cursor.fetchall()}
        cursor.execute("DROP INDEX opp_open_month_sqlite_idx")
    assert sqlite_indexes.ensure(connection) == ["opp_open_month_sqlite_idx"]
    assert sqlite_indexes.ensure(connection) == []
    user = people["admin"]
    with CaptureQueriesContext(connection) as ctx:
        selectors.forecast(selectors.visible_opportunities(user), selectors.visible_projects(user))
    open_groups = next(q["sql"] for q in ctx.captured_queries if "start of month" in q["sql"]
                       and "pipeline_opportunity" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + open_groups)
        plan = " ".join(row[3] for row in cursor.fetchall())
    assert "COVERING INDEX opp_open_month_sqlite_idx" in plan and "TEMP B-TREE" not in plan
