"""The embedded database's connection settings (settings.py): write-ahead log, normal sync, a busy
timeout, and temporary storage in memory — the statement journal of a write on a table with
triggers (the customer name's search grams) stays out of a temporary file."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's pragmas")]


def test_every_connection_gets_the_pragmas():
    with connection.cursor() as cursor:
        got = {}
        for name in ("synchronous", "busy_timeout", "temp_store"):
            cursor.execute(f"PRAGMA {name}")
            got[name] = cursor.fetchone()[0]
    assert got == {"synchronous": 1, "busy_timeout": 5000, "temp_store": 2}  # NORMAL, 5 s, MEMORY
