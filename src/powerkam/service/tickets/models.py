"""Tickets and complaints with first-contact responsibility."""

from django.db import models  # noqa: F401
