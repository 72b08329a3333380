"""Demo outages: past outages with reports, an upcoming draft; deterministic."""

from datetime import date

import pytest
from django.core.management import call_command

from powerkam.customers.demo import load_demo as load_company
from powerkam.service.outages.demo import load_demo
from powerkam.service.outages.models import Outage, OutageDelivery, OutageNotice

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def test_demo_outages(django_capture_on_commit_callbacks):
    load_company(scale=150, seed=2, today=TODAY, evaluate=False)
    with django_capture_on_commit_callbacks(execute=True):  # the sends, as after each real commit
        counts = load_demo(seed=1, today=TODAY)
    assert counts["outages"] == 5 and counts["notices"] > 0
    assert Outage.objects.filter(status="draft").count() == 1
    assert Outage.objects.exclude(late_override_reason="").count() == 1
    past = Outage.objects.filter(starts_at__date__lt=TODAY, status="notified")
    assert past.count() == 3
    assert OutageNotice.objects.filter(outage__in=past, acknowledged_at__isnull=False).exists()
    # every message was handed over after its commit: delivered records, none left queued
    assert OutageDelivery.objects.filter(status="sent", sent_at__isnull=False).exists()
    assert not OutageDelivery.objects.filter(status="queued").exists()


def test_demo_command_needs_customers():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo_outages", verbosity=0)
