"""Demo data for visits: about two years of visits for the demo key accounts (each at its tier's
interval, mostly on time, some late, a few overdue), the upcoming plans (through the real plan
service), one must-visit occasion, care records with birthdays for key-account primary contacts,
then the overdue escalation. Deterministic for a seed and a day; bulk inserts.

`generate(n, seed)` writes `n` done visits fast for the benchmark (bench/), spread over every
customer: no tasks, no history, no timeline — raw volume for the page and job timings.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from powerkam.customers.constants import LifecycleStatus
from powerkam.customers.models import Contact, Customer, TimelineEvent

from . import constants as c
from . import services
from .models import CareRecord, Visit

BATCH = 5000
HISTORY_DAYS = 730
OVERDUE_SHARE = 0.06

FINDINGS = (
    "设备运行正常，配电房整洁", "2号变压器温升偏高，建议检查散热", "电容补偿装置部分投切异常，功率因数偏低",
    "客户新上一条生产线，负荷增长明显", "进线柜接地线松动，已现场告知", "客户反映电费账单看不懂，已逐项解释",
    "峰谷用电比例可优化，建议调整生产班次", "备用电源切换试验正常", "客户计划明年扩建厂房",
    "客户对抢修响应速度满意", "配电室防小动物措施不到位，已提醒整改", "客户咨询光伏并网政策",
)
NEEDS = (
    "", "", "希望办理增容", "希望了解峰谷分时电价", "需要电能质量检测", "希望减容以降低基本电费",
    "申请电费账单电子化", "希望提前获知计划停电安排", "咨询需量计费方式变更",
)
CARE = (
    (c.CareKind.GREETING, "春节前上门慰问，送去新春祝福"),
    (c.CareKind.GREETING, "中秋节电话问候"),
    (c.CareKind.HELP, "协助客户完成配电房安全隐患排查"),
    (c.CareKind.HELP, "协助办理峰谷分时电价变更手续"),
    (c.CareKind.HELP, "迎峰度夏前协助检查备用电源"),
)


def _noon(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(10, 0)))


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    """Visits, plans, occasion and care records for the demo company (skips if visits exist)."""
    log = log or (lambda msg: None)
    if Visit.objects.exists():
        return {"skipped": "visits already exist"}
    from powerkam.credit.selectors import low_credit_customer_ids

    rng = random.Random(seed)
    table = services.interval_table()
    low = low_credit_customer_ids()
    kas = list(Customer.objects.filter(is_key_account=True, lifecycle_status=LifecycleStatus.ACTIVE,
                                       primary_manager__isnull=False)
               .order_by("pk").values_list("pk", "name", "org_unit_id", "primary_manager_id", "secondary_manager_id",
                                           "ka_tier", "opened_on"))
    start = today - timedelta(days=HISTORY_DAYS)
    visits: list[Visit] = []
    overdue: list[Visit] = []
    events: list[TimelineEvent] = []
    joins: list[tuple[int, int]] = []  # (visit index, staff id) participants
    for pk, _name, unit, manager, second, tier, opened in kas:
        months = services.interval_months(tier, pk in low, table)
        first = max(start, opened or start) + timedelta(days=rng.randrange(0, 28 * months))
        due = first
        while due < today - timedelta(days=3):
            if services.add_months(due, months) >= today and rng.random() < OVERDUE_SHARE:
                overdue.append(Visit(customer_id=pk, org_unit_id=unit, assignee_id=manager, source=c.VisitSource.CYCLE,
                                     purpose=f"定期走访（每{months}个月）", due_on=due, planned_on=due))
                break
            done = due + timedelta(days=rng.choice((-9, -6, -4, -3, -2, -1, 0, 0, 0, 1, 3, 8, 15)))
            done = min(done, today - timedelta(days=1))
            findings, needs = rng.choice(FINDINGS), rng.choice(NEEDS)
            visits.append(Visit(customer_id=pk, org_unit_id=unit, assignee_id=manager, source=c.VisitSource.CYCLE,
                                purpose=f"定期走访（每{months}个月）", due_on=due, planned_on=due,
                                status=c.VisitStatus.DONE, done_on=done, findings=findings, customer_needs=needs,
                                recorded_by_id=manager, recorded_at=_noon(done), created_at=_noon(due - timedelta(days=30))))
            joins.append((len(visits) - 1, manager))
            if second and rng.random() < 0.4:
                joins.append((len(visits) - 1, second))
            events.append(TimelineEvent(customer_id=pk, kind="visit.done", title="走访完成（定期走访计划）",
                                        detail=f"发现：{findings}" + (f"\n客户需求：{needs}" if needs else ""),
                                        actor_id=manager, occurred_at=_noon(done)))
            due = services.add_months(done, months)
    with transaction.atomic():
        for i in range(0, len(visits), BATCH):
            Visit.objects.bulk_create(visits[i:i + BATCH], batch_size=BATCH)
        Through = Visit.participants.through
        Through.objects.bulk_create([Through(visit_id=visits[i].pk, staff_id=s) for i, s in joins], batch_size=BATCH)
        TimelineEvent.objects.bulk_create(events, batch_size=BATCH)
        names = {pk: name for pk, name, *_rest in kas}
        made_overdue = services._insert_visits(overdue, names, None)
    log(f"  {len(visits):,} past visits, {made_overdue} overdue")
    plans = services.generate_plans(today)
    log(f"  plans: {plans}")
    occasion = services.declare_occasion(
        name="2027年元旦春节保供电走访", kind=c.OccasionKind.HOLIDAY, starts_on=today + timedelta(days=20),
        ends_on=today + timedelta(days=50), tiers=["premium"], today=today,
        notes="重要节日必访（客户关系管理办法）：节前检查客户配电设施，落实保供电措施。")
    # Care: birthdays for key-account primary contacts that have none (demo only), and some records.
    contacts = list(Contact.objects.filter(customer_id__in=[k[0] for k in kas], is_primary=True, birthday__isnull=True)
                    .order_by("pk"))
    for ct in contacts:
        ct.birthday = date(rng.randint(1965, 1992), 1, 1) + timedelta(days=rng.randrange(0, 365))
    Contact.objects.bulk_update(contacts, ["birthday"], batch_size=BATCH)
    by_customer = {ct.customer_id: ct for ct in contacts}
    care, care_events = [], []
    for pk, _name, _unit, manager, _second, _tier, _opened in kas:
        for _k in range(rng.choice((0, 1, 1, 2, 3))):
            kind, summary = rng.choice(CARE)
            day = today - timedelta(days=rng.randrange(1, HISTORY_DAYS))
            ct = by_customer.get(pk) if kind == c.CareKind.GREETING else None
            care.append(CareRecord(customer_id=pk, kind=kind, contact=ct, occurred_on=day, summary=summary, by_id=manager))
            care_events.append(TimelineEvent(customer_id=pk, kind=f"care.{kind}", title=str(c.CareKind(kind).label),
                                             detail=summary, actor_id=manager, occurred_at=_noon(day)))
    CareRecord.objects.bulk_create(care, batch_size=BATCH)
    TimelineEvent.objects.bulk_create(care_events, batch_size=BATCH)
    escalation = services.escalate_overdue(today)
    return {"key_accounts": len(kas), "past_visits": len(visits), "overdue": made_overdue,
            "planned": plans["created"], "occasion_visits": occasion.visits.count(), "care_records": len(care),
            "birthdays_set": len(contacts), "escalated": escalation["escalated"]}


def generate(n: int, seed: int = 1, *, today: date | None = None) -> int:
    """Write `n` done visits over every customer in the last two years (benchmark volume)."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
    customers = list(Customer.objects.exclude(primary_manager__isnull=True).order_by("pk")
                     .values_list("pk", "org_unit_id", "primary_manager_id"))
    if not customers:
        return 0
    made = 0
    now = timezone.now()
    while made < n:
        batch = []
        for _i in range(min(BATCH, n - made)):
            pk, unit, manager = customers[rng.randrange(len(customers))]
            due = today - timedelta(days=rng.randrange(2, HISTORY_DAYS))
            done = min(due + timedelta(days=rng.randrange(-7, 12)), today - timedelta(days=1))
            batch.append(Visit(customer_id=pk, org_unit_id=unit, assignee_id=manager, source=c.VisitSource.CYCLE,
                               due_on=due, planned_on=due, status=c.VisitStatus.DONE, done_on=done,
                               findings=FINDINGS[made % len(FINDINGS)], created_at=now))
            made += 1
        Visit.objects.bulk_create(batch, batch_size=BATCH)
    return made


def last_visit_dates() -> dict[int, date]:
    """{customer id: last done visit} (used by the bench to check the generator)."""
    return dict(Visit.objects.filter(status=c.VisitStatus.DONE).values("customer_id").annotate(d=Max("done_on"))
                .values_list("customer_id", "d"))
