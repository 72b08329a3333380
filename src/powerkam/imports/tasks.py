"""Background import jobs (Django Tasks API; DESIGN "Long work ... runs as a job with progress")."""

from django_tasks import task

from powerkam.core.leases import when_lost


@task()
def run_import_job(job_id: int, dry_run: bool) -> None:
    from .services import execute_job

    execute_job(job_id, dry_run=dry_run)


@when_lost(run_import_job)
def _import_worker_lost(args: list, kwargs: dict) -> None:
    from .services import worker_lost

    worker_lost(args[0] if args else kwargs["job_id"])


@task()
def evaluate_imported_quality(customer_ids: list[int]) -> dict:
    """The data-quality rules for the customers of a large import, right after its commit
    (services.quality_inline_rows); the same findings and tasks as an inline evaluation."""
    from powerkam.customers import quality

    return quality.evaluate_bulk(customer_ids)
