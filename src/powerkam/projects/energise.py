"""What energisation (送电) writes to the archive (issue #12 §6), inside the caller's transaction
and audited (simple-history rows carry the acting user; the customer's timeline says what came in):

- a new connection or temporary supply creates the customer (or completes a prospect already in
  the archive) with the project's supply points, transformers, metering points (multiplier =
  CT × PT) and supply contract;
- a capacity increase adds the project's transformers (and any new supply or metering points)
  to the existing customer; a reduction / suspension takes the named transformers out of
  service; either way the contract and operating capacities follow the in-service transformers,
  with history;
- the data-quality rules run on the result (customers.quality).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from powerkam.core.phrases import phrase
from powerkam.customers import constants as cc
from powerkam.customers import quality
from powerkam.customers.models import (
    Contact,
    Customer,
    MeteringPoint,
    SupplyContract,
    SupplyPoint,
    Transformer,
    ratio_factor,
)
from powerkam.customers.services import add_timeline_event
from powerkam.org.models import PORTFOLIO_ROLES

from . import constants as c
from .models import Project

ADDS = c.TransformerAction.ADD
REMOVES = c.TransformerAction.REMOVE


def _audited(instance, actor) -> None:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor


def _save(instance, actor) -> None:
    _audited(instance, actor)
    instance.save()


def new_customer_number(project: Project) -> str:
    return f"YK{project.pk:010d}"


def validate(project: Project, errors: dict, *, customer_number: str = "") -> None:
    """Field errors that stop the energisation before anything is written."""
    transformers = list(project.transformers.all())
    adds = [t for t in transformers if t.action == ADDS]
    removes = [t for t in transformers if t.action == REMOVES]
    creates = project.application_type in c.CREATES_CUSTOMER
    if creates or project.application_type == c.ApplicationType.INCREASE:
        if not adds:
            errors["transformers"] = _("Record the transformers the project puts into service.")
        elif any(t.capacity_kva is None for t in adds):
            errors["transformers"] = _("Give the capacity of every transformer put into service.")
    if project.application_type == c.ApplicationType.REDUCTION and not removes:
        errors["transformers"] = _("Name the transformers the reduction or suspension takes out of service.")
    if project.customer_id:
        foreign = [t for t in removes if t.existing_id is None or t.existing.customer_id != project.customer_id]
        if foreign:
            errors["transformers"] = _("A transformer taken out of service must be one of the customer's own.")
    elif removes:
        errors["transformers"] = _("A new customer has no transformers to take out of service.")
    if creates:
        if not project.supply_points.exists():
            errors["supply_points"] = _("Record the supply point(s) of the new connection.")
        if not project.metering_points.exists():
            errors["metering_points"] = _("Record the metering point(s) of the new connection.")
        if not project.contract_number:
            errors["contract_number"] = _("Record the supply contract before energisation.")
    if project.contract_number:
        if not project.contract_valid_from or not project.contract_valid_to:
            errors["contract_valid_to"] = _("Give the contract's validity (from and to).")
        elif project.contract_valid_to < project.contract_valid_from:
            errors["contract_valid_to"] = _("The contract cannot end before it starts.")
        clash = SupplyContract.objects.filter(number=project.contract_number)
        if clash.exists():
            errors["contract_number"] = _("Contract number %(number)s is already in the archive.") % {
                "number": project.contract_number}
    numbers = list(project.metering_points.values_list("number", flat=True))
    if project.customer_id and MeteringPoint.objects.filter(customer_id=project.customer_id,
                                                            number__in=numbers).exists():
        errors["metering_points"] = _("A metering point number is already the customer's.")
    if creates and not project.customer_id:
        number = (customer_number or new_customer_number(project)).strip()
        if len(number) > 20:
            errors["customer_number"] = _("Keep the customer number under 20 characters.")
        elif Customer.objects.filter(number=number).exists():
            errors["customer_number"] = _("Customer number %(number)s is taken.") % {"number": number}


def _customer_for(project: Project, *, actor, energised_on: date, customer_number: str) -> tuple[Customer, bool]:
    """The customer the project energises: created for a new applicant, completed for a prospect."""
    tracker = project.tracker
    manager = tracker if tracker.role in PORTFOLIO_ROLES else None
    if project.customer_id is None:
        customer = Customer(
            number=(customer_number or new_customer_number(project)).strip(), name=project.applicant_name,
            credit_code=project.applicant_credit_code, address=project.site_address, industry=project.industry,
            usage_category=project.usage_category, voltage_level=project.voltage_level, org_unit=project.org_unit,
            primary_manager=manager, developed_by=project.first_contact_owner,
            lifecycle_status=cc.LifecycleStatus.ACTIVE, opened_on=energised_on,
            contract_capacity_kva=Decimal("0"), operating_capacity_kva=Decimal("0"))
        _save(customer, actor)
        add_timeline_event(customer, "archive.created", phrase(gettext_noop(
            "Customer archive created by connection project %(number)s"), number=project.number), actor=actor)
        if project.applicant_contact:
            _save(Contact(customer=customer, name=project.applicant_contact, phone=project.applicant_phone,
                          is_primary=True, role=cc.ContactRole.MANAGER), actor)
        project.customer = customer
        return customer, True
    customer = Customer.objects.select_for_update().get(pk=project.customer_id)
    if customer.lifecycle_status in (cc.LifecycleStatus.POTENTIAL, cc.LifecycleStatus.CONNECTING):
        customer.lifecycle_status = cc.LifecycleStatus.ACTIVE
        customer.opened_on = customer.opened_on or energised_on
        customer.voltage_level = project.voltage_level
        for name, value in (("credit_code", project.applicant_credit_code), ("address", project.site_address),
                            ("industry", project.industry)):
            if value and not getattr(customer, name):
                setattr(customer, name, value)
        if customer.primary_manager_id is None and manager is not None:
            customer.primary_manager = manager
    return customer, False


def write_archive(project: Project, *, actor, energised_on: date, customer_number: str = "") -> bool:
    """Write the project's data to the archive. Returns True when a customer was created."""
    customer, created = _customer_for(project, actor=actor, energised_on=energised_on,
                                      customer_number=customer_number)
    points = {}
    for sp in project.supply_points.all():
        row = SupplyPoint(customer=customer, name=sp.name, substation=sp.substation, supply_line=sp.supply_line,
                          source_type=sp.source_type, voltage_level=sp.voltage_level, capacity_kva=sp.capacity_kva)
        _save(row, actor)
        sp.archived = row
        sp.save(update_fields=["archived"])
        points[sp.pk] = row
    added = Decimal("0")
    removed = Decimal("0")
    for t in project.transformers.select_related("existing"):
        if t.action == ADDS:
            row = Transformer(customer=customer, supply_point=points.get(t.supply_point_id), model_no=t.model_no,
                              serial_no=t.serial_no, capacity_kva=t.capacity_kva, quantity=t.quantity,
                              in_service=True)
            _save(row, actor)
            t.archived = row
            t.save(update_fields=["archived"])
            added += row.total_kva
        else:
            row = t.existing
            if row.in_service:
                row.in_service = False
                _save(row, actor)
                removed += row.total_kva
    for mp in project.metering_points.all():
        ct, pt = ratio_factor(mp.ct_ratio), ratio_factor(mp.pt_ratio)
        row = MeteringPoint(customer=customer, supply_point=points.get(mp.supply_point_id), number=mp.number,
                            meter_no=mp.meter_no, ct_ratio=mp.ct_ratio, pt_ratio=mp.pt_ratio,
                            multiplier=(ct * pt).quantize(Decimal("0.01")))
        _save(row, actor)
        mp.archived = row
        mp.save(update_fields=["archived"])
    if project.contract_number:
        _save(SupplyContract(customer=customer, number=project.contract_number,
                             signed_on=project.contract_signed_on or energised_on,
                             valid_from=project.contract_valid_from, valid_to=project.contract_valid_to), actor)
    # Capacities follow the transformers in service (the data-quality rule "capacity mismatch").
    in_service = Transformer.objects.filter(customer=customer, in_service=True).values_list("capacity_kva", "quantity")
    total = sum((kva * qty for kva, qty in in_service), Decimal("0"))
    before = customer.contract_capacity_kva
    customer.contract_capacity_kva = total
    customer.operating_capacity_kva = total
    customer.pf_standard = cc.expected_pf_standard(customer.usage_category, customer.industry,
                                                   customer.voltage_level, total)
    if project.application_type == c.ApplicationType.REDUCTION and total == 0:
        customer.lifecycle_status = cc.LifecycleStatus.SUSPENDED
    _save(customer, actor)
    if not created:
        add_timeline_event(customer, "archive.updated", phrase(gettext_noop(
            "Capacity changed by connection project %(number)s: %(before)s → %(after)s kVA (+%(added)s, −%(removed)s)"),
            number=project.number, before=f"{before:,}", after=f"{total:,}", added=f"{added:,}",
            removed=f"{removed:,}"), actor=actor)
    quality.evaluate([customer.pk], energised_on)
    return created

