"""manage.py generate_visit_plans [--date YYYY-MM-DD]: the nightly visit-plan job, now.

Plans the next regular visit of every active key account, the visits of open must-visit
occasions, and escalates overdue visits to the unit supervisors. Idempotent: run it twice,
nothing new the second time.
"""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from powerkam.service.visits import services

from .load_demo_visits import _parse


class Command(BaseCommand):
    help = "Generate visit plans (regular + must-visit occasions) and escalate overdue visits."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Business day (default: today).")

    def handle(self, *args, date=None, verbosity=1, **options):
        day = _parse(date) if date else timezone.localdate()
        started = time.perf_counter()
        result = services.nightly(day)
        if verbosity:
            self.stdout.write(self.style.SUCCESS(
                f"Visit plans for {day} in {time.perf_counter() - started:.1f} s: {result}"))
