"""`manage.py load_demo_tickets [--seed 1] [--today 2026-11-23]`: demo tickets over two years."""

from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from powerkam.service.tickets import demo


class Command(BaseCommand):
    help = "Load ~1,500 demo tickets and complaints for the demo company (run load_demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    def handle(self, *args, **options):
        result = demo.load_demo(seed=options["seed"], today=options["today"] or timezone.localdate(),
                                log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"tickets demo: {result}"))
