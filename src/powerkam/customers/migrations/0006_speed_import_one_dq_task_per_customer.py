"""One data-quality task per customer (issue #11 §3): the open tasks of one finding each
("dq:<finding id>", ~4 per customer) are folded into one task per customer listing its open
findings. The customer's earliest open task is kept (its assignee, due date, creation and
history stay) and rewritten to list every open finding; the others are cancelled with the
result "merged". A kept task whose customer has no open finding left is closed "resolved".
Every change gets a history row (the audit trail), "~" as simple-history writes for an update.
Closed tasks are left as they were: `quality.sync_customer_tasks` reads their finding id from
the old key, so a finding listed on a task someone closed does not open a new one.

The same folding also happens in `quality.sync_customer_tasks` whenever a customer is
evaluated, so this migration only makes it immediate for every customer."""

from django.db import migrations
from django.utils import timezone

CHUNK = 2000


def _history(apps, tasks, now):
    HistoricalTask = apps.get_model("core", "HistoricalTask")
    Task = apps.get_model("core", "Task")
    names = [f.attname for f in Task._meta.concrete_fields]
    HistoricalTask.objects.bulk_create(
        [HistoricalTask(**{n: getattr(t, n) for n in names}, history_date=now, history_type="~",
                        history_change_reason="one data-quality task per customer") for t in tasks],
        batch_size=1000)


def fold(apps, schema_editor):
    from powerkam.core.workqueue import title_fields
    from powerkam.customers.quality import customer_task_phrases

    Task = apps.get_model("core", "Task")
    Finding = apps.get_model("customers", "DataQualityFinding")
    Customer = apps.get_model("customers", "Customer")
    legacy = (Task.objects.filter(kind="data_quality", status="open", key__startswith="dq:")
              .exclude(key__startswith="dq:customer:"))
    customer_ids = sorted(set(legacy.exclude(customer_id=None).values_list("customer_id", flat=True)))
    now = timezone.now()
    for start in range(0, len(customer_ids), CHUNK):
        ids = customer_ids[start:start + CHUNK]
        names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
        findings: dict[int, list] = {}
        for pk, cid, rule, params in Finding.objects.filter(customer_id__in=ids, status="open").values_list(
                "pk", "customer_id", "rule", "params"):
            findings.setdefault(cid, []).append((pk, rule, params))
        tasks: dict[int, list] = {}
        for task in Task.objects.filter(kind="data_quality", status="open", customer_id__in=ids).order_by("pk"):
            tasks.setdefault(task.customer_id, []).append(task)
        changed, fields = [], set()
        for cid, (kept, *others) in tasks.items():
            for task in others:
                task.status, task.closed_at, task.result = "cancelled", now, "merged"
                changed.append(task)
            if findings.get(cid):
                title, detail = customer_task_phrases(names.get(cid, ""), findings[cid])
                for name, value in title_fields(title, detail).items():
                    setattr(kept, name, value)
            else:
                kept.status, kept.closed_at, kept.result = "done", now, "resolved"
            changed.append(kept)
        fields = ["status", "closed_at", "result", "title", "title_msgid", "title_params", "detail", "detail_msgid",
                  "detail_params"]
        Task.objects.bulk_update(changed, fields, batch_size=1000)
        _history(apps, changed, now)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0005_list_scope_index"),
        ("core", "0007_firstrun_task_title_backfill"),
    ]

    operations = [
        migrations.RunPython(fold, migrations.RunPython.noop),
    ]
