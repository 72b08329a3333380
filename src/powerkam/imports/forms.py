from django import forms
from django.utils.translation import gettext_lazy as _

from .columns import KIND_LABELS, KINDS


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    file = forms.FileField(label=_("File (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
