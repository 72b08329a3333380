"""manage.py load_demo_outages [--seed S] [--today YYYY-MM-DD]: demo outages on the demo company."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from powerkam.service.outages.demo import load_demo


class Command(BaseCommand):
    help = "Load demo outages for the demo company (run load_demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="Default: today.")

    def handle(self, *args, seed=1, today=None, verbosity=1, **options):
        from powerkam.customers.models import Customer

        if not Customer.objects.exists():
            raise CommandError("No customers: run manage.py load_demo first.")
        counts = load_demo(seed=seed, today=today or timezone.localdate(), log=self.stdout.write if verbosity > 1 else None)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Demo outages loaded: {counts}"))
