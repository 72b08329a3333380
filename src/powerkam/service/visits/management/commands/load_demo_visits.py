"""manage.py load_demo_visits [--seed S] [--date YYYY-MM-DD]: visits, plans and care for the demo company."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from powerkam.service.visits.demo import load_demo


class Command(BaseCommand):
    help = "Load demo visits (two years), upcoming plans, a must-visit occasion and care records."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--date", help="The demo's today (default: today).")

    def handle(self, *args, seed=1, date=None, verbosity=1, **options):
        today = _parse(date) if date else timezone.localdate()
        counts = load_demo(seed=seed, today=today, log=self.stdout.write if verbosity > 1 else None)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Demo visits: {counts}"))


def _parse(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be YYYY-MM-DD, got {value!r}.") from exc
