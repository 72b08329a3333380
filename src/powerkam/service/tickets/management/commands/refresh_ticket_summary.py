"""manage.py refresh_ticket_summary: rebuild the complaint analysis summaries (the nightly job)."""

import time

from django.core.management.base import BaseCommand

from powerkam.service.tickets.services import refresh_ticket_summary


class Command(BaseCommand):
    help = "Rebuild the complaint analysis summaries from every ticket taken in before today."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = refresh_ticket_summary()
        self.stdout.write(self.style.SUCCESS(f"{result} in {time.perf_counter() - started:.1f} s"))
