"""Outage notice rules as data (issue #4 §5; seeds 001 "做好停电安排工作", 003-篇9).

Advance notice, from the State Council's 《电力供应与使用条例》(1996, 国务院令第196号) 第二十八条,
repeated in 《供电营业规则》(1996, 电力工业部令第8号) 第六十七条:
  "因供电设施计划检修需要停电时，供电企业应当提前7天通知用户或者进行公告；
   因供电设施临时检修需要停止供电时，供电企业应当提前24小时通知重要用户；
   因发电、供电系统发生故障需要停电、限电时，供电企业应当按照事先确定的限电序位进行停电或者限电。"
So a planned outage must be notified at least 7 days before it starts, a temporary-maintenance
outage 24 hours before; an emergency (fault) outage has no advance-notice rule.
"""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutageKind(models.TextChoices):
    PLANNED = "planned", _("Planned maintenance")
    TEMPORARY = "temporary", _("Temporary maintenance")
    EMERGENCY = "emergency", _("Emergency")


# Minimum time between sending the notice and the start of the outage, per kind.
ADVANCE_NOTICE = {
    OutageKind.PLANNED: timedelta(days=7),
    OutageKind.TEMPORARY: timedelta(hours=24),
    OutageKind.EMERGENCY: timedelta(0),
}


class OutageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTIFIED = "notified", _("Notified")
    CANCELLED = "cancelled", _("Cancelled")


class DeliveryStatus(models.TextChoices):
    # Written with the notice; sent after the transaction commits (services.notify_outage). A
    # delivery still "queued" later means the process stopped between the commit and the send.
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class AckMethod(models.TextChoices):
    LINK = "link", _("Acknowledged by link")
    PHONE = "phone", _("Acknowledged by phone")


class MissedReason(models.TextChoices):
    """Why a customer on the line got no notice: an archive gap (seed 003-篇9) or a failure."""

    NO_CONTACT = "no_contact", _("No contact in the archive")
    NO_ADDRESS = "no_address", _("No e-mail or mobile for any contact")
    FAILED = "failed", _("Every delivery failed")


# Whether a customer whose only supply point on the line is a BACKUP source is affected.
# Yes: during the outage that backup source is out too, so the customer loses its redundancy and
# must prepare (seed 003-篇9: a customer not told "cannot prepare for the outage").
BACKUP_SOURCES_AFFECTED = True
