"""manage.py demo_logins: the demo accounts by role, their password and the URL."""

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand

from powerkam.customers.demo import DEMO_PASSWORD, demo_staff_plan
from powerkam.org.models import Role, Staff


def width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


class Command(BaseCommand):
    help = "Print the demo usernames by role, the demo password and the URL."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="The address to print (default: POWERKAM_BASE_URL).")

    def handle(self, *args, url="", **options):
        url = url or settings.POWERKAM_BASE_URL.rstrip("/") + "/"
        usernames = [p.username for p in demo_staff_plan()]
        present = {u.username: u for u in Staff.objects.filter(username__in=usernames).select_related("org_unit")}
        if not present:
            self.stdout.write("The demo company is not loaded (manage.py load_demo).")
            return
        rows = [(str(label), u, str(present[u].org_unit))
                for role, label in Role.choices for u in usernames if u in present and present[u].role == role]
        w_role = max(width(r[0]) for r in rows) + 2
        w_user = max(width(r[1]) for r in rows) + 2
        self.stdout.write("")
        self.stdout.write(f"PowerKAM: {url}")
        self.stdout.write(f"Demo logins — the password of every account: {DEMO_PASSWORD}")
        for role, username, unit in rows:
            self.stdout.write(f"  {pad(role, w_role)}{pad(username, w_user)}{unit}".rstrip())
