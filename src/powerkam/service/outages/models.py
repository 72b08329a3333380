"""Planned outages and their notices."""

from django.db import models  # noqa: F401
