"""The cycle-time report's per-stage table (issue #12 item 8) read through
selectors.stage_groups — the period's finished stage records grouped in the order of
stage_cycle_cover_idx (decision record 0017). The figures must be exactly those of the records
counted one by one in Python: every stage, the period's first and last days included and the
days either side excluded, open records and records without a commitment, for the whole company,
a region's scope and a filter. On SQLite the grouping must scan the covering index in group order
(no table lookups, no sort), with or without the planner's statistics."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db import connection

from powerkam.projects import analysis, selectors
from powerkam.projects import constants as c
from powerkam.projects.models import Project, StageRecord

from .web_helpers import accepted, finished_stage, mark_energised

pytestmark = pytest.mark.django_db
PERIOD = selectors.ReportParams(date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))
STAGES = [s for s, _label in c.Stage.choices]


@pytest.fixture
def records(people, org_tree):
    """Six projects (two in the south region, two at 0.4 kV) with 150 stage records drawn at random
    (seeded): every stage, days 0–30, limits 1–15 or none, ends from ten days before the period
    to ten days after it, the period's edges always among them; plus each project's open record."""
    rng = random.Random(12)
    projects = []
    for i in range(6):
        p = accepted(people, org_tree, date(2025, 12, 1), applicant_name=f"分组测试{i}",
                     **({"voltage_level": "0.4kV", "requested_capacity_kva": "100"} if i % 3 == 2 else {}))
        if i >= 4:
            Project.objects.filter(pk=p.pk).update(org_unit=org_tree["s3"])
        projects.append(mark_energised(p, date(2026, 3, 1 + i), grid=30 + i))
    edges = [PERIOD.date_from - timedelta(days=1), PERIOD.date_from, PERIOD.date_to, PERIOD.date_to + timedelta(days=1)]
    span = (PERIOD.date_to - PERIOD.date_from).days + 20
    for i in range(150):
        end = edges[i] if i < len(edges) else PERIOD.date_from + timedelta(days=rng.randrange(span) - 10)
        limit = rng.choice([None, 1, 2, 5, 10, 15])
        finished_stage(projects[i % 6], rng.choice(STAGES), end - timedelta(days=20), end, grid=rng.randrange(31),
                       customer=rng.randrange(10), limit=limit)
    return projects


def _by_hand(project_ids) -> dict:
    """The per-stage rows computed record by record."""
    rows = {}
    for stage in STAGES:
        recs = [r for r in StageRecord.objects.filter(project_id__in=project_ids, stage=stage)
                if r.ended_on and PERIOD.date_from <= r.ended_on <= PERIOD.date_to and r.grid_workdays is not None]
        s = analysis.stats_of([r.grid_workdays for r in recs], [r.limit_workdays for r in recs])
        limits = [r.limit_workdays for r in recs if r.limit_workdays is not None]
        rows[stage] = (s.count, s.mean, s.median, s.p90, s.within_pct, s.longest,
                       analysis.mean_of(sum(r.customer_workdays for r in recs), s.count),
                       round(sum(limits) / len(limits), 1) if limits else None)
    return rows


def _report(user, params=PERIOD) -> dict:
    keys = ("count", "mean", "median", "p90", "within_pct", "longest", "customer_mean", "commitment")
    return {row["key"]: tuple(row[k] for k in keys)
            for row in selectors.cycle_time_report(user, params)["by_stage"]}


def test_the_fixture_reaches_every_case(records):
    ends = set(StageRecord.objects.values_list("ended_on", flat=True))
    assert {PERIOD.date_from, PERIOD.date_to, PERIOD.date_from - timedelta(days=1),
            PERIOD.date_to + timedelta(days=1), None} <= ends
    assert StageRecord.objects.filter(limit_workdays__isnull=True, ended_on__isnull=False).exists()
    assert StageRecord.objects.filter(within_commitment=False).exists()
    assert len(set(StageRecord.objects.values_list("stage", flat=True))) == len(STAGES)


def test_company_report_equals_the_records_counted_one_by_one(people, records):
    assert _report(people["executive"]) == _by_hand([p.pk for p in records])


def test_scoped_report_equals_its_projects_records(people, records):
    north = [p.pk for p in records[:4]]
    assert _report(people["region_sup"]) == _by_hand(north)


def test_filtered_report_equals_its_projects_records(people, records):
    low = [p.pk for p in records if p.voltage_level == "0.4kV"]
    params = selectors.ReportParams(date_from=PERIOD.date_from, date_to=PERIOD.date_to, voltage_level="0.4kV")
    assert len(low) == 2
    assert _report(people["executive"], params) == _by_hand(low)


# --- the plan on SQLite ------------------------------------------------------------------------

# sqlite_stat1 rows of projects_stagerecord as ANALYZE writes them on the full-scale bench
# (bench/run_projects.py: 200,000 stage records, 20,000 projects).
BENCH_STATS = {
    "stage_cycle_cover_idx": "200000 22223 646 474 3 2 2 1",
    "stage_warn_scan_idx": "200000 296 296 223",
    "stage_esc_scan_idx": "200000 296 295 11",
    "projects_stagerecord_project_id_d8ead793": "200000 10",
    "projects_stagerecord_owner_id_f3041cf0": "200000 9524",
    "projects_stagerecord_completed_by_id_be294fe6": "200000 200000",
}


def _plan(user) -> str:
    base = selectors.report_base(user, PERIOD)
    sql, params = selectors.stage_groups(base, PERIOD).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def _load_bench_statistics():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # creates sqlite_stat1 (rolled back with the test)
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'projects_stagerecord'")
        for index, stat in BENCH_STATS.items():
            cursor.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('projects_stagerecord', %s, %s)",
                           [index, stat])
        cursor.execute("ANALYZE sqlite_schema")  # the planner reloads the statistics


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
@pytest.mark.parametrize("statistics", ["none", "bench"])
def test_sqlite_scans_the_covering_index_in_group_order(people, records, statistics):
    if statistics == "bench":
        _load_bench_statistics()
    plan = _plan(people["executive"])
    assert "USING COVERING INDEX stage_cycle_cover_idx" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
@pytest.mark.parametrize("who", ["executive", "region_sup", "tracker"])
def test_sqlite_reads_the_project_histograms_from_their_covering_index(people, records, who):
    """The four grouped project queries (month, unit, voltage, type) read proj_cycle_cover_idx
    alone — the scope's columns included — for the company, a region and a tracker."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        selectors.cycle_time_report(people[who], PERIOD)
    grouped = [q["sql"] for q in ctx.captured_queries
               if 'FROM "projects_project"' in q["sql"] and "GROUP BY" in q["sql"]
               and "projects_stagerecord" not in q["sql"]]
    assert len(grouped) == 4
    with connection.cursor() as cursor:
        for sql in grouped:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING COVERING INDEX proj_cycle_cover_idx" in plan, plan
