"""manage.py load_demo_credit [--seed S] [--today YYYY-MM-DD]: demo credit assessments and ratings."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from powerkam.credit.demo import load_demo


class Command(BaseCommand):
    help = "Create credit assessments for ~100 demo key accounts and rate every customer's payment behaviour."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="Business day (default today).")

    def handle(self, *args, seed=1, today=None, verbosity=1, **options):
        from powerkam.customers.models import Customer

        if not Customer.objects.filter(is_key_account=True).exists():
            raise CommandError("No key accounts: run manage.py load_demo first.")
        counts = load_demo(seed=seed, today=today or timezone.localdate(),
                           log=self.stdout.write if verbosity > 1 else None)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(
                f"Credit demo: {counts['assessments']} assessments ({counts['approved']} approved); "
                f"{counts['ratings']['rated']} customers rated."))
