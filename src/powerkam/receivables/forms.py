import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Payment


class PaymentForm(forms.Form):
    customer_number = forms.CharField(label=_("Customer number"), max_length=40)
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    channel = forms.ChoiceField(label=_("Channel"), choices=Payment.Channel.choices)
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)
    payer = forms.CharField(label=_("Payer"), max_length=100, required=False)
    is_advance = forms.BooleanField(label=_("Record any amount above the balance as an advance payment"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    # A fresh key per rendered form: a double click or a resubmitted page records one payment.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    # Shown after a duplicate-reference warning: the clerk confirms a real second payment.
    confirm_duplicate = forms.BooleanField(label=_("Yes, this is a second payment with the same reference"),
                                           required=False)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RefundForm(forms.Form):
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


class ExtensionForm(forms.Form):
    new_due_on = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason (force majeure)"), max_length=300)


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                     choices=(("1", _("Approve")), ("0", _("Reject"))))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class LateFeePaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)


def apply_errors(form: forms.Form, exc) -> None:
    """Put a service ValidationError on the form: field errors on their fields, others on top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = name if name in form.fields else ("customer_number" if name == "customer" and "customer_number" in form.fields else None)
            for msg in errors:
                form.add_error(target, msg)
    else:
        for msg in exc.messages:
            form.add_error(None, msg)


def _moment(label):
    return forms.DateTimeField(label=label, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                               input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])


def _day(label, required=True):
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))


# The steps of a stop-supply case (receivables.stop_supply): one small form per step.
class StopRequestForm(forms.Form):
    scheduled_stop_at = _moment(_("Planned stop"))


class StopDeliverForm(forms.Form):
    delivered_on = _day(_("Stop notice delivered on"))
    authority_reported_on = _day(_("Reported to the power-management authority on"), required=False)


class StopRemindForm(forms.Form):
    reminded_at = _moment(_("Customer told again at"))


class StopDoneForm(forms.Form):
    stopped_at = _moment(_("Supply stopped at"))


class StopRestoreForm(forms.Form):
    restored_at = _moment(_("Supply restored at"))


class BlacklistAddForm(forms.Form):
    customer_number = forms.CharField(label=_("Customer number"), max_length=40)
    reason = forms.CharField(label=_("Reason"), max_length=200)
