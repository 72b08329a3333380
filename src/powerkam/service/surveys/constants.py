"""Survey rules as data (issue #4 §4; seeds 003-篇5/篇6 "客户满意度跟踪调查", 004 "需求分析")."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# A one-time link is valid this many days after it is sent (settings override:
# POWERKAM_SURVEY_VALID_DAYS).
SURVEY_VALID_DAYS = 14

# A contact who was sent a survey less than this many minutes ago is not sent another of the same
# family (satisfaction after a ticket or visit / exit): closing a ticket and recording a visit
# minutes apart must not text the same person twice (settings override:
# POWERKAM_SURVEY_DEDUPE_MINUTES; 0 turns it off).
SURVEY_DEDUPE_MINUTES = 24 * 60

# Scores are whole numbers on a five-point scale (1 = very dissatisfied, 5 = very satisfied).
SCORE_MIN = 1
SCORE_MAX = 5
# A response whose overall score is at or below this counts as dissatisfied (analysis, alerts).
DISSATISFIED_AT_OR_BELOW = 2


class Kind(models.TextChoices):
    TICKET = "ticket", _("After a ticket")
    VISIT = "visit", _("After a visit")
    EXIT = "exit", _("Exit survey")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    NONE = "none", _("No channel")


class Status(models.TextChoices):
    # Recorded, not yet handed to the e-mail backend / SMS gateway: the message goes out after the
    # transaction commits (services.request_survey). Still "queued" later means the process
    # stopped between the commit and the send.
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")  # computed: sent and past expires_at
    FAILED = "failed", _("Not delivered")  # no contact channel or delivery failed


# Aspect scores asked after a ticket or a visit, besides the overall score.
ASPECTS = (
    ("responsiveness", _("Responsiveness")),
    ("professionalism", _("Professionalism")),
    ("communication", _("Communication")),
)


class ExitReason(models.TextChoices):
    """Why a customer left (lost-customer exit survey)."""

    RELOCATED = "relocated", _("Relocated or closed the business")
    PRICE = "price", _("Electricity price")
    SERVICE = "service", _("Service quality")
    RELIABILITY = "reliability", _("Supply reliability")
    SELF_SUPPLY = "self_supply", _("Own generation / other supplier")
    OTHER = "other", _("Other")


# Labels for the ticket types tickets pass as `category` (issue #4 §3). Tickets own the type list;
# this is only for display, and an unknown code is shown as it is.
CATEGORY_LABELS = {
    "consultation": _("Consultation"),
    "fault_repair": _("Fault repair"),
    "service_request": _("Service request"),
    "complaint": _("Complaint"),
    "suggestion": _("Suggestion"),
    "praise": _("Praise"),
    "visit": _("Visit"),  # visits pass category "visit"
}
