"""Demo data for the pipeline: government key projects (approved with 1+1 managers, milestones,
weekly reports, government contacts; planned ones with a demand classification), opportunities
across every stage with competitors, quotes (one waiting for approval). No conversion: the
connection project it opens writes task titles and data-quality findings whose texts the
projects and quality modules have not translated yet (tests/core/test_languages.py). Through the services (small numbers), so every
rule and audit row is real. Deterministic for a seed and a day.

`generate(projects, opportunities, seed)` writes volume fast for the benchmark (bench/): bulk
inserts, no tasks, no history.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from powerkam.org.models import PORTFOLIO_ROLES, Role, Staff

from . import constants as c
from . import services
from .models import (
    Competitor,
    GovernmentProject,
    Milestone,
    Opportunity,
    OpportunityKind,
    OpportunityStage,
    ProjectMilestone,
    ServiceItem,
    WeeklyReport,
)

PROJECT_NAMES = ("新区数据中心", "高铁站综合枢纽", "人民医院新院区", "智能制造产业园", "污水处理厂扩建", "会展中心二期",
                 "轨道交通车辆段", "冷链物流园", "新能源电池基地", "大学城新校区", "港口自动化码头", "生物医药园")
AUTHORITIES = ("市发改委", "市工信局", "市住建局", "省发改委")
DEPARTMENTS = ("市发改委重点项目办", "市自然资源和规划局", "市生态环境局", "开发区管委会")
PROSPECTS = ("宏远物流", "城南冷库", "华新水泥", "东方纺织", "金桥商业广场", "蓝天食品", "远航港务", "星河数据",
             "恒通汽配", "瑞丰药业", "新城公交场站", "明珠酒店")


def _staff_by_unit() -> dict[int, list[Staff]]:
    by_unit: dict[int, list[Staff]] = {}
    for s in Staff.objects.filter(is_active=True, role__in=PORTFOLIO_ROLES).order_by("pk"):
        by_unit.setdefault(s.org_unit_id, []).append(s)
    return {u: people for u, people in by_unit.items() if len(people) >= 2}


@transaction.atomic
def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    log = log or (lambda msg: None)
    if GovernmentProject.objects.exists() or Opportunity.objects.exists():
        return {"skipped": "pipeline data already exist"}
    rng = random.Random(seed)
    units = _staff_by_unit()
    if not units:
        return {"skipped": "no managers"}
    clerk = Staff.objects.filter(role=Role.CLERK).order_by("pk").first()
    milestones = list(Milestone.objects.filter(is_active=True))
    monday = services.week_start(today)
    projects = []
    for i, name in enumerate(PROJECT_NAMES):
        unit_id = list(units)[i % len(units)]
        primary, secondary = units[unit_id][0], units[unit_id][1]
        approved = i % 3 != 2
        fields = {"name": name, "org_unit": primary.org_unit, "investor": f"{name[:2]}投资建设有限公司",
                  "site_address": f"{name}项目用地", "industry": rng.choice("CEIN"),
                  "expected_load_kw": Decimal(rng.randrange(2000, 20000, 500)),
                  "expected_capacity_kva": Decimal(rng.randrange(2500, 25000, 500)),
                  "expected_annual_kwh": Decimal(rng.randrange(5, 90)) * Decimal(1_000_000),
                  "reliability": rng.choice(c.Reliability.values),
                  "expected_energisation_on": today + timedelta(days=rng.randrange(60, 540)),
                  "load_class": rng.choice(c.LoadClass.values), "voltage_level": "10kV",
                  "supply_mode": rng.choice(c.SupplyMode.values)}
        if approved:
            fields.update(gov_status=c.GovStatus.APPROVED, approval_doc_no=f"发改投资〔{today.year}〕{10 + i}号",
                          approval_date=today - timedelta(days=rng.randrange(30, 300)),
                          approving_authority=rng.choice(AUTHORITIES), primary_manager=primary,
                          secondary_manager=secondary)
        project = services.save_project(actor=primary if approved else clerk or primary, today=today, **fields)
        projects.append(project)
        for k, m in enumerate(milestones):
            planned = today + timedelta(days=(k - 2) * 30 + rng.randrange(-10, 10))
            actual = planned if planned < today and rng.random() < 0.7 else None
            services.set_milestone(project, m, planned_on=planned, actual_on=actual, actor=primary, today=today)
        services.add_project_contact(project, name=f"{rng.choice('王李张刘陈杨')}总", title="筹建办主任",
                                     mobile=f"139{rng.randrange(10**7, 10**8)}", actor=primary)
        for k in range(2):
            services.add_contact_log(project, contacted_on=today - timedelta(days=7 * k + rng.randrange(1, 6)),
                                     department=rng.choice(DEPARTMENTS), person="项目科",
                                     summary="对接项目用电需求与审批进度", actor=primary, today=today)
        if approved:
            for week in (monday - timedelta(days=7), monday):
                if week == monday and i % 2:
                    continue  # some projects have not reported this week yet
                services.submit_report(project, week=week, actor=primary, today=today,
                                       milestone_progress={milestones[1].code: "用地手续推进中"},
                                       problems="临时施工用电需求较急", help_needed="协调变电站间隔",
                                       next_steps="完成供电方案初步沟通")
    services.generate_report_tasks(today)

    kinds = list(OpportunityKind.objects.filter(is_active=True))
    stages = {s.code: s for s in OpportunityStage.objects.all()}
    competitors = list(Competitor.objects.filter(is_active=True))
    opps = []
    order = ["lead", "lead", "qualified", "qualified", "proposal", "proposal", "negotiation", "won", "lost"]
    for i in range(36):
        unit_id = list(units)[i % len(units)]
        owner = units[unit_id][i % len(units[unit_id])]
        kind = kinds[i % len(kinds)]
        created = today - timedelta(days=rng.randrange(20, 200))
        opp = services.save_opportunity(
            actor=owner, today=created, title=f"{rng.choice(PROSPECTS)}{kind.name}",
            prospect_name=f"{rng.choice(PROSPECTS)}有限公司", site_address="开发区经三路", kind=kind,
            stage=stages["lead"], expected_kva=Decimal(rng.randrange(200, 4000, 50)),
            expected_annual_kwh=Decimal(rng.randrange(100, 5000)) * Decimal(1000),
            expected_annual_revenue_yuan=Decimal(rng.randrange(30, 900)) * Decimal(1000),
            close_on=max(created + timedelta(days=10), today + timedelta(days=rng.randrange(-30, 270))), owner=owner,
            competitors=rng.sample(competitors, k=rng.randrange(0, min(2, len(competitors)) + 1)),
            government_project=projects[i % len(projects)] if i % 5 == 0 else None,
            next_step="电话回访客户" if i % 2 else "", next_step_on=today + timedelta(days=i % 9) if i % 2 else None)
        target = order[i % len(order)]
        if target != "lead":
            services.move_stage(opp, stages[target], actor=owner, today=min(today, created + timedelta(days=40)),
                                loss_reason=rng.choice(c.LossReason.values) if target == "lost" else "")
        opps.append(opp)
    items = {i.kind_id: i for i in ServiceItem.objects.filter(is_active=True)}
    quotes = 0
    for opp in opps:
        opp.refresh_from_db()
        if opp.kind.is_value_added and opp.stage.code in ("proposal", "negotiation") and opp.kind_id in items:
            discount = Decimal("15") if quotes % 2 else Decimal("5")
            services.create_quote(opp, actor=opp.owner, today=today, lines=[
                services.LineInput(items[opp.kind_id], Decimal(1 + quotes % 3), discount)])
            quotes += 1
    return {"projects": len(projects), "reports": WeeklyReport.objects.count(), "opportunities": len(opps),
            "quotes": quotes}


def generate(projects: int, opportunities: int, *, seed: int = 1, today: date) -> dict:
    """Benchmark volume (bench/run_pipeline.py): bulk rows over every unit and manager, a report
    for half the approved projects this week, milestones on every project, competitors on a
    third of the opportunities. No tasks, no history."""
    rng = random.Random(seed)
    units = _staff_by_unit()
    unit_ids = list(units)
    milestones = list(Milestone.objects.filter(is_active=True))
    stages = list(OpportunityStage.objects.all())
    kinds = list(OpportunityKind.objects.all())
    competitors = list(Competitor.objects.all())
    start = (GovernmentProject.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    rows = []
    for i in range(projects):
        unit = unit_ids[i % len(unit_ids)]
        a, b = units[unit][0], units[unit][1]
        approved = i % 2 == 0
        rows.append(GovernmentProject(
            number=f"GPB{start + i:08d}", name=f"重点项目{start + i}", org_unit_id=unit,
            gov_status=c.GovStatus.APPROVED if approved else c.GovStatus.PLANNED,
            approval_doc_no="批复" if approved else "", approval_date=today - timedelta(days=90) if approved else None,
            primary_manager=a if approved else None, secondary_manager=b if approved else None,
            expected_capacity_kva=Decimal(rng.randrange(500, 20000, 100)),
            expected_annual_kwh=Decimal(rng.randrange(1, 80)) * Decimal(1_000_000),
            expected_energisation_on=today + timedelta(days=rng.randrange(0, 720))))
    made = GovernmentProject.objects.bulk_create(rows, batch_size=2000)
    ms_rows = [ProjectMilestone(project_id=p.pk, milestone=m, planned_on=today + timedelta(days=rng.randrange(-60, 200)))
               for p in made for m in milestones]
    ProjectMilestone.objects.bulk_create(ms_rows, batch_size=5000)
    monday = services.week_start(today)
    WeeklyReport.objects.bulk_create([WeeklyReport(project_id=p.pk, week_start=monday, next_steps="推进审批")
                                      for k, p in enumerate(made) if p.gov_status == c.GovStatus.APPROVED and k % 4 == 0],
                                     batch_size=5000)
    start_o = (Opportunity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    opp_rows = []
    for i in range(opportunities):
        unit = unit_ids[i % len(unit_ids)]
        owner = units[unit][i % len(units[unit])]
        stage = stages[i % len(stages)]
        created = today - timedelta(days=rng.randrange(10, 400))
        closed = stage.outcome != c.StageOutcome.OPEN
        opp_rows.append(Opportunity(
            number=f"OPB{start_o + i:08d}", title=f"商机{start_o + i}", prospect_name=f"潜在客户{i}",
            kind=kinds[i % len(kinds)], stage=stage, probability=stage.probability, owner=owner, org_unit_id=unit,
            expected_kva=Decimal(rng.randrange(100, 5000, 50)), expected_annual_kwh=Decimal(rng.randrange(1, 900)) * 1000,
            expected_annual_revenue_yuan=Decimal(rng.randrange(10, 900)) * 1000, created_on=created,
            close_on=created + timedelta(days=rng.randrange(30, 360)),
            closed_on=created + timedelta(days=60) if closed else None, cycle_days=60 if closed else None,
            loss_reason=rng.choice(c.LossReason.values) if stage.outcome == c.StageOutcome.LOST else ""))
    made_o = Opportunity.objects.bulk_create(opp_rows, batch_size=5000)
    through = Opportunity.competitors.through
    through.objects.bulk_create([through(opportunity_id=o.pk, competitor_id=competitors[k % len(competitors)].pk)
                                 for k, o in enumerate(made_o) if k % 3 == 0], batch_size=5000)
    return {"projects": len(made), "opportunities": len(made_o)}
