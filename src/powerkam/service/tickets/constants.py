"""Rules with numbers and the fixed vocabularies of tickets and complaints.

Sources: first-contact responsibility (首问负责制, seeds 000/001/002); complaints follow
核实 → 审查 → 整改 → 回访 → 归档 with a named owner per stage and a station → region → company
quick-response escalation (seed 003-篇6 "客户投诉快速反应机制"). The SLA limits below are the
defaults written into the editable `SlaRule` table by migration 0002; the table is the source
of truth, these are used only when a row is missing.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    COUNTER = "counter", _("Service counter")
    WEB = "web", _("Web form")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")
    HOTLINE_95598 = "95598", _("95598 transfer")


class TicketType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    FAULT_REPAIR = "fault_repair", _("Fault repair")
    SERVICE_REQUEST = "service_request", _("Service request")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", pgettext_lazy("ticket", "Closed")  # not a closed customer account (销户)


class Stage(models.TextChoices):
    # Non-complaint tickets: open → in progress → closed.
    ACCEPT = "accept", _("Accept")
    HANDLE = "handle", _("Handle")
    # Complaints (seed 003-篇6): 核实 → 审查 → 整改 → 回访 → 归档.
    VERIFY = "verify", _("Verify")
    REVIEW = "review", _("Review")
    RECTIFY = "rectify", _("Rectify")
    REVISIT = "revisit", _("Revisit")
    ARCHIVE = "archive", _("Archive")


COMPLAINT_STAGES = (Stage.VERIFY, Stage.REVIEW, Stage.RECTIFY, Stage.REVISIT, Stage.ARCHIVE)
SIMPLE_STAGES = (Stage.ACCEPT, Stage.HANDLE)
# Where a reopened ticket goes back to (an unhappy revisit, or a closed ticket reopened).
REOPEN_STAGE = {True: Stage.RECTIFY, False: Stage.HANDLE}
# Ticket status while at each stage.
STAGE_STATUS = {
    Stage.ACCEPT: Status.OPEN,
    Stage.HANDLE: Status.IN_PROGRESS,
    **{s: Status.IN_PROGRESS for s in COMPLAINT_STAGES},
}


def stages_for(ticket_type: str) -> tuple[str, ...]:
    return COMPLAINT_STAGES if ticket_type == TicketType.COMPLAINT else SIMPLE_STAGES


class RevisitOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Cause(models.TextChoices):
    """Complaint cause classification (for the analysis page)."""

    SUPPLY_RELIABILITY = "supply_reliability", _("Supply interruption")
    POWER_QUALITY = "power_quality", _("Power quality (voltage)")
    BILLING = "billing", _("Billing and charges")
    METERING = "metering", _("Metering")
    CONNECTION = "connection", _("Connection project")
    STAFF_CONDUCT = "staff_conduct", _("Staff conduct")
    RESPONSE_TIME = "response_time", _("Slow response")
    OUTAGE_NOTICE = "outage_notice", _("Outage notice")
    OTHER = "other", _("Other")


class EventKind(models.TextChoices):
    INTAKE = "intake", _("Taken in")
    ASSIGNED = "assigned", _("Assigned")
    STAGE_COMPLETED = "stage_completed", _("Stage completed")
    STAGE_STARTED = "stage_started", _("Stage started")
    ESCALATED = "escalated", _("Escalated")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", pgettext_lazy("ticket", "Closed")
    ATTACHMENT = "attachment", _("Attachment added")
    DEADLINE_RECOMPUTED = "deadline_recomputed", _("Deadline recomputed")


class SlaUnit(models.TextChoices):
    WORKDAYS = "workdays", _("Working days")
    WORKING_HOURS = "working_hours", _("Working hours")
    CALENDAR_HOURS = "calendar_hours", _("Calendar hours")


# Working hours of a day (the same as core.workdays.add_working_hours' defaults): a limit in
# working days ends at the close of business of the n-th working day.
DAY_START = time(8, 30)
DAY_END = time(17, 30)

# Escalation (seed 003-篇6 "加油站—片区—公司"三级): level 1 the station supervisor when the
# stage nears its deadline (WARN_PERCENT of the time elapsed), level 2 the region supervisor
# when it passes the deadline, level 3 the company supervisor when it is overdue by a further
# margin (in the rule's own unit). Per-rule values override these.
WARN_PERCENT = 80
ESCALATION_LEVELS = {1: _("station"), 2: _("region"), 3: _("company")}
MAX_LEVEL = 3

# Default SLA table: (ticket type, stage) → (limit, unit, company margin in the same unit).
# Complaint limits follow the State Grid 95598 practice of handling a complaint within days,
# with quick verification; non-complaint tickets are answered within hours.
W, WH, CH = SlaUnit.WORKDAYS, SlaUnit.WORKING_HOURS, SlaUnit.CALENDAR_HOURS
DEFAULT_SLA: dict[tuple[str, str], tuple[Decimal, str, Decimal]] = {
    (TicketType.COMPLAINT, Stage.VERIFY): (Decimal("2"), W, Decimal("1")),
    (TicketType.COMPLAINT, Stage.REVIEW): (Decimal("1"), W, Decimal("1")),
    (TicketType.COMPLAINT, Stage.RECTIFY): (Decimal("5"), W, Decimal("2")),
    (TicketType.COMPLAINT, Stage.REVISIT): (Decimal("2"), W, Decimal("1")),
    (TicketType.COMPLAINT, Stage.ARCHIVE): (Decimal("1"), W, Decimal("1")),
    (TicketType.FAULT_REPAIR, Stage.ACCEPT): (Decimal("1"), CH, Decimal("1")),
    (TicketType.FAULT_REPAIR, Stage.HANDLE): (Decimal("24"), CH, Decimal("12")),
    (TicketType.CONSULTATION, Stage.ACCEPT): (Decimal("4"), WH, Decimal("4")),
    (TicketType.CONSULTATION, Stage.HANDLE): (Decimal("1"), W, Decimal("1")),
    (TicketType.SERVICE_REQUEST, Stage.ACCEPT): (Decimal("4"), WH, Decimal("4")),
    (TicketType.SERVICE_REQUEST, Stage.HANDLE): (Decimal("5"), W, Decimal("2")),
    (TicketType.SUGGESTION, Stage.ACCEPT): (Decimal("1"), W, Decimal("1")),
    (TicketType.SUGGESTION, Stage.HANDLE): (Decimal("5"), W, Decimal("2")),
    (TicketType.PRAISE, Stage.ACCEPT): (Decimal("1"), W, Decimal("1")),
    (TicketType.PRAISE, Stage.HANDLE): (Decimal("3"), W, Decimal("2")),
}

# Attachments: what may be uploaded (size in bytes, lower-case extensions).
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "gif", "doc", "docx", "xls", "xlsx", "txt", "mp3", "wav", "amr", "zip")
