from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from powerkam.receivables.ladder import run_ladder


class Command(BaseCommand):
    help = "Run the receivables ladder for one day (idempotent: running it twice changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--date must be YYYY-MM-DD") from exc
        result = run_ladder(day)
        self.stdout.write(f"ladder {day}: " + ", ".join(f"{k}={v}" for k, v in sorted(result.items())))
