"""Conversion (issue #13 item 7): a won opportunity or an approved government project becomes, in
one transaction, a customer in lifecycle status "connecting" carrying its managers (谁开发，谁维护),
contacts and history — the prospect's history is written onto the new customer's 360 timeline —
and a connection project (green channel for key projects) opened by the projects app's intake.
A prospect can instead be linked to an existing customer; once won (approved), converting it
opens that customer's capacity-increase project (增容) for the capacity it asks for.
"""

from __future__ import annotations

from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from powerkam.core import workqueue
from powerkam.core.phrases import phrase
from powerkam.customers import constants as cc
from powerkam.customers.models import Contact, Customer, TimelineEvent
from powerkam.customers.services import add_timeline_event, create_customer
from powerkam.org.models import PORTFOLIO_ROLES

from . import constants as c
from .models import GovernmentProject, Opportunity


def _noon(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def project_history(project: GovernmentProject) -> list[TimelineEvent]:
    """The project's story as timeline events (unsaved, without customer): registration, approval,
    manager changes, government contacts, weekly reports, milestones reached."""
    events = [TimelineEvent(kind="pipeline.project", occurred_at=project.created_at,
                            title=_("Government key project registered: %(name)s") % {"name": project.name},
                            detail=project.number, actor=project.developed_by)]
    if project.approval_date:
        events.append(TimelineEvent(kind="pipeline.project", occurred_at=_noon(project.approval_date),
                                    title=_("Project approved (%(doc)s, %(authority)s)") % {
                                        "doc": project.approval_doc_no, "authority": project.approving_authority}))
    previous = None
    for h in project.history.order_by("history_date", "history_id").select_related("history_user"):
        pair = (h.primary_manager_id, h.secondary_manager_id)
        if previous is not None and pair != previous:
            events.append(TimelineEvent(kind="pipeline.managers", occurred_at=h.history_date, actor=h.history_user,
                                        title=_("Project managers reassigned")))
        previous = pair
    for log in project.contact_logs.all():
        events.append(TimelineEvent(kind="pipeline.gov_contact", occurred_at=_noon(log.contacted_on), actor=log.by,
                                    title=_("Government contact: %(department)s") % {"department": log.department},
                                    detail=log.summary))
    for report in project.weekly_reports.all():
        events.append(TimelineEvent(kind="pipeline.weekly_report", occurred_at=report.submitted_at, actor=report.by,
                                    title=_("Weekly report, week of %(week)s") % {"week": report.week_start.isoformat()},
                                    detail="\n".join(x for x in (report.next_steps, report.problems) if x)))
    for ms in project.milestones.select_related("milestone").filter(actual_on__isnull=False):
        events.append(TimelineEvent(kind="pipeline.milestone", occurred_at=_noon(ms.actual_on),
                                    title=_("Milestone reached: %(milestone)s") % {"milestone": ms.milestone.name}))
    return events


def opportunity_history(opp: Opportunity) -> list[TimelineEvent]:
    """The opportunity's story: creation, each stage it went through, its quotes."""
    events = [TimelineEvent(kind="pipeline.opportunity", occurred_at=opp.created_at,
                            title=_("Opportunity opened: %(title)s") % {"title": opp.title}, detail=opp.number)]
    previous = None
    for h in opp.history.order_by("history_date", "history_id").select_related("history_user", "stage"):
        if previous is not None and h.stage_id != previous:
            events.append(TimelineEvent(kind="pipeline.stage", occurred_at=h.history_date, actor=h.history_user,
                                        title=_("Opportunity stage: %(stage)s") % {"stage": h.stage.name}))
        previous = h.stage_id
    for quote in opp.quotes.all():
        events.append(TimelineEvent(kind="pipeline.quote", occurred_at=quote.created_at, actor=quote.created_by,
                                    title=_("Quote v%(version)s: %(total)s yuan (%(status)s)") % {
                                        "version": quote.version, "total": quote.total_yuan,
                                        "status": quote.get_status_display()}))
    return events


def _write_history(customer: Customer, events: list[TimelineEvent]) -> None:
    for e in events:
        e.customer = customer
        e.title = e.title[:200]
    TimelineEvent.objects.bulk_create(events)


def _connection_project(customer: Customer, *, source, green_channel: bool, actor, site_address: str,
                        capacity_kva, reliability: str, energisation_on, tracker, existing: bool = False):
    """The customer's connection project (业扩, issue #12), opened through the projects app's
    intake service (projects.services.accept_application): a new connection of a new applicant,
    or (`existing`) a capacity increase (增容) of an existing customer; green channel for
    government key projects, tracked by the prospect's primary manager (its owner). Its errors
    (no site address, no capacity, no timing rule for the voltage) refuse the whole conversion."""
    from powerkam.projects import constants as pc
    from powerkam.projects import services as project_services

    today = timezone.localdate()
    kind = ({"application_type": pc.ApplicationType.INCREASE, "applicant_type": pc.ApplicantType.EXISTING,
             "usage_category": customer.usage_category} if existing else
            {"application_type": pc.ApplicationType.NEW, "applicant_type": pc.ApplicantType.NEW})
    app = project_services.Application(
        **kind, customer=customer,
        applicant_name=customer.name, site_address=site_address, requested_capacity_kva=capacity_kva,
        voltage_level=customer.voltage_level, supply_mode=reliability or pc.SupplyMode.SINGLE,
        industry=customer.industry, expected_energisation_on=energisation_on if energisation_on and
        energisation_on >= today else None, is_key_project=isinstance(source, GovernmentProject),
        green_channel=green_channel, notes=_("From %(number)s") % {"number": source.number})
    return project_services.accept_application(app, actor=actor, tracker=tracker or actor, org_unit=customer.org_unit)


def _capacity_increase(prospect: GovernmentProject | Opportunity, *, actor, capacity_kva, site_address: str,
                       reliability: str, energisation_on, green_channel: bool, tracker) -> tuple[Customer, object]:
    """A won (approved) prospect of an existing customer → that customer's capacity-increase
    project (增容) for the capacity the prospect asks for, opened by the projects app's intake
    (audited there, with its timeline entry); the prospect is marked converted and the customer's
    timeline says where the project came from. Its managers stay as they are (谁开发，谁维护)."""
    customer = Customer.objects.select_related("org_unit").get(pk=prospect.customer_id)
    if customer.is_closed:
        raise ValidationError({"customer": _("This customer is closed.")})
    if not capacity_kva:
        raise ValidationError({"expected_kva": _("Give the capacity asked for: a capacity increase needs it.")})
    connection = _connection_project(customer, source=prospect, green_channel=green_channel, actor=actor,
                                     site_address=site_address or customer.address, capacity_kva=capacity_kva,
                                     reliability=reliability, energisation_on=energisation_on, tracker=tracker,
                                     existing=True)
    prospect.converted_at = timezone.now()
    prospect._history_user = actor
    prospect.save(update_fields=["converted_at", "updated_at"])
    add_timeline_event(customer, "pipeline.converted", phrase(
        gettext_noop("Capacity increase %(project)s opened from %(number)s"),
        project=connection.number, number=prospect.number), actor=actor)
    return customer, connection


def _number_for(number: str) -> str:
    if Customer.objects.filter(number=number).exists():
        raise ValidationError(_("A customer with number %(number)s exists already.") % {"number": number})
    return number


@transaction.atomic
def convert_project(project: GovernmentProject, *, actor) -> tuple[Customer, object]:
    """An approved government key project → a connecting customer (+ its connection project, green
    channel); one linked to an existing customer → that customer's capacity increase."""
    project = GovernmentProject.objects.select_for_update().get(pk=project.pk)
    if project.gov_status != c.GovStatus.APPROVED:
        raise ValidationError(_("Only an approved project converts into a customer."))
    if project.converted_at:
        raise ValidationError(_("This project is already a customer."))
    if project.customer_id:  # linked to an existing customer: its capacity increase
        return _capacity_increase(project, actor=actor, capacity_kva=project.expected_capacity_kva,
                                  site_address=project.site_address, reliability=project.reliability,
                                  energisation_on=project.expected_energisation_on, green_channel=True,
                                  tracker=project.primary_manager)
    customer = create_customer(
        actor=actor, number=_number_for(project.number), name=project.name[:200], address=project.site_address,
        industry=project.industry, voltage_level=project.voltage_level or cc.VoltageLevel.V10,
        lifecycle_status=cc.LifecycleStatus.CONNECTING, org_unit=project.org_unit,
        primary_manager=project.primary_manager, secondary_manager=project.secondary_manager,
        developed_by=project.developed_by or project.primary_manager, is_key_account=True,
        notes=_("Converted from government key project %(number)s; expected %(kva)s kVA.") % {
            "number": project.number, "kva": project.expected_capacity_kva})
    Contact.objects.bulk_create([
        Contact(customer=customer, name=pc.name, title=pc.title, mobile=pc.mobile, email=pc.email,
                is_primary=i == 0, role=cc.ContactRole.OTHER)
        for i, pc in enumerate(project.contacts.all())])
    _write_history(customer, project_history(project))
    connection = _connection_project(customer, source=project, green_channel=True, actor=actor,
                                     site_address=project.site_address, capacity_kva=project.expected_capacity_kva,
                                     reliability=project.reliability, energisation_on=project.expected_energisation_on,
                                     tracker=project.primary_manager)
    project.customer, project.converted_at = customer, timezone.now()
    project._history_user = actor
    project.save(update_fields=["customer", "converted_at", "updated_at"])
    # The weekly report tasks stop once it is a customer.
    workqueue.close_by_prefix(f"pipeline:report:{project.pk}:", by=actor, result=_("Converted into a customer"))
    add_timeline_event(customer, "pipeline.converted", _("Converted from government key project %(number)s") % {
        "number": project.number}, actor=actor)
    return customer, connection


@transaction.atomic
def convert_opportunity(opp: Opportunity, *, actor) -> tuple[Customer, object]:
    """A won opportunity for a prospect → a connecting customer (+ its connection project); a won
    opportunity of an existing customer → that customer's capacity-increase project."""
    opp = Opportunity.objects.select_for_update().get(pk=opp.pk)
    if opp.stage.outcome != c.StageOutcome.WON:
        raise ValidationError(_("Only a won opportunity converts into a customer."))
    if opp.converted_at:
        raise ValidationError(_("This opportunity already belongs to a customer."))
    gp = opp.government_project
    if opp.customer_id:  # an existing customer's: its capacity increase
        return _capacity_increase(
            opp, actor=actor, capacity_kva=opp.expected_kva,
            site_address=opp.site_address or (gp.site_address if gp else ""), reliability=gp.reliability if gp else "",
            energisation_on=gp.expected_energisation_on if gp else None, green_channel=gp is not None,
            tracker=opp.owner)
    customer = create_customer(
        actor=actor, number=_number_for(opp.number), name=opp.prospect_name[:200],
        lifecycle_status=cc.LifecycleStatus.CONNECTING, org_unit=opp.org_unit, address=opp.site_address, primary_manager=opp.owner
        if opp.owner.role in PORTFOLIO_ROLES else None, developed_by=opp.owner,
        notes=_("Converted from opportunity %(number)s; expected %(kva)s kVA.") % {
            "number": opp.number, "kva": opp.expected_kva})
    if opp.contact_name:
        Contact.objects.create(customer=customer, name=opp.contact_name, mobile=opp.contact_mobile, is_primary=True)
    events = opportunity_history(opp)
    if gp is not None and gp.customer_id is None:
        events += project_history(gp)
    _write_history(customer, events)
    connection = _connection_project(
        customer, source=opp, green_channel=gp is not None, actor=actor,
        site_address=opp.site_address or (gp.site_address if gp else ""), capacity_kva=opp.expected_kva,
        reliability=gp.reliability if gp else "", energisation_on=gp.expected_energisation_on if gp else None,
        tracker=opp.owner)
    opp.customer, opp.converted_at = customer, timezone.now()
    opp._history_user = actor
    opp.save(update_fields=["customer", "converted_at", "updated_at"])
    add_timeline_event(customer, "pipeline.converted", _("Converted from opportunity %(number)s") % {
        "number": opp.number}, actor=actor)
    return customer, connection


@transaction.atomic
def link_to_customer(prospect: GovernmentProject | Opportunity, customer: Customer, *, actor):
    """A prospect that is an existing customer's (capacity increase): linked, its history on that
    customer's timeline."""
    if prospect.customer_id:
        raise ValidationError({"customer": _("This prospect is already linked to a customer.")})
    if customer.is_closed:
        raise ValidationError({"customer": _("This customer is closed.")})
    if isinstance(prospect, GovernmentProject):
        _write_history(customer, project_history(prospect))
        label = prospect.number
    else:
        _write_history(customer, opportunity_history(prospect))
        label = prospect.number
    prospect.customer = customer
    prospect._history_user = actor
    prospect.save(update_fields=["customer", "updated_at"])
    add_timeline_event(customer, "pipeline.linked", _("Prospect %(number)s linked (capacity increase)") % {
        "number": label}, actor=actor)
    return prospect
