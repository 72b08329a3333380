"""The receivables ladder (seed 003 篇4; DOMAIN.md "Money"): a daily, idempotent job.

For every open bill, relative to its due date (moved by an approved extension):
  D−7  reminder task (账款临期一周: 提示按期付款);
  D+7  credit warning task + bad-credit record (账款过期一周: 信用警告, 记录不良信用信息);
  D+14 stronger collection task + numbered written notice (账款过期二周: 函件通知; supply may be
       stopped only through the legal notice procedure, never by this job);
  D+30 field investigation task + blacklist entry + every unit's supervisors notified
       (账款过期一个月: 实地调查, 专案处理, 通报各单位并列入黑名单).
Each step reached is one LadderStep row (unique per bill and step), one Task (idempotent by key
"ladder:bill:<id>:<step>") and one timeline event, so running the job twice for a day changes
nothing. A step missed (the job did not run that day) is caught up on the next run; a reminder is
not sent once the bill is already overdue.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from powerkam.billing.models import Bill
from powerkam.core import workdays, workqueue
from powerkam.core.models import Task
from powerkam.core.phrases import phrase
from powerkam.customers.models import TimelineEvent
from powerkam.org.selectors import Supervisors

from . import constants as c
from .models import BadCreditRecord, BlacklistEntry, CollectionNotice, LadderStep
from .services import _at, apply_advances, extended_due_subquery, money

Step = LadderStep.Step
BATCH = 1000  # bills per transaction and rows per INSERT
HISTORY_BATCH = 900  # ids per history INSERT … SELECT (under SQLite's 999 parameters)


def steps_due(due_on: date, day: date) -> list[int]:
    """The ladder steps a bill due on `due_on` has reached by `day` (ascending). The reminder
    belongs to D−7..D only: it is not sent once the bill is overdue."""
    reached = [s for s, off in c.LADDER_OFFSETS.items() if due_on + timedelta(days=off) <= day]
    if day > due_on:
        reached = [s for s in reached if s != Step.REMINDER]
    return reached


def step_date(due_on: date, step: int) -> date:
    return due_on + timedelta(days=c.LADDER_OFFSETS[step])


def responsible(customer, supervisors: Supervisors):
    """The customer's primary manager, else the secondary, else the nearest unit supervisor."""
    for person in (customer.primary_manager, customer.secondary_manager):
        if person is not None and person.is_active:
            return person
    return supervisors.nearest(customer.org_unit)


STEP_TITLES = {
    Step.REMINDER: gettext_noop("Reminder: bill %(n)s of %(c)s is due on %(d)s"),
    Step.WARNING: gettext_noop("Credit warning: bill %(n)s of %(c)s is 7 days overdue"),
    Step.COLLECTION: gettext_noop("Collection: send written notice %(notice)s for bill %(n)s of %(c)s (14 days overdue)"),
    Step.INVESTIGATION: gettext_noop("Field investigation: bill %(n)s of %(c)s is 30 days overdue (blacklisted)"),
}
STEP_DETAILS = {
    Step.REMINDER: gettext_noop("Call the customer, confirm the payment date, mention the on-time payment incentive."),
    Step.WARNING: gettext_noop("Find out why the bill is overdue, notify the customer in writing of the credit warning; "
                  "a bad-credit record has been written."),
    Step.COLLECTION: gettext_noop("Deliver the written collection notice and press for payment; analyse the cause. Supply "
                     "may be stopped only through the legal notice procedure (prior written notice)."),
    Step.INVESTIGATION: gettext_noop("Visit the customer, investigate, prepare the documents for a special case. The customer "
                        "has been blacklisted and every unit notified."),
}


def _next_notice_seq(year: int) -> int:
    stem = f"{c.NOTICE_PREFIX}-{year}-"
    last = (CollectionNotice.objects.filter(number__startswith=stem).order_by("-number")
            .values_list("number", flat=True).first())
    return int(last.rsplit("-", 1)[1]) + 1 if last else 1


def render_notice(*, number: str, bill: Bill, customer, issued_on: date, due_on: date, pay_by: date,
                  amount) -> str:
    with translation.override("zh-hans"):
        return render_to_string("receivables/notice_document.html", {
            "number": number, "bill": bill, "customer": customer, "issued_on": issued_on, "due_on": due_on,
            "pay_by": pay_by, "amount": amount, "days_overdue": (issued_on - due_on).days,
        })


def _create_audited(model, objs: list) -> None:
    """Bulk INSERT plus the simple-history "+" rows, copied by the database (INSERT … SELECT by id):
    no second round of parameters, which SQLite would split into many statements (999 per query)."""
    model.objects.bulk_create(objs, batch_size=BATCH)
    workqueue.insert_history_rows(model, [o.pk for o in objs], batch_size=HISTORY_BATCH)


