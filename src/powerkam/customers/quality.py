"""Archive data-quality rules (DOMAIN.md "Customer archive", consistency rules; seed 003-篇9).

Each rule looks at one customer with its archive records and returns the parameters of a
finding, or None. Findings only flag: saving never "fixes" the data. Rules are evaluated on
every archive save (signals) and for everybody by the nightly job (`run_quality_checks`).

A finding is shown in the reader's language whoever ran the check (core/phrases.py, as task
titles and timeline entries): it stores its rule code — whose message is the msgid — and its
parameters, where a UI word (a field name, a usage category, "not assessed") is stored as its
msgid ({"t": msgid}) and data (numbers, names, dates) as text; `finding_text` renders both.
"""

import contextvars
import json
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from powerkam.core.phrases import Phrase, _shown, _stored, phrase, render

from . import constants as c


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    message: str  # formatted with the finding's params
    check: Callable[["Facts", date], dict | None]


@dataclass
class Facts:
    """What the rules need to know about one customer: its own fields (`c`, a namespace of
    the columns in CUSTOMER_FIELDS) and plain rows of its archive records. Built in bulk
    with one query per record type, so the nightly run over 100,000 customers stays fast."""

    c: SimpleNamespace
    transformers: list = field(default_factory=list)  # (capacity_kva, quantity, in_service)
    supply_points: list = field(default_factory=list)  # (name, supply_line_id)
    metering_points: list = field(default_factory=list)  # (number, ct_ratio, pt_ratio, multiplier)
    contract_ends: list = field(default_factory=list)  # valid_to dates


CUSTOMER_FIELDS = (
    "id", "contract_capacity_kva", "operating_capacity_kva", "usage_category", "industry", "voltage_level",
    "pf_standard", "lifecycle_status", "customer_type", "id_number", "credit_code", "legal_representative",
    "basic_charge_method", "is_key_account", "primary_manager_id",
    # for the work-queue tasks of findings, not for the rules:
    "secondary_manager_id", "org_unit_id", "name",
)
# One work-queue task per customer lists all its open findings (issue #11 §3; before, one task
# per finding, ~4 per customer). Its key names the customer and the highest finding id listed
# when it was opened, so a customer's later task (after this one is closed) has another key.
TASK_KEY = "dq:customer:{cid}:{last}"
LEGACY_TASK_KEY = "dq:{pk}"  # one finding's task, before one task per customer (migrated)
TASK_DUE_DAYS = 7  # a task is due a week after its earliest finding's detection
LINK_PLACEHOLDER = 987654321987


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}" if value is not None else "-"


def _active(cust) -> bool:
    return cust.lifecycle_status in (c.LifecycleStatus.ACTIVE, c.LifecycleStatus.SUSPENDED)


def check_capacity(f: Facts, today):
    in_service = [(kva, qty) for kva, qty, on in f.transformers if on]
    if not in_service and not f.c.contract_capacity_kva:
        return None
    total = sum((kva * qty for kva, qty in in_service), Decimal("0"))
    if total != f.c.contract_capacity_kva:
        return {"transformers_kva": _fmt(total), "contract_kva": _fmt(f.c.contract_capacity_kva)}
    return None


def check_operating_capacity(f: Facts, today):
    if f.c.operating_capacity_kva > f.c.contract_capacity_kva:
        return {"operating_kva": _fmt(f.c.operating_capacity_kva), "contract_kva": _fmt(f.c.contract_capacity_kva)}
    return None


def check_pf_standard(f: Facts, today):
    cust = f.c
    expected = c.expected_pf_standard(cust.usage_category, cust.industry, cust.voltage_level, cust.contract_capacity_kva)
    if cust.pf_standard != expected:
        return {"recorded": _pf_label(cust.pf_standard), "expected": _pf_label(expected)}
    return None


def _pf_label(code: str):
    """0.90 / 0.85 / 0.80 as they are; "none" as the words "Not assessed" (a msgid, stored as such)."""
    return c.PFStandard(code).label if code in c.PFStandard.values else code


def check_supply_line(f: Facts, today):
    if not _active(f.c):
        return None
    if not f.supply_points:
        return {"points": "-"}
    missing = [name for name, line_id in f.supply_points if not line_id]
    return {"points": "、".join(missing[:5])} if missing else None


