"""manage.py refresh_analytics [--month YYYY-MM ...]: rebuild the monthly sales summary."""

import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from powerkam.analytics.services import refresh_monthly_sales


def _month(value: str):
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"Enter a month as YYYY-MM, got {value!r}.") from exc


class Command(BaseCommand):
    help = "Rebuild the monthly sales summary (analytics.MonthlySales) from the bills; every month by default."

    def add_arguments(self, parser):
        parser.add_argument("--month", action="append", default=None,
                            help="Billing month YYYY-MM to rebuild (repeatable); default: every month.")

    def handle(self, *args, month=None, **options):
        periods = [_month(m) for m in month] if month else None
        started = time.perf_counter()
        result = refresh_monthly_sales(periods)
        self.stdout.write(self.style.SUCCESS(f"{result} in {time.perf_counter() - started:.1f} s"))
