import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from powerkam.receivables.demo import load_demo


class Command(BaseCommand):
    help = "Demo payments for the billing demo's bills, arrears at various ages, then the ladder for today."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, seed=1, today=None, verbosity=1, **options):
        try:
            day = date.fromisoformat(today) if today else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--today must be YYYY-MM-DD") from exc
        started = time.perf_counter()
        counts = load_demo(seed=seed, today=day, log=self.stdout.write if verbosity > 1 else None)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Receivables demo loaded in {time.perf_counter() - started:.1f} s: {counts}"))