def check_contract(f: Facts, today):
    if not _active(f.c):
        return None
    if not f.contract_ends:
        return {"valid_to": "-"}
    latest = max(f.contract_ends)
    return {"valid_to": latest.isoformat()} if latest < today else None


def check_multiplier(f: Facts, today):
    if not f.metering_points:
        return None
    from .models import ratio_factor

    wrong = []
    for number, ct_ratio, pt_ratio, multiplier in f.metering_points:
        ct, pt = ratio_factor(ct_ratio), ratio_factor(pt_ratio)
        if ct is not None and pt is not None and multiplier != ct * pt:
            wrong.append(f"{number}: {_fmt(multiplier)} ≠ {ct_ratio} × {pt_ratio} = {_fmt(ct * pt)}")
    return {"points": "; ".join(wrong[:3])} if wrong else None


def check_identity(f: Facts, today):
    cust = f.c
    if cust.customer_type == c.CustomerType.PERSON:
        missing = [] if cust.id_number else [_("ID card number")]
    else:
        missing = [label for name, label in (
            ("credit_code", _("unified social credit code")),
            ("legal_representative", _("legal representative")),
        ) if not getattr(cust, name)]
    if not missing:
        return None
    # UI words: stored as msgids and shown translated, joined the reader's way ("a, b" / "a、b")
    return {"missing": missing[0] if len(missing) == 1 else phrase(PAIR_MSGID, first=missing[0], second=missing[1])}


PAIR_MSGID = gettext_noop("%(first)s, %(second)s")


def check_two_part_tariff(f: Facts, today):
    if f.c.usage_category == c.UsageCategory.LARGE_INDUSTRY and f.c.basic_charge_method == c.BasicChargeMethod.NONE:
        return {"category": c.UsageCategory(f.c.usage_category).label}
    return None


def check_metering_present(f: Facts, today):
    return {} if _active(f.c) and not f.metering_points else None


def check_ka_manager(f: Facts, today):
    return {} if f.c.is_key_account and not f.c.primary_manager_id else None


RULES: tuple[Rule, ...] = (
    Rule("capacity_mismatch", _("Capacity mismatch"),
         _("In-service transformers total %(transformers_kva)s kVA but the contract capacity is %(contract_kva)s kVA."), check_capacity),
    Rule("operating_over_contract", _("Operating capacity above contract"),
         _("Operating capacity %(operating_kva)s kVA exceeds contract capacity %(contract_kva)s kVA."), check_operating_capacity),
    Rule("pf_standard_mismatch", _("Power-factor standard"),
         _("Power-factor standard is %(recorded)s; capacity and usage category call for %(expected)s (1983 rules)."), check_pf_standard),
    Rule("missing_supply_line", _("Missing supply line"),
         _("Supply points without a supply line: %(points)s."), check_supply_line),
    Rule("contract_expired", _("Supply contract expired or missing"),
         _("No supply contract in force (latest valid to: %(valid_to)s)."), check_contract),
    Rule("multiplier_mismatch", _("Multiplier ≠ CT × PT"),
         _("Metering multiplier does not equal CT ratio × PT ratio: %(points)s."), check_multiplier),
    Rule("identity_missing", _("Missing identity documents"),
         _("Identity information missing: %(missing)s."), check_identity),
    Rule("two_part_tariff_missing", _("Basic charge method missing"),
         _("Usage category %(category)s is billed on the two-part tariff but no basic charge method is set."), check_two_part_tariff),
    Rule("metering_missing", _("No metering point"),
         _("The customer is in supply but has no metering point."), check_metering_present),
    Rule("ka_without_manager", _("Key account without manager"),
         _("A key account must have a primary manager."), check_ka_manager),
)
RULES_BY_CODE = {r.code: r for r in RULES}
RULE_ORDER = {r.code: i for i, r in enumerate(RULES)}


def rule_label(code: str) -> str:
    rule = RULES_BY_CODE.get(code)
    return str(rule.label) if rule else code


TITLE_MSGID = gettext_noop("Data quality: %(count)s findings · %(customer)s")
DETAIL_MSGID = gettext_noop("Findings: %(items)s")
ITEM_MSGID = gettext_noop("%(rule)s: %(message)s")


