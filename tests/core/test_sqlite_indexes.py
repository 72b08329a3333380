"""The SQLite-only indexes (core.sqlite_indexes) survive a table rebuild: `migrate` puts them back."""

import pytest
from django.core.management import call_command
from django.db import connection

from powerkam.billing import sqlite_indexes as billing_indexes
from powerkam.billing.models import Bill
from powerkam.consumption import sqlite_indexes as consumption_indexes
from powerkam.consumption.models import DailyAggregate
from powerkam.core.sqlite_indexes import _normal, ensure_all
from powerkam.pipeline import sqlite_indexes as pipeline_indexes
from powerkam.pipeline.models import Opportunity

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the indexes are SQLite's")
GROUPS = (billing_indexes.OPEN_BILLS, billing_indexes.GROUP, consumption_indexes.WATCH, pipeline_indexes.GROUP)


def stored(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
        return {name: _normal(sql or "") for name, sql in cursor.fetchall()}


@pytest.mark.django_db
def test_the_migrations_made_every_index_as_declared():
    assert ensure_all(connection) == []
    for group in GROUPS:
        have = stored(group.table)
        assert all(have[name] == _normal(group.statement(name)) for name in group.indexes)


@pytest.mark.django_db(transaction=True)
def test_a_table_rebuild_loses_them_and_migrate_puts_them_back():
    with connection.schema_editor() as editor:  # what Django does for some ALTERs on SQLite
        editor._remake_table(Bill)
        editor._remake_table(Opportunity)
        editor._remake_table(DailyAggregate)
    for group in GROUPS:
        assert not set(group.indexes) & set(stored(group.table))

    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate checks the indexes

    for group in GROUPS:
        have = stored(group.table)
        assert all(have.get(name) == _normal(group.statement(name)) for name in group.indexes)
    assert ensure_all(connection) == []


def test_an_older_spelling_of_the_same_index_is_kept():
    old = ("CREATE INDEX IF NOT EXISTS opp_stage_sums_sqlite_idx ON pipeline_opportunity (stage_id, kind_id, "
           "owner_id, loss_reason, org_unit_id, expected_annual_revenue_yuan, probability, cycle_days)")
    assert _normal(old) == _normal(pipeline_indexes.GROUP.statement("opp_stage_sums_sqlite_idx"))
