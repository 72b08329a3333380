"""Demo surveys: a few hundred answered satisfaction surveys over the last twelve months, some
unanswered and expired ones, and exit surveys for closed customers. Deterministic per seed.

    load_demo(seed=1, today=date(2026, 11, 23))
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from powerkam.core.notify import LoggingSmsGateway
from powerkam.customers import constants as cc
from powerkam.customers.models import Customer, TimelineEvent

from . import constants as c
from .models import SurveyInvitation, SurveyResponse
from .services import request_survey, submit_response

ANSWERED = 360
UNANSWERED = 60
COMMENTS = ("抢修人员到场很快，感谢！", "希望停电通知更早一些。", "客户经理服务热情，解释电费很清楚。", "办理流程还可以再简化。",
            "力调电费的说明不太清楚。", "", "", "", "整体满意。", "电压偶有波动，希望改善。")


def _aware(d: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(rng.randint(8, 20), rng.randint(0, 59))))


def _score(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.9))))


def load_demo(*, seed: int = 1, today: date, log=None) -> dict:
    rng = random.Random(seed * 7919 + 4)
    customers = list(Customer.objects.filter(contacts__isnull=False, lifecycle_status=cc.LifecycleStatus.ACTIVE)
                     .filter(Q(contacts__email__gt="") | Q(contacts__mobile__gt="")).distinct()
                     .select_related("primary_manager").order_by("number")[:2000])
    if not customers:
        return {"answered": 0, "unanswered": 0, "exit": 0}
    # Each manager has a service quality of their own, so the analysis has something to show.
    bias = {}
    counts = {"answered": 0, "unanswered": 0, "exit": 0}
    # The demo backdates each invitation right after sending it, so the dedupe window is off.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
                           POWERKAM_SURVEY_DEDUPE_MINUTES=0):
        for i in range(ANSWERED + UNANSWERED):
            customer = rng.choice(customers)
            mean = bias.setdefault(customer.primary_manager_id, rng.uniform(3.2, 4.7))
            kind = c.Kind.TICKET if rng.random() < 0.65 else c.Kind.VISIT
            category = rng.choice(list(c.CATEGORY_LABELS)) if kind == c.Kind.TICKET else ""
            sent_day = today - timedelta(days=rng.randint(1, 360))
            inv = request_survey(customer=customer, kind=kind, category=category)
            sent_at = _aware(sent_day, rng)
            expires_at = sent_at + timedelta(days=c.SURVEY_VALID_DAYS)
            if i >= ANSWERED:
                SurveyInvitation.objects.filter(pk=inv.pk).update(sent_at=sent_at, expires_at=expires_at)
                counts["unanswered"] += 1
                continue
            data = {"overall": _score(rng, mean), "responsiveness": _score(rng, mean),
                    "professionalism": _score(rng, mean), "communication": _score(rng, mean),
                    "comment": rng.choice(COMMENTS)}
            response = submit_response(inv.token, data)
            answered_at = sent_at + timedelta(hours=rng.randint(1, 72))
            SurveyInvitation.objects.filter(pk=inv.pk).update(sent_at=sent_at, expires_at=expires_at,
                                                              answered_at=answered_at)
            SurveyResponse.objects.filter(pk=response.pk).update(answered_at=answered_at)
            TimelineEvent.objects.filter(customer=customer, kind="survey.answered",
                                         occurred_at__gte=timezone.now() - timedelta(minutes=10)).update(occurred_at=answered_at)
            counts["answered"] += 1
        closed = list(Customer.objects.filter(lifecycle_status=cc.LifecycleStatus.CLOSED, contacts__isnull=False)
                      .distinct().order_by("number")[:20])
        for customer in closed:
            inv = request_survey(customer=customer, kind=c.Kind.EXIT)
            if inv.status == c.Status.FAILED or rng.random() < 0.3:
                continue
            submit_response(inv.token, {"overall": rng.randint(1, 4), "exit_reason": rng.choice(c.ExitReason.values),
                                        "comment": rng.choice(("企业搬迁到外地。", "电价偏高。", "", "自建分布式光伏。"))})
            counts["exit"] += 1
    LoggingSmsGateway.outbox.clear()
    if log:
        log(f"surveys: {counts['answered']} answered, {counts['unanswered']} unanswered, {counts['exit']} exit surveys")
    return counts
