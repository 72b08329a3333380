"""KPI, work-quality and dashboard figures as data (issue #15 items 5–8; seed 002 绩效, seed 004
"营销工作质量管理模块", "营销管理决策支持模块")."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# 1:15 customer-manager system (seed 003-篇6 via DOMAIN.md "Who uses it").
PORTFOLIO_MIN = 15
# "far above" 1:15: a portfolio this many times the minimum is flagged too.
PORTFOLIO_FAR_ABOVE = 3


class Metric(models.TextChoices):
    """The KPIs per person and unit per month (seed 002: satisfaction, service cost, revenue,
    collection rate, task completion, timeliness)."""

    SATISFACTION = "satisfaction", _("Satisfaction (1–5)")
    COMPLAINTS = "complaints", _("Complaints against the person")
    REVENUE = "revenue", _("Portfolio billed (yuan)")
    KWH = "kwh", _("Portfolio kWh")
    COLLECTION_RATE = "collection_rate", _("Collection rate (%)")
    SERVICE_COST = "service_cost", _("Service cost (yuan)")
    TASK_COMPLETION = "task_completion", _("Tasks completed (%)")
    TIMELINESS = "timeliness", _("Tasks on time (%)")
    VISIT_COMPLETION = "visit_completion", _("Visit plan completed (%)")
    PORTFOLIO = "portfolio", _("Portfolio size (1:15)")


# Metrics where less is better (ranking and target achievement read them the other way).
LOWER_IS_BETTER = {Metric.COMPLAINTS, Metric.SERVICE_COST}


class CostItem(models.TextChoices):
    VISIT = "visit", _("Visit done")
    CARE = "care", _("Care record")
    HOUR = "hour", _("Hour of ticket work")


# Default cost rates (yuan) until an administrator sets them (CostRate rows).
DEFAULT_COST_RATES = {CostItem.VISIT: Decimal("300"), CostItem.CARE: Decimal("50"), CostItem.HOUR: Decimal("80")}


class DashboardMetric(models.TextChoices):
    """Unit targets of the executive dashboard (per month)."""

    REVENUE = "revenue", _("Billed (yuan)")
    KWH = "kwh", _("kWh")
    COLLECTION_RATE = "collection_rate", _("Collection rate (%)")
    COMPLAINTS = "complaints", _("Complaints")
    SLA = "sla", _("SLA compliance (%)")
    SATISFACTION = "satisfaction", _("Satisfaction (1–5)")
    KEY_ACCOUNTS = "key_accounts", _("Key accounts")
    CHURN_RISK = "churn_risk", _("Customers at churn risk")
    PIPELINE = "pipeline", _("Weighted pipeline (yuan)")
    NEW_CAPACITY = "new_capacity", _("New capacity expected (kVA)")
    PROJECT_CYCLE_TIME = "project_cycle_time", _("Connection cycle time (working days)")
    PROJECT_WITHIN = "project_within", _("Connections within commitment (%)")


# Targets in % cannot exceed 100; satisfaction targets are on the survey's 1–5 scale.
PERCENT_TARGETS = {Metric.COLLECTION_RATE, Metric.TASK_COMPLETION, Metric.TIMELINESS, Metric.VISIT_COMPLETION,
                   DashboardMetric.SLA, DashboardMetric.PROJECT_WITHIN}
TARGET_MAX = {**dict.fromkeys(PERCENT_TARGETS, Decimal("100")), Metric.SATISFACTION: Decimal("5")}


class Process(models.TextChoices):
    """The processes of the work-quality page (seed 004 营销工作质量: SLA compliance of every process)."""

    TICKET_STAGES = "ticket_stages", _("Ticket stages (non-complaint)")
    COMPLAINT_STAGES = "complaint_stages", _("Complaint stages")
    VISITS = "visits", _("Visits")
    OUTAGE_NOTICES = "outage_notices", _("Outage notices")
    COLLECTION_STEPS = "collection_steps", _("Collection steps")
    DATA_QUALITY = "data_quality", _("Data-quality findings")
    CONNECTION_STAGES = "connection_stages", _("Connection-project stages")
    WEEKLY_REPORTS = "weekly_reports", _("Weekly reports (government projects)")


# The monthly management report is generated on this day of the month (POWERKAM_REPORT_DAY) for
# the month before.
DEFAULT_REPORT_DAY = 3
