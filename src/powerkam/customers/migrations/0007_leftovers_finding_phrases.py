"""Data-quality findings in the reader's language (customers/quality.py): the parameters that held
UI words in the language of whoever ran the check — the missing identity fields ("统一社会信用代码、
法定代表人"), the usage category ("大工业"), the power-factor standard "none" — are rewritten as
their msgids ({"t": msgid}), as the checks now store them, so old findings are shown in the
reader's language like new ones. The open data-quality tasks that list them (their detail's
items) get the same rewrite, with a history row each (the audit trail). A word that matches
neither language's text is kept as it was: still readable, as before.

The English and Chinese texts are copied here (the catalogue as it was when the checks wrote
them), so the migration does not depend on a compiled catalogue."""

from django.db import migrations
from django.utils import timezone

CHUNK = 2000

# msgid → the Chinese text it had; either text (or the msgid itself) maps back to the msgid.
MISSING = {"ID card number": "身份证号码", "unified social credit code": "统一社会信用代码",
           "legal representative": "法定代表人"}
CATEGORY = {"Large industry": "大工业", "General industry and commerce": "一般工商业",
            "Agricultural production": "农业生产", "Residential": "居民生活"}
NOT_ASSESSED = {"Not assessed": "不考核"}


def _lookup(table: dict) -> dict:
    return {**{k: k for k in table}, **{v: k for k, v in table.items()}}


MISSING_BY_TEXT, CATEGORY_BY_TEXT = _lookup(MISSING), _lookup(CATEGORY)
PF_BY_TEXT = {**_lookup(NOT_ASSESSED), "none": "Not assessed"}


PAIR = "%(first)s, %(second)s"  # customers.quality.PAIR_MSGID: two words, joined the reader's way


def _words(text: str, lookup: dict):
    """What a joined text of one or two UI words stands for, as the check stores it now ({"t":
    msgid}, or the pair phrase of two), or None if a part is unknown."""
    parts = [p.strip() for p in text.replace("、", ",").split(",") if p.strip()]
    if not parts or len(parts) > 2 or any(p not in lookup for p in parts):
        return None
    words = [{"t": lookup[p]} for p in parts]
    return words[0] if len(words) == 1 else {"t": PAIR, "p": {"first": words[0], "second": words[1]}}


def rewrite(rule: str, params: dict) -> dict | None:
    """The finding's parameters in the stored-msgid form, or None when nothing changes."""
    if not isinstance(params, dict):
        return None
    new = dict(params)
    if rule == "identity_missing" and isinstance(params.get("missing"), str):
        words = _words(params["missing"], MISSING_BY_TEXT)
        if words is not None:
            new["missing"] = words
    elif rule == "two_part_tariff_missing" and isinstance(params.get("category"), str):
        if params["category"] in CATEGORY_BY_TEXT:
            new["category"] = {"t": CATEGORY_BY_TEXT[params["category"]]}
    elif rule == "pf_standard_mismatch":
        for key in ("recorded", "expected"):
            if isinstance(params.get(key), str) and params[key] in PF_BY_TEXT:
                new[key] = {"t": PF_BY_TEXT[params[key]]}
    return new if new != params else None


def _task_items(detail_params: dict):
    """A data-quality task's detail parameters with each listed finding's message parameters
    rewritten, or None when nothing changes. Items are {"t": item msgid, "p": {"rule": {"t":
    label msgid}, "message": {"t": message msgid, "p": params}}}; the rule code is not stored
    there, so each rewrite is tried (each touches only its own parameter names)."""
    items = (detail_params or {}).get("items")
    if not isinstance(items, list):
        return None
    changed = False
    out = []
    for item in items:
        message = item.get("p", {}).get("message") if isinstance(item, dict) else None
        params = message.get("p") if isinstance(message, dict) else None
        new = None
        if isinstance(params, dict):
            for rule in ("identity_missing", "two_part_tariff_missing", "pf_standard_mismatch"):
                new = rewrite(rule, params)
                if new is not None:
                    break
        if new is None:
            out.append(item)
            continue
        changed = True
        out.append({**item, "p": {**item["p"], "message": {**message, "p": new}}})
    return {**detail_params, "items": out} if changed else None


def forwards(apps, schema_editor):
    Finding = apps.get_model("customers", "DataQualityFinding")
    Task = apps.get_model("core", "Task")
    HistoricalTask = apps.get_model("core", "HistoricalTask")
    rules = ("identity_missing", "two_part_tariff_missing", "pf_standard_mismatch")
    last = 0
    while True:
        rows = list(Finding.objects.filter(rule__in=rules, pk__gt=last).order_by("pk")[:CHUNK])
        if not rows:
            break
        last = rows[-1].pk
        changed = []
        for finding in rows:
            new = rewrite(finding.rule, finding.params)
            if new is not None:
                finding.params = new
                changed.append(finding)
        Finding.objects.bulk_update(changed, ["params"], batch_size=1000)
    now = timezone.now()
    names = [f.attname for f in Task._meta.concrete_fields]
    last = 0
    while True:
        tasks = list(Task.objects.filter(kind="data_quality", status="open", pk__gt=last).order_by("pk")[:CHUNK])
        if not tasks:
            break
        last = tasks[-1].pk
        changed = []
        for task in tasks:
            new = _task_items(task.detail_params)
            if new is not None:
                task.detail_params = new
                changed.append(task)
        Task.objects.bulk_update(changed, ["detail_params"], batch_size=1000)
        HistoricalTask.objects.bulk_create(
            [HistoricalTask(**{n: getattr(t, n) for n in names}, history_date=now, history_type="~",
                            history_change_reason="data-quality findings in the reader's language")
             for t in changed], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0006_projects_core_timeline_phrase"),
        ("core", "0009_task_kinds_of_new_apps"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
