"""The default timing table (State Grid commitments) and the one-time notice documents."""

from django.db import migrations


def seed(apps, schema_editor):
    from powerkam.projects import constants as c

    TimingRule = apps.get_model("projects", "TimingRule")
    DocumentRequirement = apps.get_model("projects", "DocumentRequirement")
    TimingRule.objects.bulk_create([TimingRule(**row) for row in c.default_timing_rows()], ignore_conflicts=True)
    if not DocumentRequirement.objects.exists():
        DocumentRequirement.objects.bulk_create([
            DocumentRequirement(name=name, application_types=list(types or []), applicant_type=applicant,
                                voltage_group=group, position=(i + 1) * 10)
            for i, (name, types, applicant, group) in enumerate(c.DEFAULT_DOCUMENTS)])


def unseed(apps, schema_editor):
    apps.get_model("projects", "TimingRule").objects.all().delete()
    apps.get_model("projects", "DocumentRequirement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
