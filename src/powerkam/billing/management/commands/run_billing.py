"""manage.py run_billing --period 2026-10: bill one month from the meter readings (a thin wrapper
around billing.services.run_billing; a rerun skips customers already billed)."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from powerkam.billing.services import run_billing


class Command(BaseCommand):
    help = "Bill one month from the metered quantities (MeterReading)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="The billing month, YYYY-MM.")

    def handle(self, *args, period, verbosity=1, **options):
        try:
            month = datetime.strptime(period, "%Y-%m").date()
        except ValueError as exc:
            raise CommandError("--period must be YYYY-MM") from exc
        run = run_billing(month)
        self.stdout.write(self.style.SUCCESS(
            f"{month:%Y-%m}: {run.total} readings, {run.created} bills created, {run.skipped} already billed, "
            f"{len(run.errors)} errors"))
        for e in run.errors[:20]:
            self.stdout.write(f"  {e['customer']}: {e['error']}")
