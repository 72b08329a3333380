"""Analysis pages across modules."""

from django.db import models  # noqa: F401
