"""Archive operations: one function per business operation, called by views, API, imports
and commands alike. Every change is validated (full_clean), audited (simple-history, with
the acting user) and leaves an entry on the customer's timeline."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from powerkam.org.models import PORTFOLIO_ROLES, Staff

from . import constants as c
from .models import Customer, TimelineEvent

# Fields a clerk edits on the customer form / API; the rest are set by operations.
CUSTOMER_EDITABLE_FIELDS = (
    "number", "name", "customer_type", "credit_code", "business_licence_no", "legal_representative",
    "id_number", "address", "industry", "usage_category", "voltage_level", "contract_capacity_kva",
    "operating_capacity_kva", "lifecycle_status", "importance_level", "scope", "cooperation_depth",
    "is_key_account", "ka_tier", "tariff_code", "basic_charge_method", "pf_standard", "tou_enabled",
    "org_unit", "primary_manager", "secondary_manager", "developed_by", "opened_on", "notes",
)


def add_timeline_event(customer: Customer, kind: str, title, *, detail: str = "",
                       actor: Staff | None = None, occurred_at=None) -> TimelineEvent:
    """The one way any module puts an event on a customer's 360 timeline. A generated title is
    a `core.phrases.phrase(...)`: stored with its msgid, shown in the reader's language."""
    from powerkam.core.phrases import Phrase

    msgid, params = (title.msgid[:200], title.stored_params()) if isinstance(title, Phrase) else ("", {})
    return TimelineEvent.objects.create(
        customer=customer, kind=kind, title=str(title)[:200], title_msgid=msgid, title_params=params, detail=detail,
        actor=actor if actor and actor.pk else None, occurred_at=occurred_at or timezone.now(),
    )


def _audited(instance: models.Model, actor: Staff | None) -> None:
    if actor is not None and actor.pk:
        instance._history_user = actor


def _check_portfolio(customer: Customer) -> None:
    errors = {}
    if customer.primary_manager_id and customer.primary_manager.role not in PORTFOLIO_ROLES:
        errors["primary_manager"] = _("The primary manager must be a key account manager or specialist.")
    if customer.secondary_manager_id:
        if customer.secondary_manager_id == customer.primary_manager_id:
            errors["secondary_manager"] = _("The secondary manager must be a different person from the primary manager.")
        elif customer.secondary_manager.role not in PORTFOLIO_ROLES:
            errors["secondary_manager"] = _("The secondary manager must be a key account manager or specialist.")
        elif not customer.primary_manager_id:
            errors["secondary_manager"] = _("Set a primary manager before a secondary manager (1+1).")
    if customer.ka_tier and not customer.is_key_account:
        errors["ka_tier"] = _("Only key accounts have a key account tier.")
    if customer.customer_type != c.CustomerType.PERSON and customer.id_number and not customer.legal_representative:
        errors["legal_representative"] = _("Give the legal representative whose ID number is recorded.")
    if errors:
        raise ValidationError(errors)


def _changed_fields(before: dict[str, Any], instance: models.Model) -> list[str]:
    return [f for f, v in before.items() if getattr(instance, f) != v]


@transaction.atomic
def create_customer(*, actor: Staff | None, **fields: Any) -> Customer:
    """Create a customer. "Who develops it maintains it" (谁开发，谁维护): the developer defaults
    to the acting user, and the primary manager to the developer when they hold a portfolio."""
    customer = Customer(**fields)
    if customer.developed_by_id is None and actor is not None and actor.pk:
        customer.developed_by = actor
    if customer.primary_manager_id is None and customer.developed_by_id and customer.developed_by.role in PORTFOLIO_ROLES:
        customer.primary_manager = customer.developed_by
    if customer.credit_code:
        customer.credit_code = customer.credit_code.strip().upper()
    customer.full_clean()
    _check_portfolio(customer)
    _audited(customer, actor)
    customer.save()
    add_timeline_event(customer, "archive.created", _("Customer archive created"), actor=actor)
    return customer


@transaction.atomic
def update_customer(customer: Customer, *, actor: Staff | None, **fields: Any) -> list[str]:
    """Change archive fields; returns the names of the fields that changed."""
    if customer.is_closed and fields.get("lifecycle_status", c.LifecycleStatus.CLOSED) == c.LifecycleStatus.CLOSED:
        raise ValidationError(_("This customer is closed; reopen it before editing."))
    before = {name: getattr(customer, name) for name in fields}
    for name, value in fields.items():
        setattr(customer, name, value)
    if customer.credit_code:
        customer.credit_code = customer.credit_code.strip().upper()
    customer.full_clean()
    _check_portfolio(customer)
    changed = _changed_fields(before, customer)
    if not changed:
        return []
    _audited(customer, actor)
    customer.save()
    labels = "、".join(str(Customer._meta.get_field(f.removesuffix("_id")).verbose_name) for f in changed)
    add_timeline_event(customer, "archive.updated", _("Archive changed: %(fields)s") % {"fields": labels}, actor=actor)
    return changed


@transaction.atomic
def close_customer(customer: Customer, *, actor: Staff | None, reason: str, closed_on: date | None = None) -> Customer:
    """Close (销户) a customer. The archive is kept; closed customers leave the active lists."""
    if customer.is_closed:
        raise ValidationError(_("This customer is already closed."))
    if not (reason or "").strip():
        raise ValidationError({"close_reason": _("Give the reason for closing the customer.")})
    closed_on = closed_on or timezone.localdate()
    if customer.opened_on and closed_on < customer.opened_on:
        raise ValidationError({"closed_on": _("The closing date cannot be before supply was opened.")})
    customer.lifecycle_status = c.LifecycleStatus.CLOSED
    customer.closed_on = closed_on
    customer.close_reason = reason.strip()
    _audited(customer, actor)
    customer.save()
    add_timeline_event(customer, "archive.closed", _("Customer closed: %(reason)s") % {"reason": customer.close_reason}, actor=actor)
    from .signals import customer_closed

    transaction.on_commit(lambda: customer_closed.send(sender=Customer, customer=customer, actor=actor))
    return customer


@transaction.atomic
def reopen_customer(customer: Customer, *, actor: Staff | None) -> Customer:
    if not customer.is_closed:
        raise ValidationError(_("Only a closed customer can be reopened."))
    customer.lifecycle_status = c.LifecycleStatus.ACTIVE
    customer.closed_on = None
    customer.close_reason = ""
    _audited(customer, actor)
    customer.save()
    add_timeline_event(customer, "archive.reopened", _("Customer reopened"), actor=actor)
    return customer


@transaction.atomic
def save_record(instance: models.Model, *, actor: Staff | None) -> models.Model:
    """Create or change a record that hangs off a customer (contact, supply point, transformer,
    metering point, supply contract)."""
    creating = instance.pk is None
    if instance.customer.is_closed:
        raise ValidationError(_("This customer is closed; reopen it before editing."))
    instance.full_clean()
    _audited(instance, actor)
    instance.save()
    meta = instance._meta
    title = (_("%(what)s added: %(name)s") if creating else _("%(what)s changed: %(name)s")) % {
        "what": meta.verbose_name, "name": str(instance)}
    add_timeline_event(instance.customer, f"archive.{meta.model_name}", title, actor=actor)
    return instance


@transaction.atomic
def delete_record(instance: models.Model, *, actor: Staff | None) -> None:
    customer = instance.customer
    meta = instance._meta
    name = str(instance)
    _audited(instance, actor)
    instance.delete()
    add_timeline_event(customer, f"archive.{meta.model_name}",
                       _("%(what)s removed: %(name)s") % {"what": meta.verbose_name, "name": name}, actor=actor)
