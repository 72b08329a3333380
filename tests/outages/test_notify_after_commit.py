"""Messages go out only after the notice records commit (transaction.on_commit): a rollback sends
nothing, deliveries are "queued" until sent, a notice whose every delivery failed becomes missed."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from powerkam.core.models import Task
from powerkam.core.notify import LoggingSmsGateway
from powerkam.customers.models import TimelineEvent
from powerkam.service.outages import services
from powerkam.service.outages.models import Outage, OutageDelivery, OutageNotice

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 23, 9, 0))


class BrokenGateway:
    """An SMS gateway whose every call raises (the operator is down)."""

    def send(self, mobile, text):
        raise ConnectionError("gateway unreachable")


def make(grid):
    start = NOW + timedelta(days=10)
    return services.create_outage(substation=grid["sub"], supply_lines=[grid["l1"]], starts_at=start,
                                  ends_at=start + timedelta(hours=8), reason="10kV东城一线检修")


def nothing_written_nor_sent(outage):
    assert mail.outbox == [] and len(LoggingSmsGateway.outbox) == 0
    assert OutageNotice.objects.count() == 0 and OutageDelivery.objects.count() == 0
    assert TimelineEvent.objects.filter(kind__startswith="outage.").count() == 0
    assert Task.objects.filter(kind="outage_call").count() == 0
    assert Outage.objects.get(pk=outage.pk).status == "draft"


def test_a_caller_rolling_back_after_notify_sends_nothing(grid, commit):
    outage = make(grid)
    with commit() as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            result = services.notify_outage(outage, now=NOW)
            assert result.queued == 5 and OutageDelivery.objects.filter(status="queued").count() == 5
            raise RuntimeError("something later in the caller's transaction failed")
    assert callbacks == []  # discarded with the rolled-back transaction
    nothing_written_nor_sent(outage)


def test_a_failure_at_the_end_of_notify_sends_nothing(grid, commit, monkeypatch):
    outage = make(grid)
    save = Outage.save

    def failing_save(self, *args, **kwargs):
        if self.status == "notified":
            raise RuntimeError("disk full")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Outage, "save", failing_save)
    with commit(), pytest.raises(RuntimeError, match="disk full"):
        services.notify_outage(outage, now=NOW)
    nothing_written_nor_sent(outage)


def test_deliveries_are_queued_until_the_commit_then_sent(grid, commit):
    outage = make(grid)
    with commit() as callbacks:
        result = services.notify_outage(outage, now=NOW)
        assert mail.outbox == [] and len(LoggingSmsGateway.outbox) == 0
        assert set(OutageDelivery.objects.values_list("status", flat=True)) == {"queued"}
        assert not OutageDelivery.objects.filter(sent_at__isnull=False).exists()
        assert (result.deliveries, result.queued, result.reached, result.missed) == (5, 5, 3, 2)
    assert len(callbacks) == 1  # one callback sends the whole batch
    assert len(mail.outbox) == 3 and len(LoggingSmsGateway.outbox) == 2
    assert set(OutageDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert not OutageDelivery.objects.filter(sent_at__isnull=True).exists()
    assert (result.queued, result.failed_deliveries, result.reached, result.missed) == (0, 0, 3, 2)
    # the link sent is the one whose hash was stored
    link = result.links[grid["twice"].pk]
    assert any(link in m.body for m in mail.outbox)
    assert services.notice_for_token(link.rstrip("/").rsplit("/", 1)[1]).customer == grid["twice"]


def test_all_deliveries_failed_makes_the_notice_missed_after_the_commit(grid, commit, settings):
    settings.POWERKAM_SMS_GATEWAY = f"{__name__}.BrokenGateway"
    outage = make(grid)
    with commit():
        result = services.notify_outage(outage, now=NOW)
        assert OutageNotice.objects.get(customer=grid["backup"]).missed_reason == ""
    # 丙医院 has only a mobile: its one SMS failed, so it was not reached; 甲钢铁 lost an SMS but got e-mails.
    assert (result.reached, result.missed, result.failed_deliveries, result.queued) == (2, 3, 2, 0)
    notice = OutageNotice.objects.get(customer=grid["backup"])
    assert notice.missed_reason == "failed"
    assert notice.history.first().missed_reason == "failed"
    failed = OutageDelivery.objects.get(notice=notice)
    assert failed.status == "failed" and failed.sent_at is None and "gateway unreachable" in failed.error
    assert OutageNotice.objects.get(customer=grid["a"]).missed_reason == ""
    assert OutageDelivery.objects.filter(customer=grid["a"], status="sent").count() == 2
    event = TimelineEvent.objects.get(kind="outage.missed")
    assert event.customer == grid["backup"] and "Every delivery failed" in event.detail
    assert len(mail.outbox) == 3


def test_a_crash_between_commit_and_send_leaves_deliveries_queued_and_the_report_says_so(
        grid, login, make_staff, org_tree):
    outage = make(grid)
    services.notify_outage(outage, now=NOW)  # the on_commit callback never runs: as if the process died
    assert mail.outbox == [] and OutageDelivery.objects.filter(status="queued").count() == 5
    html = login(make_staff("supervisor", org_tree["north"])).get(
        reverse("outages:detail", args=[outage.pk])).content.decode()
    assert 'id="sum-queued">5<' in html and "Queued" in html


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_sends_finish_before_notify_returns(grid, settings, login, make_staff, org_tree):
    """As in production (no ATOMIC_REQUESTS): the callback runs as notify_outage's own atomic block
    exits, so the page's success message already counts the customer whose every delivery failed."""
    settings.POWERKAM_SMS_GATEWAY = f"{__name__}.BrokenGateway"
    outage = make(grid)
    outage.starts_at, outage.ends_at = timezone.now() + timedelta(days=10), timezone.now() + timedelta(days=11)
    outage.save()
    response = login(make_staff("supervisor", org_tree["north"])).post(
        reverse("outages:notify", args=[outage.pk]), follow=True)
    assert "2 customers reached, 3 missed, 1 personal calls assigned" in response.content.decode()
    assert not OutageDelivery.objects.filter(status="queued").exists()
    assert OutageNotice.objects.get(customer=grid["backup"]).missed_reason == "failed"
