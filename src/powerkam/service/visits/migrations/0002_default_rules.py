"""Seed the admin-editable visit rules with the defaults of constants.py (seed 001)."""

from django.db import migrations

DEFAULTS = {"premium": 6, "medium": 3, "general": 3, "low_credit": 1}


def seed(apps, schema_editor):
    VisitInterval = apps.get_model("visits", "VisitInterval")
    VisitPolicy = apps.get_model("visits", "VisitPolicy")
    for category, months in DEFAULTS.items():
        VisitInterval.objects.get_or_create(category=category, defaults={"months": months})
    VisitPolicy.objects.get_or_create(pk=1, defaults={"first_visit_within_days": 14, "escalate_after_days": 7})


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
