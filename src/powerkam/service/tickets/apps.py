from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "powerkam.service.tickets"
    label = "tickets"
    verbose_name = _("Tickets and complaints")

    def ready(self) -> None:
        from powerkam.core import jobs

        from . import jobs as ticket_jobs

        # The scheduler runs daily jobs; `manage.py escalate_tickets` (cron, every 15 min) is the
        # frequent path. Both call the same idempotent service.
        jobs.register("escalate_tickets", ticket_jobs.escalate_tickets,
                      "Escalate ticket stages near or past their SLA deadline (station → region → company)")
        jobs.register("refresh_ticket_summary", ticket_jobs.refresh_ticket_summary,
                      "Rebuild the complaint analysis summaries (every ticket taken in before today)")
        # Open stage deadlines computed over a year without its holidays are recomputed when an
        # administrator enters them (core.holidays, issue #9 item 8).
        from powerkam.core import holidays

        from . import services

        holidays.register_recompute("tickets", lambda: services.open_provisional_stages().count(),
                                    services.recompute_provisional_deadlines)
