"""`manage.py escalate_tickets [--at "2026-10-09 13:00"]`: run the three-level escalation now.

Idempotent (a level is raised once per stage), so cron may run it every 15 minutes."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from powerkam.service.tickets import services


class Command(BaseCommand):
    help = "Escalate ticket stages near or past their SLA deadline (station → region → company)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Evaluate as of this local time (YYYY-MM-DD HH:MM); default now.")

    def handle(self, *args, **options):
        now = timezone.now()
        if options.get("at"):
            try:
                now = timezone.make_aware(datetime.fromisoformat(options["at"]))
            except ValueError as exc:
                raise CommandError(f"--at must be YYYY-MM-DD HH:MM, got {options['at']!r}") from exc
        result = services.run_escalations(now)
        self.stdout.write(f"checked {result['checked']} stages, escalated {result['escalated']}")
