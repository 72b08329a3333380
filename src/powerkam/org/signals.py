"""Keep the two-step login state on the staff row (org.two_factor) whatever changes a device or
a rule: the security page, the admin, the shell."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .models import Staff, TwoStepRule


@receiver(post_save, sender=TOTPDevice)
@receiver(post_delete, sender=TOTPDevice)
def _device_changed(sender, instance, **kwargs):
    two_factor.sync_device_state(instance.user_id)


@receiver(post_save, sender=TwoStepRule)
@receiver(post_delete, sender=TwoStepRule)
def _rule_changed(sender, **kwargs):
    two_factor.refresh_deadlines()


@receiver(pre_save, sender=Staff)
def _staff_deadline(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or (update_fields is not None and not {"role", "is_superuser"} & set(update_fields)):
        return
    instance.two_step_due = two_factor.deadline(instance, TwoStepRule.objects.all())
