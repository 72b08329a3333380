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
def evaluate_imported_quality(customer_ids: list[int], import_job_id: int | None = None) -> dict:
    """The data-quality rules for the customers of a large import, right after its commit
    (services.quality_inline_rows); the same findings and tasks as an inline evaluation. Its
    progress is kept on the import job (quality_done / quality_total / quality_finished_at)."""
    from django.utils import timezone

    from powerkam.customers import quality

    from .models import ImportJob

    jobs = ImportJob.objects.filter(pk=import_job_id) if import_job_id else ImportJob.objects.none()
    jobs.update(quality_total=len(customer_ids), quality_done=0, quality_finished_at=None)
    counts = quality.evaluate_bulk(customer_ids, progress=lambda done: jobs.update(quality_done=done))
    jobs.update(quality_done=len(customer_ids), quality_finished_at=timezone.now())
    return counts
