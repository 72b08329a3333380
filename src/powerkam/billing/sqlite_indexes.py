"""The bill indexes the models do not declare, as they are on SQLite; kept by core.sqlite_indexes
(put back after every `migrate` if a SQLite table rebuild lost them).

- `bill_open_customer_idx` (billing 0006, database-only): a customer's open bills (arrears); on
  PostgreSQL it includes the summed columns, SQLite builds the partial index without them;
- `bill_customer_period_cover_idx`: PostgreSQL's (customer, period) INCLUDE index (billing 0006),
  rebuilt by billing 0008 on SQLite with the included columns as trailing key columns (SQLite has
  no INCLUDE) — issue #15, the KPI scorecard of a 50-person unit; decision record 0016;
- `bill_customer_due_cover_idx` (billing 0008): the bills due in a month of a team's customers,
  read from the index alone.
"""

from __future__ import annotations

from powerkam.core.sqlite_indexes import SqliteIndexes, register

COVER_COLUMNS = ("customer_id", "period", "status", "kwh", "total", "energy_charge", "basic_charge",
                 "pf_adjustment", "surcharges", "paid_amount", "due_on")
DUE_COLUMNS = ("customer_id", "due_on", "status", "total", "paid_amount")

OPEN_BILLS = register(SqliteIndexes(
    table="billing_bill",
    migration=("billing", "0006_bill_analytics_indexes"),
    indexes={"bill_open_customer_idx": ("customer_id",)},
    where={"bill_open_customer_idx": "\"status\" = 'open'"},
))
GROUP = register(SqliteIndexes(
    table="billing_bill",
    migration=("billing", "0008_kpisql_sqlite_bill_cover_idx"),
    indexes={"bill_customer_period_cover_idx": COVER_COLUMNS, "bill_customer_due_cover_idx": DUE_COLUMNS},
))