def _existing(model, bill_ids, field: str = "pk") -> dict:
    """bill id → `field` of the rows of `model` (one per bill) that already exist."""
    if not bill_ids:
        return {}
    return dict(model.objects.filter(bill_id__in=bill_ids).values_list("bill_id", field))


def _apply_chunk(bills: list[tuple[Bill, list[int]]], day: date, due_of: dict, supervisors: Supervisors,
                 counts, ctx: dict) -> None:
    """Write the steps `bills` reach on `day` set-based: a constant number of queries for the
    chunk (existing records per kind, then one bulk INSERT per kind plus its history rows),
    the same rows the step-by-step walk wrote. Records that exist already (a bad-credit record,
    notice or blacklist entry of the bill) are kept, as get_or_create did."""
    def wanting(step):
        return [b.pk for b, steps in bills if step in steps]

    bad_existing = _existing(BadCreditRecord, wanting(Step.WARNING))
    notice_existing = _existing(CollectionNotice, wanting(Step.COLLECTION), "number")
    black_existing = _existing(BlacklistEntry, wanting(Step.INVESTIGATION))
    bad_new, notices_new, black_new, task_specs, pending = [], [], [], [], []
    for bill, steps in bills:
        customer = bill.customer
        due_on = due_of[bill.pk]
        outstanding = money(bill.total - bill.paid_amount)
        assignee = responsible(customer, supervisors)
        counts["bills"] += 1
        for step in steps:
            extra = {"notice": ""}
            if step == Step.WARNING and bill.pk not in bad_existing:
                bad_new.append(BadCreditRecord(
                    bill=bill, customer=customer, recorded_on=day, amount_overdue=outstanding,
                    reason=_("Bill %(n)s overdue 7 days") % {"n": bill.number}))
            elif step == Step.COLLECTION:
                number = notice_existing.get(bill.pk)
                if number is None:
                    # Numbers are allocated as one block per run, in walking order (due date, bill).
                    year = day.year
                    if year not in ctx["seq"]:
                        ctx["seq"][year] = _next_notice_seq(year)
                    number = f"{c.NOTICE_PREFIX}-{year}-{ctx['seq'][year]:06d}"
                    ctx["seq"][year] += 1
                    notices_new.append(CollectionNotice(
                        number=number, customer=customer, bill=bill, issued_on=day, amount_overdue=outstanding,
                        pay_by=ctx["pay_by"], pay_by_provisional=ctx["pay_by_provisional"],
                        html=render_notice(number=number, bill=bill, customer=customer, issued_on=day,
                                           due_on=due_on, pay_by=ctx["pay_by"], amount=outstanding)))
                extra["notice"] = number
            elif step == Step.INVESTIGATION and bill.pk not in black_existing:
                black_new.append(BlacklistEntry(
                    bill=bill, customer=customer, listed_on=day, units_notified=supervisors.unit_count,
                    reason=_("Bill %(n)s overdue 30 days: %(a)s yuan") % {"n": bill.number, "a": outstanding}))
                ctx["bulletin"].append((customer, bill, outstanding))
            params = {"n": bill.number, "c": customer.name, "d": due_on, **extra}
            title = phrase(STEP_TITLES[step], **params)
            key = f"ladder:bill:{bill.pk}:{c.LADDER_KEYS[step]}"
            if assignee is not None:
                task_specs.append({
                    "kind": Task.Kind.LADDER_STEP, "assignee_id": assignee.pk, "customer": customer, "key": key,
                    "title": title, "detail": phrase(STEP_DETAILS[step]), **ctx["task_due"][step],
                    "priority": Task.Priority.NORMAL if step <= Step.WARNING else Task.Priority.HIGH,
                    "link": reverse("receivables:bill", args=[bill.pk])})
                counts["tasks"] += 1
            else:
                counts["unassigned"] += 1
            pending.append((bill, customer, step, due_on, key if assignee is not None else None, title, outstanding))
    with transaction.atomic():
        if bad_new:
            _create_audited(BadCreditRecord, bad_new)
        if any(Step.WARNING in steps for _b, steps in bills):
            counts["bad_credit_records"] += len(bad_new)
        if notices_new:
            _create_audited(CollectionNotice, notices_new)
            counts["notices"] += len(notices_new)
        if black_new:
            _create_audited(BlacklistEntry, black_new)
            counts["blacklisted"] += len(black_new)
        task_of = {}
        if task_specs:
            workqueue.open_tasks_bulk(task_specs, batch_size=BATCH)
            keys = [s["key"] for s in task_specs]
            task_of = dict(workqueue.tasks_with_keys(keys).values_list("key", "pk"))
        _create_audited(LadderStep, [
            LadderStep(bill=bill, customer=customer, step=step, reached_on=day, due_on=due_on,
                       task_id=task_of.get(key)) for bill, customer, step, due_on, key, _t, _a in pending
        ])
        TimelineEvent.objects.bulk_create([
            TimelineEvent(customer=customer, kind="ladder", title=str(title)[:200], occurred_at=_at(day),
                          detail=_("Outstanding %(a)s yuan.") % {"a": outstanding})
            for _b, customer, _s, _d, _k, title, outstanding in pending
        ], batch_size=BATCH)
        counts["steps"] += len(pending)


