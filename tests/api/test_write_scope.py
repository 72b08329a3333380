"""No write reaches, reveals or moves a record outside the caller's scope (issue #9 "Trust" §2).

Two org subtrees (tests/api/conftest.py `world`: north and south), each with a customer and
every kind of record that hangs off one. A north user sends every writable endpoint of the API
ids from the south — in the URL, in the body, in nested lists — and every answer must be a 400
or a 404 that names nothing from the south, with the database exactly as it was.

The writable endpoints are read from the router and the API's url patterns, not listed by hand:
an endpoint without an attack below fails `test_every_writable_endpoint_has_an_attack`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django import forms
from django.apps import apps
from django.utils import timezone, translation

import powerkam
from powerkam import api_urls
from powerkam.customers.models import Customer
from tests.factories import (
    ContactFactory,
    MeteringPointFactory,
    SubstationFactory,
    SupplyContractFactory,
    SupplyLineFactory,
    SupplyPointFactory,
    TransformerFactory,
)

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
NOT_VISIBLE = "Does not exist or is not visible to you."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# --- the two scopes -------------------------------------------------------------------------


@pytest.fixture
def scopes(world, make_staff):
    """North (the attacker's side: clerk_north, m1, sup_north) and south (m2, sup_south), each
    with a substation and line, a customer with every archive record, a visit, a ticket, an
    outage, a payment, a credit assessment, a task, an import job, an overdue bill with its written
    notice, a stop-supply case on a second such bill, and a blacklist entry."""
    from powerkam.billing.models import Bill
    from powerkam.core import workqueue
    from powerkam.core.models import Task
    from powerkam.credit import services as credit
    from powerkam.imports.models import ImportJob
    from powerkam.receivables import services as receivables
    from powerkam.receivables import stop_supply
    from powerkam.receivables.models import CollectionNotice
    from powerkam.service.outages import services as outages
    from powerkam.service.outages.models import OutageNotice
    from powerkam.service.tickets import services as tickets
    from powerkam.service.visits import services as visits
    from tests.credit.factories import STATEMENT

    w = world
    sup_south = make_staff("supervisor", w.south, username="sup_south", full_name="南区主管")
    w.m2.full_name = "南方经理"
    # A name no random token can contain by chance ("m2" appeared inside a CSRF token once).
    w.m2.username = "south_manager_two"
    w.m2.save()
    start = timezone.now() + timedelta(days=10)
    sides = {}
    for side, unit, station, customer, manager, writer in (
            ("own", w.north, w.s1, w.c1, w.m1, w.clerk), ("far", w.south, w.s3, w.c3, w.m2, sup_south)):
        tag = "北" if side == "own" else "南"
        sub = SubstationFactory(name=f"110kV{tag}郊变", org_unit=unit)
        line = SupplyLineFactory(substation=sub, name=f"10kV{tag}郊一线")
        point = SupplyPointFactory(customer=customer, name=f"{tag}厂1号电源", substation=sub, supply_line=line)
        s = SimpleNamespace(
            unit=unit, station=station, customer=customer, manager=manager, writer=writer, sub=sub, line=line,
            point=point,
            contact=ContactFactory(customer=customer, name=f"{tag}联系人甲", mobile="13900000001"),
            transformer=TransformerFactory(customer=customer, supply_point=point, model_no=f"{tag}SCB11"),
            meter=MeteringPointFactory(customer=customer, supply_point=point, number=f"{tag}MP-0001"),
            contract=SupplyContractFactory(customer=customer, number=f"{tag}HT-0001"),
            visit=visits.plan_visit(customer=customer, planned_on=start.date(), assignee=manager, actor=writer),
            ticket=tickets.open_ticket(actor=writer, customer=customer, ticket_type="complaint", channel="phone",
                                       subject=f"{tag}方投诉：电压低"),
            outage=outages.create_outage(substation=sub, supply_lines=[line], starts_at=start,
                                         ends_at=start + timedelta(hours=4), reason=f"{tag}线检修", actor=writer),
            payment=receivables.record_payment(customer=customer, amount="100.00", channel="counter",
                                               received_on=timezone.localdate(), is_advance=True, actor=writer),
            assessment=credit.create_assessment(customer=customer, actor=writer, data=dict(STATEMENT)),
            task=workqueue.open_task(kind=Task.Kind.VISIT, assignee=manager, title=f"{tag}方任务", customer=customer,
                                     org_unit=station),
            job=ImportJob.objects.create(kind="contacts", filename=f"{tag}.csv", created_by=writer),
        )
        s.project = _project(customer, writer, manager)
        s.notice = OutageNotice.objects.create(outage=s.outage, customer=customer, ack_token_hash=f"{side:x<64}")
        # Two overdue bills with their written notice: one free to open a stop-supply case on,
        # one whose case is open (at its first step).
        s.bill, s.case_bill = (_overdue_bill(Bill, CollectionNotice, customer, f"{tag}B-{n}") for n in (1, 2))
        s.case = stop_supply.open_case(s.case_bill, actor=writer)
        s.blacklisted = stop_supply.add_to_blacklist(customer, reason=f"{tag}方欠费", actor=writer)
        sides[side] = s
    return SimpleNamespace(**vars(w), sup_south=sup_south, own=sides["own"], far=sides["far"])


def _project(customer, writer, tracker):
    """A capacity-increase project of the side's customer at its first stage, with a document."""
    from powerkam.projects import services as projects

    return projects.accept_application(projects.Application(
        application_type="increase", applicant_type="existing", customer=customer, requested_capacity_kva="400",
        voltage_level="10kV", site_address="厂区"), actor=writer, tracker=tracker)


def _overdue_bill(Bill, CollectionNotice, customer, number: str):
    due = timezone.localdate() - timedelta(days=20)
    period = due.replace(day=1)
    bill = Bill.objects.create(customer=customer, number=number, period=period, issued_on=period, due_on=due,
                               total=Decimal("5000.00"), energy_charge=Decimal("5000.00"))
    CollectionNotice.objects.create(number=f"CN-{number}", customer=customer, bill=bill, issued_on=due,
                                    amount_overdue=Decimal("5000.00"), pay_by=due + timedelta(days=7), html="")
    return bill


def foreign_words(s) -> list[str]:
    """What must never appear in an answer to a north user: names and numbers from the south."""
    f = s.far
    return [f.customer.name, f.customer.number, f.contact.name, f.sub.name, f.line.name, f.point.name,
            f.transformer.model_no, f.meter.number, f.contract.number, f.ticket.number, f.ticket.subject,
            f.outage.number, f.payment.number, f.bill.number, f.case_bill.number, f.case.notice.number,
            f.blacklisted.reason, s.south.name, s.s3.name, s.m2.full_name, s.m2.username,
            s.sup_south.full_name, f.project.number]


def leaked(words: list[str], body: str, sent) -> list[str]:
    """The foreign words in an answer, leaving out what the caller sent themself (a customer
    number typed into a form is shown back in the form; that tells them nothing)."""
    return [w for w in words if w in body and w not in str(sent)]


def snapshot() -> dict:
    """Every row of every PowerKAM table (audit history included)."""
    return {m._meta.label: list(m._default_manager.order_by("pk").values())
            for m in apps.get_models() if m.__module__.startswith("powerkam.")}


# --- the attacks -----------------------------------------------------------------------------


@dataclass
class Attack:
    who: str  # attribute of `scopes`: the north user who tries
    method: str
    url: str
    data: dict = field(default_factory=dict)
    fmt: str = "json"


def _customer_payload(s, **changes) -> dict:
    from powerkam.customers.serializers import CustomerWriteSerializer

    data = {k: v for k, v in CustomerWriteSerializer(s.own.customer).data.items() if v is not None}
    return {**data, **changes}


def _new_customer(s, **changes) -> dict:
    return {"number": "3190000001", "name": "新客户有限公司", "customer_type": "company",
            "org_unit": s.s1.pk, "primary_manager": s.m1.pk, **changes}


def _record_attacks(kind: str, own, far, *, create: dict, refs: dict) -> dict[str, list[Attack]]:
    """An archive record: created for a south customer, pointed at south records, and the south
    record itself read, changed or deleted by its id."""
    base = f"/api/v1/{kind}/"
    own_pk, far_pk = own.pk, far.pk
    return {
        "create": [Attack("clerk", "post", base, {**create, "customer": "far"})]
        + [Attack("clerk", "post", base, {**create, "customer": "own", name: value}) for name, value in refs.items()],
        "update": [Attack("clerk", "put", f"{base}{far_pk}/", {**create, "customer": "far"})]
        + [Attack("clerk", "put", f"{base}{own_pk}/", {**create, "customer": "own", name: value})
           for name, value in refs.items()]
        + ([Attack("clerk", "put", f"{base}{own_pk}/", {**create, "customer": "own", **refs})] if len(refs) > 1 else []),
        "partial_update": [Attack("clerk", "patch", f"{base}{far_pk}/", {"customer": "own"})]
        + [Attack("clerk", "patch", f"{base}{own_pk}/", {name: value}) for name, value in refs.items()]
        + ([Attack("clerk", "patch", f"{base}{own_pk}/", dict(refs))] if len(refs) > 1 else []),
        "destroy": [Attack("clerk", "delete", f"{base}{far_pk}/")],
    }


def attacks(s) -> dict[str, list[Attack]]:
    """Endpoint (router basename-action, or url name) → the attempts a north user makes."""
    own, far = s.own, s.far
    today = timezone.localdate().isoformat()
    later = (timezone.localdate() + timedelta(days=20)).isoformat()
    result: dict[str, list[Attack]] = {
        # Customers: a manager moves their own customer into the south, or hands it to a south
        # manager while staying secondary (the finding: the API offered what the page does not).
        "customer-create": [
            Attack("clerk", "post", "/api/v1/customers/", _new_customer(s, org_unit=s.s3.pk)),
            Attack("clerk", "post", "/api/v1/customers/", _new_customer(s, primary_manager=s.m2.pk)),
        ],
        "customer-update": [
            Attack("m1", "put", f"/api/v1/customers/{own.customer.pk}/", _customer_payload(s, org_unit=s.s3.pk)),
            Attack("m1", "put", f"/api/v1/customers/{far.customer.pk}/", _customer_payload(s)),
        ],
        "customer-partial_update": [
            Attack("m1", "patch", f"/api/v1/customers/{own.customer.pk}/", {"org_unit": s.s3.pk}),
            Attack("m1", "patch", f"/api/v1/customers/{own.customer.pk}/",
                   {"primary_manager": s.m2.pk, "secondary_manager": s.m1.pk}),
            Attack("supervisor", "patch", f"/api/v1/customers/{own.customer.pk}/", {"org_unit": s.s3.pk}),
            Attack("clerk", "patch", f"/api/v1/customers/{far.customer.pk}/", {"name": "改名"}),
        ],
        "customer-close": [Attack("clerk", "post", f"/api/v1/customers/{far.customer.pk}/close/", {"reason": "x"})],
        "customer-reopen": [Attack("clerk", "post", f"/api/v1/customers/{far.customer.pk}/reopen/")],
        # Work queue, imports
        "task-close": [Attack("clerk", "post", f"/api/v1/tasks/{far.task.pk}/close/?scope=unit", {}),
                       Attack("supervisor", "post", f"/api/v1/tasks/{far.task.pk}/close/?scope=unit", {})],
        "import-commit": [Attack("clerk", "post", f"/api/v1/imports/{far.job.pk}/commit/")],
        "import-create": [Attack("clerk", "post", "/api/v1/imports/", {
            "kind": "contacts", "dry_run": "false",
            "file": ("contacts.csv", f"客户编号,姓名,手机\n{far.customer.number},乙,13900000002\n")}, fmt="multipart")],
        # Money
        "payment-create": [Attack("clerk", "post", "/api/v1/payments/", {
            "customer": far.customer.pk, "amount": "10.00", "channel": "counter", "received_on": today,
            "is_advance": True})],
        "payment-refund": [Attack("clerk", "post", f"/api/v1/payments/{far.payment.pk}/refund/",
                                  {"amount": "1.00", "reason": "x"})],
        "payment-reverse": [Attack("clerk", "post", f"/api/v1/payments/{far.payment.pk}/reverse/", {"reason": "x"})],
        "credit-assessment-create": [Attack("clerk", "post", "/api/v1/credit/assessments/",
                                            {"customer": far.customer.pk, **_statement()})],
        "credit-assessment-approve": [Attack("supervisor", "post",
                                             f"/api/v1/credit/assessments/{far.assessment.pk}/approve/")],
        # Tickets
        "ticket-create": [
            Attack("clerk", "post", "/api/v1/tickets/", _ticket(customer=far.customer.pk)),
            Attack("clerk", "post", "/api/v1/tickets/", _ticket(customer=own.customer.pk, contact=far.contact.pk)),
        ],
        "ticket-advance": [Attack("clerk", "post", f"/api/v1/tickets/{far.ticket.pk}/advance/",
                                  {"stage": far.ticket.stage, "result_note": "x"})],
        "ticket-assign": [Attack("clerk", "post", f"/api/v1/tickets/{far.ticket.pk}/assign/", {"to": s.clerk.pk})],
        "ticket-escalate": [Attack("clerk", "post", f"/api/v1/tickets/{far.ticket.pk}/escalate/", {"reason": "x"})],
        "ticket-reopen": [Attack("clerk", "post", f"/api/v1/tickets/{far.ticket.pk}/reopen/", {"reason": "x"})],
        # Visits and care
        "visit-create": [
            Attack("clerk", "post", "/api/v1/visits/", {"customer": far.customer.pk, "planned_on": later}),
            Attack("clerk", "post", "/api/v1/visits/",
                   {"customer": own.customer.pk, "planned_on": later, "assignee": s.m2.pk}),
        ],
        "visit-record": [
            Attack("clerk", "post", f"/api/v1/visits/{own.visit.pk}/record/",
                   {"done_on": today, "contacts_met": [far.contact.pk]}),
            Attack("clerk", "post", f"/api/v1/visits/{own.visit.pk}/record/",
                   {"done_on": today, "participants": [s.m2.pk]}),
            Attack("clerk", "post", f"/api/v1/visits/{own.visit.pk}/record/",
                   {"done_on": today, "follow_ups": [{"assignee": s.m2.pk, "due_on": later, "title": "x"}]}),
            Attack("clerk", "post", f"/api/v1/visits/{far.visit.pk}/record/", {"done_on": today}),
        ],
        "visit-reschedule": [Attack("clerk", "post", f"/api/v1/visits/{far.visit.pk}/reschedule/",
                                    {"new_date": later, "reason": "x"})],
        "care-record-create": [
            Attack("clerk", "post", "/api/v1/care-records/",
                   {"customer": far.customer.pk, "kind": "greeting", "occurred_on": today, "summary": "x"}),
            Attack("clerk", "post", "/api/v1/care-records/",
                   {"customer": own.customer.pk, "contact": far.contact.pk, "kind": "greeting",
                    "occurred_on": today, "summary": "x"}),
        ],
        # Outages: the finding (a south substation was saved, then answered 500) and its sibling
        # (a south line on a north substation was named, with its substation, in the error).
        "outage-create": [
            Attack("clerk", "post", "/api/v1/outages/", _outage(far.sub.pk, [far.line.pk])),
            Attack("clerk", "post", "/api/v1/outages/", _outage(own.sub.pk, [far.line.pk])),
            Attack("clerk", "post", "/api/v1/outages/", _outage(far.sub.pk, [own.line.pk])),
        ],
        "outage-notify": [Attack("clerk", "post", f"/api/v1/outages/{far.outage.pk}/notify/", {})],
        "outage-notice-acknowledge": [Attack("clerk", "post",
                                             f"/api/v1/outage-notices/{far.notice.pk}/acknowledge/", {})],
        # Consumption: a batch naming a south meter (by meter or customer number) is rejected whole.
        "consumption-batch-create": [
            Attack("clerk", "post", "/api/v1/consumption/batches/", {"layout": "long", "rows": [
                {"meter_no": far.meter.meter_no, "timestamp": f"{today} 00:15", "kw": 1}]}),
            Attack("clerk", "post", "/api/v1/consumption/batches/", {"layout": "daily", "rows": [
                {"customer_number": far.customer.number, "date": today, "kwh": 1}]}),
        ],
        # Imports: a job is its uploader's alone; a stranger's job cannot be run again.
        "import-retry": [Attack("clerk", "post", f"/api/v1/imports/{far.job.pk}/retry/")],
        # Stopping supply: a south bill cannot get a case, and a south case takes no step. Each
        # body is one that would pass for a case in scope at that step.
        "receivables-stop-case-open": [Attack("clerk", "post", f"/api/v1/receivables/bills/{far.bill.pk}/stop-case/")],
        **_project_attacks(s, own, far, today),
    }
    result.update(_pipeline_attacks(s))
    for action, who, body in _stop_steps(later):
        result[f"stop-supply-case-{action}"] = [
            Attack(who, "post", f"/api/v1/receivables/stop-cases/{far.case.pk}/{action.replace('_approval', '')}/",
                   body)]
    records = {
        "contact": _record_attacks("contacts", own.contact, far.contact, create={"name": "新联系人"}, refs={}),
        "supply-point": _record_attacks(
            "supply-points", own.point, far.point, create={"name": "新电源", "source_type": "main"},
            refs={"substation": far.sub.pk, "supply_line": far.line.pk}),
        "transformer": _record_attacks(
            "transformers", own.transformer, far.transformer, create={"capacity_kva": "400", "quantity": 1},
            refs={"supply_point": far.point.pk}),
        "metering-point": _record_attacks(
            "metering-points", own.meter, far.meter, create={"number": "MP-NEW"}, refs={"supply_point": far.point.pk}),
        "contract": _record_attacks("contracts", own.contract, far.contract, create={"number": "HT-NEW"}, refs={}),
    }
    for basename, by_action in records.items():
        for action, attempts in by_action.items():
            for a in attempts:
                if a.data.get("customer") in ("own", "far"):
                    a.data["customer"] = getattr(s, a.data["customer"]).customer.pk
            result[f"{basename}-{action}"] = attempts
    # Reference data and accounts: administrators only (they see the whole company); a north
    # clerk is refused before any id is read.
    for basename, prefix, pk in (("org-unit", "org-units", s.south.pk), ("staff", "staff", s.m2.pk),
                                 ("substation", "substations", far.sub.pk), ("supply-line", "supply-lines", far.line.pk)):
        result[f"{basename}-create"] = [Attack("clerk", "post", f"/api/v1/{prefix}/", {"name": "x"})]
        result[f"{basename}-update"] = [Attack("clerk", "put", f"/api/v1/{prefix}/{pk}/", {"name": "x"})]
        result[f"{basename}-partial_update"] = [Attack("clerk", "patch", f"/api/v1/{prefix}/{pk}/", {"name": "x"})]
        if basename != "staff":  # accounts are deactivated, never deleted
            result[f"{basename}-destroy"] = [Attack("clerk", "delete", f"/api/v1/{prefix}/{pk}/")]
    # Key-account scoring and KPI targets (issue #15)
    far_proposal = _tier_proposal(far.customer)
    result["tier-proposal-approve"] = [Attack("supervisor", "post", f"/api/v1/scoring/proposals/{far_proposal.pk}/approve/",
                                              {"reason": "x"})]
    result["tier-proposal-reject"] = [Attack("supervisor", "post", f"/api/v1/scoring/proposals/{far_proposal.pk}/reject/",
                                             {"reason": "x"})]
    result["kpi-target-create"] = [
        Attack("supervisor", "post", "/api/v1/kpis/targets/",
               {"month": today, "metric": "revenue", "value": "1", "staff": s.m2.pk}),
        Attack("supervisor", "post", "/api/v1/kpis/targets/",
               {"month": today, "metric": "revenue", "value": "1", "org_unit": s.south.pk}),
    ]
    # Consumption anomalies (issue #14): a north manager cannot record the reason of a south one.
    from powerkam.consumption.models import AnomalyReason, UsageAnomaly

    day = timezone.localdate()
    far_anomaly = UsageAnomaly.objects.create(customer=far.customer, kind="drop", started_on=day, detected_on=day,
                                              checked_on=day, days=5, last_kwh=1, expected_kwh=10)
    result["consumption-anomaly-reason"] = [
        Attack("m1", "post", f"/api/v1/consumption/anomalies/{far_anomaly.pk}/reason/",
               {"reason": AnomalyReason.objects.order_by("order").values_list("code", flat=True).first(),
                "note": "x"})]
    return result


def _pipeline_attacks(s) -> dict[str, list[Attack]]:
    """Prospects (issue #13): a south government project, opportunity and quote, and north
    records pointed at south units, managers, customers and projects."""
    from powerkam.pipeline import services as pipeline
    from powerkam.pipeline.models import OpportunityKind, OpportunityStage, ServiceItem

    day = timezone.localdate()
    project = {"name": "南区项目", "gov_status": "approved", "approval_doc_no": "南发改1号", "approval_date": day,
               "org_unit": s.s3, "primary_manager": s.m2, "secondary_manager": s.m2}
    far_project = pipeline.save_project(actor=s.sup_south, **{**project, "secondary_manager": None,
                                                                "gov_status": "planned"})
    own_project = pipeline.save_project(actor=s.clerk, name="北区项目", org_unit=s.s1)
    kind = OpportunityKind.objects.get(code="energy_audit")
    far_opp = pipeline.save_opportunity(actor=s.m2, title="南区机会", prospect_name="南区某厂", kind=kind,
                                        close_on=day + timedelta(days=30))
    own_opp = pipeline.save_opportunity(actor=s.m1, title="北区机会", prospect_name="北区某厂", kind=kind,
                                        close_on=day + timedelta(days=30))
    item = ServiceItem.objects.get(code="EA-01")
    far_quote = pipeline.create_quote(far_opp, actor=s.m2, lines=[pipeline.LineInput(item, Decimal("1"),
                                                                                      Decimal("50"))])
    stage = OpportunityStage.objects.get(code="proposal").pk
    gp = "/api/v1/government-projects/"
    opps = "/api/v1/opportunities/"
    new_project = {"name": "新项目", "gov_status": "planned", "org_unit": s.s1.pk}
    new_opp = {"title": "新机会", "prospect_name": "某厂", "kind": kind.pk, "close_on": later_day(day)}
    return {
        "government-project-create": [Attack("clerk", "post", gp, {**new_project, "org_unit": s.s3.pk}),
                                      Attack("clerk", "post", gp, {**new_project, "primary_manager": s.m2.pk})],
        "government-project-update": [Attack("clerk", "put", f"{gp}{far_project.pk}/", new_project),
                                      Attack("clerk", "put", f"{gp}{own_project.pk}/", {**new_project,
                                                                                       "org_unit": s.s3.pk})],
        "government-project-partial_update": [
            Attack("clerk", "patch", f"{gp}{far_project.pk}/", {"name": "x"}),
            Attack("clerk", "patch", f"{gp}{own_project.pk}/", {"secondary_manager": s.m2.pk})],
        "government-project-report": [Attack("clerk", "post", f"{gp}{far_project.pk}/report/",
                                             {"week": day.isoformat(), "next_steps": "x"})],
        "opportunity-create": [Attack("m1", "post", opps, {**new_opp, "customer": s.far.customer.pk}),
                               Attack("m1", "post", opps, {**new_opp, "owner": s.m2.pk}),
                               Attack("m1", "post", opps, {**new_opp, "org_unit": s.s3.pk}),
                               Attack("m1", "post", opps, {**new_opp, "government_project": far_project.pk})],
        "opportunity-update": [Attack("m1", "put", f"{opps}{far_opp.pk}/", new_opp),
                               Attack("m1", "put", f"{opps}{own_opp.pk}/", {**new_opp, "owner": s.m2.pk})],
        "opportunity-partial_update": [Attack("m1", "patch", f"{opps}{far_opp.pk}/", {"title": "x"}),
                                       Attack("m1", "patch", f"{opps}{own_opp.pk}/",
                                              {"customer": s.far.customer.pk})],
        "opportunity-move": [Attack("m1", "post", f"{opps}{far_opp.pk}/move/", {"stage": stage})],
        "quote-create": [Attack("m1", "post", "/api/v1/quotes/", {"opportunity": far_opp.pk,
                                                                  "lines": [{"item": item.pk, "quantity": "1"}]})],
        "quote-decide": [Attack("supervisor", "post", f"/api/v1/quotes/{far_quote.pk}/decide/", {"approve": True})],
        "quote-accept": [Attack("m1", "post", f"/api/v1/quotes/{far_quote.pk}/accept/")],
    }


def later_day(day) -> str:
    return (day + timedelta(days=40)).isoformat()


def _tier_proposal(customer):
    """A pending tier proposal for `customer` (made once per test)."""
    from powerkam.scoring.models import ScoringModel, ScoringRun, TierProposal

    model = ScoringModel.objects.filter(version=99).first() or ScoringModel.objects.create(
        name="attack", version=99, key_account_cutoff=50, medium_cutoff=70, premium_cutoff=90)
    run = ScoringRun.objects.filter(model=model).first() or ScoringRun.objects.create(
        model=model, period=timezone.localdate().replace(day=1))
    return TierProposal.objects.get_or_create(run=run, customer=customer, defaults={
        "kind": "new", "from_tier": "", "to_tier": "general", "score": Decimal("60")})[0]


# Endpoints that accept no id of a scoped record, and why.
NO_SCOPED_IDS = {
    "api-token": "username and password only",
    "billing-calculate": "a load and a tariff code from the company-wide catalogue; reads nothing of a customer",
    "survey-answer": "public; the signed one-time token is the key, and the answer names its own invitation only",
    "scoring-model-try_out": "administrators only; a company-wide scoring model, no customer id",
    "scoring-model-publish": "administrators only; a company-wide scoring model, no customer id",
}

ADMIN_ONLY = {"org-unit", "staff", "substation", "supply-line"}


def _statement() -> dict:
    from tests.credit.factories import STATEMENT

    return dict(STATEMENT)


def _stop_steps(day: str) -> list[tuple[str, str, dict]]:
    """(action, who, body) for every step of a stop-supply case (receivables.stop_supply)."""
    at = f"{day}T09:00:00+08:00"
    return [("request_approval", "clerk", {"scheduled_stop_at": at}),
            ("decide", "supervisor", {"approve": True, "note": "同意"}),
            ("deliver", "clerk", {"delivered_on": day}),
            ("remind", "clerk", {"reminded_at": at}),
            ("stop", "clerk", {"stopped_at": at}),
            ("restore", "clerk", {"restored_at": at}),
            ("cancel", "clerk", {"reason": "x"})]


def _project_attacks(s, own, far, today: str) -> dict[str, list[Attack]]:
    """Connection projects: a south project takes no action; a north project accepts no south
    document, defect, substation, line or transformer; no application names a south customer."""
    base, mine = f"/api/v1/projects/{far.project.pk}", f"/api/v1/projects/{own.project.pk}"
    far_doc = far.project.documents.first().pk
    application = {"application_type": "increase", "applicant_type": "existing", "requested_capacity_kva": "400",
                   "voltage_level": "10kV", "site_address": "厂区", "tracker": s.m1.pk}
    return {
        "project-create": [Attack("clerk", "post", "/api/v1/projects/", {**application, "customer": far.customer.pk})],
        "project-advance": [Attack("clerk", "post", f"{base}/advance/", {"stage": "accepted", "ended_on": today})],
        "project-pause": [Attack("clerk", "post", f"{base}/pause/", {"reason": "documents"})],
        "project-resume": [Attack("clerk", "post", f"{base}/resume/", {})],
        "project-receive_document": [
            Attack("clerk", "post", f"{base}/receive-document/", {"document": far_doc}),
            Attack("clerk", "post", f"{mine}/receive-document/", {"document": far_doc}),
        ],
        "project-contractor": [Attack("clerk", "post", f"{base}/contractor/", {"role": "designer", "name": "x"})],
        "project-licence_override": [Attack("supervisor", "post", f"{base}/licence-override/", {"reason": "x"})],
        "project-defect": [Attack("clerk", "post", f"{base}/defect/", {"item": "x"})],
        "project-clear_defect": [Attack("clerk", "post", f"{base}/clear-defect/", {"defect": 1})],
        "project-energise": [Attack("clerk", "post", f"{base}/energise/", {})],
        "project-tracker": [Attack("clerk", "post", f"{base}/tracker/", {"tracker": s.m1.pk})],
        "project-cancel": [Attack("clerk", "post", f"{base}/cancel/", {"reason": "x"})],
        "project-supply_point": [
            Attack("clerk", "post", f"{base}/supply-point/", {"name": "x"}),
            Attack("clerk", "post", f"{mine}/supply-point/", {"name": "x", "substation": far.sub.pk}),
            Attack("clerk", "post", f"{mine}/supply-point/", {"name": "x", "supply_line": far.line.pk}),
        ],
        "project-transformer": [
            Attack("clerk", "post", f"{base}/transformer/", {"capacity_kva": "400"}),
            Attack("clerk", "post", f"{mine}/transformer/", {"action": "remove", "existing": far.transformer.pk}),
        ],
        "project-metering_point": [Attack("clerk", "post", f"{base}/metering-point/", {"number": "MP-X"})],
        "project-contract": [Attack("clerk", "post", f"{base}/contract/",
                                    {"number": "HT-X", "valid_from": today, "valid_to": today})],
    }


def _ticket(**changes) -> dict:
    return {"ticket_type": "complaint", "channel": "phone", "subject": "电压低", **changes}


def _outage(substation: int, lines: list[int]) -> dict:
    start = timezone.now() + timedelta(days=12)
    return {"substation": substation, "supply_lines": lines, "kind": "planned", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "reason": "检修"}


def writable_endpoints() -> set[str]:
    """Every write the API offers: router viewset actions taking POST/PUT/PATCH/DELETE, and the
    API's other url patterns with such a method."""
    found = set()
    for _prefix, viewset, basename in api_urls.router.registry:
        for route in api_urls.router.get_routes(viewset):
            for method, action in route.mapping.items():
                if method in WRITE_METHODS and method in viewset.http_method_names and hasattr(viewset, action):
                    found.add(f"{basename}-{action}")
    for pattern in api_urls.urlpatterns:
        view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        if view is not None and getattr(pattern, "name", None) and any(hasattr(view, m) for m in WRITE_METHODS):
            found.add(pattern.name)
    return found


def test_every_writable_endpoint_has_an_attack(scopes):
    endpoints = writable_endpoints()
    covered = set(attacks(scopes)) | set(NO_SCOPED_IDS)
    assert endpoints - covered == set(), "a writable endpoint has no case in test_write_scope.attacks"
    assert covered - endpoints == set(), "an attack names an endpoint that no longer exists"


def _send(client, attack: Attack):
    if attack.fmt == "multipart":
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {k: (SimpleUploadedFile(v[0], v[1].encode()) if isinstance(v, tuple) else v)
                for k, v in attack.data.items()}
        return getattr(client, attack.method)(attack.url, data, format="multipart")
    return getattr(client, attack.method)(attack.url, attack.data, format="json")


def _endpoints() -> list[str]:
    return sorted(writable_endpoints() - set(NO_SCOPED_IDS))


@pytest.mark.parametrize("endpoint", _endpoints())
def test_ids_from_another_scope_are_refused_and_change_nothing(scopes, api, endpoint):
    attempts = attacks(scopes)[endpoint]
    clients = {who: api(getattr(scopes, who)) for who in {a.who for a in attempts}}
    words = foreign_words(scopes)
    for attack in attempts:
        before = snapshot()
        response = _send(clients[attack.who], attack)
        body = response.content.decode("utf-8", "replace")
        expected = {403} if endpoint.rsplit("-", 1)[0] in ADMIN_ONLY else {400, 404}
        if endpoint == "import-create":
            # The upload itself is accepted as a job; its south row is refused and writes nothing.
            expected = {201}
        assert response.status_code in expected, (attack, response.status_code, body[:500])
        assert leaked(words, body, attack.data) == [], (attack, body[:500])
        after = snapshot()
        if endpoint == "import-create":
            before.pop("imports.ImportJob"), after.pop("imports.ImportJob")
            before.pop("imports.HistoricalImportJob", None), after.pop("imports.HistoricalImportJob", None)
        if endpoint == "consumption-batch-create":  # the rejected batch is its audit record; it writes nothing else
            for label in ("consumption.IngestBatch", "consumption.HistoricalIngestBatch"):
                before.pop(label), after.pop(label)
        assert after == before, attack


# --- the findings, one by one, in the words of the issue --------------------------------------


def test_recording_a_visit_with_another_customers_contact_names_nobody(scopes, api):
    response = api(scopes.clerk).post(f"/api/v1/visits/{scopes.own.visit.pk}/record/",
                                      {"done_on": timezone.localdate().isoformat(),
                                       "contacts_met": [scopes.far.contact.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"contacts_met": [NOT_VISIBLE]}


def test_a_manager_cannot_move_a_customer_out_of_the_supervisors_sight(scopes, api):
    response = api(scopes.m1).patch(f"/api/v1/customers/{scopes.own.customer.pk}/", {"org_unit": scopes.s3.pk},
                                    format="json")
    assert response.status_code == 400
    assert response.json() == {"org_unit": [NOT_VISIBLE]}
    assert Customer.objects.get(pk=scopes.own.customer.pk).org_unit == scopes.s1


def test_a_clerk_cannot_create_an_outage_on_another_units_substation(scopes, api):
    from powerkam.service.outages.models import Outage

    before = Outage.objects.count()
    response = api(scopes.clerk).post("/api/v1/outages/", _outage(scopes.far.sub.pk, [scopes.far.line.pk]),
                                      format="json")
    assert response.status_code == 400
    assert response.json()["substation"] == [NOT_VISIBLE]
    assert Outage.objects.count() == before


def test_a_south_line_is_unknown_on_a_north_outage(scopes, api):
    response = api(scopes.clerk).post("/api/v1/outages/", _outage(scopes.own.sub.pk, [scopes.far.line.pk]),
                                      format="json")
    assert response.status_code == 400
    assert response.json() == {"supply_lines": [f"Unknown supply line: {scopes.far.line.pk}."]}


MISSING = 987_654_321


@pytest.mark.parametrize(("url", "name", "body"), [
    ("/api/v1/payments/", "customer", {"amount": "10.00", "channel": "counter", "is_advance": True,
                                       "received_on": "2026-12-01"}),
    ("/api/v1/credit/assessments/", "customer", {"statement": True}),
    ("/api/v1/visits/", "customer", {"planned_on": "2099-01-05"}),
    ("/api/v1/care-records/", "customer", {"kind": "greeting", "occurred_on": "2026-12-01", "summary": "x"}),
    ("/api/v1/tickets/", "customer", _ticket()),
    ("/api/v1/contacts/", "customer", {"name": "x"}),
    ("/api/v1/tickets/", "contact", _ticket(customer="own")),
    ("/api/v1/supply-points/", "supply_line", {"customer": "own", "name": "x", "source_type": "main"}),
    ("/api/v1/visits/", "assignee", {"customer": "own", "planned_on": "2099-01-05"}),
    ("/api/v1/outages/", "substation", {"outage": True}),
])
def test_a_foreign_id_gets_the_same_answer_as_a_missing_one(scopes, api, url, name, body):
    """The answer must not tell whether the id exists elsewhere."""
    far = {"customer": scopes.far.customer.pk, "contact": scopes.far.contact.pk, "supply_line": scopes.far.line.pk,
           "substation": scopes.far.sub.pk, "assignee": scopes.m2.pk}[name]
    body = dict(body)
    if body.pop("statement", False):
        body.update(_statement())
    if body.pop("outage", False):
        body.update(_outage(0, [scopes.own.line.pk]))
    if body.get("customer") == "own":
        body["customer"] = scopes.own.customer.pk
    client = api(scopes.clerk)
    foreign = client.post(url, {**body, name: far}, format="json")
    missing = client.post(url, {**body, name: MISSING}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()


# --- the same writes with ids from the user's own scope go through ----------------------------


def test_the_same_writes_with_own_ids_succeed(scopes, api):
    """The refusals above are about scope, not about the request: with north ids they pass."""
    own, today = scopes.own, timezone.localdate().isoformat()
    clerk = api(scopes.clerk)
    assert api(scopes.m1).patch(f"/api/v1/customers/{own.customer.pk}/", {"org_unit": scopes.s1.pk},
                                format="json").status_code == 200
    recorded = clerk.post(f"/api/v1/visits/{own.visit.pk}/record/",
                          {"done_on": today, "contacts_met": [own.contact.pk], "participants": [scopes.m1.pk],
                           "findings": "变压器温升正常"},
                          format="json")
    assert recorded.status_code == 200, recorded.content.decode()
    assert clerk.post("/api/v1/outages/", _outage(own.sub.pk, [own.line.pk]), format="json").status_code == 201
    assert clerk.post("/api/v1/supply-points/", {"customer": own.customer.pk, "name": "新电源", "source_type": "main",
                                                 "supply_line": own.line.pk}, format="json").status_code == 201
    assert clerk.post("/api/v1/tickets/", _ticket(customer=own.customer.pk, contact=own.contact.pk),
                      format="json").status_code == 201
    assert clerk.post("/api/v1/care-records/", {"customer": own.customer.pk, "contact": own.contact.pk,
                                                "kind": "greeting", "occurred_on": today, "summary": "x"},
                      format="json").status_code == 201


def test_a_station_clerk_may_record_a_supply_point_on_the_regions_substation(scopes, api, make_staff):
    """A station's customers are fed from its region's substations: the archive accepts them."""
    station_clerk = make_staff("clerk", scopes.s1, username="clerk_s1")
    response = api(station_clerk).post("/api/v1/supply-points/", {
        "customer": scopes.own.customer.pk, "name": "新电源", "source_type": "main",
        "supply_line": scopes.own.line.pk}, format="json")
    assert response.status_code == 201, response.content
    assert api(station_clerk).post("/api/v1/supply-points/", {
        "customer": scopes.own.customer.pk, "name": "新电源2", "source_type": "main",
        "supply_line": scopes.far.line.pk}, format="json").status_code == 400


# --- pages: every form that posts an id --------------------------------------------------------

# Form fields that take an id of a record, and where each is attacked (or why not).
PAGE_REFERENCE_FIELDS = {
    ("customers.forms.CustomerForm", "org_unit"): "customer-edit",
    ("customers.forms.CustomerForm", "primary_manager"): "customer-edit",
    ("customers.forms.CustomerForm", "secondary_manager"): "customer-edit",
    ("customers.forms.CustomerForm", "developed_by"): "any active staff member, as in the API (developer_choices)",
    ("customers.forms.ReassignForm", "primary_manager"): "reassign",
    ("customers.forms.ReassignForm", "secondary_manager"): "reassign",
    ("customers.forms.SupplyPointForm", "substation"): "supply-point-add",
    ("customers.forms.SupplyPointForm", "supply_line"): "supply-point-add",
    ("customers.forms.TransformerForm", "supply_point"): "transformer-add",
    ("customers.forms.MeteringPointForm", "supply_point"): "metering-point-add",
    ("service.outages.forms.OutageForm", "substation"): "outage-create",
    ("service.outages.forms.OutageForm", "supply_lines"): "outage-create",
    ("service.visits.forms.PlanVisitForm", "customer"): "visit-create",
    ("service.visits.forms.PlanVisitForm", "assignee"): "visit-create",
    ("service.visits.forms.RecordVisitForm", "participants"): "visit-record",
    ("service.visits.forms.RecordVisitForm", "contacts_met"): "visit-record",
    ("service.visits.forms.CareForm", "customer"): "care-create",
    ("service.visits.forms.CareForm", "contact"): "care-create",
    ("service.visits.forms.OccasionForm", "org_units"): "administrators only (company-wide)",
    ("service.tickets.forms.IntakeForm", "customer"): "ticket-create",
    ("service.tickets.forms.IntakeForm", "about_staff"): "any active staff member, as in the API",
    ("service.tickets.forms.IntakeForm", "assignee"): "company-wide (three-level escalation), as in the API",
    ("service.tickets.forms.AssignForm", "to"): "company-wide (three-level escalation), as in the API",
    ("service.tickets.forms.AdvanceForm", "next_owner"): "company-wide (three-level escalation), as in the API",
    ("receivables.forms.PaymentForm", "customer_number"): "payment-create",
    ("receivables.forms.BlacklistAddForm", "customer_number"): "blacklist-add",
    ("analytics.forms.ReportFilterForm", "org_unit"): "a filter of a scoped report (visible_org_units)",
    ("service.tickets.forms.AnalysisForm", "org_unit"): "a filter of a scoped report",
    ("pipeline.forms.ProjectForm", "org_unit"): "pipeline-project-create",
    ("pipeline.forms.ProjectForm", "primary_manager"): "pipeline-project-create",
    ("pipeline.forms.ProjectForm", "secondary_manager"): "pipeline-project-create",
    ("pipeline.forms.OpportunityForm", "customer"): "pipeline-opportunity-create",
    ("pipeline.forms.OpportunityForm", "owner"): "pipeline-opportunity-create",
    ("pipeline.forms.OpportunityForm", "org_unit"): "pipeline-opportunity-create",
    ("pipeline.forms.OpportunityForm", "government_project"): "pipeline-opportunity-create",
    ("pipeline.forms.OpportunityForm", "kind"): "company-wide configuration (opportunity kinds), as in the API",
    ("pipeline.forms.OpportunityForm", "stage"): "company-wide configuration (opportunity stages), as in the API",
    ("pipeline.forms.OpportunityForm", "competitors"): "company-wide configuration (competitors), as in the API",
    # Connection projects (issue #12): staff through org.selectors.assignable_staff (the user's
    # units), the customer through visible_customers, the report's unit through visible_org_units.
    ("projects.forms.IntakeForm", "customer"): "visible_customers in clean_customer (unknown and foreign read the same)",
    ("projects.forms.IntakeForm", "tracker"): "assignable_staff (the user's units), as in the API",
    ("projects.forms.AdvanceForm", "next_owner"): "assignable_staff (the user's units), as in the API",
    ("projects.forms.AdvanceForm", "customer_number"): "the number a new customer gets at energisation, not a reference",
    ("projects.forms.TrackerForm", "tracker"): "assignable_staff (the user's units), as in the API",
    ("projects.forms.ReportForm", "org_unit"): "a filter of a scoped report (visible_org_units)",
}
REFERENCE_NAMES = {"customer", "customer_number", "contact", "org_unit", "org_units"}


def page_reference_fields() -> set[tuple[str, str]]:
    """Fields of every form in PowerKAM that carry a record's id: model choice fields, and
    fields named like a reference (a hidden customer id, a customer number)."""
    found = set()
    for info in pkgutil.walk_packages(powerkam.__path__, "powerkam."):
        if not info.name.endswith(".forms"):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, forms.BaseForm):
                continue
            for field_name, f in cls.base_fields.items():
                if isinstance(f, forms.ModelChoiceField) or field_name in REFERENCE_NAMES:
                    found.add((f"{info.name.removeprefix('powerkam.')}.{name}", field_name))
    return found


def test_every_form_field_taking_an_id_is_accounted_for():
    assert page_reference_fields() - set(PAGE_REFERENCE_FIELDS) == set()


def _customer_form_data(s, **changes) -> dict:
    from powerkam.customers.forms import CustomerForm

    form = CustomerForm(instance=s.own.customer, user=s.m1)
    data = {}
    for name, f in form.fields.items():
        value = form.initial.get(name)
        if isinstance(f.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return {**data, **changes}


def page_attacks(s) -> dict[str, list[tuple[str, str, dict]]]:
    own, far = s.own, s.far
    today = timezone.localdate().isoformat()
    later = (timezone.localdate() + timedelta(days=20)).isoformat()
    start = timezone.localtime() + timedelta(days=12)
    from powerkam.pipeline import services as pipeline
    from powerkam.pipeline.models import OpportunityKind

    far_project = pipeline.save_project(actor=s.sup_south, name="南区项目", org_unit=s.s3)
    project = {"name": "北区新项目", "gov_status": "approved", "approval_doc_no": "北发改1号", "approval_date": today,
               "org_unit": s.s1.pk, "primary_manager": s.m1.pk, "secondary_manager": s.m3.pk, "reliability": "single",
               "expected_load_kw": "0", "expected_capacity_kva": "0", "expected_annual_kwh": "0"}
    opportunity = {"title": "北区机会", "prospect_name": "北区某厂", "kind": OpportunityKind.objects.get(code="energy_audit").pk,
                   "close_on": later, "owner": s.m1.pk, "expected_kva": "0", "expected_annual_kwh": "0",
                   "expected_annual_revenue_yuan": "0"}
    return {
        "pipeline-project-create": [
            ("m1", "/pipeline/projects/new/", {**project, "org_unit": s.s3.pk}),
            ("m1", "/pipeline/projects/new/", {**project, "secondary_manager": s.m2.pk}),
        ],
        "pipeline-opportunity-create": [
            ("m1", "/pipeline/opportunities/new/", {**opportunity, "customer": far.customer.pk}),
            ("m1", "/pipeline/opportunities/new/", {**opportunity, "owner": s.m2.pk}),
            ("m1", "/pipeline/opportunities/new/", {**opportunity, "org_unit": s.s3.pk}),
            ("m1", "/pipeline/opportunities/new/", {**opportunity, "government_project": far_project.pk}),
        ],
        "customer-edit": [
            ("m1", f"/customers/{own.customer.pk}/edit/", _customer_form_data(s, org_unit=s.s3.pk)),
            ("m1", f"/customers/{own.customer.pk}/edit/", _customer_form_data(s, primary_manager=s.m2.pk)),
        ],
        "reassign": [("supervisor", f"/org/reassign/{own.customer.pk}/", {"primary_manager": s.m2.pk})],
        "supply-point-add": [
            ("clerk", f"/customers/{own.customer.pk}/supply_point/new/",
             {"name": "新电源", "source_type": "main", "substation": far.sub.pk}),
            ("clerk", f"/customers/{own.customer.pk}/supply_point/new/",
             {"name": "新电源", "source_type": "main", "supply_line": far.line.pk}),
        ],
        "transformer-add": [("clerk", f"/customers/{own.customer.pk}/transformer/new/",
                             {"supply_point": far.point.pk, "capacity_kva": "400", "quantity": "1"})],
        "metering-point-add": [("clerk", f"/customers/{own.customer.pk}/metering_point/new/",
                                {"supply_point": far.point.pk, "number": "MP-NEW"})],
        "outage-create": [
            ("clerk", "/service/outages/new/", {
                "substation": far.sub.pk, "supply_lines": [far.line.pk], "kind": "planned",
                "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "reason": "检修"}),
            ("clerk", "/service/outages/new/", {
                "substation": own.sub.pk, "supply_lines": [far.line.pk], "kind": "planned",
                "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "reason": "检修"}),
        ],
        "visit-create": [
            ("clerk", f"/service/visits/new/?customer={far.customer.pk}",
             {"customer": far.customer.pk, "planned_on": later}),
            ("clerk", f"/service/visits/new/?customer={own.customer.pk}",
             {"customer": own.customer.pk, "planned_on": later, "assignee": s.m2.pk}),
        ],
        "visit-record": [
            ("clerk", f"/service/visits/{own.visit.pk}/record/", {"done_on": today, "contacts_met": [far.contact.pk]}),
            ("clerk", f"/service/visits/{own.visit.pk}/record/", {"done_on": today, "participants": [s.m2.pk]}),
            ("clerk", f"/service/visits/{own.visit.pk}/record/",
             {"done_on": today, "fu1_title": "x", "fu1_assignee": s.m2.pk, "fu1_due": later}),
        ],
        "care-create": [
            ("clerk", "/service/visits/care/new/",
             {"customer": far.customer.pk, "kind": "greeting", "occurred_on": today, "summary": "x"}),
            ("clerk", "/service/visits/care/new/",
             {"customer": own.customer.pk, "contact": far.contact.pk, "kind": "greeting", "occurred_on": today,
              "summary": "x"}),
        ],
        "ticket-create": [("clerk", "/service/tickets/new/", {
            "customer": far.customer.number, "channel": "phone", "ticket_type": "complaint", "subject": "x"})],
        "payment-create": [("clerk", "/receivables/", {
            "customer_number": far.customer.number, "amount": "10.00", "channel": "counter", "received_on": today,
            "is_advance": "on"})],
        "blacklist-add": [("clerk", "/receivables/blacklist/", {"customer_number": far.customer.number,
                                                                 "reason": "欠费"})],
    }


def test_every_page_case_is_walked(scopes):
    named = {v for v in PAGE_REFERENCE_FIELDS.values() if " " not in v}
    assert named - set(page_attacks(scopes)) == set()


@pytest.mark.parametrize("case", sorted({v for v in PAGE_REFERENCE_FIELDS.values() if " " not in v}))
def test_pages_refuse_ids_from_another_scope_and_change_nothing(scopes, login, case):
    # Staff may show on a page, with their units (the ticket pages pick colleagues company-wide
    # for the three-level escalation); records of the south may not.
    staff_labels = (scopes.m2.full_name, scopes.m2.username, scopes.sup_south.full_name, scopes.south.name,
                    scopes.s3.name)
    words = [w for w in foreign_words(scopes) if w not in staff_labels]
    for who, url, data in page_attacks(scopes)[case]:
        client = login(getattr(scopes, who))
        before = snapshot()
        response = client.post(url, data)
        body = response.content.decode("utf-8", "replace")
        assert response.status_code in (200, 400, 404), (url, data, response.status_code)
        assert leaked(words, body, data) == [], (url, data)
        assert snapshot() == before, (url, data)


# --- stopping supply, the blacklist register and import retries: a south id is a missing id ---


@pytest.mark.parametrize("action", [a for a, _who, _body in _stop_steps("2099-01-05")])
def test_a_step_on_a_south_stop_supply_case_is_answered_as_for_a_missing_case(scopes, api, action):
    _action, who, body = next(step for step in _stop_steps("2099-01-05") if step[0] == action)
    client = api(getattr(scopes, who))
    path = action.replace("_approval", "")
    foreign = client.post(f"/api/v1/receivables/stop-cases/{scopes.far.case.pk}/{path}/", body, format="json")
    missing = client.post(f"/api/v1/receivables/stop-cases/{MISSING}/{path}/", body, format="json")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


@pytest.mark.parametrize("url", ["/api/v1/receivables/bills/{}/stop-case/", "/api/v1/imports/{}/retry/",
                                 "/api/v1/receivables/stop-cases/{}/", "/api/v1/receivables/blacklist/{}/"])
def test_a_south_id_in_the_url_is_answered_as_a_missing_one(scopes, api, url):
    far = {"bills": scopes.far.bill.pk, "imports": scopes.far.job.pk, "stop-cases": scopes.far.case.pk,
           "blacklist": scopes.far.blacklisted.pk}[next(k for k in ("bills", "imports", "stop-cases", "blacklist")
                                                         if f"/{k}/" in url)]
    client = api(scopes.clerk)
    send = client.get if url.endswith(("stop-cases/{}/", "blacklist/{}/")) else client.post
    foreign, missing = send(url.format(far)), send(url.format(MISSING))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_the_blacklist_and_stop_supply_lists_show_only_the_users_scope(scopes, api):
    client = api(scopes.clerk)
    listed = client.get("/api/v1/receivables/blacklist/", {"status": "all"}).json()["results"]
    assert [e["id"] for e in listed] == [scopes.own.blacklisted.pk]
    assert client.get("/api/v1/receivables/blacklist/", {"q": scopes.far.customer.number}).json()["results"] == []
    cases = client.get("/api/v1/receivables/stop-cases/").json()["results"]
    assert [c["id"] for c in cases] == [scopes.own.case.pk]


def test_listing_a_south_customer_on_the_blacklist_page_is_answered_as_for_an_unknown_number(scopes, login):
    from powerkam.receivables.models import BlacklistEntry

    client = login(scopes.clerk)
    before = BlacklistEntry.objects.count()
    foreign = client.post("/receivables/blacklist/", {"customer_number": scopes.far.customer.number, "reason": "欠费"})
    missing = client.post("/receivables/blacklist/", {"customer_number": "0000000000", "reason": "欠费"})
    assert foreign.status_code == missing.status_code == 200
    assert foreign.context["form"].errors == missing.context["form"].errors == {
        "customer_number": ["No customer with this number in your scope."]}
    assert BlacklistEntry.objects.count() == before


@pytest.mark.parametrize(("method", "url", "data"), [
    ("get", "/receivables/stop-cases/{case}/", {}),
    ("post", "/receivables/stop-cases/{case}/", {"step": "cancel", "reason": "x"}),
    ("post", "/receivables/bills/{bill}/stop-case/", {}),
    ("post", "/receivables/blacklist/{entry}/removal/", {"reason": "x"}),
])
def test_pages_of_a_south_case_bill_or_blacklist_entry_are_not_found(scopes, login, method, url, data):
    far = scopes.far
    client = login(scopes.clerk)
    before = snapshot()
    response = getattr(client, method)(url.format(case=far.case.pk, bill=far.bill.pk, entry=far.blacklisted.pk),
                                       data)
    assert response.status_code == 404
    assert leaked(foreign_words(scopes), response.content.decode(), data) == []
    assert snapshot() == before


@pytest.mark.parametrize(("url", "name"), [
    ("/api/v1/receivables/stop-cases/", "customer"),
    ("/api/v1/receivables/stop-cases/", "bill"),
    ("/api/v1/payments/", "customer"),
])
def test_a_list_filtered_by_a_south_id_answers_as_for_a_missing_id(scopes, api, url, name):
    """A plain filter answered an empty 200 for a south id and a 400 for a missing one."""
    far = {"customer": scopes.far.customer.pk, "bill": scopes.far.case_bill.pk}[name]
    own = {"customer": scopes.own.customer.pk, "bill": scopes.own.case_bill.pk}[name]
    client = api(scopes.clerk)
    foreign, missing = client.get(url, {name: far}), client.get(url, {name: MISSING})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json()
    assert client.get(url, {name: own}).status_code == 200


@pytest.mark.parametrize("query", [{"status": "all"}, {"status": "all", "export": "csv"}])
def test_the_blacklist_page_and_its_export_show_only_the_users_scope(scopes, login, query):
    response = login(scopes.clerk).get("/receivables/blacklist/", query)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    body = body.decode("utf-8-sig", "replace")
    assert response.status_code == 200
    assert scopes.own.blacklisted.reason in body
    assert leaked(foreign_words(scopes), body, query) == []


def reference_filters() -> list[tuple[str, str, type]]:
    """Every list endpoint's filter that takes a reference to a customer-bearing record
    (`?customer=`, `?bill=`, `?ticket=` …), read from the router's viewsets and their
    filtersets: (url, parameter, model)."""
    from django_filters import rest_framework as dj_filters
    from rest_framework.test import APIRequestFactory

    from powerkam.core.scoped import ScopedFilterBackend, _customer_bearing

    found = []
    for prefix, viewset, _basename in api_urls.router.registry:
        if "list" not in {name for name in dir(viewset)}:
            continue
        view = viewset()
        view.request = APIRequestFactory().get("/")
        view.action, view.format_kwarg, view.kwargs = "list", None, {}
        backends = getattr(viewset, "filter_backends", None) or []
        for backend_class in backends:
            if not issubclass(backend_class, dj_filters.DjangoFilterBackend):
                continue
            try:
                filterset_class = backend_class().get_filterset_class(view, viewset.queryset
                                                                      if viewset.queryset is not None else None)
            except Exception:  # noqa: BLE001 - a viewset whose queryset needs the request
                filterset_class = getattr(viewset, "filterset_class", None)
            if filterset_class is None:
                continue
            assert issubclass(backend_class, ScopedFilterBackend) or backend_class.__name__ == "CustomerFilterBackend"
            for name, f in filterset_class.base_filters.items():
                if isinstance(f, dj_filters.ModelChoiceFilter | dj_filters.ModelMultipleChoiceFilter):
                    model = getattr(f.queryset, "model", None) or getattr(f, "model", None)
                    if model is None and callable(f.queryset):
                        model = f.extra.get("model")
                    if model is not None and _customer_bearing(model):
                        found.append((f"/api/v1/{prefix}/", name, model))
    return found


def test_every_reference_filter_of_a_list_answers_a_south_id_as_a_missing_one(scopes, api):
    """The plain django-filter answered an empty 200 for a south id and a 400 for a missing one,
    telling which ids exist elsewhere; every list's reference filter goes through the scope
    (core.scoped.ScopedFilterSet, the default filter backend's base)."""
    filters_found = reference_filters()
    assert len(filters_found) >= 5, filters_found  # customer filters of visits, care, tickets, credit …
    client = api(scopes.clerk)
    checked = []
    for url, name, model in filters_found:
        if model is Customer:
            far = scopes.far.customer.pk
        else:
            far = model.objects.filter(customer=scopes.far.customer).values_list("pk", flat=True).first()
        if far is None:
            continue
        foreign, missing = client.get(url, {name: far}), client.get(url, {name: MISSING})
        assert foreign.status_code == missing.status_code, (url, name)
        assert foreign.json() == missing.json(), (url, name)
        checked.append((url, name))
    assert len(checked) >= 5, checked
