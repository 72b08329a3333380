"""Evaluate the data-quality rules whenever an archive record is saved or deleted; and the
archive's own business signals, for the modules above it to react to without the archive
importing them."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from . import quality
from .models import Contact, Customer, MeteringPoint, SupplyContract, SupplyPoint, Transformer

# Sent after the transaction that closed (销户) a customer commits: kwargs customer, actor.
# The surveys app sends the exit survey on it (DOMAIN.md: lost customers are asked why).
customer_closed = Signal()


def _schedule(customer_id: int | None) -> None:
    if not customer_id or quality.is_suspended():
        return

    def run():
        if Customer.objects.filter(pk=customer_id).exists():
            quality.evaluate_customer(customer_id)

    transaction.on_commit(run)


@receiver(post_save, sender=Customer)
def _customer_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _schedule(instance.pk)


for _model in (SupplyPoint, Transformer, MeteringPoint, SupplyContract, Contact):
    post_save.connect(lambda sender, instance, raw=False, **kw: None if raw else _schedule(instance.customer_id),
                      sender=_model, weak=False, dispatch_uid=f"dq_save_{_model.__name__}")
    post_delete.connect(lambda sender, instance, **kw: _schedule(instance.customer_id),
                        sender=_model, weak=False, dispatch_uid=f"dq_delete_{_model.__name__}")