def customer_task_phrases(customer_name: str, findings: list[tuple]) -> tuple[Phrase, Phrase]:
    """The title and detail of a customer's data-quality task from its open findings
    [(finding pk, rule code, params), …]: "Data quality: <n> findings · <customer>" and the list
    of findings ("<rule>: <message>", in the order of RULES), each shown in the reader's language
    (core/phrases.py; the work queue lists them, `Task.detail_items`). The detail also stores the
    findings' ids, which decide whether a later finding deserves a new task once this one is
    closed. `TaskTexts.fields` makes the same stored fields faster, for many tasks at once."""
    ordered = sorted(findings, key=lambda f: (RULE_ORDER.get(f[1], len(RULES)), f[0]))
    items = []
    for _pk, code, params in ordered:
        rule = RULES_BY_CODE.get(code)
        items.append(phrase(ITEM_MSGID, rule=rule.label, message=phrase(rule.message, **(params or {})))
                     if rule else code)
    title = phrase(TITLE_MSGID, count=len(ordered), customer=customer_name)
    detail = phrase(DETAIL_MSGID, items=items, findings=sorted(f[0] for f in ordered))
    return title, detail


class TaskTexts:
    """`workqueue.title_fields(*customer_task_phrases(…))` for many customers: each rule's label
    and message, and the title and detail templates, are translated once per instance (in the
    active language, as the Phrases would be), not once per finding. Same stored fields — a test
    compares them."""

    def __init__(self):
        from powerkam.core.phrases import msgid_of, translate

        self._translate = translate
        self.title, self.detail, self.item = translate(TITLE_MSGID), translate(DETAIL_MSGID), translate(ITEM_MSGID)
        self.rules = {r.code: (msgid_of(r.label), msgid_of(r.message), translate(msgid_of(r.label)),
                               translate(msgid_of(r.message))) for r in RULES}
        # (rule, params) → (stored item, its text): imported customers share most findings'
        # params ("-", the same missing documents…), so each distinct one is formatted once.
        # The item's JSON text is kept too: the task's detail params are written as text composed
        # of these (workqueue.JSONText), not encoded again for every task (~1 CPU s per 100,000).
        self._items: dict[tuple[str, str], tuple[dict, str, str] | None] = {}

    def _item(self, code: str, params: dict | None) -> tuple[dict, str, str] | None:
        key = (code, _memo_key(params or {}))
        hit = self._items.get(key, False)
        if hit is not False:
            return hit
        rule = self.rules.get(code)
        if rule is None:
            hit = None
        else:
            from powerkam.core import workqueue

            label_id, message_id, label, message = rule
            stored = {k: _stored(v) for k, v in (params or {}).items()}
            try:
                shown = {k: _shown(v) for k, v in stored.items()}  # UI words among them, translated
                text = self.item % {"rule": label, "message": message % shown if shown else message}
                item = {"t": ITEM_MSGID, "p": {"rule": {"t": label_id}, "message": {"t": message_id, "p": stored}}}
                hit = (item, text, workqueue.json_text(item))  # the encoder the task row's params use
            except (KeyError, TypeError, ValueError):  # a translation that does not fit: the slow, safe path
                hit = None
        if len(self._items) < 10_000:
            self._items[key] = hit
        return hit

    def fields(self, customer_name: str, findings: list[tuple]) -> dict:
        ordered = sorted(findings, key=lambda f: (RULE_ORDER.get(f[1], len(RULES)), f[0]))
        from powerkam.core import workqueue

        items, texts, encoded = [], [], []
        for _pk, code, params in ordered:
            hit = self._item(code, params)
            if hit is None:
                return workqueue.title_fields(*customer_task_phrases(customer_name, findings))
            items.append(hit[0])
            texts.append(hit[1])
            encoded.append(hit[2])
        title_params = {"count": len(ordered), "customer": _stored(customer_name)}
        ids = sorted(f[0] for f in ordered)
        # json.dumps(detail_params, ensure_ascii=False), from the items' texts (a test compares them)
        detail_json = f'{{"items": [{", ".join(encoded)}], "findings": [{", ".join(map(str, ids))}]}}'
        return {"title": (self.title % title_params)[:200], "title_msgid": TITLE_MSGID, "title_params": title_params,
                "detail": self.detail % {"items": "; ".join(texts)}, "detail_msgid": DETAIL_MSGID,
                "detail_params": workqueue.JSONText({"items": items, "findings": ids}, detail_json)}


