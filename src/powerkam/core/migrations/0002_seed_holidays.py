"""Seed the holiday calendar from the chinesecalendar package (State Council holiday notices).

Self-contained on purpose (a migration must not depend on today's app code); at run time
`powerkam.core.workdays.seed_from_package()` does the same for a newer package release.
"""

from django.db import migrations

NAMES_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    Holiday = apps.get_model("core", "Holiday")
    rows = []
    for d, name in chinese_calendar.holidays.items():
        if d.weekday() < 5:
            rows.append(Holiday(date=d, is_workday=False, name=NAMES_ZH.get(str(name), str(name or "")), source="package"))
    for d, name in chinese_calendar.workdays.items():
        if d.weekday() >= 5:
            rows.append(Holiday(date=d, is_workday=True, name=NAMES_ZH.get(str(name), str(name or "")), source="package"))
    Holiday.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("core", "Holiday").objects.filter(source="package").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
