"""manage.py load_demo [--if-empty] [--scale N] [--seed S]: the demo city power supply company."""

import time

from django.core.management.base import BaseCommand, CommandError

from powerkam.customers.demo import DEFAULT_SCALE, load_demo
from powerkam.customers.models import Customer


class Command(BaseCommand):
    help = "Load the demo company: org tree, staff in every role, grid, customers with full archives."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when customers already exist.")
        parser.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="Number of customers (default %(default)s).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--skip-quality", action="store_true", help="Do not run the data-quality rules afterwards.")
        parser.add_argument("--archive-only", action="store_true",
                            help="Only the archive (org, staff, customers); no bills, payments, credit, tickets, visits, outages, surveys.")

    def handle(self, *args, if_empty=False, scale=DEFAULT_SCALE, seed=1, skip_quality=False, archive_only=False,
               verbosity=1, **options):
        if Customer.objects.exists():
            if if_empty:
                if verbosity:
                    self.stdout.write("Customers already exist; demo data not loaded.")
                return
            raise CommandError("Customers already exist. Use a fresh database, or --if-empty to skip.")
        if scale < 1:
            raise CommandError("--scale must be at least 1.")
        started = time.perf_counter()
        log = self.stdout.write if verbosity > 1 else None
        counts = load_demo(scale=scale, seed=seed, evaluate=not skip_quality, log=log)
        if verbosity:
            elapsed = time.perf_counter() - started
            quality = counts.get("quality", {})
            self.stdout.write(self.style.SUCCESS(
                f"Demo company loaded in {elapsed:.1f} s: {counts['customers']:,} customers "
                f"({counts['key_accounts']:,} key accounts), {counts['contacts']:,} contacts, "
                f"{counts['supply_points']:,} supply points, {counts['transformers']:,} transformers, "
                f"{counts['metering_points']:,} metering points, {counts['contracts']:,} contracts, "
                f"{counts['staff']} staff; {quality.get('opened', 0):,} data-quality findings."))
        if not archive_only:
            from django.utils import timezone

            from powerkam.core.demo import load_module_demos

            started = time.perf_counter()
            modules = load_module_demos(seed=seed, today=timezone.localdate(), log=log)
            if verbosity:
                summary = "; ".join(f"{name}: " + ", ".join(f"{k} {v:,}" for k, v in c.items() if isinstance(v, int))
                                    for name, c in modules.items())
                self.stdout.write(self.style.SUCCESS(
                    f"Module demo data loaded in {time.perf_counter() - started:.1f} s — {summary}"))
        if verbosity:
            self.stdout.write("Run `manage.py demo_logins` for the demo accounts.")
