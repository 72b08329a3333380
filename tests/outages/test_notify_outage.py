"""An outage on one line notifies exactly that line's customers; advance notice; missed report."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from powerkam.core.models import Task
from powerkam.core.notify import LoggingSmsGateway
from powerkam.customers.models import TimelineEvent
from powerkam.service.outages import services
from powerkam.service.outages.models import Outage, OutageDelivery, OutageNotice

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 11, 23, 9, 0))


def make(grid, *, lines=("l1",), days_ahead=10, kind="planned", actor=None):
    start = NOW + timedelta(days=days_ahead)
    return services.create_outage(substation=grid["sub"], supply_lines=[grid[x] for x in lines], starts_at=start,
                                  ends_at=start + timedelta(hours=8), reason="10kV东城一线检修", kind=kind, actor=actor)


def test_impact_of_one_line_is_exactly_its_customers(grid, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = sorted(c.name for c in services.affected_customers([grid["l1"].pk]))
    # main-supply customers of L1, the backup-only hospital (its backup source is out too),
    # the customer with two supply points once; not the closed customer, not L2-only or unlinked ones.
    assert names == sorted(["甲钢铁", "丙医院", "丁化工", "戊商场", "己学校"])
    assert sorted(c.name for c in services.affected_customers([grid["l2"].pk])) == sorted(["乙食品", "丙医院"])


def test_notify_sends_to_every_contact_and_records_each_delivery(grid, make_staff, org_tree, commit):
    clerk = make_staff("clerk", org_tree["s1"])
    outage = make(grid, actor=clerk)
    with commit():
        result = services.notify_outage(outage, actor=clerk, now=NOW)
    assert (result.notices, result.reached, result.missed, result.call_tasks) == (5, 3, 2, 1)
    notices = {n.customer.name: n for n in OutageNotice.objects.filter(outage=outage).select_related("customer")}
    assert set(notices) == {"甲钢铁", "丙医院", "丁化工", "戊商场", "己学校"}
    deliveries = sorted((d.customer.name, d.channel, d.address, d.status)
                        for d in OutageDelivery.objects.select_related("customer"))
    assert deliveries == sorted([
        ("甲钢铁", "email", "a@example.com", "sent"), ("甲钢铁", "sms", "13900000001", "sent"),
        ("甲钢铁", "email", "boss-a@example.com", "sent"),
        ("丙医院", "sms", "13900000003", "sent"), ("丁化工", "email", "d@example.com", "sent"),
    ])
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "boss-a@example.com", "d@example.com"]
    assert sorted(m.mobile for m in LoggingSmsGateway.outbox) == ["13900000001", "13900000003"]
    assert "13900000002" not in [m.mobile for m in LoggingSmsGateway.outbox]  # L2 customer not told
    assert all(d.sent_at for d in OutageDelivery.objects.all())
    assert notices["戊商场"].missed_reason == "no_contact"
    assert notices["己学校"].missed_reason == "no_address"
    assert notices["丙医院"].supply_points == "备用(Backup supply)"
    assert notices["丁化工"].supply_points == "1号电源(Main supply)、2号电源(Main supply)"
    outage.refresh_from_db()
    assert outage.status == "notified" and outage.notified_at == NOW and outage.notified_by == clerk
    # one timeline event per affected customer
    assert TimelineEvent.objects.filter(kind="outage.notified").count() == 5
    assert TimelineEvent.objects.filter(kind="outage.notified", customer=grid["b"]).count() == 0
    # one personal call for the key account, to its primary manager, before the outage starts
    task = Task.objects.get(kind="outage_call")
    assert (task.assignee, task.customer, task.key) == (grid["manager"], grid["a"], f"outage:{outage.pk}:call:{grid['a'].pk}")
    assert task.due_at == outage.starts_at - timedelta(hours=1)
    assert notices["甲钢铁"].call_task == task
    # the link in the message acknowledges
    assert result.links[grid["a"].pk] in mail.outbox[0].body or any(result.links[grid["a"].pk] in m.body for m in mail.outbox)


def test_notify_twice_is_refused(grid, commit):
    outage = make(grid)
    with commit():
        services.notify_outage(outage, now=NOW)
    sent = len(mail.outbox)
    with commit(), pytest.raises(ValidationError, match="already been notified"):
        services.notify_outage(outage, now=NOW)
    assert OutageNotice.objects.count() == 5 and len(mail.outbox) == sent


@pytest.mark.parametrize("days_ahead,late", [(7, False), (6.99, True), (3, True)])
def test_planned_notice_needs_seven_days(grid, days_ahead, late, commit):
    outage = make(grid, days_ahead=days_ahead)
    if not late:
        with commit():
            assert services.notify_outage(outage, now=NOW).late is False
        return
    with commit(), pytest.raises(ValidationError) as exc:
        services.notify_outage(outage, now=NOW)
    assert "7 days" in str(exc.value)
    assert OutageNotice.objects.count() == 0 and mail.outbox == [] and len(LoggingSmsGateway.outbox) == 0
    assert Outage.objects.get(pk=outage.pk).status == "draft"


def test_late_notice_override_needs_a_supervisor_and_a_reason(grid, make_staff, org_tree, commit):
    outage = make(grid, days_ahead=2)
    clerk = make_staff("clerk", org_tree["s1"])
    supervisor = make_staff("supervisor", org_tree["north"])
    with pytest.raises(ValidationError, match="Only a supervisor"):
        services.notify_outage(outage, actor=clerk, override_reason="设备缺陷必须尽快处理", now=NOW)
    with pytest.raises(ValidationError, match="7 days"):
        services.notify_outage(outage, actor=supervisor, override_reason="  ", now=NOW)
    assert OutageNotice.objects.count() == 0
    with commit():
        result = services.notify_outage(outage, actor=supervisor, override_reason="设备缺陷必须尽快处理", now=NOW)
    assert result.late and result.notices == 5
    outage.refresh_from_db()
    assert (outage.late_override_reason, outage.late_override_by) == ("设备缺陷必须尽快处理", supervisor)
    audit = outage.history.first()
    assert audit.history_user == supervisor and audit.late_override_reason == "设备缺陷必须尽快处理"


def test_temporary_maintenance_needs_24_hours_and_emergency_none(grid, commit):
    with commit():
        assert services.notify_outage(make(grid, kind="temporary", days_ahead=1), now=NOW).late is False
    with pytest.raises(ValidationError, match="24 hours"):
        services.notify_outage(make(grid, kind="temporary", days_ahead=0.5, lines=("l2",)), now=NOW)
    emergency = make(grid, kind="emergency", days_ahead=0.01, lines=("l2",))
    with commit():
        assert services.notify_outage(emergency, now=NOW).late is False


def test_acknowledge_by_link_and_by_phone(grid, make_staff, org_tree, client, commit):
    outage = make(grid)
    with commit():
        result = services.notify_outage(outage, now=NOW)
    link = result.links[grid["twice"].pk]
    path = urlsplit(link).path  # the host is the one the server runs on (HOST/PORT), whatever it is
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 200 and b'data-result="done"' in response.content
    notice = OutageNotice.objects.get(customer=grid["twice"])
    assert notice.ack_method == "link" and notice.acknowledged_at
    first = notice.acknowledged_at
    client.post(path)
    notice.refresh_from_db()
    assert notice.acknowledged_at == first  # the first acknowledgement counts
    tampered = path.replace(path.split("/")[-2][:3], "xyz", 1)
    assert client.get(tampered).status_code == 404

    manager = grid["manager"]
    key_notice = OutageNotice.objects.get(customer=grid["a"])
    services.acknowledge(key_notice, method="phone", actor=manager, note="已电话告知张工")
    key_notice.refresh_from_db()
    assert (key_notice.ack_method, key_notice.acknowledged_by, key_notice.ack_note) == ("phone", manager, "已电话告知张工")
    assert Task.objects.get(kind="outage_call").status == "done"
    assert TimelineEvent.objects.filter(kind="outage.acknowledged").count() == 2


def test_unlinked_supply_points_are_a_separate_gap_list(grid):
    outage = make(grid)
    assert [p.customer.name for p in services.unlinked_supply_points(outage)] == ["辛物流"]
