"""The weighted pipeline is expected annual revenue × probability / 100, summed exactly (to the
ten-thousandth of a yuan) on both databases. SQLite keeps decimals as INTEGER or REAL and divides
two integers by truncating: before `PercentSum`, a whole-yuan revenue of 10,050 at 33 % weighed
3,316 on SQLite instead of 3,316.50, and 1 yuan at 1 % weighed nothing.

On PostgreSQL the forecast's grouped reads can come from the covering index `opp_forecast_pg_idx`
(pipeline 0005) alone (an index-only scan at full scale): checked here by the columns the planner
says the opportunities' scan must deliver, so a column added to those reads and missing from the
index shows as a failure, not as a slow page. (Which plan PostgreSQL picks for a test's handful of
rows says nothing; at 50,000 opportunities see docs/performance.md.)"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerkam.pipeline import selectors, services
from powerkam.pipeline.models import Opportunity

from .conftest import kind, stage

pytestmark = pytest.mark.django_db
TODAY = date(2026, 9, 1)

# (revenue yuan, probability %, weighted yuan)
WORKED = [
    ("10050", 33, "3316.5"),        # whole yuan: SQLite's integer division gave 3316
    ("12345.67", 33, "4074.0711"),
    ("1", 1, "0.01"),               # SQLite's integer division gave 0
    ("0.01", 1, "0.0001"),
    ("98765432.10", 75, "74074074.075"),
    ("333.33", 0, "0"),
    ("250000", 100, "250000"),
]
TOTAL = sum(Decimal(w) for _r, _p, w in WORKED)  # 74,331,464.6562


@pytest.fixture
def worked(people):
    for revenue, probability, _weighted in WORKED:
        services.save_opportunity(
            actor=people["m1"], today=TODAY, title=f"机会{revenue}", prospect_name="客户", kind=kind("pv_storage"),
            stage=stage("lead"), probability=probability, close_on=date(2026, 10, 15), owner=people["m1"],
            expected_annual_revenue_yuan=Decimal(revenue))
    assert Opportunity.objects.filter(probability=0).exists()  # the given probability was kept


def test_worked_example_is_exact(worked):
    assert TOTAL == Decimal("74331464.6562")
    by_one = Opportunity.objects.order_by().values("pk").annotate(w=selectors.weighted_sum())
    assert sorted(r["w"] for r in by_one) == sorted(Decimal(w) for _r, _p, w in WORKED)
    assert Opportunity.objects.aggregate(w=selectors.weighted_sum())["w"] == TOTAL


def test_the_forecast_and_the_board_weigh_exactly(worked, people):
    user = people["admin"]
    data = selectors.forecast(selectors.visible_opportunities(user), selectors.visible_projects(user))
    assert data["totals"]["weighted"] == TOTAL
    assert [(r["month"], r["n"], r["weighted"]) for r in data["by_month"]] == [("2026-10", len(WORKED), TOTAL)]
    assert [r["weighted"] for r in data["by_unit"]] == [TOTAL]
    assert [r["weighted"] for r in data["by_owner"]] == [TOTAL]
    assert [r["weighted"] for r in data["by_kind"]] == [TOTAL]
    lead = next(col for col in selectors.board(selectors.visible_opportunities(user)) if col.stage.code == "lead")
    assert (lead.count, lead.weighted) == (len(WORKED), TOTAL)


def test_no_rows_weigh_nothing(people):
    assert Opportunity.objects.aggregate(w=selectors.weighted_sum())["w"] == Decimal(0)
    data = selectors.forecast(selectors.visible_opportunities(people["admin"]),
                              selectors.visible_projects(people["admin"]))
    assert data["totals"] == {"n": 0, "revenue": 0, "weighted": 0} and data["by_month"] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="opp_forecast_pg_idx is PostgreSQL's")
@pytest.mark.parametrize("who", ["admin", "sup"])
def test_postgresql_index_covers_the_forecast_groups(worked, people, who):
    user = people[who]
    with CaptureQueriesContext(connection) as ctx:
        selectors.forecast(selectors.visible_opportunities(user), selectors.visible_projects(user))
    grouped = [q["sql"] for q in ctx.captured_queries
               if 'FROM "pipeline_opportunity"' in q["sql"] and "GROUP BY" in q["sql"]
               and "pipeline_opportunity_competitors" not in q["sql"]]
    assert len(grouped) == 2  # the open groups and the closed groups
    with connection.cursor() as cursor:
        cursor.execute("""SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                          WHERE c.relname = 'opp_forecast_pg_idx'""")
        indexed = {row[0] for row in cursor.fetchall()}
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "pipeline_opportunity")}
        for sql in grouped:
            # the columns the opportunities' scan must deliver, as the planner lists them
            cursor.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + sql)
            needed = _scanned_words(cursor.fetchone()[0][0]["Plan"], "pipeline_opportunity") & columns
            assert {"stage_id", "close_on", "expected_annual_revenue_yuan"} & needed, needed
            assert needed <= indexed, needed - indexed


def _scanned_words(node: dict, table: str) -> set[str]:
    """The words of what a plan's scans of `table` output or test (EXPLAIN VERBOSE, JSON): its
    columns among them, bare or qualified."""
    found: set[str] = set()
    if node.get("Relation Name") == table:
        text = " ".join([*node.get("Output", []), *(node.get(k, "") for k in ("Filter", "Index Cond", "Recheck Cond"))])
        found.update(re.findall(r"\w+", text))
    for child in node.get("Plans", []):
        found |= _scanned_words(child, table)
    return found
