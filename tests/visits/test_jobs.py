"""The nightly job is registered with the scheduler and reachable as a command."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from powerkam.core import jobs
from powerkam.service.visits.models import Visit

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_job_is_registered_and_idempotent(key_account):
    key_account()
    assert "visit_plans" in jobs.JOBS
    first = jobs.run_job("visit_plans", TODAY)
    second = jobs.run_job("visit_plans", TODAY)
    assert first["plans"]["created"] == 1 and second["plans"]["created"] == 0
    assert Visit.objects.count() == 1


def test_command_with_date(key_account):
    key_account()
    out = StringIO()
    call_command("generate_visit_plans", "--date", "2026-11-23", stdout=out)
    assert "'created': 1" in out.getvalue()
    assert Visit.objects.get().due_on == date(2026, 12, 7)  # never visited: 14 days later
    with pytest.raises(CommandError):
        call_command("generate_visit_plans", "--date", "23/11/2026")


def test_demo_loader_and_generator(key_account, team):
    from powerkam.service.visits import demo

    for _i in range(5):
        key_account()
    counts = demo.load_demo(seed=3, today=TODAY)
    assert counts["key_accounts"] == 5 and counts["past_visits"] > 5
    assert Visit.objects.filter(status="planned", source="cycle").count() == 5  # one open regular visit each
    assert demo.load_demo(seed=3, today=TODAY) == {"skipped": "visits already exist"}
    before = Visit.objects.count()
    assert demo.generate(500, seed=1, today=TODAY) == 500
    assert Visit.objects.count() == before + 500
