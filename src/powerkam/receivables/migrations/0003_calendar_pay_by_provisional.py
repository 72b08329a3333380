"""A written notice's pay-by date may be provisional (counted in working days over a year whose
holidays were not entered: issue #9 item 8). Existing notices with such a date are marked, and
the open ladder tasks get the working-day rule of their due date (counted from the day the step
was reached, LADDER_TASK_DAYS), so that they are recomputed when the year is entered."""

from django.db import migrations, models


LADDER_TASK_DAYS = {1: 3, 2: 2, 3: 2, 4: 3}  # receivables.constants at the time of this migration
BULLETIN_TASK_DAYS = 2


def mark_provisional(apps, schema_editor):
    import datetime

    HolidayYear = apps.get_model("core", "HolidayYear")
    CollectionNotice = apps.get_model("receivables", "CollectionNotice")
    LadderStep = apps.get_model("receivables", "LadderStep")
    Task = apps.get_model("core", "Task")
    covered = set(HolidayYear.objects.values_list("year", flat=True))
    uncovered_years = {d.year for d in CollectionNotice.objects.values_list("pay_by", flat=True)} - covered
    CollectionNotice.objects.filter(pay_by__year__in=uncovered_years).update(pay_by_provisional=True)
    for step in LadderStep.objects.filter(task__status="open", task__due_from__isnull=True).select_related("task"):
        task = step.task
        task.due_from, task.due_workdays = step.reached_on, LADDER_TASK_DAYS[step.step]
        task.save(update_fields=["due_from", "due_workdays"])
    for task in Task.objects.filter(status="open", key__startswith="ladder:blacklist:", due_from__isnull=True):
        task.due_from = datetime.date.fromisoformat(task.key.split(":")[2])
        task.due_workdays = BULLETIN_TASK_DAYS
        task.save(update_fields=["due_from", "due_workdays"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_calendar_holiday_years'),
        ('receivables', '0002_collections_stop_supply_blacklist'),
    ]

    operations = [
        migrations.AddField(
            model_name='collectionnotice',
            name='pay_by_provisional',
            field=models.BooleanField(default=False, verbose_name='pay-by date provisional'),
        ),
        migrations.AddField(
            model_name='historicalcollectionnotice',
            name='pay_by_provisional',
            field=models.BooleanField(default=False, verbose_name='pay-by date provisional'),
        ),
        migrations.RunPython(mark_provisional, migrations.RunPython.noop),
    ]
