"""manage.py load_demo [--if-empty] [--scale N] [--seed S]: the demo city power supply company."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from powerkam.core.notify import LoggingSmsGateway
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
        sms_before = LoggingSmsGateway.sent_count
        if verbosity:
            self.stdout.write(f"Loading the demo company ({scale:,} customers"
                              f"{'' if archive_only else ' with bills, payments, credit, tickets, visits, outages and surveys'})…")
        counts = load_demo(scale=scale, seed=seed, evaluate=not skip_quality, log=log)
        if verbosity:
            quality = counts.get("quality", {})
            self._step("archive", f"{counts['customers']:,} customers ({counts['key_accounts']:,} key accounts), "
                       f"{counts['contacts']:,} contacts, {counts['supply_points']:,} supply points, "
                       f"{counts['transformers']:,} transformers, {counts['metering_points']:,} metering points, "
                       f"{counts['contracts']:,} contracts, {counts['staff']} staff; "
                       f"{quality.get('opened', 0):,} data-quality findings", time.perf_counter() - started)
        if not archive_only:
            from django.utils import timezone

            from powerkam.core.demo import load_module_demos, run_periodic_jobs

            today = timezone.localdate()
            step = self._counts_step if verbosity else None
            modules_started = time.perf_counter()
            load_module_demos(seed=seed, today=today, log=log, progress=step)
            if verbosity:
                self.stdout.write(f"Module demo data loaded in {time.perf_counter() - modules_started:.1f} s. "
                                  "Running the periodic jobs once (ladder, escalations, visit plans, summaries)…")
            run_periodic_jobs(today, progress=step)
        if verbosity:
            sent = LoggingSmsGateway.sent_count - sms_before
            if sent:
                where = settings.POWERKAM_SMS_LOG or "the console"
                self.stdout.write(f"{sent:,} demo SMS sent through the logging gateway (full text in {where}).")
            self.stdout.write(self.style.SUCCESS(f"Demo company loaded in {time.perf_counter() - started:.1f} s."))
            self.stdout.write("Run `manage.py demo_logins` for the demo accounts.")

    def _step(self, name: str, summary: str, seconds: float) -> None:
        self.stdout.write(f"  {name + ':':<24} {seconds:6.1f} s  {summary}")
        self.stdout.flush()

    def _counts_step(self, name: str, counts: dict, seconds: float) -> None:
        self._step(name, _summary(counts), seconds)


def _summary(counts: dict, limit: int = 6) -> str:
    """The first few whole-number counts of a module's result, nested ones flattened."""
    flat: list[str] = []
    for key, value in counts.items():
        if isinstance(value, dict):
            flat += [f"{k} {v:,}" for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)]
        elif isinstance(value, int) and not isinstance(value, bool):
            flat.append(f"{key} {value:,}")
    return ", ".join(flat[:limit])