def finding_text(code: str, params: dict) -> str:
    """A finding's message in the active language: its rule's message (the msgid) with its stored
    parameters, UI words among them translated too (core.phrases.render)."""
    from powerkam.core.phrases import msgid_of

    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return code
    return render(msgid_of(rule.message), params or {})


def stored_params(params: dict) -> dict:
    """A rule's parameters as a finding stores them (JSON): UI words (lazy translations) as their
    msgid, {"t": msgid}; lists item by item; data as text."""
    return {k: _stored(v) for k, v in params.items()}


_suspended = contextvars.ContextVar("quality_suspended", default=False)


@contextmanager
def suspended():
    """Bulk writers (imports) suspend per-save evaluation and evaluate once at the end."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def is_suspended() -> bool:
    return _suspended.get()


def load_facts(customer_ids: list[int]) -> dict[int, Facts]:
    """Facts for these customers: 5 queries whatever their number."""
    from .models import Customer, MeteringPoint, SupplyContract, SupplyPoint, Transformer

    facts = {row["id"]: Facts(SimpleNamespace(**row))
             for row in Customer.objects.filter(pk__in=customer_ids).values(*CUSTOMER_FIELDS)}
    for cid, *row in Transformer.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "capacity_kva", "quantity", "in_service"):
        facts[cid].transformers.append(tuple(row))
    for cid, *row in SupplyPoint.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "name", "supply_line_id"):
        facts[cid].supply_points.append(tuple(row))
    for cid, *row in MeteringPoint.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "number", "ct_ratio", "pt_ratio", "multiplier"):
        facts[cid].metering_points.append(tuple(row))
    for cid, valid_to in SupplyContract.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "valid_to"):
        facts[cid].contract_ends.append(valid_to)
    return facts


def findings_for(f: Facts, today: date) -> dict[str, dict]:
    """{rule code: params} of every rule this customer breaks."""
    found = {}
    for rule in RULES:
        params = rule.check(f, today)
        if params is not None:
            found[rule.code] = stored_params(params)
    return found


def _changes(ids: list[int], today: date, now) -> tuple[dict[int, "Facts"], dict, list, list, list[int]]:
    """What evaluating these customers changes: (facts, open findings {(customer, rule): (pk, params,
    detected)}, findings to create as (customer id, rule, params), findings whose params changed,
    ids of findings now resolved).
    Shared by `evaluate` and `evaluate_bulk`, so both reach the same findings."""
    from .models import DataQualityFinding

    facts = load_facts(ids)
    open_findings: dict[tuple[int, str], tuple[int, dict, object]] = {
        (cid, rule): (pk, params, detected) for pk, cid, rule, params, detected in DataQualityFinding.objects.filter(
            customer_id__in=ids, status=DataQualityFinding.Status.OPEN).values_list(
            "pk", "customer_id", "rule", "params", "detected_at")}
    to_create, to_update = [], []
    found_by_customer = {cid: findings_for(f, today) for cid, f in facts.items()}
    for cid, found in found_by_customer.items():
        for code, params in found.items():
            existing = open_findings.get((cid, code))
            if existing is None:
                to_create.append((cid, code, params))
            elif existing[1] != params:
                to_update.append(DataQualityFinding(pk=existing[0], params=params))
    resolved_ids = [pk for (cid, code), (pk, _params, _detected) in open_findings.items()
                    if cid in found_by_customer and code not in found_by_customer[cid]]
    return facts, open_findings, to_create, to_update, resolved_ids


def evaluate(customer_ids: Iterable[int], today: date | None = None) -> dict[str, int]:
    """Evaluate every rule for these customers; open new findings, resolve fixed ones, update
    changed ones. Returns counts {"opened": n, "resolved": m}."""
    from .models import DataQualityFinding

    ids = list(customer_ids)
    today = today or timezone.localdate()
    now = timezone.now()
    facts, open_findings, new, to_update, resolved_ids = _changes(ids, today, now)
    to_create = [DataQualityFinding(customer_id=cid, rule=code, params=params, detected_at=now)
                 for cid, code, params in new]
    with transaction.atomic():
        if resolved_ids:
            DataQualityFinding.objects.filter(pk__in=resolved_ids).update(
                status=DataQualityFinding.Status.RESOLVED, resolved_at=now)
        if to_create:
            _insert_findings(to_create)
        if to_update:
            DataQualityFinding.objects.bulk_update(to_update, ["params"], batch_size=1000)
        if to_create and to_create[0].pk is None:  # a database that returns no ids from bulk inserts
            to_create = list(DataQualityFinding.objects.filter(
                customer_id__in={f.customer_id for f in to_create}, status=DataQualityFinding.Status.OPEN,
                detected_at=now))
        # Work queue: one task per customer listing its open findings (sync_customer_tasks).
        resolved = set(resolved_ids)
        still_open = [(pk, cid, code, params, detected) for (cid, code), (pk, params, detected) in open_findings.items()
                      if pk not in resolved]
        still_open += [(f.pk, f.customer_id, f.rule, f.params, f.detected_at) for f in to_create]
        sync_customer_tasks(ids, still_open, facts)
    return {"opened": len(to_create), "resolved": len(resolved_ids)}


def evaluate_bulk(customer_ids: Iterable[int], today: date | None = None, chunk: int = 5000,
                  progress: Callable[[int], object] | None = None) -> dict[str, int]:
    """`evaluate` for many customers at once (imports): the same findings, tasks and history rows
    (the rules and the comparison with open findings are `_changes`, shared with `evaluate`), but
    new findings and their tasks go in by COPY on PostgreSQL (`workqueue.copy_rows`,
    `workqueue.open_tasks_copy`) and each rule's label and message are translated once per call,
    not once per finding. Returns counts {"opened", "resolved", "customers"}."""
    ids = sorted(set(customer_ids))
    today = today or timezone.localdate()
    totals = {"opened": 0, "resolved": 0, "customers": 0}
    for start in range(0, len(ids), chunk):
        batch = ids[start:start + chunk]
        now = timezone.now()
        facts, open_findings, to_create, to_update, resolved_ids = _changes(batch, today, now)
        _write_changes(batch, facts, open_findings, to_create, to_update, resolved_ids, now)
        totals["opened"] += len(to_create)
        totals["resolved"] += len(resolved_ids)
        totals["customers"] += len(batch)
        del facts, open_findings, to_create, to_update
        if progress is not None:
            progress(totals["customers"])
    return totals


def evaluate_new(customers: Iterable[dict], today: date | None = None) -> dict[str, int]:
    """`evaluate_bulk` for customers created a moment ago in the caller's transaction (an
    import's new rows), from the values just written — each a dict holding at least the
    CUSTOMER_FIELDS (attnames: "org_unit_id", …), "id" included. A new customer has no archive
    records, findings or tasks yet, so nothing is read back: the rules run on the values, and
    the findings and one task per customer are written as `evaluate_bulk` writes them (the same
    rows: tests/customers/test_quality_new.py). A constant number of queries per call."""
    today = today or timezone.localdate()
    now = timezone.now()
    facts: dict[int, Facts] = {}
    to_create: list[tuple] = []
    for row in customers:
        f = facts[row["id"]] = Facts(SimpleNamespace(**{name: row[name] for name in CUSTOMER_FIELDS}))
        for code, params in findings_for(f, today).items():
            to_create.append((f.c.id, code, params))
    if facts:
        _write_changes(list(facts), facts, {}, to_create, [], [], now, fresh=True)
    return {"opened": len(to_create), "resolved": 0, "customers": len(facts)}


def _memo_key(params) -> str:
    """The key under which stored params (dicts and lists of msgids and values, as `stored_params`
    makes them) are memoised: their repr — equal reprs are equal params, and a rule builds its
    params in the same order each time. Cheaper than a canonical form (a sorted tuple of every
    level cost 0.75 µs per finding, twice per finding, against 0.3 µs for the repr)."""
    return repr(params)


def _json_memo() -> Callable[[dict], str]:
    """json.dumps of findings' params, each distinct one once (most repeat: "-", the same text)."""
    done: dict[str, str] = {}

    def dumps(params: dict) -> str:
        key = _memo_key(params)
        text = done.get(key)
        if text is None:
            text = json.dumps(params)
            if len(done) < 10_000:
                done[key] = text
        return text
    return dumps


