"""Payments, late-payment penalties, the receivables ladder and collections."""

from django.db import models  # noqa: F401
