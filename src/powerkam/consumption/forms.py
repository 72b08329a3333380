from django import forms
from django.utils.translation import gettext_lazy as _

from . import constants as c


class IngestForm(forms.Form):
    layout = forms.ChoiceField(label=_("Layout"), choices=[
        (c.Layout.WIDE, c.Layout.WIDE.label), (c.Layout.LONG, c.Layout.LONG.label),
        (c.Layout.DAILY, c.Layout.DAILY.label)], initial=c.Layout.WIDE)
    quantity = forms.ChoiceField(label=_("Load-curve values are"), choices=c.Quantity.choices,
                                 initial=c.Quantity.POWER_KW)
    already_multiplied = forms.BooleanField(
        label=_("Values already multiplied"), required=False,
        help_text=_("Tick when the file's values already include the CT × PT multiplier; otherwise each value is "
                    "multiplied by its metering point's multiplier."))
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or GBK) or Excel (.xlsx)."))
