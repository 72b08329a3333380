"""Credit assessments and payment-behaviour ratings."""

from django.db import models  # noqa: F401
