"""Demo outages on the busiest supply lines: three past ones with their notice reports (one a
late notice approved by a supervisor), one upcoming draft to try "send notices" on, one
upcoming notified. Deterministic per seed.

    load_demo(seed=1, today=date(2026, 11, 23))
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.core.notify import LoggingSmsGateway
from powerkam.customers.models import SupplyLine
from powerkam.org.models import Role, Staff

from . import constants as c
from .models import OutageNotice
from .services import acknowledge, create_outage, notify_outage

PLAN = (
    # (days from today, hours long, kind, reason, notified days before start or None for a draft)
    (-75, 8, c.OutageKind.PLANNED, "10kV线路检修，更换柱上开关", 9),
    (-40, 6, c.OutageKind.PLANNED, "变电站10kV母线预防性试验", 3),  # late: supervisor override
    (-12, 4, c.OutageKind.TEMPORARY, "线路消缺，处理绝缘子缺陷", 2),
    (8, 9, c.OutageKind.PLANNED, "配网自动化改造，线路停电施工", 10),
    (12, 6, c.OutageKind.PLANNED, "迁改线路配合道路施工", None),
)


def _at(d: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(hour, 0)))


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    rng = random.Random(seed * 104729 + 5)
    busy = list(SupplyLine.objects.annotate(n=Count("supply_points")).filter(n__gt=0)
                .select_related("substation").order_by("-n", "pk")[:12])
    if not busy:
        return {"outages": 0, "notices": 0}
    supervisor = Staff.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    clerk = Staff.objects.filter(role=Role.CLERK, is_active=True).order_by("pk").first() or supervisor
    counts = {"outages": 0, "notices": 0, "missed": 0}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for i, (days, hours, kind, reason, notified_before) in enumerate(PLAN):
            line = busy[i % len(busy)]
            lines = [line]
            siblings = [x for x in busy if x.substation_id == line.substation_id and x.pk != line.pk]
            if i == 3 and siblings:
                lines.append(siblings[0])
            start = _at(today + timedelta(days=days), rng.choice((7, 8, 9)))
            outage = create_outage(substation=line.substation, supply_lines=lines, starts_at=start,
                                   ends_at=start + timedelta(hours=hours), reason=reason, kind=kind, actor=clerk)
            counts["outages"] += 1
            if notified_before is None:
                continue
            sent = start - timedelta(days=notified_before, hours=-1)
            late = sent > outage.notice_deadline
            result = notify_outage(outage, actor=supervisor if late else clerk, now=sent,
                                   override_reason="设备缺陷危及安全运行，经主管批准缩短通知期" if late else "")
            counts["notices"] += result.notices
            counts["missed"] += result.missed
            if days < 0:  # past: most acknowledged, call tasks done
                for notice in OutageNotice.objects.filter(outage=outage).select_related("customer", "outage"):
                    roll = rng.random()
                    if notice.missed_reason or roll < 0.15:
                        continue
                    when = sent + timedelta(hours=rng.randint(1, 48))
                    if notice.call_task_id and notice.customer.primary_manager_id:
                        acknowledge(notice, method=c.AckMethod.PHONE, actor=notice.customer.primary_manager,
                                    note="已电话告知，客户已安排错峰生产", now=when)
                    else:
                        acknowledge(notice, method=c.AckMethod.LINK, now=when)
                for task in Task.objects.filter(key__startswith=f"outage:{outage.pk}:call:", status=Task.Status.OPEN):
                    workqueue.close_task(task, by=task.assignee, result="已电话通知")
    LoggingSmsGateway.outbox.clear()
    if log:
        log(f"outages: {counts['outages']} outages, {counts['notices']} notices, {counts['missed']} missed")
    return counts
