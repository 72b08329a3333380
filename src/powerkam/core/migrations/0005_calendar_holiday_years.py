"""Which years' holiday arrangements are complete (HolidayYear), seeded for the years the
chinesecalendar package knows (self-contained, like 0002); and the provisional flag and
working-day rule of a task's due date. Open tasks already due in a year not covered are marked
provisional: they were computed Monday–Friday (issue #9 item 8)."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def seed_years(apps, schema_editor):
    import datetime

    import chinese_calendar

    HolidayYear = apps.get_model("core", "HolidayYear")
    Task = apps.get_model("core", "Task")
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    HolidayYear.objects.bulk_create([HolidayYear(year=y, source="package") for y in years], ignore_conflicts=True)
    if years:
        first_uncovered = datetime.datetime(years[-1] + 1, 1, 1, tzinfo=datetime.timezone.utc)
        # Midnight of 1 January in China (UTC+8, no daylight saving).
        Task.objects.filter(status="open", due_at__gte=first_uncovered - datetime.timedelta(hours=8)).update(
            due_provisional=True)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_jobs_worker_lease'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicaltask',
            name='due_from',
            field=models.DateField(blank=True, null=True, verbose_name='due counted from'),
        ),
        migrations.AddField(
            model_name='historicaltask',
            name='due_provisional',
            field=models.BooleanField(default=False, verbose_name='due date provisional'),
        ),
        migrations.AddField(
            model_name='historicaltask',
            name='due_workdays',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='due after working days'),
        ),
        migrations.AddField(
            model_name='task',
            name='due_from',
            field=models.DateField(blank=True, null=True, verbose_name='due counted from'),
        ),
        migrations.AddField(
            model_name='task',
            name='due_provisional',
            field=models.BooleanField(default=False, verbose_name='due date provisional'),
        ),
        migrations.AddField(
            model_name='task',
            name='due_workdays',
            field=models.SmallIntegerField(blank=True, null=True, verbose_name='due after working days'),
        ),
        migrations.CreateModel(
            name='HistoricalHolidayYear',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(db_index=True, verbose_name='year')),
                ('source', models.CharField(choices=[('package', 'chinesecalendar package'), ('admin', 'Entered by an administrator')], default='admin', max_length=10, verbose_name='source')),
                ('notice', models.CharField(blank=True, help_text='The notice the arrangement comes from, e.g. its document number.', max_length=120, verbose_name='State Council notice')),
                ('covered_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='entered at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('covered_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='entered by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical holiday arrangement year',
                'verbose_name_plural': 'historical holiday arrangement years',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HolidayYear',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='year')),
                ('source', models.CharField(choices=[('package', 'chinesecalendar package'), ('admin', 'Entered by an administrator')], default='admin', max_length=10, verbose_name='source')),
                ('notice', models.CharField(blank=True, help_text='The notice the arrangement comes from, e.g. its document number.', max_length=120, verbose_name='State Council notice')),
                ('covered_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='entered at')),
                ('covered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='entered by')),
            ],
            options={
                'verbose_name': 'holiday arrangement year',
                'verbose_name_plural': 'holiday arrangement years',
                'ordering': ['-year'],
            },
        ),
        migrations.RunPython(seed_years, migrations.RunPython.noop),
    ]
