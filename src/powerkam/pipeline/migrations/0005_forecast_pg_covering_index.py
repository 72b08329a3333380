"""The forecast's grouped reads from one covering index on PostgreSQL (issue #13): the open
opportunities grouped by (close month, unit, owner, kind) and the closed ones by (kind, owner,
stage, loss reason), each an index-only scan of their stages' entries instead of a scan of the
table (whose rows carry titles, names and addresses the groupings never read); the board's count
and sums per stage read it too. Led by the stage, so a list of stages, a region's units or one
unit narrows the scan. SQLite has its own covering indexes (pipeline.sqlite_indexes); Django's
`Index(include=...)` would create a different, narrower index there, hence SQL for PostgreSQL only."""

from django.db import migrations

INDEX = "opp_forecast_pg_idx"
CREATE = (f"CREATE INDEX IF NOT EXISTS {INDEX} ON pipeline_opportunity "
          "(stage_id, org_unit_id, owner_id, kind_id, close_on) "
          "INCLUDE (expected_annual_revenue_yuan, probability, expected_kva, expected_annual_kwh, loss_reason, "
          "cycle_days)")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("pipeline", "0004_pipesql_board_forecast_indexes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
