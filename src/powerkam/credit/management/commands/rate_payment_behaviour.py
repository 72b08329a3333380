"""manage.py rate_payment_behaviour [--day YYYY-MM-DD]: the nightly rating, for a given day."""

import time
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from powerkam.credit.services import rate_payment_behaviour


class Command(BaseCommand):
    help = "Rate every customer's payment behaviour from the last 12 months of bills (idempotent per day)."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, default=None)

    def handle(self, *args, day=None, **options):
        started = time.perf_counter()
        result = rate_payment_behaviour(day or timezone.localdate())
        self.stdout.write(self.style.SUCCESS(f"{result} in {time.perf_counter() - started:.1f} s"))
