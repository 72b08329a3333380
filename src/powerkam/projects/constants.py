"""The fixed vocabularies and the default numbers of connection projects (业扩报装).

Sources: DOMAIN.md "Connection projects"; seed 001 (high-voltage design review within 10
working days; dedicated tracker; green channel), seed 003-篇7/篇11 (stage tracking, the
61 → 38 days cycle-time example), the State Grid service commitments quoted in issue #12
(supply plan reply 15 working days single source / 30 dual source; design review 10;
intermediate inspection 5; completion acceptance 5; energisation 5 after acceptance and
contract; grid-side total 22 / 32 working days high voltage, 6 low voltage).

The numbers below are the defaults written into the editable `TimingRule` table by migration
0002; the table is the source of truth. Values not given by the issue or the seeds (survey,
the low-voltage stage split, green-channel limits) are marked "assumed" and are data an
administrator edits.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from powerkam.customers.constants import HIGH_VOLTAGE_LEVELS, VoltageLevel  # noqa: F401 - re-exported


class ApplicationType(models.TextChoices):
    NEW = "new", _("New connection")  # 新装
    INCREASE = "increase", _("Capacity increase")  # 增容
    TEMPORARY = "temporary", _("Temporary supply")  # 临时用电
    REDUCTION = "reduction", _("Capacity reduction or suspension")  # 减容、暂停


# Application types that bring a new customer into the archive at energisation.
CREATES_CUSTOMER = {ApplicationType.NEW, ApplicationType.TEMPORARY}


class ApplicantType(models.TextChoices):
    EXISTING = "existing", _("Existing customer")
    NEW = "new", _("New applicant")


class SupplyMode(models.TextChoices):
    SINGLE = "single", _("Single source")
    DUAL = "dual", _("Dual source")


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("project status", "In progress")
    ENERGISED = "energised", _("Energised")
    CANCELLED = "cancelled", pgettext_lazy("project status", "Cancelled")


class Stage(models.TextChoices):
    ACCEPTED = "accepted", _("Application accepted")  # 受理
    SURVEY = "survey", _("Site survey")  # 现场勘查
    PLAN_REPLY = "plan_reply", _("Supply plan reply")  # 答复供电方案
    DESIGN_REVIEW = "design_review", _("Design review")  # 设计审查 (high voltage)
    CONSTRUCTION = "construction", _("Construction (customer side)")  # 工程施工
    MID_INSPECTION = "mid_inspection", _("Intermediate inspection")  # 中间检查 (hidden works)
    ACCEPTANCE = "acceptance", _("Completion acceptance")  # 竣工检验
    CONTRACT_METERING = "contract_metering", _("Contract and metering")  # 签订合同、装表
    ENERGISATION = "energisation", _("Energisation")  # 送电


STAGES_HIGH_VOLTAGE = tuple(Stage.values)
# Low voltage: no design review, no intermediate inspection (both high-voltage only, seed 001).
STAGES_LOW_VOLTAGE = tuple(s for s in Stage.values if s not in {Stage.DESIGN_REVIEW, Stage.MID_INSPECTION})
# A reduction / suspension needs no design or construction.
STAGES_REDUCTION = (Stage.ACCEPTED, Stage.SURVEY, Stage.CONTRACT_METERING, Stage.ENERGISATION)


def stages_for(application_type: str, voltage_level: str) -> tuple[str, ...]:
    if application_type == ApplicationType.REDUCTION:
        return STAGES_REDUCTION
    return STAGES_HIGH_VOLTAGE if voltage_level in HIGH_VOLTAGE_LEVELS else STAGES_LOW_VOLTAGE


class Side(models.TextChoices):
    GRID = "grid", _("Grid side")
    CUSTOMER = "customer", _("Customer side")


# Stages whose time is the customer's (never counted against the commitments).
CUSTOMER_SIDE_STAGES = {Stage.CONSTRUCTION}


def side_of(stage: str) -> str:
    return Side.CUSTOMER if stage in CUSTOMER_SIDE_STAGES else Side.GRID


class PauseReason(models.TextChoices):
    DOCUMENTS = "documents", _("Waiting for the customer's documents")
    CUSTOMER_CONSTRUCTION = "customer_construction", _("Customer-side construction")
    CUSTOMER_REQUEST = "customer_request", _("At the customer's request")
    DEFECT_RECTIFICATION = "defect_rectification", _("Customer rectifying defects")
    PAYMENT = "payment", _("Waiting for the customer's payment")
    OTHER = "other", _("Other customer-side reason")


class ContractorRole(models.TextChoices):
    DESIGNER = "designer", _("Designer")
    BUILDER = "builder", _("Builder")
    SUPPLIER = "supplier", _("Equipment supplier")


class LicenceClass(models.TextChoices):
    """承装（修、试）电力设施许可证 classes (《承装（修、试）电力设施许可证管理办法》)."""

    FIRST = "1", _("Class 1")
    SECOND = "2", _("Class 2")
    THIRD = "3", _("Class 3")
    FOURTH = "4", _("Class 4")
    FIFTH = "5", _("Class 5")


# The highest voltage each licence class may build (kV), per the licence rules: class 1 all
# levels; class 2 up to 330 kV; class 3 up to 110 kV; class 4 up to 35 kV; class 5 up to 10 kV.
LICENCE_MAX_KV = {"1": Decimal("1000"), "2": Decimal("330"), "3": Decimal("110"), "4": Decimal("35"),
                  "5": Decimal("10")}
VOLTAGE_KV = {"0.4kV": Decimal("0.4"), "10kV": Decimal("10"), "20kV": Decimal("20"), "35kV": Decimal("35"),
              "110kV": Decimal("110"), "220kV": Decimal("220")}


def licence_covers(licence_class: str, voltage_level: str) -> bool:
    limit = LICENCE_MAX_KV.get(licence_class)
    kv = VOLTAGE_KV.get(voltage_level)
    return limit is not None and kv is not None and kv <= limit


class DefectSeverity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class ResponsibleParty(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    BUILDER = "builder", _("Builder")
    DESIGNER = "designer", _("Designer")
    SUPPLIER = "supplier", _("Equipment supplier")
    GRID = "grid", _("Power supply company")


class EventKind(models.TextChoices):
    ACCEPTED = "accepted", _("Application accepted")
    STAGE_STARTED = "stage_started", _("Stage started")
    STAGE_COMPLETED = "stage_completed", _("Stage completed")
    PAUSED = "paused", _("Paused for the customer")
    RESUMED = "resumed", _("Resumed")
    DOCUMENT_RECEIVED = "document_received", _("Document received")
    WARNED = "warned", _("Stall warning")
    ESCALATED = "escalated", _("Escalated")
    LICENCE_OVERRIDE = "licence_override", _("Licence override")
    DEFECT_RECORDED = "defect_recorded", _("Defect recorded")
    DEFECT_CLEARED = "defect_cleared", _("Defect cleared")
    ENERGISED = "energised", _("Energised")
    DEADLINE_RECOMPUTED = "deadline_recomputed", _("Deadline recomputed")
    TRACKER_CHANGED = "tracker_changed", _("Tracker changed")
    CANCELLED = "cancelled", pgettext_lazy("project event", "Cancelled")


class TransformerAction(models.TextChoices):
    ADD = "add", _("Add")
    REMOVE = "remove", _("Remove from service")


# --- timing defaults (working days) -------------------------------------------------------------

DEFAULT_WARN_PERCENT = 80  # a stall warning when a stage has used 80 % of its time (issue #12 §3)
# Escalation: level 1 (the station's supervisor) the day after the deadline; level 2 (the next
# level up) when the stage is this many working days past its deadline. Assumed.
NEXT_LEVEL_AFTER_WORKDAYS = 5
MAX_LEVEL = 2

TOTAL = ""  # a TimingRule with no stage: the grid-side total commitment

# (stage, high-voltage single, high-voltage dual, low voltage). None: no deadline (customer side).
DEFAULT_LIMITS: list[tuple[str, int | None, int | None, int | None]] = [
    (Stage.ACCEPTED, 1, 1, 1),  # assumed: accepted and passed to survey within one working day
    (Stage.SURVEY, 2, 2, 1),  # assumed
    (Stage.PLAN_REPLY, 15, 30, 3),  # issue #12 (high voltage); low voltage assumed
    (Stage.DESIGN_REVIEW, 10, 10, None),  # seed 001, from receiving the design documents
    (Stage.CONSTRUCTION, None, None, None),  # the customer's time
    (Stage.MID_INSPECTION, 5, 5, None),
    (Stage.ACCEPTANCE, 5, 5, 3),  # low voltage assumed
    (Stage.CONTRACT_METERING, 5, 5, 2),  # assumed
    (Stage.ENERGISATION, 5, 5, 2),  # issue #12: 5 after acceptance and contract; low voltage assumed
    (TOTAL, 22, 32, 6),  # grid-side total commitment (issue #12)
]


def green_limit(workdays: int | None) -> int | None:
    """Green-channel default: half the ordinary limit, rounded up (assumed; edit the table)."""
    return None if workdays is None else max(1, math.ceil(workdays / 2))


def default_timing_rows() -> list[dict]:
    """Every default `TimingRule` row: application type × voltage level × supply mode × green
    channel × stage (a stage the flow lacks has no row)."""
    rows = []
    for app_type in ApplicationType.values:
        for voltage in VoltageLevel.values:
            high = voltage in HIGH_VOLTAGE_LEVELS
            flow = stages_for(app_type, voltage)
            for mode in SupplyMode.values:
                for green in (False, True):
                    for stage, hv_single, hv_dual, lv in DEFAULT_LIMITS:
                        if stage != TOTAL and stage not in flow:
                            continue
                        limit = (hv_dual if mode == SupplyMode.DUAL else hv_single) if high else lv
                        if stage != TOTAL and side_of(stage) == Side.CUSTOMER:
                            limit = None
                        rows.append({"application_type": app_type, "voltage_level": voltage, "supply_mode": mode,
                                     "green_channel": green, "stage": stage,
                                     "workdays": green_limit(limit) if green else limit,
                                     "warn_percent": DEFAULT_WARN_PERCENT})
    return rows


# --- the one-time notice (一次性告知书) -----------------------------------------------------------

# (name, application types or None for all, applicant type or "" for both, "high"/"low"/"" voltage)
DEFAULT_DOCUMENTS: list[tuple[str, tuple[str, ...] | None, str, str]] = [
    ("用电申请书", None, "", ""),
    ("用电人有效身份证明（营业执照或组织机构代码证、法定代表人身份证明）", None, "new", ""),
    ("户号及近期电费缴费凭证", None, "existing", ""),
    ("用电地址物业权属证明（房产证、土地证或租赁协议）", ("new", "temporary"), "", ""),
    ("经办人身份证明及授权委托书", None, "", ""),
    ("项目批复（核准、备案）文件", ("new", "increase"), "", "high"),
    ("用电设备清单及负荷性质说明", ("new", "increase", "temporary"), "", ""),
    ("重要负荷及保安电源说明", ("new", "increase"), "", "high"),
    ("临时用电期限说明及临时建设工程批准文件", ("temporary",), "", ""),
    ("减容（暂停）申请及设备停用清单", ("reduction",), "", ""),
    ("受电工程设计文件（设计审查时提交）", ("new", "increase"), "", "high"),
    ("施工单位承装（修、试）电力设施许可证", ("new", "increase", "temporary"), "", ""),
]

# The commitments printed on the one-time notice (issue #12 §1).
NOTICE_COMMITMENTS = [
    _("We never designate the designer, builder or equipment supplier of your works: you choose them."),
    _("Supply plan reply within 15 working days (single source) or 30 working days (dual source) for high "
      "voltage."),
    _("Design review within 10 working days of receiving the design documents."),
    _("Intermediate inspection and completion acceptance within 5 working days each."),
    _("Energisation within 5 working days after acceptance and the supply contract."),
    _("Grid-side total: 22 working days (single source) or 32 working days (dual source) for high voltage, "
      "6 working days for low voltage; time waiting for you is not counted."),
]