def _write_changes(batch: list[int], facts: dict[int, "Facts"], open_findings: dict, to_create: list,
                   to_update: list, resolved_ids: list[int], now, *, fresh: bool = False) -> None:
    """Write what `_changes` found for these customers (the bulk paths): resolve, insert (COPY on
    PostgreSQL, ids from the sequence) and update findings, then the customers' tasks
    (`sync_customer_tasks`). `fresh`: the customers were created in this transaction (no tasks)."""
    from powerkam.core import workqueue

    from .models import DataQualityFinding

    with transaction.atomic():
        if resolved_ids:
            DataQualityFinding.objects.filter(pk__in=resolved_ids).update(
                status=DataQualityFinding.Status.RESOLVED, resolved_at=now)
        new: list[tuple] = []
        ids_given = workqueue.allocate_ids(DataQualityFinding, len(to_create)) if to_create else None
        json_of = _json_memo()
        if ids_given is not None and to_create:  # PostgreSQL: ids from the sequence, rows by COPY
            status = DataQualityFinding.Status.OPEN.value
            workqueue.copy_rows(DataQualityFinding,
                                ("id", "customer_id", "rule", "params", "status", "detected_at"),
                                ((pk, cid, code, json_of(params), status, now)
                                 for pk, (cid, code, params) in zip(ids_given, to_create, strict=True)))
            new = [(pk, cid, code, params, now) for pk, (cid, code, params) in zip(ids_given, to_create, strict=True)]
        elif to_create:
            status = DataQualityFinding.Status.OPEN.value
            workqueue.copy_rows(DataQualityFinding, ("customer_id", "rule", "params", "status", "detected_at"),
                                ((cid, code, json_of(params), status, now) for cid, code, params in to_create))
            # The new findings' ids, by the one-open-finding-per-rule constraint.
            new_params = {(cid, code): p for cid, code, p in to_create}
            for pk, cid, code in DataQualityFinding.objects.filter(
                    customer_id__in={cid for cid, _code, _p in to_create}, status=status,
                    detected_at=now).values_list("pk", "customer_id", "rule").iterator(chunk_size=5000):
                if (cid, code) in new_params:
                    new.append((pk, cid, code, new_params[(cid, code)], now))
        if to_update:
            DataQualityFinding.objects.bulk_update(to_update, ["params"], batch_size=1000)
        resolved = set(resolved_ids)
        still_open = [(pk, cid, code, params, detected)
                      for (cid, code), (pk, params, detected) in open_findings.items() if pk not in resolved]
        sync_customer_tasks(batch, still_open + new, facts, copy=True, fresh=fresh)


