"""Existing generated task titles → msgid + parameters, so they too are shown in the reader's
language (issue #10 §2). A title is matched against each generated msgid in English and in
Chinese; a stage, level or rule word is mapped back to its msgid. Titles typed by users, and
titles cut at 200 characters, match nothing and stay as they are."""

import re

from django.db import migrations
from django.utils import translation

# The generated titles (and details) as their creators wrote them before this migration.
# The most specific first: "Visit %(customer)s" (走访%(customer)s) would match any of them.
TITLES = [
    "Escalation (%(level)s): %(stage)s of %(number)s %(subject)s",
    "Overdue visit: %(customer)s (planned %(day)s, %(who)s)",
    "Call %(customer)s about outage %(number)s on %(start)s",
    "Reminder: bill %(n)s of %(c)s is due on %(d)s",
    "Credit warning: bill %(n)s of %(c)s is 7 days overdue",
    "Collection: send written notice %(notice)s for bill %(n)s of %(c)s (14 days overdue)",
    "Field investigation: bill %(n)s of %(c)s is 30 days overdue (blacklisted)",
    "Blacklist bulletin %(d)s: %(n)s customers listed (30 days overdue)",
    "%(rule)s · %(customer)s",
    "%(stage)s: %(number)s %(subject)s",
    "Visit %(customer)s",
]
DETAILS = [
    "Call the customer, confirm the payment date, mention the on-time payment incentive.",
    "Find out why the bill is overdue, notify the customer in writing of the credit warning; "
    "a bad-credit record has been written.",
    "Deliver the written collection notice and press for payment; analyse the cause. Supply "
    "may be stopped only through the legal notice procedure (prior written notice).",
    "Visit the customer, investigate, prepare the documents for a special case. The customer "
    "has been blacklisted and every unit notified.",
    "The visit is %(n)s days past its planned day.",
]
# Parameters that are UI words: their possible msgids.
TERMS = {
    "stage": ["Accept", "Handle", "Verify", "Review", "Rectify", "Revisit", "Archive"],
    "level": ["station", "region", "company"],
}
LANGUAGES = ("en", "zh-hans")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(text: str) -> re.Pattern:
    parts, last = [], 0
    for m in PLACEHOLDER.finditer(text):
        parts.append(re.escape(text[last:m.start()]))
        parts.append(f"(?P<{m.group(1)}>.+?)")
        last = m.end()
    parts.append(re.escape(text[last:]))
    return re.compile("^" + "".join(parts) + "$", re.S)


def _patterns(msgids):
    out = []
    for msgid in msgids:
        for lang in LANGUAGES:
            with translation.override(lang):
                text = translation.gettext(msgid)
            if set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)):
                out.append((msgid, _pattern(text)))
    return out


def _rule_labels() -> list[str]:
    """The data-quality rule labels as msgids (the rule table lives in code, not in the database)."""
    try:
        from powerkam.core.phrases import msgid_of
        from powerkam.customers.quality import RULES
    except ImportError:  # the rule table moved: those titles stay as they are
        return []
    return [msgid_of(rule.label) for rule in RULES]


def _terms():
    words = {}
    TERMS["rule"] = _rule_labels()
    for name, msgids in TERMS.items():
        for msgid in msgids:
            for lang in LANGUAGES:
                with translation.override(lang):
                    words[(name, translation.gettext(msgid))] = msgid
    return words


def _match(text, patterns, words):
    for msgid, pattern in patterns:
        m = pattern.match(text or "")
        if not m:
            continue
        params = {}
        for name, value in m.groupdict().items():
            if name in TERMS:
                if (name, value) not in words:
                    break  # not a stage or level word: another title that looks alike
                params[name] = {"t": words[(name, value)]}
            else:
                params[name] = value
        else:
            return msgid, params
    return None


def backfill(apps, schema_editor):
    Task = apps.get_model("core", "Task")
    titles, details, words = _patterns(TITLES), _patterns(DETAILS), _terms()
    batch = []
    rows = Task.objects.filter(title_msgid="").exclude(kind="follow_up").only("id", "title", "detail")
    for task in rows.iterator(chunk_size=2000):
        title, detail = _match(task.title, titles, words), _match(task.detail, details, words)
        if not (title or detail):
            continue
        if title:
            task.title_msgid, task.title_params = title
        if detail:
            task.detail_msgid, task.detail_params = detail
        batch.append(task)
        if len(batch) >= 1000:
            Task.objects.bulk_update(batch, ["title_msgid", "title_params", "detail_msgid", "detail_params"])
            batch = []
    if batch:
        Task.objects.bulk_update(batch, ["title_msgid", "title_params", "detail_msgid", "detail_params"])


class Migration(migrations.Migration):
    dependencies = [("core", "0006_firstrun_task_title_phrase")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
