"""manage.py refresh_analytics [--month YYYY-MM ...]: rebuild the monthly sales, collection and portfolio summaries."""

import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from powerkam.analytics.services import refresh_summaries


def _month(value: str):
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"Enter a month as YYYY-MM, got {value!r}.") from exc


class Command(BaseCommand):
    help = ("Rebuild the monthly sales summary (analytics.MonthlySales, by billing month), the monthly "
            "collection summary (analytics.MonthlyCollection, by due month) and the monthly portfolio summary "
            "(analytics.MonthlyPortfolio, per primary manager, by billing and due month) from the bills; every "
            "month by default.")

    def add_arguments(self, parser):
        parser.add_argument("--month", action="append", default=None,
                            help="Month YYYY-MM to rebuild (billing month of the sales, due month of the collection, "
                                 "both for the portfolios; repeatable); default: every month.")

    def handle(self, *args, month=None, **options):
        periods = [_month(m) for m in month] if month else None
        started = time.perf_counter()
        result = refresh_summaries(periods)
        self.stdout.write(self.style.SUCCESS(f"{result} in {time.perf_counter() - started:.1f} s"))
