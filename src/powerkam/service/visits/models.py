"""Visit plans, visit records and care records."""

from django.db import models  # noqa: F401