def _notify_units(day: date, listed: list, supervisors: Supervisors) -> None:
    """"All units notified": one bulletin task per active supervisor listing the customers
    blacklisted today (one task per supervisor and day, not per bill)."""
    lines = "\n".join(f"{cu.number} {cu.name}: {bill.number}, {amount}" for cu, bill, amount in listed)
    title = phrase(gettext_noop("Blacklist bulletin %(d)s: %(n)s customers listed (30 days overdue)"), d=day, n=len(listed))
    detail = phrase(gettext_noop("%(note)s\n%(lines)s"), lines=lines, note=gettext_lazy(
        "For information: these customers have been listed as bad customers. Do not extend credit."))
    due, link = workqueue.workday_due(day, c.BULLETIN_TASK_DAYS), reverse("receivables:board") + "?step=4"
    workqueue.open_tasks_bulk([
        {"kind": Task.Kind.LADDER_STEP, "assignee_id": sup.pk, "org_unit_id": sup.org_unit_id,
         "key": f"ladder:blacklist:{day}:{sup.pk}", "title": title, "detail": detail, **due, "link": link}
        for sup in supervisors.all
    ], batch_size=BATCH)


def run_ladder(day: date) -> dict:
    """Walk every open bill for `day`. Idempotent: a second run for the same day writes nothing.

    Set-based (issue #3: a day at 100,000 customers in under a minute): plain (pk, effective due
    date) rows of the open bills and the steps they already have; then, per chunk of BATCH bills
    reaching a new step today, the existing records in one query per kind and every new row with
    one bulk INSERT per kind (plus its simple-history rows) inside one transaction. The number of
    queries grows with the number of chunks, not of bills."""
    counts = defaultdict(int)
    counts["advances_applied"] = apply_advances()
    candidates = [
        (pk, due) for pk, due in
        Bill.objects.filter(status=Bill.Status.OPEN, total__gt=F("paid_amount"),
                            due_on__lte=day + timedelta(days=-min(c.LADDER_OFFSETS.values())))
        .annotate(effective_due=Greatest(F("due_on"), Coalesce(extended_due_subquery(), F("due_on"))))
        .values_list("pk", "effective_due").iterator(chunk_size=5000)
        if step_date(due, Step.REMINDER) <= day
    ]
    done = defaultdict(set)
    ids = [pk for pk, _due in candidates]
    for i in range(0, len(ids), 5000):
        for bill_id, step in LadderStep.objects.filter(bill_id__in=ids[i:i + 5000]).values_list("bill_id", "step"):
            done[bill_id].add(step)
    todo = {pk: [s for s in steps_due(due, day) if s not in done[pk]] for pk, due in candidates}
    todo = {pk: steps for pk, steps in todo.items() if steps}
    due_of = dict(candidates)
    if not todo:
        return {k: v for k, v in counts.items() if not k.startswith("_")}
    supervisors = Supervisors()
    with workdays.tracking() as pay_by_calc:
        pay_by = workdays.add_workdays(day, c.NOTICE_PAY_WORKDAYS)
    ctx = {"seq": {}, "bulletin": [], "pay_by": pay_by, "pay_by_provisional": pay_by_calc.provisional,
           "task_due": {s: workqueue.workday_due(day, n) for s, n in c.LADDER_TASK_DAYS.items()}}
    pks = sorted(todo, key=lambda pk: (due_of[pk], pk))
    for i in range(0, len(pks), BATCH):
        chunk = pks[i:i + BATCH]
        objs = Bill.objects.select_related("customer", "customer__org_unit", "customer__primary_manager",
                                           "customer__secondary_manager").in_bulk(chunk)
        _apply_chunk([(objs[pk], todo[pk]) for pk in chunk], day, due_of, supervisors, counts, ctx)
    if ctx["bulletin"]:
        _notify_units(day, ctx["bulletin"], supervisors)
    return {k: v for k, v in counts.items() if not k.startswith("_")}


def current_step(bill: Bill) -> int | None:
    return LadderStep.objects.filter(bill=bill).order_by("-step").values_list("step", flat=True).first()
