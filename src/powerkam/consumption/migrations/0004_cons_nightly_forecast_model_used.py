# The forecast used per series and horizon (issue #14 item 6; decision 0007, "Model or seasonal
# naive"; branch cons-nightly).

from django.db import migrations, models

CHOICES = [
    ("holt-workdays", "Holt on working days"),
    ("holt-winters", "Holt-Winters (12-month season)"),
    ("holt", "Holt (damped trend)"),
    ("seasonal-naive", "seasonal naive"),
    ("last-month", "last month (less than a year and a half of history)"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("consumption", "0003_cons_nightly_watch_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="consumptionforecast",
            name="daily_model",
            field=models.CharField(blank=True, choices=CHOICES, max_length=20, verbose_name="daily forecast used"),
        ),
        migrations.AddField(
            model_name="consumptionforecast",
            name="monthly_model",
            field=models.CharField(blank=True, choices=CHOICES, max_length=20, verbose_name="monthly forecast used"),
        ),
    ]
