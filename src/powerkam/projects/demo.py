"""Demo data for connection projects: a few dozen projects of the demo company in every stage,
accepted over the last five months and walked through the real services (deadlines from the
timing table on the holiday calendar, pauses, a licence override, defects, energisations that
write the archive). Deterministic for a seed; run after the archive demo (customers/demo.py).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from powerkam.customers.models import Customer
from powerkam.org.models import PORTFOLIO_ROLES, Role, Staff

from . import constants as c
from . import services

DEMO_PROJECTS = 36
APPLICANTS = ("城北新材料有限公司", "城南数据中心有限公司", "高新区生物医药产业园", "滨江冷链物流有限公司",
              "开发区汽车零部件有限公司", "市第三人民医院新院区", "临港光伏组件有限公司", "东城商业综合体",
              "西郊污水处理厂三期", "经开区半导体封测有限公司", "城市轨道交通 5 号线主变", "科教城实验学校")
SITES = ("城北工业园 8 号", "城南科技园 1 号", "高新区创新大道 66 号", "滨江路 199 号", "经开区兴业路 12 号",
         "东城新区中心大道 1 号", "临港产业园 3 期")
BUILDERS = (("某电力安装工程有限公司", "4"), ("某送变电建设有限公司", "2"), ("某机电设备安装有限公司", "5"))
# Calendar days a stage takes in the demo: (low, high).
STAGE_DAYS = {
    c.Stage.ACCEPTED: (0, 2), c.Stage.SURVEY: (1, 4), c.Stage.PLAN_REPLY: (6, 26), c.Stage.DESIGN_REVIEW: (5, 16),
    c.Stage.CONSTRUCTION: (15, 45), c.Stage.MID_INSPECTION: (2, 8), c.Stage.ACCEPTANCE: (2, 9),
    c.Stage.CONTRACT_METERING: (2, 8), c.Stage.ENERGISATION: (1, 7)}


def _people():
    workers = list(Staff.objects.filter(is_active=True, role__in=PORTFOLIO_ROLES, org_unit__isnull=False)
                   .order_by("pk"))
    supervisors = list(Staff.objects.filter(is_active=True, role=Role.SUPERVISOR).order_by("pk"))
    return workers, supervisors


def _walk(project, rng: random.Random, today: date, *, actor, supervisor, energise: bool) -> None:
    """Advance stage by stage on simulated dates until today (or energisation)."""
    day = project.accepted_on
    while project.is_open:
        low, high = STAGE_DAYS[project.stage]
        end = day + timedelta(days=rng.randint(low, high))
        if end > today:
            return
        if project.stage == c.Stage.PLAN_REPLY and rng.random() < 0.3 and end > day + timedelta(days=3):
            pause_on = day + timedelta(days=1)
            services.pause(project, actor=actor, reason=c.PauseReason.DOCUMENTS, started_on=pause_on,
                           note="待补充项目批复文件")
            resume_on = min(pause_on + timedelta(days=rng.randint(2, 6)), today)
            services.resume(project, actor=actor, ended_on=resume_on)
            end = max(end, resume_on)
            if end > today:
                return
        if project.stage == c.Stage.ACCEPTANCE and rng.random() < 0.4:
            defect = services.record_defect(project, actor=actor, item=rng.choice(
                ("接地电阻超标", "电缆标识牌缺失", "开关柜五防闭锁未调试", "变压器油位偏低")),
                severity=rng.choice(c.DefectSeverity.values), found_on=day,
                deadline=day + timedelta(days=7))
            if energise or rng.random() < 0.5:
                services.clear_defect(defect, actor=actor, note="复验合格")
        if project.stage == c.Stage.ENERGISATION:
            if energise:
                services.energise(project, actor=actor, energised_on=end, note="送电成功")
            return
        try:
            project = services.advance(project, actor=actor, stage=project.stage, ended_on=end, note="按时完成")
        except ValidationError as exc:
            if "licence" not in exc.message_dict:
                raise
            services.override_licence(project, actor=supervisor, reason="许可证续期手续已受理，监管机构书面确认")
            project = services.advance(project, actor=actor, stage=project.stage, ended_on=end, note="按时完成")
        day = end


def _planned(project, rng: random.Random, actor, n: int) -> None:
    kva = project.requested_capacity_kva
    sp = services.add_supply_point(project, actor=actor, name=f"10kV 业扩{n:02d} 线 T 接", capacity_kva=kva)
    count = 2 if kva >= 200 else 1
    services.add_transformer(project, actor=actor, capacity_kva=(kva / count).quantize(Decimal("0.01")),
                             quantity=count, model_no="SCB13", supply_point=sp)
    services.add_metering_point(project, actor=actor, number=f"YK{project.pk:06d}-1", ct_ratio="100/5",
                                pt_ratio="10000/100", meter_no=f"M{project.pk:08d}", supply_point=sp)
    services.set_contract(project, actor=actor, number=f"HT-YK-{project.pk:06d}", valid_from=project.accepted_on,
                          valid_to=project.accepted_on + timedelta(days=5 * 365))


def load_demo(*, seed: int = 1, today: date | None = None, log=None) -> dict:
    from django.utils import timezone

    today = today or timezone.localdate()
    rng = random.Random(seed * 12)
    workers, supervisors = _people()
    if not workers:
        return {"projects": 0}
    by_unit: dict[int, list[Staff]] = {}
    for w in workers:
        by_unit.setdefault(w.org_unit_id, []).append(w)
    sup_by_unit = {s.org_unit_id: s for s in supervisors}
    existing = list(Customer.objects.filter(lifecycle_status="active", primary_manager__isnull=False,
                                            voltage_level="10kV").order_by("pk")[:200])
    made = energised = 0
    for n in range(DEMO_PROJECTS):
        increase = n % 3 == 2 and bool(existing)
        with transaction.atomic():
            if increase:
                customer = existing[rng.randrange(len(existing))]
                actor = customer.primary_manager
                if actor.role not in PORTFOLIO_ROLES or not actor.is_active:
                    continue
                app = services.Application(application_type=c.ApplicationType.INCREASE,
                                           applicant_type=c.ApplicantType.EXISTING, customer=customer,
                                           requested_capacity_kva=rng.choice(("400", "630", "800")),
                                           voltage_level="10kV", site_address=customer.address or SITES[0])
                unit = None
            else:
                actor = workers[rng.randrange(len(workers))]
                app = services.Application(
                    application_type=c.ApplicationType.TEMPORARY if n % 11 == 5 else c.ApplicationType.NEW,
                    applicant_type=c.ApplicantType.NEW, applicant_name=f"{APPLICANTS[n % len(APPLICANTS)]}（{n + 1}）",
                    site_address=rng.choice(SITES), requested_capacity_kva=rng.choice(("630", "1260", "2500", "5000")),
                    voltage_level=rng.choice(("10kV", "10kV", "10kV", "35kV", "0.4kV")),
                    supply_mode=c.SupplyMode.DUAL if n % 7 == 3 else c.SupplyMode.SINGLE,
                    industry=rng.choice(("C", "I", "Q", "F")), usage_category="large_industry",
                    applicant_contact="刘经理", applicant_phone=f"1380000{n:04d}",
                    is_key_project=n % 5 == 0, green_channel=n % 6 == 0,
                    expected_energisation_on=today + timedelta(days=rng.randint(20, 160)))
                unit = actor.org_unit
            colleagues = by_unit.get(actor.org_unit_id) or [actor]
            tracker = colleagues[rng.randrange(len(colleagues))]
            want_energised = n % 3 == 0
            accepted_on = today - timedelta(days=rng.randint(120, 200) if want_energised else rng.randint(3, 150))
            project = services.accept_application(app, actor=actor, tracker=tracker, accepted_on=accepted_on,
                                                  org_unit=unit)
            for doc in list(project.documents.all())[: rng.randint(1, 6)]:
                services.receive_document(doc, actor=actor, received_on=accepted_on)
            name, cls = BUILDERS[n % len(BUILDERS)]
            expired = n % 9 == 4
            services.set_contractor(project, actor=actor, role=c.ContractorRole.BUILDER, name=name,
                                    licence_number=f"承装（修、试）{cls}-{1000 + n}", licence_class=cls,
                                    licence_valid_from=date(2021, 1, 1),
                                    licence_valid_to=(accepted_on + timedelta(days=20)) if expired else date(2028, 12, 31))
            services.set_contractor(project, actor=actor, role=c.ContractorRole.DESIGNER, name="客户自选设计院")
            if want_energised or rng.random() < 0.5:
                if increase:
                    services.add_transformer(project, actor=actor, capacity_kva=app.requested_capacity_kva,
                                             model_no="S13")
                else:
                    _planned(project, rng, actor, n)
            supervisor = sup_by_unit.get(project.org_unit_id) or (supervisors[0] if supervisors else actor)
            _walk(project, rng, today, actor=actor, supervisor=supervisor, energise=want_energised)
            project.refresh_from_db()
            made += 1
            energised += project.status == c.Status.ENERGISED
    if log:
        log(f"projects: {made} connection projects, {energised} energised")
    return {"projects": made, "energised": energised}