def _insert_findings(findings: list) -> None:
    """Insert new findings with one multi-row INSERT … RETURNING id per 1,000 (PostgreSQL and
    SQLite ≥ 3.35) and set their pk: what bulk_create does, without its per-field preparation,
    which dominated evaluating the rules after a 100,000-customer import."""
    import json

    from django.db import connection

    from .models import DataQualityFinding

    qn = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    columns = ("customer_id", "rule", "params", "status", "detected_at")
    table = qn(DataQualityFinding._meta.db_table)
    row = "(%s, %s, %s::jsonb, %s, %s)" if connection.vendor == "postgresql" else "(%s, %s, %s, %s, %s)"
    for start in range(0, len(findings), 1000):
        chunk = findings[start:start + 1000]
        values = []
        for f in chunk:
            values += [f.customer_id, f.rule, json.dumps(f.params), DataQualityFinding.Status.OPEN.value,
                       adapt(f.detected_at)]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) VALUES "
                           + ", ".join([row] * len(chunk)) + f" RETURNING {qn('id')}", values)
            ids = [row[0] for row in cursor.fetchall()]
        for f, pk in zip(chunk, ids, strict=True):
            f.pk = f.id = pk
            f.status = DataQualityFinding.Status.OPEN


def task_assignees(customers: Iterable) -> dict[int, int]:
    """{customer id: staff id} of who works on a customer's findings: the primary manager, else
    the secondary manager, else a supervisor (else a clerk) of the customer's org unit or of the
    nearest ancestor unit that has one. Active staff only. Three queries whatever the number."""
    from powerkam.org.models import OrgUnit, Role, Staff

    customers = list(customers)
    managers = {m for cu in customers for m in (cu.primary_manager_id, cu.secondary_manager_id) if m}
    active = set(Staff.objects.filter(pk__in=managers, is_active=True).values_list("pk", flat=True)) if managers else set()
    result, orphans = {}, []
    for cu in customers:
        person = next((m for m in (cu.primary_manager_id, cu.secondary_manager_id) if m in active), None)
        if person:
            result[cu.id] = person
        else:
            orphans.append(cu)
    if orphans:
        parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
        rank = {Role.SUPERVISOR: 0, Role.CLERK: 1}
        best: dict[int, tuple[int, int]] = {}  # org unit → (rank, staff id), lowest wins
        for pk, unit, role in Staff.objects.filter(role__in=rank, is_active=True, org_unit__isnull=False).values_list(
                "pk", "org_unit_id", "role"):
            best[unit] = min(best.get(unit, (9, 0)), (rank[role], pk))
        for cu in orphans:
            unit, seen = cu.org_unit_id, set()
            while unit is not None and unit not in best and unit not in seen:
                seen.add(unit)
                unit = parents.get(unit)
            if unit in best:
                result[cu.id] = best[unit][1]
    return result


