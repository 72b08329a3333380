"""Demo and bench data for tickets and complaints.

`load_demo(seed=1, today=...)`: ~1,500 realistic tickets over the last two years for the demo
company (run customers' load_demo first): every type and channel, complaints in every stage,
some overdue, some reopened after an unhappy revisit, some about a staff member. Deterministic.

`generate(n, seed)`: the same model of a ticket's life, written with bulk_create in batches,
fast enough for the bench's 300,000 tickets (no timeline events, no tasks, no escalation run).

Both simulate each ticket's stages against the real SLA table (sla.deadlines), so deadlines,
durations and SLA compliance in the analysis are consistent with the rules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_noop

from powerkam.core import workqueue
from powerkam.core.models import Task
from powerkam.core.phrases import phrase
from powerkam.customers.models import Customer, TimelineEvent
from powerkam.org.models import Role, Staff

from . import constants as c
from . import sla
from .models import Ticket, TicketEvent, TicketStage

DEMO_TICKETS = 1500
BATCH = 2000

TYPE_WEIGHTS = {
    c.TicketType.CONSULTATION: 30, c.TicketType.FAULT_REPAIR: 24, c.TicketType.SERVICE_REQUEST: 20,
    c.TicketType.COMPLAINT: 16, c.TicketType.SUGGESTION: 6, c.TicketType.PRAISE: 4,
}
CHANNEL_WEIGHTS = {
    c.Channel.PHONE: 38, c.Channel.HOTLINE_95598: 22, c.Channel.COUNTER: 12, c.Channel.WECHAT: 14,
    c.Channel.WEB: 8, c.Channel.EMAIL: 6,
}
CAUSE_WEIGHTS = {
    c.Cause.SUPPLY_RELIABILITY: 24, c.Cause.POWER_QUALITY: 16, c.Cause.BILLING: 20, c.Cause.METERING: 10,
    c.Cause.CONNECTION: 9, c.Cause.STAFF_CONDUCT: 7, c.Cause.RESPONSE_TIME: 8, c.Cause.OUTAGE_NOTICE: 4,
    c.Cause.OTHER: 2,
}
SUBJECTS = {
    c.TicketType.CONSULTATION: ("咨询分时电价执行时段", "咨询基本电费按需量计收办法", "咨询力调电费考核标准",
                                "咨询增容报装流程", "咨询电费发票开具", "咨询峰谷电价调整"),
    c.TicketType.FAULT_REPAIR: ("10kV进线开关跳闸", "专变低压侧缺相", "计量箱烧损", "用电信息采集终端离线",
                                "电缆分支箱故障", "厂区全部停电"),
    c.TicketType.SERVICE_REQUEST: ("申请暂停一台变压器", "申请变更用电联系人", "申请电能表校验",
                                   "申请更改电费缴费方式", "申请提供月度负荷曲线", "申请减容"),
    c.TicketType.COMPLAINT: ("夜间电压偏低影响生产", "本月电费异常偏高", "计划停电未提前通知",
                             "故障抢修到达超时", "营业厅工作人员态度生硬", "业扩报装进度缓慢",
                             "频繁短时停电", "电能表计量不准"),
    c.TicketType.SUGGESTION: ("建议开通微信电费账单推送", "建议增加营业厅周末服务", "建议提前一周发布停电计划"),
    c.TicketType.PRAISE: ("感谢抢修人员连夜恢复供电", "表扬客户经理上门指导节能", "感谢营业厅耐心解答"),
}
CAUSE_FOR_SUBJECT = {
    "夜间电压偏低影响生产": c.Cause.POWER_QUALITY, "本月电费异常偏高": c.Cause.BILLING,
    "计划停电未提前通知": c.Cause.OUTAGE_NOTICE, "故障抢修到达超时": c.Cause.RESPONSE_TIME,
    "营业厅工作人员态度生硬": c.Cause.STAFF_CONDUCT, "业扩报装进度缓慢": c.Cause.CONNECTION,
    "频繁短时停电": c.Cause.SUPPLY_RELIABILITY, "电能表计量不准": c.Cause.METERING,
}
RESULTS = {
    c.Stage.ACCEPT: ("已受理，已联系客户", "已受理并派单"),
    c.Stage.HANDLE: ("已答复客户，客户认可", "已现场处理完毕", "已办理完成并告知客户"),
    c.Stage.VERIFY: ("现场核实情况属实", "调取采集数据核实", "与客户电话核实"),
    c.Stage.REVIEW: ("责任认定：供电所", "审查处理方案通过", "审查认定为设备原因"),
    c.Stage.RECTIFY: ("已调整配变分接头", "已退补电费", "已对责任人批评教育并培训", "已更换计量装置"),
    c.Stage.REVISIT: ("电话回访，客户满意", "上门回访，客户认可处理结果"),
    c.Stage.ARCHIVE: ("资料齐全，已归档",),
}
UNHAPPY = "回访客户仍不满意，重新整改"
CHANNEL_LABELS = dict(c.Channel.choices)


@dataclass
class _Spec:
    ticket: Ticket
    stages: list[TicketStage] = field(default_factory=list)
    events: list[TicketEvent] = field(default_factory=list)


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@lru_cache(maxsize=200_000)
def _deadlines(ticket_type: str, stage: str, start: datetime) -> sla.Deadlines:
    return sla.deadlines(start, _rules()[(ticket_type, stage)])


@lru_cache(maxsize=1)
def _rules() -> dict[tuple[str, str], sla.SlaSpec]:
    return {(t, s): sla.rule_for(t, s) for t in c.TicketType.values for s in c.stages_for(t)}


def _intake_moment(rng: random.Random, day: date) -> datetime:
    # Mostly office hours; fault calls also at night.
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 20) if rng.random() < 0.85 else rng.randint(0, 24 * 60 - 1)
    # Round to a quarter hour so that deadlines repeat and the cache helps at bench scale.
    minutes -= minutes % 15
    return timezone.make_aware(datetime.combine(day, time(minutes // 60, minutes % 60)))


class Simulator:
    """One ticket's life: intake, then each stage taking a random share of its SLA time."""

    def __init__(self, seed: int, now: datetime, customers: list[tuple[int, int | None]],
                 staff_by_unit: dict[int | None, list[int]], all_staff: list[int], supervisors: list[int],
                 span_days: int = 730, with_events: bool = True):
        self.with_events = with_events
        self.rng = random.Random(seed * 7907 + 6)
        self.now = now
        self.customers = customers
        self.staff_by_unit = staff_by_unit
        self.all_staff = all_staff
        self.supervisors = supervisors or all_staff
        self.span_days = span_days

    def _staff(self, unit_id) -> int:
        pool = self.staff_by_unit.get(unit_id) or self.all_staff
        return self.rng.choice(pool)

    def ticket(self, i: int, number: str) -> _Spec:
        rng = self.rng
        customer_id, unit_id = rng.choice(self.customers)
        ticket_type = _pick(rng, TYPE_WEIGHTS)
        # More tickets recently (a growing service), never in the future.
        age = int(self.span_days * (rng.random() ** 1.3))
        created = _intake_moment(rng, (self.now - timedelta(days=age)).date())
        if created >= self.now:
            created = self.now - timedelta(hours=1 + rng.random() * 5)
        subject = rng.choice(SUBJECTS[ticket_type])
        first = self._staff(unit_id)
        about = None
        cause = ""
        if ticket_type == c.TicketType.COMPLAINT:
            cause = CAUSE_FOR_SUBJECT.get(subject) or _pick(rng, CAUSE_WEIGHTS)
            if cause == c.Cause.STAFF_CONDUCT or (cause == c.Cause.RESPONSE_TIME and rng.random() < 0.4):
                about = self._staff(unit_id)
        t = Ticket(number=number, customer_id=customer_id, org_unit_id=unit_id, channel=_pick(rng, CHANNEL_WEIGHTS),
                   ticket_type=ticket_type, cause=cause, subject=subject, description=subject,
                   contact_name="", contact_phone="", about_staff_id=about, first_contact_owner_id=first,
                   assignee_id=first, created_at=created, created_by_id=first,
                   created_month=timezone.localtime(created).date().replace(day=1))
        spec = _Spec(t)
        self._event(spec, kind=c.EventKind.INTAKE, actor_id=first, occurred_at=created,
                    note=CHANNEL_LABELS[t.channel])
        # A few tickets are stuck in a stage (overdue), most move on.
        stuck = rng.random() < 0.04
        flow = list(c.stages_for(ticket_type))
        moment, owner, rounds = created, first, {}
        pos = 0
        while pos < len(flow):
            stage = flow[pos]
            rounds[stage] = rounds.get(stage, 0) + 1
            d = _deadlines(ticket_type, stage, moment)
            rule = _rules()[(ticket_type, stage)]
            st = TicketStage(stage=stage, round=rounds[stage], owner_id=owner, started_at=moment, due_at=d.due_at,
                             warn_at=d.warn_at, company_at=d.company_at, deadline_provisional=d.provisional,
                             company_at_provisional=d.company_provisional,
                             sla_limit=rule.limit, sla_unit=rule.unit, sla_warn_percent=rule.warn_percent,
                             sla_company_margin=rule.company_margin)
            spec.stages.append(st)
            self._event(spec, kind=c.EventKind.STAGE_STARTED, target_id=owner, occurred_at=moment, stage=st)
            span = (d.due_at - moment).total_seconds()
            share = rng.uniform(0.05, 0.9) if rng.random() < 0.86 else rng.uniform(1.05, 2.5)
            # Whole quarter hours, so that the next stage's deadlines repeat (cached at bench scale).
            end = moment + timedelta(minutes=15 * max(1, round(span * share / 900)))
            if end >= self.now or (stuck and rng.random() < 0.5):
                break  # still open at this stage
            outcome = ""
            note = rng.choice(RESULTS[stage])
            unhappy = stage == c.Stage.REVISIT and rng.random() < 0.12 and rounds[stage] == 1
            if stage == c.Stage.REVISIT:
                outcome = c.RevisitOutcome.UNSATISFIED if unhappy else c.RevisitOutcome.SATISFIED
                note = UNHAPPY if unhappy else note
            st.completed_at, st.completed_by_id, st.result_note, st.outcome = end, owner, note, outcome
            st.duration_seconds = int((end - moment).total_seconds())
            st.sla_met = end <= st.due_at
            self._event(spec, kind=c.EventKind.STAGE_COMPLETED, actor_id=owner, occurred_at=end, stage=st, note=note)
            moment = end
            if rng.random() < 0.5:
                owner = self._staff(unit_id)
            if unhappy:
                t.reopen_count += 1
                self._event(spec, kind=c.EventKind.REOPENED, actor_id=owner, occurred_at=end, stage=st, note=note)
                pos = flow.index(c.Stage.RECTIFY)
                continue
            pos += 1
        last = spec.stages[-1]
        if last.completed_at is None:
            t.stage, t.status, t.assignee_id, t.due_at = last.stage, c.STAGE_STATUS[last.stage], last.owner_id, last.due_at
            t.due_provisional = last.deadline_provisional
        else:
            t.status, t.stage, t.assignee_id = c.Status.CLOSED, "", last.owner_id
            t.closed_at = last.completed_at
            t.hours_to_close = (Decimal((t.closed_at - created).total_seconds()) / 3600).quantize(
                Decimal("0.01"), ROUND_HALF_UP)
            self._event(spec, kind=c.EventKind.CLOSED, actor_id=last.owner_id, occurred_at=t.closed_at)
        return spec

    def _event(self, spec: _Spec, **fields) -> None:
        if self.with_events:
            spec.events.append(TicketEvent(**fields))


