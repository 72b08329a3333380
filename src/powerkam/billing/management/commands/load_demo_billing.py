"""manage.py load_demo_billing [--seed S] [--today YYYY-MM-DD]: tariff catalogue and 24 months of bills."""

import time
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from powerkam.billing.demo import load_demo


class Command(BaseCommand):
    help = "Load the billing demo: the tariff catalogue and 24 months of itemised bills for every demo customer."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args, seed=1, today=None, verbosity=1, **options):
        started = time.perf_counter()
        counts = load_demo(seed=seed, today=today or timezone.localdate(),
                           log=self.stdout.write if verbosity > 1 else None)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(
                f"Billing demo loaded in {time.perf_counter() - started:.1f} s: {counts}"))
