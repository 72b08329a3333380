"""The configurable lists' first rows (constants.DEFAULT_*): milestones, kinds, stages,
competitors, the service catalogue. Administrators change them afterwards."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    from powerkam.pipeline import constants as c

    Milestone = apps.get_model("pipeline", "Milestone")
    Kind = apps.get_model("pipeline", "OpportunityKind")
    Stage = apps.get_model("pipeline", "OpportunityStage")
    Competitor = apps.get_model("pipeline", "Competitor")
    Item = apps.get_model("pipeline", "ServiceItem")
    for code, name, order in c.DEFAULT_MILESTONES:
        Milestone.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    kinds = {}
    for code, name, value_added, order in c.DEFAULT_KINDS:
        kinds[code], _ = Kind.objects.get_or_create(
            code=code, defaults={"name": name, "is_value_added": value_added, "order": order})
    for code, name, probability, outcome, order in c.DEFAULT_STAGES:
        Stage.objects.get_or_create(code=code, defaults={"name": name, "probability": probability,
                                                         "outcome": outcome, "order": order})
    for name, kind in c.DEFAULT_COMPETITORS:
        Competitor.objects.get_or_create(name=name, defaults={"kind": kind})
    for code, name, unit, price, kind in c.DEFAULT_CATALOGUE:
        Item.objects.get_or_create(code=code, defaults={"name": name, "unit": unit,
                                                        "unit_price_yuan": Decimal(price), "kind": kinds.get(kind)})


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
