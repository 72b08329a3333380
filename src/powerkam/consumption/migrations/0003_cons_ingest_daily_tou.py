from decimal import Decimal

from django.db import migrations, models

PERIODS = (("sharp", "sharp-peak"), ("peak", "peak"), ("flat", "flat"), ("valley", "valley"))


def _kwh(label, **kw):
    return models.DecimalField(blank=True, decimal_places=3, max_digits=16, null=True, verbose_name=label, **kw)


class Migration(migrations.Migration):
    """Daily readings with the TOU period registers and kWh; a daily aggregate's split may be unknown
    (NULL). Dropping NOT NULL is a catalogue change on PostgreSQL: no table rewrite."""

    dependencies = [
        ("consumption", "0002_watch_forecast"),
    ]

    operations = [
        *(migrations.AddField(
            model_name="dailyreading", name=f"{period}_register",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=16, null=True,
                                      verbose_name=f"{label} register"))
          for period, label in PERIODS),
        *(migrations.AddField(model_name="dailyreading", name=f"kwh_{period}", field=_kwh(f"{label} kWh"))
          for period, label in PERIODS),
        *(migrations.AlterField(model_name="dailyaggregate", name=f"kwh_{period}",
                                field=_kwh(f"{label} kWh", default=Decimal("0")))
          for period, label in PERIODS),
    ]
