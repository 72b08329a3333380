"""Pipeline rules as data (DOMAIN.md "Potential customers"; seed 001 政府重点项目, seed 003-篇12 SFA).

The configurable lists (approval milestones, opportunity kinds and stages with their
probabilities, competitors, the service catalogue) are tables an administrator edits; their
first rows are seeded by migration 0002 from the defaults below.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class GovStatus(models.TextChoices):
    PLANNED = "planned", _("Planned (not yet approved)")
    APPROVED = "approved", pgettext_lazy("government status", "Approved")


class Reliability(models.TextChoices):
    SINGLE = "single", _("Single source")
    DUAL = "dual", _("Dual source")


class LoadClass(models.TextChoices):
    """负荷等级 (GB 50052 供配电系统设计规范: class 1, 2, 3 loads)."""

    CLASS_1 = "1", _("Class 1 load")
    CLASS_2 = "2", _("Class 2 load")
    CLASS_3 = "3", _("Class 3 load")


class SupplyMode(models.TextChoices):
    """How the project will be supplied, classified in advance (seed 001 "抓包跟进")."""

    DEDICATED_LINE = "dedicated", _("Dedicated line")
    PUBLIC_LINE = "public", _("Public line")
    RING_MAIN = "ring", _("Ring main unit")
    DUAL_LINES = "dual_lines", _("Two lines from different substations")


class StageOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class LossReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Chose a competitor")
    TIMING = "timing", _("Project postponed or cancelled")
    BUDGET = "budget", _("No budget")
    RELATIONSHIP = "relationship", _("Relationship")
    OTHER = "other", _("Other")


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class CompetitorKind(models.TextChoices):
    INCREMENTAL_NETWORK = "incremental", _("Incremental distribution network")
    PRIVATE_OM = "private_om", _("Private O&M firm")
    ENERGY_SERVICE = "energy_service", _("Energy service company")
    OTHER = "other", _("Other")


# The seeded lists (codes are stable; names are the Chinese terms of the seeds, shown as data).
DEFAULT_MILESTONES = [
    ("approval", "立项", 10),
    ("land", "用地", 20),
    ("planning", "规划许可", 30),
    ("eia", "环评", 40),
    ("construction", "施工许可", 50),
]

# (code, name, value-added, order)
DEFAULT_KINDS = [
    ("new_connection", "新装", False, 10),
    ("capacity_increase", "增容", False, 20),
    ("energy_audit", "能效诊断", True, 30),
    ("pf_correction", "无功补偿", True, 40),
    ("substation_om", "配电房运维", True, 50),
    ("charging", "充电桩", True, 60),
    ("pv_storage", "屋顶光伏与储能", True, 70),
    ("demand_response", "需求响应", True, 80),
]

# (code, name, probability %, outcome, order)
DEFAULT_STAGES = [
    ("lead", "线索", 10, "open", 10),
    ("qualified", "已确认", 25, "open", 20),
    ("proposal", "方案", 50, "open", 30),
    ("negotiation", "谈判", 75, "open", 40),
    ("won", "赢单", 100, "won", 50),
    ("lost", "丢单", 0, "lost", 60),
]

DEFAULT_COMPETITORS = [
    ("增量配电网公司", "incremental"),
    ("民营运维公司", "private_om"),
    ("综合能源服务公司", "energy_service"),
]

# (code, name, unit, unit price yuan, kind code)
DEFAULT_CATALOGUE = [
    ("EA-01", "能效诊断（全厂）", "次", "30000.00", "energy_audit"),
    ("PF-01", "无功补偿装置（每100 kvar）", "套", "18000.00", "pf_correction"),
    ("OM-01", "配电房托管运维（每年）", "年", "60000.00", "substation_om"),
    ("CH-01", "直流快充桩 120 kW", "台", "85000.00", "charging"),
    ("PV-01", "屋顶光伏（每kWp）", "kWp", "3500.00", "pv_storage"),
    ("DR-01", "需求响应接入", "户", "5000.00", "demand_response"),
]

# Defaults of the settings row (PipelinePolicy): an admin changes them.
DEFAULT_REPORT_WEEKDAY = 4  # Friday: the weekly coordination meeting's eve
DEFAULT_REPORT_ESCALATE_WORKDAYS = 2
DEFAULT_DISCOUNT_APPROVAL_PCT = 10

WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]

BOARD_CARDS_PER_STAGE = 30
