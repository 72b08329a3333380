"""Sending an outage's notices takes a constant number of queries whatever the number of customers
and contacts (issue #11: 5.5 s for 150 contacts when every notice, delivery, call task and
timeline event was written on its own)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from powerkam.core.models import Task
from powerkam.customers.models import TimelineEvent
from powerkam.service.outages import services
from powerkam.service.outages.models import OutageDelivery, OutageNotice
from tests.factories import ContactFactory, CustomerFactory, SupplyLineFactory, SupplyPointFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 23, 9, 0))


def notify_line_of(n, grid, manager, commit):
    line = SupplyLineFactory(substation=grid["sub"])
    for i in range(n):
        customer = CustomerFactory(org_unit=grid["sub"].org_unit, is_key_account=i % 2 == 0,
                                   primary_manager=manager if i % 2 == 0 else None)
        ContactFactory(customer=customer, mobile=f"1390000{i:04d}", email=f"c{i}@example.com")
        ContactFactory(customer=customer, mobile="", email="")
        SupplyPointFactory(customer=customer, supply_line=line)
    start = NOW + timedelta(days=10)
    outage = services.create_outage(substation=grid["sub"], supply_lines=[line], starts_at=start,
                                    ends_at=start + timedelta(hours=8), reason="检修")
    with commit(), CaptureQueriesContext(connection) as ctx:
        result = services.notify_outage(outage, actor=manager, now=NOW)
    assert (result.notices, result.deliveries, result.call_tasks, result.queued) == (n, 2 * n, (n + 1) // 2, 0)
    return outage, len(ctx.captured_queries)


def test_notify_takes_constant_queries(grid, make_staff, commit):
    manager = make_staff("manager", grid["sub"].org_unit)
    _outage, small = notify_line_of(2, grid, manager, commit)
    outage, large = notify_line_of(12, grid, manager, commit)
    assert small == large
    # every record is there and audited as before
    notices = OutageNotice.objects.filter(outage=outage)
    assert notices.count() == 12 and all(n.history.count() == 1 for n in notices)
    assert notices.filter(call_task__isnull=False).count() == 6
    assert set(OutageNotice.history.filter(id__in=notices.values("pk")).values_list("history_user_id", flat=True)) == {
        manager.pk}
    assert OutageDelivery.objects.filter(notice__outage=outage, status="sent").count() == 24
    assert TimelineEvent.objects.filter(kind="outage.notified", customer__outage_notices__outage=outage).count() == 12
    calls = Task.objects.filter(key__startswith=f"outage:{outage.pk}:call:")
    assert calls.count() == 6 and all(t.history.count() == 1 for t in calls)
    assert set(calls.values_list("created_by", flat=True)) == {manager.pk}
