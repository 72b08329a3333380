from django.db import migrations


def add_levels(apps, schema_editor):
    from powerkam.credit.constants import DEFAULT_BEHAVIOUR_LEVELS

    Level = apps.get_model("credit", "BehaviourLevel")
    for code, name, rank, rate, days, arrears, is_low in DEFAULT_BEHAVIOUR_LEVELS:
        Level.objects.get_or_create(code=code, defaults={
            "name": name, "rank": rank, "min_on_time_rate": rate, "max_days_overdue": days,
            "max_arrears": arrears, "is_low": is_low})


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]
    operations = [migrations.RunPython(add_levels, migrations.RunPython.noop)]