def _covered(key: str, detail_params: dict) -> int:
    """The highest finding id a (closed) data-quality task listed: from its stored detail, or from
    the key of a task of one finding (LEGACY_TASK_KEY)."""
    last = max([0, *(detail_params or {}).get("findings", [])])
    head, _sep, tail = (key or "").partition(":")
    if head == "dq" and tail.isdigit():
        last = max(last, int(tail))
    return last


def sync_customer_tasks(customer_ids: list[int], open_findings: list[tuple], facts: dict[int, "Facts"],
                        *, copy: bool = False, fresh: bool = False) -> dict[str, int]:
    """The work queue after evaluating these customers: ONE open data_quality task per customer
    with open findings (given as (finding pk, customer id, rule, params, detected_at)), listing
    them all. A customer's open task is updated when its findings change (a new one listed, a
    resolved one removed) and closed ("resolved") when none is left; a customer without an open
    task gets one unless its findings were all listed on a task someone has closed (a closed task
    is never reopened; a finding found later opens a new one). Assigned by `task_assignees`, due a
    week after the earliest finding's detection, linked to the 360 page's quality tab. Audited
    (history rows). A constant number of queries per call; `copy` writes new tasks by COPY on
    PostgreSQL (imports); `fresh`: the customers were created in this transaction, so they have no
    task yet and none is looked up. Returns counts {"opened", "updated", "closed"}."""
    from django.urls import reverse

    from powerkam.core import workqueue
    from powerkam.core.dbfunctions import KeepOffIndex
    from powerkam.core.models import Task

    by_customer: dict[int, list[tuple]] = {}
    for pk, cid, code, params, detected in open_findings:
        by_customer.setdefault(cid, []).append((pk, code, params, detected))
    # The customers' tasks are read through task_customer_idx (customer, status): on SQLite the
    # kind is kept off its own index (KeepOffIndex), which the planner took for thousands of
    # customers and then read every data-quality task of the company (per 5,000 customers at
    # 150,000 tasks: open ones 107 → 59 ms, closed ones 111 → 6 ms; evaluate_bulk of 20,000
    # customers 1.41 → 1.12 s). PostgreSQL plans from its statistics as before.
    dq_tasks = Task.objects.alias(task_kind=KeepOffIndex("kind")).filter(task_kind=Task.Kind.DATA_QUALITY)
    open_tasks: dict[int, list[tuple]] = {}
    for row in () if fresh else (
            dq_tasks.filter(customer_id__in=customer_ids, status=Task.Status.OPEN)
            .order_by("pk").values_list("pk", "customer_id", "key", "title_params", "detail_params")):
        open_tasks.setdefault(row[1], []).append(row)
    texts = TaskTexts()
    to_close, to_merge, to_update, need_task = [], [], [], []
    for cid in customer_ids:
        found, tasks = by_customer.get(cid), open_tasks.get(cid)
        if tasks:
            (pk, _cid, key, title_params, detail_params), *extra = tasks
            to_merge += [t[2] for t in extra]  # per-finding tasks left from before: folded into the first
            if not found:
                to_close.append(key)
                continue
            fields = texts.fields(facts[cid].c.name, [(f[0], f[1], f[2]) for f in found])
            if fields["title_params"] != title_params or fields["detail_params"] != detail_params or extra:
                to_update.append(Task(pk=pk, **fields))
        elif found:
            need_task.append(cid)
    covered: dict[int, int] = {}
    if need_task and not fresh:
        for cid, key, detail_params in dq_tasks.filter(customer_id__in=need_task).exclude(
                status=Task.Status.OPEN).order_by().values_list("customer_id", "key", "detail_params"):
            covered[cid] = max(covered.get(cid, 0), _covered(key, detail_params))
        need_task = [cid for cid in need_task if max(f[0] for f in by_customer[cid]) > covered.get(cid, 0)]
    specs = []
    if need_task:
        assignees = task_assignees(facts[cid].c for cid in need_task)
        link = reverse("customers:detail", args=[LINK_PLACEHOLDER]) + "?tab=quality"  # reverse() once, not per row
        head, tail = link.split(str(LINK_PLACEHOLDER), 1)
        due_by_day: dict = {}  # detection day → due (end of the day a week later), computed once each
        day_of: dict = {}  # detection time → its local day (an import's findings share one)
        for cid in need_task:
            if cid not in assignees:
                continue  # nobody anywhere above the customer: the quality page still lists its findings
            found, cust = by_customer[cid], facts[cid].c
            first = min(f[3] for f in found)
            day = day_of.get(first)
            if day is None:
                day = day_of[first] = timezone.localdate(first)
            if day not in due_by_day:
                due_by_day[day] = workqueue._aware(day + timedelta(days=TASK_DUE_DAYS))
            specs.append({
                "kind": Task.Kind.DATA_QUALITY, "key": TASK_KEY.format(cid=cid, last=max(f[0] for f in found)),
                "assignee_id": assignees[cid], "customer_id": cid, "org_unit_id": cust.org_unit_id,
                "due_at": due_by_day[day], "link": f"{head}{cid}{tail}",
                "title_fields": texts.fields(cust.name, [(f[0], f[1], f[2]) for f in found]),
            })
    opened = (workqueue.open_tasks_copy if copy else workqueue.open_tasks_bulk)(specs) if specs else 0
    if to_update:
        now = timezone.now()
        Task.objects.bulk_update(to_update, ["title", "title_msgid", "title_params", "detail", "detail_msgid",
                                             "detail_params"], batch_size=1000)
        workqueue.insert_history_rows(Task, [t.pk for t in to_update], history_type="~", when=now)
    closed = workqueue.close_tasks_bulk(to_close, result="resolved", status=Task.Status.DONE) if to_close else 0
    if to_merge:
        workqueue.close_tasks_bulk(to_merge, result="merged", status=Task.Status.CANCELLED)
    return {"opened": opened, "updated": len(to_update), "closed": closed}


def evaluate_customer(customer_id: int, today: date | None = None) -> dict[str, int]:
    return evaluate([customer_id], today)


def evaluate_all(today: date | None = None, chunk: int = 2000, customer_ids=None) -> dict[str, int]:
    """The nightly job: every customer (or the given ones), in chunks so memory stays bounded."""
    from .models import Customer

    totals = {"opened": 0, "resolved": 0, "customers": 0}
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        batches = (ids[i:i + chunk] for i in range(0, len(ids), chunk))
    else:
        def pages():
            last = 0
            while True:
                page = list(Customer.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
                if not page:
                    return
                yield page
                last = page[-1]
        batches = pages()
    for batch in batches:
        result = evaluate(batch, today)
        totals["opened"] += result["opened"]
        totals["resolved"] += result["resolved"]
        totals["customers"] += len(batch)
    return totals
