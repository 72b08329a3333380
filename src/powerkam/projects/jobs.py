"""Periodic work of connection projects (registered in apps.ProjectsConfig.ready)."""

from __future__ import annotations

from datetime import date


def scan_project_stalls(day: date) -> dict:
    """The nightly stall scan: warnings to trackers, escalations to supervisors (set-based)."""
    from . import services

    return services.scan_stalls(day)
