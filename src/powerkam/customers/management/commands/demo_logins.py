"""manage.py demo_logins: the demo accounts by role, their password and the URL."""

import os

from django.core.management.base import BaseCommand

from powerkam.customers.demo import DEMO_PASSWORD, demo_staff_plan
from powerkam.org.models import Role, Staff


class Command(BaseCommand):
    help = "Print the demo usernames by role, the demo password and the URL."

    def add_arguments(self, parser):
        default = os.environ.get("POWERKAM_URL") or (
            f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}/")
        parser.add_argument("--url", default=default)

    def handle(self, *args, url="", **options):
        usernames = [p.username for p in demo_staff_plan()]
        present = {u.username: u for u in Staff.objects.filter(username__in=usernames).select_related("org_unit")}
        if not present:
            self.stdout.write("The demo company is not loaded (manage.py load_demo).")
            return
        self.stdout.write(f"PowerKAM: {url}")
        self.stdout.write(f"Demo password for every account below: {DEMO_PASSWORD}")
        for role, label in Role.choices:
            names = [f"{u} ({present[u].org_unit})" for u in usernames if u in present and present[u].role == role]
            if names:
                self.stdout.write(f"  {str(label):<32} {', '.join(names)}")
