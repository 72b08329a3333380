import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('kpis', '0001_initial'),
        ('org', '0002_auth_two_step_policy'),
    ]

    operations = [
        migrations.CreateModel(
            name='DashboardSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField(verbose_name='month')),
                ('key_accounts', models.PositiveIntegerField(blank=True, null=True, verbose_name='key accounts')),
                ('churn_risk', models.PositiveIntegerField(blank=True, null=True, verbose_name='customers at churn risk')),
                ('pipeline_yuan', models.DecimalField(blank=True, decimal_places=2, max_digits=18, null=True, verbose_name='weighted pipeline (yuan)')),
                ('new_capacity_kva', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True, verbose_name='new capacity expected (kVA)')),
                ('arrears_yuan', models.DecimalField(blank=True, decimal_places=2, max_digits=18, null=True, verbose_name='arrears (yuan)')),
                ('taken_on', models.DateField(verbose_name='taken on')),
                ('source', models.CharField(choices=[('job', 'Nightly job'), ('history', 'Recomputed from the audit trail')], default='job', max_length=8, verbose_name='source')),
                ('org_unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.orgunit', verbose_name='org unit')),
            ],
            options={
                'verbose_name': 'dashboard snapshot',
                'verbose_name_plural': 'dashboard snapshots',
                'ordering': ['month', 'org_unit_id'],
                'constraints': [models.UniqueConstraint(fields=('month', 'org_unit'), name='kpi_one_snapshot_per_unit')],
            },
        ),
    ]
