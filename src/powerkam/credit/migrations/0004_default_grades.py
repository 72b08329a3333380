from django.db import migrations


def add_grades(apps, schema_editor):
    from powerkam.credit.constants import DEFAULT_GRADES

    Grade = apps.get_model("credit", "CharacteristicGrade")
    for grade, percent, en, _zh in DEFAULT_GRADES:
        Grade.objects.get_or_create(grade=grade, defaults={"min_percent": percent, "description": en})


class Migration(migrations.Migration):
    dependencies = [("credit", "0003_assessments")]
    operations = [migrations.RunPython(add_grades, migrations.RunPython.noop)]
