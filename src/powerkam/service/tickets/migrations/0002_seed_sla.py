from django.db import migrations


def seed(apps, schema_editor):
    from powerkam.service.tickets.constants import DEFAULT_SLA, WARN_PERCENT

    SlaRule = apps.get_model("tickets", "SlaRule")
    for (ticket_type, stage), (limit, unit, margin) in DEFAULT_SLA.items():
        SlaRule.objects.get_or_create(ticket_type=ticket_type, stage=stage, defaults={
            "limit": limit, "unit": unit, "company_margin": margin, "warn_percent": WARN_PERCENT})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
