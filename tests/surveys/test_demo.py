"""Demo surveys: a few hundred answered surveys spread over the year."""

from datetime import date

import pytest

from powerkam.customers.demo import load_demo as load_company
from powerkam.service.surveys.demo import ANSWERED, load_demo
from powerkam.service.surveys.models import SurveyInvitation, SurveyResponse

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def test_demo_surveys(commit):
    load_company(scale=80, seed=2, today=TODAY, evaluate=False)
    with commit():  # the sends, as after each real commit
        counts = load_demo(seed=1, today=TODAY)
    assert counts["answered"] == ANSWERED == SurveyResponse.objects.exclude(kind="exit").count()
    assert SurveyInvitation.objects.filter(status="sent").exists()
    assert not SurveyInvitation.objects.filter(status="queued").exists()  # every message handed over
    months = {r.answered_at.strftime("%Y-%m") for r in SurveyResponse.objects.all()}
    assert len(months) >= 10
