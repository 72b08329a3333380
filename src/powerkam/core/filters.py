"""Filters shared by every app's lists (django-filter)."""

import django_filters
from django import forms

from .params import MAX_ID


class RecordIdFilter(django_filters.NumberFilter):
    """`?customer=12`: a record id, a whole number a database key can hold. NumberFilter alone
    takes any decimal ("1e60", "-0.5"), which reached the database and failed there (a 500);
    this one answers a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
