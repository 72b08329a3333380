"""manage.py run_quality_checks [--date YYYY-MM-DD]: the data-quality rules for every customer."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from powerkam.customers import quality
from powerkam.customers.models import DataQualityFinding


class Command(BaseCommand):
    help = "Evaluate the archive data-quality rules for every customer and print the counts."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="Evaluate as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, day=None, **options):
        try:
            today = date.fromisoformat(day) if day else None
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, got {day!r}.") from exc
        result = quality.evaluate_all(today=today)
        self.stdout.write(f"customers checked: {result['customers']}, findings opened: {result['opened']}, "
                          f"resolved: {result['resolved']}")
        open_by_rule = (DataQualityFinding.objects.filter(status=DataQualityFinding.Status.OPEN)
                        .values("rule").annotate(n=Count("id")).order_by("rule"))
        for row in open_by_rule:
            self.stdout.write(f"  open {row['rule']}: {row['n']}")
