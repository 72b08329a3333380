"""Demo data for key-account scoring: the default model published as version 1, the managers'
assessments of the key accounts, and one scoring run this month (scores with reasons and the
tier changes it proposes, pending review). Deterministic for a seed and a day."""

from __future__ import annotations

import random
from datetime import date

from powerkam.customers.models import Customer

from . import constants as c
from . import services
from .models import Assessment, ScoringModel


def load_demo(*, seed: int, today: date, log=None) -> dict:
    if ScoringModel.objects.exists():
        return {"skipped": "scoring model already there"}
    rng = random.Random(seed + 15)
    model = services.new_version_from(None)
    services.publish_model(model)
    rows = []
    for pk, manager in Customer.objects.filter(is_key_account=True).values_list("pk", "primary_manager_id"):
        rows.append(Assessment(customer_id=pk, assessed_by_id=manager, assessed_on=today,
                               **{code: rng.randint(2, 5) for code in c.ASSESSMENT_CODES}))
    Assessment.objects.bulk_create(rows, batch_size=2000)
    run = services.run_scoring(model, today.replace(day=1))
    return {"model": model.version, "assessments": len(rows), "scored": run.customers, "proposals": run.proposals}
