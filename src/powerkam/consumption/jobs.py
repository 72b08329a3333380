"""Periodic jobs of the consumption app, registered in core.jobs (run by manage.py run_scheduler)."""

from datetime import date

from powerkam.core import jobs as core_jobs


def create_partitions(day: date) -> dict:
    """Monthly interval partitions, this month and the next few (PostgreSQL; nothing on SQLite)."""
    from . import partitions

    created = partitions.ensure_ahead(day)
    return {"created": len(created), "partitions": created}


core_jobs.register("consumption_partitions", create_partitions,
                   "Create the monthly partitions of the 15-minute readings ahead")