def _write(specs: list[_Spec]) -> tuple[list[Ticket], list[TicketStage]]:
    tickets = Ticket.objects.bulk_create([s.ticket for s in specs], batch_size=BATCH)
    stages, events = [], []
    for s in specs:
        for st in s.stages:
            st.ticket_id = s.ticket.pk
            stages.append(st)
    TicketStage.objects.bulk_create(stages, batch_size=BATCH)
    for s in specs:
        for e in s.events:
            e.ticket_id = s.ticket.pk
            if e.stage is not None:
                e.stage_id = e.stage.pk
            events.append(e)
    TicketEvent.objects.bulk_create(events, batch_size=BATCH)
    open_ids = [t.pk for t in tickets if t.status != c.Status.CLOSED]
    for chunk in range(0, len(open_ids), 900):
        ids = open_ids[chunk:chunk + 900]
        Ticket.objects.filter(pk__in=ids).update(current_stage=Subquery(
            TicketStage.objects.filter(ticket=OuterRef("pk"), completed_at__isnull=True).order_by("-id").values("pk")[:1]))
    return tickets, stages


def _population() -> tuple[list[tuple[int, int | None]], dict, list[int], list[int]]:
    _rules.cache_clear()  # the SLA table may have been edited since the last run
    _deadlines.cache_clear()
    customers = list(Customer.objects.order_by("pk").values_list("pk", "org_unit_id"))
    staff = list(Staff.objects.filter(is_active=True).exclude(role=Role.EXECUTIVE).values_list("pk", "org_unit_id", "role"))
    by_unit: dict = {}
    for pk, unit, role in staff:
        if role in (Role.CLERK, Role.MANAGER, Role.SPECIALIST, Role.SUPERVISOR):
            by_unit.setdefault(unit, []).append(pk)
    return customers, by_unit, [s[0] for s in staff], [s[0] for s in staff if s[2] == Role.SUPERVISOR]


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    """~1,500 tickets over the two years before `today` (idempotent: skips if demo tickets exist)."""
    log = log or (lambda msg: None)
    if Ticket.objects.filter(number__startswith="TK-D").exists():
        return {"tickets": 0, "skipped": "demo tickets already loaded"}
    customers, by_unit, all_staff, supervisors = _population()
    if not customers or not all_staff:
        return {"tickets": 0, "skipped": "no customers or staff (run load_demo first)"}
    now = min(timezone.now(), timezone.make_aware(datetime.combine(today, time(17, 0))))
    sim = Simulator(seed, now, customers, by_unit, all_staff, supervisors)
    specs = [sim.ticket(i, f"TK-D{seed:02d}-{i + 1:06d}") for i in range(DEMO_TICKETS)]
    with transaction.atomic():
        tickets, stages = _write(specs)
        # The customer timeline and the work queue, as the services would have written them.
        names = dict(c.TicketType.choices)
        timeline = []
        for t in tickets:
            timeline.append(TimelineEvent(customer_id=t.customer_id, kind="ticket", occurred_at=t.created_at,
                                          actor_id=t.first_contact_owner_id,
                                          title=f"{names[t.ticket_type]} {t.number}: {t.subject}"[:200]))
            if t.closed_at:
                timeline.append(TimelineEvent(customer_id=t.customer_id, kind="ticket", occurred_at=t.closed_at,
                                              title=f"{names[t.ticket_type]} {t.number} closed"[:200]))
        TimelineEvent.objects.bulk_create(timeline, batch_size=BATCH)
        by_id = {t.pk: t for t in tickets}
        tasks = []
        for st in stages:
            if st.completed_at is None:
                t = by_id[st.ticket_id]
                tasks.append(Task(kind=Task.Kind.TICKET_STEP, assignee_id=st.owner_id, customer_id=t.customer_id,
                                  org_unit_id=t.org_unit_id, due_at=st.due_at, key=st.task_key,
                                  due_provisional=st.deadline_provisional,
                                  **workqueue.title_fields(phrase(gettext_noop("%(stage)s: %(number)s %(subject)s"),
                                                                  stage=c.Stage(st.stage).label, number=t.number,
                                                                  subject=t.subject)),
                                  link=f"/service/tickets/{t.pk}/", created_at=st.started_at,
                                  priority=Task.Priority.HIGH if t.ticket_type == c.TicketType.COMPLAINT else 0))
        Task.objects.bulk_create(tasks, batch_size=BATCH)
    from . import services

    escalations = services.run_escalations(now)
    counts = {"tickets": len(tickets), "stages": len(stages), "open": sum(1 for t in tickets if t.closed_at is None),
              "complaints": sum(1 for t in tickets if t.ticket_type == c.TicketType.COMPLAINT),
              "reopened": sum(1 for t in tickets if t.reopen_count), "tasks": len(tasks),
              "escalated": escalations["escalated"]}
    log(f"  {counts}")
    return counts


def generate(n: int, seed: int = 1, *, now: datetime | None = None, with_events: bool = False, log=None) -> dict:
    """Bench data: `n` tickets with their stages (and, if asked, their events), bulk-inserted
    in batches. Events are off by default: the pages the bench measures (work queue, complaint
    analysis) never read them, and they are the largest table.

    Needs customers and staff (the bench's customer generator first). Ticket numbers are
    "TK-B<seed>-<i>" so that several runs with different seeds can coexist."""
    log = log or (lambda msg: None)
    customers, by_unit, all_staff, supervisors = _population()
    if not customers or not all_staff:
        raise RuntimeError("generate() needs customers and staff first")
    now = now or timezone.now()
    sim = Simulator(seed, now, customers, by_unit, all_staff, supervisors, with_events=with_events)
    total_stages = 0
    for start in range(0, n, BATCH):
        specs = [sim.ticket(i, f"TK-B{seed:02d}-{i + 1:07d}") for i in range(start, min(n, start + BATCH))]
        with transaction.atomic():
            _tickets, stages = _write(specs)
        total_stages += len(stages)
        log(f"  {min(n, start + BATCH):,} tickets")
    return {"tickets": n, "stages": total_stages}
