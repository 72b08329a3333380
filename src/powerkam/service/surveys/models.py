"""Satisfaction and exit surveys with one-time links."""

from django.db import models  # noqa: F401
