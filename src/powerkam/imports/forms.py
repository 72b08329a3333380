from django import forms
from django.utils.translation import gettext_lazy as _

from .registry import kind_choices


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=kind_choices)
    file = forms.FileField(label=_("File (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
