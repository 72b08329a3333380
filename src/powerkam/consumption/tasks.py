"""Background ingest jobs (Django Tasks API)."""

from django_tasks import task

from powerkam.core.leases import when_lost


@task()
def run_ingest_task(batch_id: int) -> None:
    from .services import execute_batch

    execute_batch(batch_id)


@when_lost(run_ingest_task)
def _ingest_worker_lost(args: list, kwargs: dict) -> None:
    from .services import worker_lost

    worker_lost(args[0] if args else kwargs["batch_id"])
