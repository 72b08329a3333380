"""Provisional ticket deadlines (issue #9 item 8): each stage keeps the SLA rule it was computed
with and whether the computation crossed into a year whose holidays were not entered. Open
stages whose moments already lie in such a year are marked provisional (they were computed
Monday–Friday), with their ticket and their open work-queue task; stages started before this
migration are recomputed with the SLA table's current rule (services.recompute_provisional_deadlines)."""

from django.db import migrations, models


def mark_open_provisional(apps, schema_editor):
    from django.utils import timezone

    HolidayYear = apps.get_model("core", "HolidayYear")
    TicketStage = apps.get_model("tickets", "TicketStage")
    Ticket = apps.get_model("tickets", "Ticket")
    Task = apps.get_model("core", "Task")
    covered = set(HolidayYear.objects.values_list("year", flat=True))
    due_marked, company_marked = [], []
    for pk, ticket_id, stage, rnd, due_at, company_at in (
            TicketStage.objects.filter(completed_at__isnull=True)
            .values_list("pk", "ticket_id", "stage", "round", "due_at", "company_at")):
        if timezone.localtime(due_at).year not in covered:
            due_marked.append((pk, ticket_id, stage, rnd))
        if timezone.localtime(company_at).year not in covered:
            company_marked.append(pk)
    for start in range(0, len(company_marked), 500):
        TicketStage.objects.filter(pk__in=company_marked[start:start + 500]).update(company_at_provisional=True)
    for start in range(0, len(due_marked), 500):
        chunk = due_marked[start:start + 500]
        TicketStage.objects.filter(pk__in=[m[0] for m in chunk]).update(deadline_provisional=True)
        Ticket.objects.filter(current_stage_id__in=[m[0] for m in chunk]).update(due_provisional=True)
        keys = []
        for _pk, ticket_id, stage, rnd in chunk:
            base = f"ticket:{ticket_id}:{stage}"
            keys.append(base if rnd == 1 else f"{base}:r{rnd}")
        Task.objects.filter(key__in=keys, status="open").update(due_provisional=True)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_calendar_holiday_years'),
        ('tickets', '0003_complaint_summary'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalticket',
            name='due_provisional',
            field=models.BooleanField(default=False, verbose_name='stage deadline provisional'),
        ),
        migrations.AddField(
            model_name='historicalticketstage',
            name='company_at_provisional',
            field=models.BooleanField(default=False, verbose_name='company escalation moment provisional'),
        ),
        migrations.AddField(
            model_name='historicalticketstage',
            name='deadline_provisional',
            field=models.BooleanField(default=False, verbose_name='deadline provisional'),
        ),
        migrations.AddField(
            model_name='historicalticketstage',
            name='sla_company_margin',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='SLA company escalation margin'),
        ),
        migrations.AddField(
            model_name='historicalticketstage',
            name='sla_limit',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='SLA limit'),
        ),
        migrations.AddField(
            model_name='historicalticketstage',
            name='sla_unit',
            field=models.CharField(blank=True, choices=[('workdays', 'Working days'), ('working_hours', 'Working hours'), ('calendar_hours', 'Calendar hours')], max_length=16, verbose_name='SLA unit'),
        ),
        migrations.AddField(
            model_name='historicalticketstage',
            name='sla_warn_percent',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='SLA warn at % of time'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='due_provisional',
            field=models.BooleanField(default=False, verbose_name='stage deadline provisional'),
        ),
        migrations.AddField(
            model_name='ticketstage',
            name='company_at_provisional',
            field=models.BooleanField(default=False, verbose_name='company escalation moment provisional'),
        ),
        migrations.AddField(
            model_name='ticketstage',
            name='deadline_provisional',
            field=models.BooleanField(default=False, verbose_name='deadline provisional'),
        ),
        migrations.AddField(
            model_name='ticketstage',
            name='sla_company_margin',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='SLA company escalation margin'),
        ),
        migrations.AddField(
            model_name='ticketstage',
            name='sla_limit',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name='SLA limit'),
        ),
        migrations.AddField(
            model_name='ticketstage',
            name='sla_unit',
            field=models.CharField(blank=True, choices=[('workdays', 'Working days'), ('working_hours', 'Working hours'), ('calendar_hours', 'Calendar hours')], max_length=16, verbose_name='SLA unit'),
        ),
        migrations.AddField(
            model_name='ticketstage',
            name='sla_warn_percent',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='SLA warn at % of time'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('intake', 'Taken in'), ('assigned', 'Assigned'), ('stage_completed', 'Stage completed'), ('stage_started', 'Stage started'), ('escalated', 'Escalated'), ('reopened', 'Reopened'), ('closed', 'Closed'), ('attachment', 'Attachment added'), ('deadline_recomputed', 'Deadline recomputed')], max_length=20, verbose_name='kind'),
        ),
        migrations.RunPython(mark_open_provisional, migrations.RunPython.noop),
    ]
