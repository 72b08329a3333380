"""Background import jobs (Django Tasks API; DESIGN "Long work ... runs as a job with progress")."""

from django_tasks import task


@task()
def run_import_job(job_id: int, dry_run: bool) -> None:
    from .services import execute_job

    execute_job(job_id, dry_run=dry_run)
