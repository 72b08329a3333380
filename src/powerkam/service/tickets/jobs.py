"""Periodic work of the tickets module (registered in apps.TicketsConfig.ready)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def escalate_tickets(day: date) -> dict:
    """Escalate every open stage that has reached a threshold, as of now. `day` is the
    scheduler's business day; escalation always looks at the current moment."""
    from . import services

    return services.run_escalations(timezone.now())


def refresh_ticket_summary(day: date) -> dict:
    """The nightly job: rebuild the complaint analysis summaries (every ticket taken in before today)."""
    from . import services

    return services.refresh_ticket_summary()
