"""Two covering indexes for the board and the forecast on the embedded database (SQLite), issue #13.

SQLite has no hash aggregate: a GROUP BY that no index delivers in order sorts every input row in a
temporary b-tree, and an index that is not covering costs a table lookup per row. At 50,000
opportunities the forecast's grouped reads spent most of their time so (the open ones 145 ms, the
closed ones 100 ms, the board's sums per stage 100 ms — SQLite chose an index on the stage and then
read 33,000 rows one by one, slower than reading the table). These indexes hold every column those
reads need, in the order of their GROUP BY:

- `opp_open_month_sqlite_idx` — the forecast's open opportunities grouped by (unit, owner, kind,
  close month): the month is the index's expression `date(close_on, 'start of month')`, exactly the
  SQL of `core.dbfunctions.MonthStart` on SQLite, so SQLite reads the groups in order from the index
  alone (a region's units are its leading column);
- `opp_stage_sums_sqlite_idx` — the board's count and sums per stage and the forecast's closed
  opportunities grouped by (kind, owner, stage, loss reason) for a list of stages.

PostgreSQL groups by hashing and has neither; the forecast's grouped reads have their own covering
index there (`opp_forecast_pg_idx`, pipeline 0005). Created by migration
pipeline 0004 and kept by core.sqlite_indexes (put back after every `migrate` if a SQLite table
rebuild lost them).
"""

from __future__ import annotations

from powerkam.core.sqlite_indexes import SqliteIndexes, register

GROUP = register(SqliteIndexes(
    table="pipeline_opportunity",
    migration=("pipeline", "0004_pipesql_board_forecast_indexes"),
    indexes={
        "opp_open_month_sqlite_idx": (
            "org_unit_id", "owner_id", "kind_id", "date(close_on, 'start of month')", "stage_id", "close_on",
            "expected_annual_revenue_yuan", "probability", "expected_kva", "expected_annual_kwh"),
        "opp_stage_sums_sqlite_idx": (
            "stage_id", "kind_id", "owner_id", "loss_reason", "org_unit_id", "expected_annual_revenue_yuan",
            "probability", "cycle_days"),
    },
))
TABLE, INDEXES = GROUP.table, GROUP.indexes
create, drop, ensure = GROUP.create, GROUP.drop, GROUP.ensure
