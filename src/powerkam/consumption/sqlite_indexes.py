"""The daily-aggregate index the model does not declare, as it is on SQLite; kept by
core.sqlite_indexes (put back after every `migrate` if a SQLite table rebuild lost it).

`cons_agg_watch_idx` (consumption 0003, database-only): the complete daily aggregates by day, for
the nightly anomaly scan; PostgreSQL includes the customer and the kWh total, SQLite builds the
partial index on the day without them.
"""

from __future__ import annotations

from powerkam.core.sqlite_indexes import SqliteIndexes, register

WATCH = register(SqliteIndexes(
    table="consumption_dailyaggregate",
    migration=("consumption", "0003_cons_nightly_watch_index"),
    indexes={"cons_agg_watch_idx": ("day",)},
    where={"cons_agg_watch_idx": '"complete"'},
))
